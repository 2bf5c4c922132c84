"""The API versions slurmgate serves, each a view of the one domain model.

A version is data: a ``VersionSpec`` (its tables, written as the differences from the version
before) read by the one ``Version`` class. ``VERSIONS`` maps a path segment ("v0.0.38") to the
``Version`` that renders domain objects as that version's JSON and parses its request bodies.
"""

from __future__ import annotations

from slurmgate.api.versions import v0036, v0037, v0038, v0040, v0041, v0042, v0043, v0044, v0045
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
#: The version whose envelope carries errors for requests outside /slurm/{version}/.
DEFAULT_VERSION = "v0.0.38"

__all__ = ["DEFAULT_VERSION", "OPERATIONS", "SPECS", "VERSIONS", "ApiVersion", "Version"]
