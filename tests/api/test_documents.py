"""slurmgate's generated OpenAPI document against each version's official one.

Every operation a version's daemon serves is served, and every difference between the two
documents is a listed erratum: a place where the official document is wrong about its daemon
(tests/support/errata.py, docs/api.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from slurmgate.api.openapi import build_openapi
from slurmgate.api.versions import VERSIONS
from tests.support.documents import (
    DOCUMENTS,
    Difference,
    body_differences,
    official,
    operations,
)
from tests.support.errata import ERRATA
from tests.support.slurmdb_documents import all_slurmdb_differences
from tests.support.slurmdb_legacy import SPECS as SLURMDB_LEGACY
from tests.support.slurmdb_legacy import document_differences
from tests.support.spec import covered

OURS = build_openapi()
CHECKED = sorted(v for v in VERSIONS if v in DOCUMENTS)


def _differences(version: str) -> list[Difference]:
    theirs_doc = official(version)
    theirs, mine = operations(theirs_doc, version), operations(OURS, version)
    return body_differences(theirs_doc, theirs, OURS, mine)


#: Official operations slurmgate answers 501 to (NotSupported, in the envelope) and leaves out
#: of its own document: creating and removing reservations, partitions and nodes, and dumping
#: slurmctld's whole configuration (docs/api.md).
UNSUPPORTED = {
    ("/slurm/{v}/reservation/{reservation_name}", "delete"),
    ("/slurm/{v}/reservation", "post"),
    ("/slurm/{v}/reservations", "post"),
    ("/slurm/{v}/partitions", "post"),
    ("/slurm/{v}/partition/{partition_name}", "delete"),
    ("/slurm/{v}/new/node", "post"),
    ("/slurm/{v}/conf", "get"),
}


def test_every_served_version_is_checked_against_an_official_document() -> None:
    assert set(CHECKED) == set(VERSIONS)


@pytest.mark.parametrize("version", CHECKED)
def test_every_official_operation_is_served(version: str) -> None:
    missing = operations(official(version), version).keys() - operations(OURS, version).keys()
    unsupported = {(path.replace("{v}", version), method) for path, method in UNSUPPORTED}
    assert not sorted(missing - unsupported)


@pytest.mark.parametrize("version", CHECKED)
def test_every_difference_from_the_official_document_is_a_listed_erratum(version: str) -> None:
    unexplained = [str(d) for d in _differences(version) if not covered(version, d)]
    assert not unexplained, "\n".join(unexplained)


def test_every_erratum_explains_a_difference() -> None:
    found = {version: _differences(version) for version in CHECKED}
    found.update({name: document_differences(name) for name in SLURMDB_LEGACY})
    for version, slurmdb in all_slurmdb_differences().items():  # v0.0.40 on: /slurmdb/ too
        found[version] = [*found.get(version, []), *slurmdb]
    unused = [
        erratum
        for erratum in ERRATA
        if not any(erratum.covers(v, d) for v, ds in found.items() for d in ds)
    ]
    assert not unused


@pytest.mark.parametrize("version", CHECKED)
def test_operation_ids_are_unique(version: str) -> None:
    ids: list[Any] = [op["operationId"] for op in operations(OURS, version).values()]
    assert len(ids) == len(set(ids))
