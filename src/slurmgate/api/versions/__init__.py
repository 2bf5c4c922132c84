"""The API versions slurmgate serves, each a view of the one domain model.

``VERSIONS`` maps a path segment ("v0.0.38") to the object that renders domain objects as that
version's JSON and parses that version's request bodies into domain types.
"""

from __future__ import annotations

from typing import Any, Protocol

from slurmgate.api.versions.v0036 import V0036
from slurmgate.api.versions.v0037 import V0037
from slurmgate.api.versions.v0038 import V0038
from slurmgate.backends.base import ClusterInfo
from slurmgate.domain import (
    ControllerPing,
    Job,
    JobSubmission,
    JobUpdate,
    License,
    Node,
    Partition,
    Reservation,
    SlurmgateError,
    Stats,
    SubmitResult,
)

#: Every endpoint name ``ApiVersion.operations`` may contain.
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
    }
)


class ApiVersion(Protocol):
    """What the routes need from a version."""

    name: str
    deprecated: bool
    schemas: dict[str, dict[str, Any]]

    def operations(self) -> frozenset[str]: ...

    def jobs(self, jobs: list[Job], info: ClusterInfo) -> dict[str, object]: ...

    def job(self, job: Job) -> dict[str, Any]:
        """One entry of ``jobs``' list."""

    def job_submitted(
        self, result: SubmitResult, info: ClusterInfo, *, warnings: list[str] | None = None
    ) -> dict[str, object]: ...

    def nodes(self, nodes: list[Node], info: ClusterInfo) -> dict[str, object]: ...

    def partitions(self, partitions: list[Partition], info: ClusterInfo) -> dict[str, object]: ...

    def reservations(
        self, reservations: list[Reservation], info: ClusterInfo
    ) -> dict[str, object]: ...

    def licenses(self, licenses: list[License], info: ClusterInfo) -> dict[str, object]: ...

    def diag(self, stats: Stats, info: ClusterInfo) -> dict[str, object]: ...

    def ping(self, pings: list[ControllerPing], info: ClusterInfo) -> dict[str, object]: ...

    def empty(
        self, info: ClusterInfo, *, warnings: list[str] | None = None
    ) -> dict[str, object]: ...

    def errors(self, errors: list[SlurmgateError], info: ClusterInfo) -> dict[str, object]: ...

    def parse_submission(self, body: object) -> tuple[JobSubmission, list[str]]: ...

    def parse_update(self, body: object) -> tuple[JobUpdate, list[str]]: ...


VERSIONS: dict[str, ApiVersion] = {v.name: v for v in (V0036(), V0037(), V0038())}
#: The version whose envelope carries errors for requests outside /slurm/{version}/.
DEFAULT_VERSION = "v0.0.38"

__all__ = ["DEFAULT_VERSION", "OPERATIONS", "VERSIONS", "ApiVersion", "V0036", "V0037", "V0038"]
