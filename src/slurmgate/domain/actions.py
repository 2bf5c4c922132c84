"""What the newer API versions ask of a cluster beyond submitting and reading jobs.

Signalling jobs chosen by filters (``DELETE /jobs``), requeueing, allocations without a batch
script, changing and removing nodes, fair-share usage and the layout of a job's resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class JobSelection:
    """Which jobs a request concerns: every given filter must match (as ``scancel`` does).

    An empty selection chooses nothing: at least one filter is required.
    """

    #: Job ids as given: "12", "12_3" (an array task), "12_[1-3]", "12+1" (a het component).
    job_ids: list[str] = field(default_factory=list)
    account: str | None = None
    job_name: str | None = None
    partition: str | None = None
    qos: str | None = None
    reservation: str | None = None
    #: Base state names ("PENDING", "RUNNING", ...).
    states: list[str] = field(default_factory=list)
    user_id: int | None = None
    user_name: str | None = None
    wckey: str | None = None
    #: Host names the jobs must run on.
    nodes: list[str] = field(default_factory=list)
    #: "BATCH_JOB" (the batch step only), "FULL_STEPS_ONLY", "ARRAY_TASK" (a task, not the
    #: whole array), "FULL_JOB", "HURRY", "CRON_JOBS", "VERBOSE".
    flags: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.job_ids
            or self.account
            or self.job_name
            or self.partition
            or self.qos
            or self.reservation
            or self.states
            or self.user_id is not None
            or self.user_name
            or self.wckey
            or self.nodes
        )


@dataclass(frozen=True, slots=True)
class SignalOutcome:
    """What signalling one job of a selection did."""

    job_id: int
    #: The step signalled ("batch", or "" for the whole job).
    step_id: str = ""
    #: 0 on success, else Slurm's error number with its text.
    error_number: int = 0
    error: str = ""
    description: str = ""
    #: The federation sibling that answered, if any.
    sibling: str = ""


@dataclass(frozen=True, slots=True)
class RequeueOptions:
    """``scontrol requeue`` and ``requeuehold``: hold it after; as a special exit; only if
    the job is incomplete."""

    hold: bool = False
    special_exit: bool = False
    incomplete: bool = False


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """An allocation granted (or queued) without a batch script, as ``salloc --no-shell``."""

    job_id: int
    user_message: str = ""


@dataclass(slots=True)
class NodeUpdate:
    """What ``scontrol update node`` may change; None leaves a field as it is."""

    #: "DOWN", "DRAIN", "FAIL", "FUTURE", "IDLE", "RESUME", "POWER_DOWN", "POWER_UP",
    #: "UNDRAIN", "NO_RESPOND"... (upper case, as Slurm names them).
    state: list[str] | None = None
    reason: str | None = None
    #: Who set the reason (a user name); the requesting user when not given.
    reason_user: str | None = None
    comment: str | None = None
    extra: str | None = None
    features: list[str] | None = None
    active_features: list[str] | None = None
    gres: str | None = None
    weight: int | None = None
    cpu_bind: int | None = None
    #: Seconds after which a powered-down or down node resumes (0: none).
    resume_after: int | None = None
    address: list[str] | None = None
    hostname: list[str] | None = None
    topology: str | None = None

    def changed_fields(self) -> dict[str, object]:
        return {
            name: value for name in self.__slots__ if (value := getattr(self, name)) is not None
        }


@dataclass(frozen=True, slots=True)
class TresValue:
    name: str
    value: float | None


@dataclass(frozen=True, slots=True)
class ShareEntry:
    """One association's fair-share standing, as ``sshare -l`` shows it."""

    id: int
    cluster: str
    #: The account, or the user for a user's association.
    name: str
    parent: str
    partition: str
    #: "USER" or "ASSOCIATION".
    kind: str
    shares: int | None
    shares_normalized: float | None
    usage: int
    usage_normalized: float | None
    effective_usage: float | None
    fairshare_factor: float | None
    fairshare_level: float | None
    tres_run_seconds: tuple[TresValue, ...] = ()
    tres_group_minutes: tuple[TresValue, ...] = ()
    tres_usage: tuple[TresValue, ...] = ()


@dataclass(frozen=True, slots=True)
class Shares:
    entries: tuple[ShareEntry, ...]
    total_shares: int


@dataclass(frozen=True, slots=True)
class GresLayout:
    name: str
    type: str = ""
    count: int = 0
    #: Device indexes ("0-1").
    index: str = ""


@dataclass(frozen=True, slots=True)
class NodeResourceLayout:
    """What a running job holds on one node, core by core."""

    node: str
    sockets_per_node: int
    cores_per_socket: int
    #: MiB
    memory: int
    #: The allocated cores as a bitmap string ("0-3,8").
    core_bitmap: str
    channel: int | None = None
    gres: tuple[GresLayout, ...] = ()
