"""v0.0.40 and later's /slurmdb/ operations against the documents their daemons serve.

slurmrestd 24.11 (v0.0.40-v0.0.42) and 26.05 (v0.0.42-v0.0.45) were captured with accounting
through slurmdbd (tests/data/specs); v0.0.41-v0.0.45 are also held to SchedMD's published
documents. Every difference must be a listed erratum (tests/support/errata.py).
"""

from __future__ import annotations

import functools
from typing import Any

from slurmgate.api.openapi import build_openapi
from tests.support.documents import Difference, body_differences, document, operations

#: The documents each version's slurmdb operations are held to: its daemons', then SchedMD's.
SLURMDB_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "v0.0.40": ("slurmrestd-24.11.5-slurmdbd-openapi.json",),
    "v0.0.41": ("slurmrestd-24.11.5-slurmdbd-openapi.json", "v0.0.41-openapi.json"),
    "v0.0.42": (
        "slurmrestd-24.11.5-slurmdbd-openapi.json",
        "slurmrestd-26.05.5-slurmdbd-openapi.json",
        "v0.0.42-openapi.json",
    ),
    "v0.0.43": ("slurmrestd-26.05.5-slurmdbd-openapi.json", "v0.0.43-openapi.json"),
    "v0.0.44": ("slurmrestd-26.05.5-slurmdbd-openapi.json", "v0.0.44-openapi.json"),
    "v0.0.45": ("slurmrestd-26.05.5-slurmdbd-openapi.json", "v0.0.45-openapi.json"),
}
#: The daemon's document of each version (the first above): what answers are validated with.
DAEMON_DOCUMENTS = {version: names[0] for version, names in SLURMDB_DOCUMENTS.items()}


@functools.cache
def ours() -> dict[str, Any]:
    return build_openapi()


def slurmdb_operations(doc: dict[str, Any], version: str) -> dict[tuple[str, str], Any]:
    return {k: op for k, op in operations(doc, version).items() if k[0].startswith("/slurmdb/")}


def slurmdb_differences(version: str, name: str) -> list[Difference]:
    """Where slurmgate's document and ``name`` disagree about ``version``'s slurmdb bodies."""
    theirs_doc = document(name)
    theirs = slurmdb_operations(theirs_doc, version)
    mine = slurmdb_operations(ours(), version)
    return body_differences(theirs_doc, theirs, ours(), mine)


def all_slurmdb_differences() -> dict[str, list[Difference]]:
    return {
        version: [d for name in names for d in slurmdb_differences(version, name)]
        for version, names in SLURMDB_DOCUMENTS.items()
    }
