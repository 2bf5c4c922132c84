"""The one interface between the HTTP layer and a cluster.

A backend speaks only domain types and raises only ``slurmgate.domain.errors`` classes. It is
told who is asking (``Principal``) on every call, so that a real-cluster backend can act as that
user and the embedded one can apply the same ownership rules slurmctld applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from slurmgate.domain import (
    ControllerPing,
    Job,
    JobSubmission,
    JobUpdate,
    License,
    Node,
    Partition,
    Principal,
    Reservation,
    Stats,
    SubmitResult,
)


class Capability(StrEnum):
    """What a backend can do; the API answers 501 for what it cannot."""

    SUBMIT = "submit"
    HETEROGENEOUS_JOBS = "heterogeneous_jobs"
    JOB_ARRAYS = "job_arrays"
    UPDATE = "update"
    SIGNAL = "signal"
    RESERVATIONS = "reservations"
    LICENSES = "licenses"
    DIAG = "diag"


@dataclass(frozen=True, slots=True)
class JobList:
    jobs: list[Job]
    #: When the backend's job table last changed (Unix seconds); slurmrestd's ``last_update``.
    last_update: int


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    """Facts a backend knows about the cluster it serves, for the ``meta`` block."""

    cluster_name: str
    #: The Slurm release the backend behaves as, e.g. (22, 5, 8).
    slurm_version: tuple[int, int, int]

    @property
    def release(self) -> str:
        major, minor, micro = self.slurm_version
        return f"{major}.{minor:02d}.{micro}"


@runtime_checkable
class Backend(Protocol):
    """What every cluster backend implements. All methods may raise ``SlurmgateError``.

    Objects a backend returns are its own live records, not copies (copying 1,000 jobs costs
    more than rendering them): callers treat them as read-only and render or copy them before
    their next ``await``, after which the backend may have changed them.
    """

    name: str
    capabilities: frozenset[Capability]

    @property
    def info(self) -> ClusterInfo: ...

    async def start(self) -> None:
        """Connect, load state, start background work. Called once before serving."""

    async def stop(self) -> None:
        """Stop background work and release resources; running jobs are left running."""

    async def ping(self, principal: Principal) -> list[ControllerPing]: ...

    async def stats(self, principal: Principal) -> Stats: ...

    async def list_jobs(self, principal: Principal, *, updated_since: int = 0) -> JobList:
        """Jobs visible to ``principal``; with ``updated_since``, only those changed after it."""

    async def get_job(self, principal: Principal, job_id: int) -> list[Job]:
        """The job, or for an array's job id every task of the array. ``NotFound`` if none."""

    async def submit(self, principal: Principal, submission: JobSubmission) -> SubmitResult: ...

    async def update_job(self, principal: Principal, job_id: int, update: JobUpdate) -> None: ...

    async def signal_job(self, principal: Principal, job_id: int, signal: int) -> None:
        """Send ``signal`` to the job; SIGKILL (9) cancels it, as ``scancel`` does."""

    async def list_nodes(self, principal: Principal, *, updated_since: int = 0) -> list[Node]: ...

    async def get_node(self, principal: Principal, name: str) -> Node: ...

    async def list_partitions(
        self, principal: Principal, *, updated_since: int = 0
    ) -> list[Partition]: ...

    async def get_partition(self, principal: Principal, name: str) -> Partition: ...

    async def list_reservations(
        self, principal: Principal, *, updated_since: int = 0
    ) -> list[Reservation]: ...

    async def get_reservation(self, principal: Principal, name: str) -> Reservation: ...

    async def list_licenses(self, principal: Principal) -> list[License]: ...
