"""slurmgate's generated document against the slurmdb operations of v0.0.40 and later, as
their daemons serve them and as SchedMD published them: every operation is served (or answers
501, listed below), and every difference is a listed erratum."""

from __future__ import annotations

import pytest

from tests.support.documents import document
from tests.support.slurmdb_documents import (
    SLURMDB_DOCUMENTS,
    ours,
    slurmdb_differences,
    slurmdb_operations,
)
from tests.support.spec import covered

#: What the daemons do and slurmgate answers 501 to (in the envelope), out of its document:
#: loading a configuration, adding TRES (which the daemons refuse too), clusters and wckeys,
#: removing clusters and wckeys, changing jobs' records, slurmdbd's configuration.
UNSUPPORTED = {
    ("/slurmdb/{v}/config", "post"),
    ("/slurmdb/{v}/tres", "post"),
    ("/slurmdb/{v}/clusters", "post"),
    ("/slurmdb/{v}/cluster/{cluster_name}", "delete"),
    ("/slurmdb/{v}/wckeys", "post"),
    ("/slurmdb/{v}/wckey/{id}", "delete"),
    ("/slurmdb/{v}/jobs", "post"),
    ("/slurmdb/{v}/job/{job_id}", "post"),
    ("/slurmdb/{v}/conf", "get"),
}
CASES = [
    pytest.param(version, name, id=f"{version}-{name.removesuffix('-openapi.json')}")
    for version, names in SLURMDB_DOCUMENTS.items()
    for name in names
]


@pytest.mark.parametrize(("version", "name"), CASES)
def test_every_slurmdb_operation_of_the_document_is_served(version: str, name: str) -> None:
    theirs = slurmdb_operations(document(name), version).keys()
    missing = theirs - slurmdb_operations(ours(), version).keys()
    unsupported = {(path.replace("{v}", version), method) for path, method in UNSUPPORTED}
    assert not sorted(missing - unsupported)


@pytest.mark.parametrize(("version", "name"), CASES)
def test_every_slurmdb_difference_is_a_listed_erratum(version: str, name: str) -> None:
    found = slurmdb_differences(version, name)
    unexplained = [str(d) for d in found if not covered(version, d)]
    assert not unexplained, "\n".join(unexplained)
