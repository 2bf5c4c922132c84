"""The API versions slurmgate serves, each a view of the one domain model.

A version is data: a ``VersionSpec`` (its tables, written as the differences from the version
before) read by the one ``Version`` class. ``VERSIONS`` maps a path segment ("v0.0.38") to the
``Version`` that renders domain objects as that version's JSON and parses its request bodies.
"""

from __future__ import annotations

from slurmgate.api.versions import (
    db_v0036,
    db_v0037,
    db_v0038,
    v0036,
    v0037,
    v0038,
    v0040,
    v0041,
    v0042,
    v0043,
    v0044,
    v0045,
)
from slurmgate.api.versions.slurmdb_operations import SLURMDB_OPERATIONS
from slurmgate.api.versions.version import Version, VersionSpec

#: Every endpoint name a version's ``operations()`` may contain.
OPERATIONS = frozenset(
    {
        "diag",
        "ping",
        "jobs",
        "job_get",
        "job_update",
        "job_cancel",
        "job_submit",
        "nodes",
        "node",
        "partitions",
        "partition",
        "reservations",
        "reservation",
        "licenses",
        # v0.0.40 and later
        "jobs_signal",
        "jobs_state",
        "job_allocate",
        "job_requeue",
        "jobs_requeue",
        "nodes_update",
        "node_update",
        "node_delete",
        "shares",
        "reconfigure",
        "resources",
        "hostnames",
        "hostlist",
    }
    | set(SLURMDB_OPERATIONS)
)

#: Every version's tables, oldest first.
SPECS: tuple[VersionSpec, ...] = (
    v0036.SPEC,
    v0037.SPEC,
    v0038.SPEC,
    v0040.SPEC,
    v0041.SPEC,
    v0042.SPEC,
    v0043.SPEC,
    v0044.SPEC,
    v0045.SPEC,
)

#: What the routes use of a version.
ApiVersion = Version

VERSIONS: dict[str, Version] = {spec.name: Version(spec) for spec in SPECS}

#: slurmdb plugins of their own, with tables apart from their release's /slurm/ version (the
#: legacy dbv0.0.36-dbv0.0.38: components named "dbv0.0.38_...", served at /slurmdb/v0.0.38/
#: by ``VersionSpec.path_segment``). Their ``responses`` map the db_* operations they serve.
SLURMDB_SPECS: tuple[VersionSpec, ...] = (db_v0036.SPEC, db_v0037.SPEC, db_v0038.SPEC)


def _slurmdb_versions() -> dict[str, Version]:
    """Path segment -> the version answering /slurmdb/{segment}/: a version whose own tables
    map db_* operations (v0.0.40 on: one data_parser for both plugins), or a SLURMDB_SPECS
    one."""
    found = {
        name: version
        for name, version in VERSIONS.items()
        if any(op in SLURMDB_OPERATIONS for op in version.operations())
    }
    found.update({spec.segment: Version(spec) for spec in SLURMDB_SPECS})
    return found


SLURMDB: dict[str, Version] = _slurmdb_versions()
#: The version whose envelope carries errors for requests outside /slurm/{version}/.
DEFAULT_VERSION = "v0.0.38"

__all__ = [
    "DEFAULT_VERSION",
    "OPERATIONS",
    "SLURMDB",
    "SLURMDB_SPECS",
    "SPECS",
    "VERSIONS",
    "ApiVersion",
    "Version",
]
