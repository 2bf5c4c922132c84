"""The one interface between the HTTP layer and a cluster.

A backend speaks only domain types and raises only ``slurmgate.domain.errors`` classes. It is
told who is asking (``Principal``) on every call, so that a real-cluster backend can act as that
user and the embedded one can apply the same ownership rules slurmctld applies.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar, runtime_checkable

from slurmgate.domain import (
    AllocationResult,
    ControllerPing,
    Job,
    JobSelection,
    JobSpec,
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
from slurmgate.domain.accounting import AccountingJob, AccountingQuery, Tres
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    Association,
    AssociationAdd,
    AssociationQuery,
    Qos,
    QosQuery,
    User,
    UserQuery,
    Wckey,
    WckeyQuery,
)
from slurmgate.domain.dbd import (
    ClusterQuery,
    ClusterRecord,
    DbdPing,
    DbdStats,
    Instance,
    InstanceQuery,
)

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
    #: Accounting reads: job history, accounts, users, associations, QOS, TRES, clusters,
    #: the accounting daemon's ping and statistics.
    ACCOUNTING = "accounting"
    #: Adding, changing and removing accounts, users, associations and QOS.
    ACCOUNTING_ADMIN = "accounting_admin"
    #: Workload characterization keys (wckeys).
    WCKEYS = "wckeys"
    #: Cloud instances the nodes ran on.
    INSTANCES = "instances"


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A resource's records as of ``last_update``, or word that nothing changed since then."""

    items: list[T]
    #: When the listing was made (Unix seconds), as slurmctld stamps its messages. Passed
    #: back as ``updated_since``, it asks for changes made in that second or later.
    last_update: int
    #: False when the caller's ``updated_since`` is current: ``items`` is then empty.
    changed: bool = True
    #: Live records only: each record's stamp by its key, a number that changes with every
    #: change of the record and never goes back, when the backend keeps one (finer than
    #: ``last_update``'s seconds). None: the mirror stamps them by ``last_update``.
    stamps: dict[Hashable, int] | None = None


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


class AccountingSource(Protocol):
    """Accounting, the accounting daemon's side of a cluster (slurmdbd): every backend has it,
    and so does the cache in front of one (``slurmgate.accounting``).

    A backend without ``ACCOUNTING`` raises NotSupported from all of these, without
    ``ACCOUNTING_ADMIN`` from the changes, without ``WCKEYS`` or ``INSTANCES`` from those.
    Changes answer with what they changed: the names added, changed or removed.
    """

    async def accounting_rules(self, principal: Principal) -> AccessRules:
        """The accounting daemon's PrivateData and who is exempt from it (operators, and
        coordinators of accounts), for answers shared between users who see the same rows."""

    async def accounting_jobs(
        self, principal: Principal, query: AccountingQuery
    ) -> list[AccountingJob]:
        """Accounting records ``query`` chooses that ``principal`` may see, with their steps
        unless ``query.skip_steps``."""

    async def accounting_job(self, principal: Principal, job_id: str) -> list[AccountingJob]:
        """The records of one job (``12``), array task (``12_3``) or het component
        (``12+1``): every task or component of an array's or het job's id, every run of a
        requeued job. ``NotFound`` if none."""

    async def accounts(self, principal: Principal, query: AccountQuery) -> list[Account]: ...

    async def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        """Add the accounts that do not exist and change the description and organization
        of those that do."""

    async def add_accounts_with_associations(
        self, principal: Principal, account: Account, add: AssociationAdd
    ) -> list[str]:
        """Add ``add.accounts`` (described as ``account``) with their associations on
        ``add.clusters`` (the backend's cluster when none), under ``add.template``'s
        parent account."""

    async def remove_account(self, principal: Principal, name: str) -> list[str]: ...

    async def users(self, principal: Principal, query: UserQuery) -> list[User]: ...

    async def add_users(self, principal: Principal, users: list[User]) -> list[str]:
        """Add the users that do not exist and change those that do (admin level, default
        account and wckey; coordinated accounts are added)."""

    async def add_users_with_associations(
        self, principal: Principal, add: AssociationAdd, user: User | None = None
    ) -> list[str]:
        """Add ``add.users`` (with ``user``'s admin level and defaults) and their associations
        with every account of ``add.accounts``."""

    async def remove_user(self, principal: Principal, name: str) -> list[str]: ...

    async def associations(
        self, principal: Principal, query: AssociationQuery
    ) -> list[Association]: ...

    async def set_associations(
        self, principal: Principal, associations: list[Association]
    ) -> list[str]:
        """Add the associations that do not exist (by cluster, account, user, partition) and
        change those that do with the fields given (None leaves a field as it is)."""

    async def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        """Remove the associations ``query`` chooses (an empty query is refused)."""

    async def qos(self, principal: Principal, query: QosQuery) -> list[Qos]: ...

    async def set_qos(self, principal: Principal, qos: list[Qos]) -> list[str]:
        """Add the QOS that do not exist and change those that do."""

    async def remove_qos(self, principal: Principal, name: str) -> list[str]: ...

    async def tres(self, principal: Principal) -> list[Tres]:
        """The TRES table (types, names and ids; counts 0)."""

    async def clusters(self, principal: Principal, query: ClusterQuery) -> list[ClusterRecord]: ...

    async def wckeys(self, principal: Principal, query: WckeyQuery) -> list[Wckey]: ...

    async def instances(self, principal: Principal, query: InstanceQuery) -> list[Instance]: ...

    async def dbd_ping(self, principal: Principal) -> list[DbdPing]:
        """Whether the accounting daemon answers; never raises for one that does not."""

    async def dbd_stats(self, principal: Principal) -> DbdStats: ...


@runtime_checkable
class Backend(AccountingSource, Protocol):
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
