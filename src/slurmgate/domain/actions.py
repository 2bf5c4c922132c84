"""What the newer API versions ask of a cluster beyond submitting and reading jobs.

Signalling jobs chosen by filters (``DELETE /jobs``), requeueing, allocations without a batch
script, changing and removing nodes, fair-share usage and the layout of a job's resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.jobs import JobState
from slurmgate.domain.slurm_errno import ESLURM_SIGNAL_JOBS_INVALID

#: What ``JobSelection.flags`` may hold (slurm.h's KILL_* bits, as slurmrestd names them).
KILL_FLAGS = frozenset(
    {"BATCH_JOB", "FULL_STEPS_ONLY", "ARRAY_TASK", "FULL_JOB", "HURRY", "CRON_JOBS", "VERBOSE"}
)


@dataclass(slots=True)
class JobSelection:
    """Which jobs a request concerns: every given filter must match (as ``scancel`` does).

    An empty selection chooses nothing: at least one filter is required. With ``job_ids``
    every id yields an outcome (a job that does not match the other filters, or has finished,
    is reported); without them the filters pick among all jobs and the others are left out
    silently, as slurmctld's kill_jobs does.
    """

    #: Job ids as given: "12", "12_3" (an array task), "12_[1-3]", "12+1" (a het component).
    job_ids: list[str] = field(default_factory=list)
    account: str | None = None
    job_name: str | None = None
    partition: str | None = None
    qos: str | None = None
    reservation: str | None = None
    #: A base state name ("PENDING", "RUNNING", ...): slurmctld filters by one state, so at
    #: most one is accepted (``check``).
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

    def check(self) -> None:
        """Refuse what slurmctld's kill_jobs refuses before looking at any job."""
        if self.is_empty:
            raise InvalidRequest(
                "Invalid signal jobs request, at least one job id or filter is required.",
                error_number=ESLURM_SIGNAL_JOBS_INVALID,
                error="Invalid signal jobs request, at least one job id or filter is required.",
                source="job selection",
            )
        unknown = sorted(set(self.flags) - KILL_FLAGS)
        if unknown:
            raise InvalidRequest(
                f"Unknown signal flags {', '.join(unknown)} "
                f"(known: {', '.join(sorted(KILL_FLAGS))})",
                source="flags",
            )
        states = set(self.states)
        bad = sorted(states - {state.value for state in JobState})
        if bad:
            raise InvalidRequest(f"Invalid job state {', '.join(bad)}", source="job_state")
        if len(states) > 1:
            raise InvalidRequest(
                f"Jobs can be chosen by one state at a time, not {', '.join(sorted(states))}",
                source="job_state",
            )


@dataclass(frozen=True, slots=True)
class SignalOutcome:
    """What signalling one job of a selection did.

    A backend returns one outcome per job the selection chose, successes included
    (``error_number`` 0): slurmctld lists successes only when asked (flag VERBOSE), which the
    API applies when rendering.
    """

    #: The job's own id; 0 when the selected id names no job.
    job_id: int
    #: The step signalled ("batch", or "" for the whole job).
    step_id: str = ""
    #: 0 on success, else Slurm's error number with its text.
    error_number: int = 0
    error: str = ""
    description: str = ""
    #: The federation sibling that answered, if any.
    sibling: str = ""
    #: The job as selected, in Slurm's text form: "12", "12_3", "12_[1-3]" (pending array
    #: tasks), "12+1" (a het job component).
    selected_id: str = ""


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
    #: What slurmctld said of an allocation it queued rather than granted at once
    #: ("Requested nodes are busy"), and its number; 0 when granted.
    error_number: int = 0
    error: str = ""


@dataclass(slots=True)
class NodeUpdate:
    """What ``scontrol update node`` may change; None leaves a field as it is."""

    #: "DOWN", "DRAIN", "FAIL", "FUTURE", "IDLE", "RESUME", "POWER_DOWN", "POWER_UP",
    #: "UNDRAIN", "NO_RESPOND"... (upper case, as Slurm names them).
    state: list[str] | None = None
    reason: str | None = None
    #: Who set the reason (a user name); the requesting user when not given. slurmctld records
    #: the requesting user whatever is given (the embedded cluster records this name).
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

    def check(self) -> None:
        """``scontrol update node``'s own rules, which slurmctld leaves to its clients."""
        states = set(self.state or ())
        if states & {"DOWN", "DRAIN", "FAIL"} and not self.reason:
            raise InvalidRequest(
                "You must specify a reason when DOWNING or DRAINING a node. Request denied",
                source="reason",
            )
        if self.resume_after is not None and not states & {"DOWN", "DRAIN"}:
            raise InvalidRequest(
                "You can only specify a resume time when DOWNING or DRAINING a node. "
                "Request denied",
                source="resume_after",
            )


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
    #: The allocated cores as a bitmap string ("0-3,8"), node-wide core indexes (socket by
    #: socket). slurmctld sends a hexadecimal mask ("0x10F"); the slurm backend reads it so.
    core_bitmap: str
    channel: int | None = None
    gres: tuple[GresLayout, ...] = ()
