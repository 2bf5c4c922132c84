"""The one interface between the HTTP layer and a cluster.

A backend speaks only domain types and raises only ``slurmgate.domain.errors`` classes. It is
told who is asking (``Principal``) on every call, so that a real-cluster backend can act as that
user and the embedded one can apply the same ownership rules slurmctld applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar, runtime_checkable

from slurmgate.domain import (
    AllocationResult,
    ControllerPing,
    JobSelection,
    JobSpec,
    Job,
    JobSubmission,
    JobUpdate,
    License,
    Node,
    NodeResourceLayout,
    NodeUpdate,
    Partition,
    Principal,
    RequeueOptions,
    Reservation,
    Shares,
    SignalOutcome,
    Stats,
    SubmitResult,
)
from slurmgate.domain.access import AccessRules

T = TypeVar("T")


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
    #: Signal the jobs a filter chooses (DELETE /jobs).
    SIGNAL_MANY = "signal_many"
    REQUEUE = "requeue"
    #: Allocations without a batch script (job/allocate).
    ALLOCATE = "allocate"
    UPDATE_NODES = "update_nodes"
    DELETE_NODES = "delete_nodes"
    #: Fair-share usage (shares).
    SHARES = "shares"
    #: Core-by-core layout of a running job (resources/{job_id}).
    RESOURCE_LAYOUT = "resource_layout"


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A resource's records as of ``last_update``, or word that nothing changed since then."""

    items: list[T]
    #: When the listing was made (Unix seconds), as slurmctld stamps its messages. Passed
    #: back as ``updated_since``, it asks for changes made in that second or later.
    last_update: int
    #: False when the caller's ``updated_since`` is current: ``items`` is then empty.
    changed: bool = True


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
    #: A user who sees the whole cluster, PrivateData notwithstanding: the shared mirror reads
    #: the cluster as this user (slurm: SlurmUser).
    service_user: str
    #: True when listed records are the backend's own objects, changed in place later (the
    #: embedded cluster): they are rendered at once and never compared to detect a change.
    live_records: bool

    @property
    def info(self) -> ClusterInfo: ...

    async def start(self) -> None:
        """Connect, load state, start background work. Called once before serving."""

    async def stop(self) -> None:
        """Stop background work and release resources; running jobs are left running."""

    async def ping(self, principal: Principal) -> list[ControllerPing]: ...

    async def stats(self, principal: Principal) -> Stats: ...

    async def access_rules(self, principal: Principal) -> AccessRules:
        """PrivateData and who is exempt from it, as slurmctld applies them."""

    async def list_jobs(self, principal: Principal, *, updated_since: int = 0) -> Listing[Job]:
        """Jobs visible to ``principal``; unchanged (no items) if none changed after
        ``updated_since``."""

    async def get_job(self, principal: Principal, job_id: int) -> list[Job]:
        """The job, or for an array's job id every task of the array. ``NotFound`` if none."""

    async def submit(self, principal: Principal, submission: JobSubmission) -> SubmitResult: ...

    async def update_job(self, principal: Principal, job_id: int, update: JobUpdate) -> None: ...

    async def signal_job(self, principal: Principal, job_id: int, signal: int) -> None:
        """Send ``signal`` to the job; SIGKILL (9) cancels it, as ``scancel`` does."""

    async def list_nodes(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Node]: ...

    async def get_node(self, principal: Principal, name: str) -> Node: ...

    async def list_partitions(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Partition]: ...

    async def get_partition(self, principal: Principal, name: str) -> Partition: ...

    async def list_reservations(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Reservation]: ...

    async def get_reservation(self, principal: Principal, name: str) -> Reservation: ...

    async def list_licenses(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[License]: ...

    # The newer versions' operations. A backend without the matching capability raises
    # NotSupported (501) from these.

    async def signal_jobs(
        self, principal: Principal, selection: JobSelection, signal: int
    ) -> list[SignalOutcome]:
        """Send ``signal`` to every job ``selection`` chooses that ``principal`` may signal;
        one outcome per job (errors included, as ``scancel`` reports them)."""

    async def requeue_job(
        self, principal: Principal, job_id: int, options: RequeueOptions
    ) -> None: ...

    async def allocate(self, principal: Principal, spec: JobSpec) -> AllocationResult:
        """Queue an allocation with no batch script; it holds its resources until cancelled
        or its time limit ends it."""

    async def update_nodes(
        self, principal: Principal, names: list[str], update: NodeUpdate
    ) -> None: ...

    async def delete_nodes(self, principal: Principal, names: list[str]) -> None: ...

    async def shares(
        self, principal: Principal, *, users: list[str], accounts: list[str]
    ) -> Shares: ...

    async def job_resource_layout(
        self, principal: Principal, job_id: int
    ) -> list[NodeResourceLayout]: ...
