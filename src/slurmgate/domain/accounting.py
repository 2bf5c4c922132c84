"""Accounting: what is kept of every job after the controller forgets it, as slurmdbd keeps it.

A job's accounting record (``AccountingJob``) outlives its place in the job table: it holds
what the job asked for and got, when it ran, how it ended, and each of its steps (the batch
script is the ``batch`` step). ``AccountingQuery`` chooses records as ``sacct`` and slurmdbd
do. Records are immutable: a shared answer may be handed to several callers at once.

Times are Unix seconds (0: not yet), durations seconds, time limits minutes (None: none),
memory MiB; TRES counts are in the TRES's own unit (``mem`` in MiB, as Slurm counts it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.jobs import ExitStatus, JobState
from slurmgate.domain.slurm_errno import ESLURM_REST_INVALID_QUERY

#: The kinds of slurmdbd's PrivateData that hide records of each listing from a user who is
#: not an operator (slurmdbd.conf's PrivateData, which may differ from slurm.conf's).
PRIVATE_KINDS: dict[str, str] = {
    "jobs": "jobs",
    "accounts": "accounts",
    "users": "users",
    "associations": "users",
    "wckeys": "users",
    "usage": "usage",
}


@dataclass(frozen=True, slots=True)
class Tres:
    """A trackable resource: an entry of the TRES table, or an amount of one.

    ``type`` is "cpu", "mem", "node", "billing", "energy", "gres", "license", ...; ``name``
    qualifies it ("gpu" for gres/gpu). ``count`` is the amount (mem in MiB); in a limit being
    set, -1 removes the limit on that TRES, as Slurm's ``cpu=-1``.
    """

    type: str
    name: str = ""
    id: int = 0
    count: int = 0

    @property
    def key(self) -> str:
        """Slurm's name of the TRES: "cpu", "gres/gpu"."""
        return f"{self.type}/{self.name}" if self.name else self.type


@dataclass(frozen=True, slots=True)
class TresUsage:
    """An amount of a TRES used by a step's tasks, and where the extreme was seen."""

    type: str
    name: str = ""
    id: int = 0
    count: int = 0
    #: The node and task (rank) of the highest or lowest use; "" and None when not known.
    node: str = ""
    task: int | None = None


@dataclass(frozen=True, slots=True)
class TresStatistics:
    """Use of TRES among a step's tasks. ``requested`` in slurmrestd's words is TRES read in
    (memory, CPU time, input), ``consumed`` TRES written out (output)."""

    max: tuple[TresUsage, ...] = ()
    min: tuple[TresUsage, ...] = ()
    average: tuple[Tres, ...] = ()
    total: tuple[Tres, ...] = ()


@dataclass(frozen=True, slots=True)
class CpuTime:
    """CPU time used, as getrusage(2) splits it."""

    user_seconds: int = 0
    user_microseconds: int = 0
    system_seconds: int = 0
    system_microseconds: int = 0

    @classmethod
    def from_seconds(cls, user: float, system: float) -> CpuTime:
        u, s = round(user * 1_000_000), round(system * 1_000_000)
        return cls(u // 1_000_000, u % 1_000_000, s // 1_000_000, s % 1_000_000)

    def __add__(self, other: CpuTime) -> CpuTime:
        user = (self.user_seconds + other.user_seconds) * 1_000_000
        user += self.user_microseconds + other.user_microseconds
        system = (self.system_seconds + other.system_seconds) * 1_000_000
        system += self.system_microseconds + other.system_microseconds
        return CpuTime(user // 1_000_000, user % 1_000_000, system // 1_000_000, system % 1_000_000)

    @property
    def total_seconds(self) -> int:
        return self._total() // 1_000_000

    @property
    def total_microseconds(self) -> int:
        return self._total() % 1_000_000

    def _total(self) -> int:
        return (
            (self.user_seconds + self.system_seconds) * 1_000_000
            + self.user_microseconds
            + self.system_microseconds
        )


@dataclass(frozen=True, slots=True)
class AssociationRef:
    """Which association a record belongs to: cluster, account, user and partition."""

    account: str
    cluster: str = ""
    user: str = ""
    partition: str = ""
    #: 0 when not known.
    id: int = 0


@dataclass(frozen=True, slots=True)
class JobStep:
    """One step of a job: its batch script (``batch``), ``extern``, or a numbered srun."""

    job_id: int
    #: "batch", "extern", "interactive", "0", "1", ... as slurmrestd prints step ids.
    step_id: str
    name: str
    state: JobState
    state_flags: tuple[str, ...] = ()
    #: The raw wait status; None while the step runs.
    exit_code: ExitStatus | None = None
    #: The component of a heterogeneous job the step belongs to; None otherwise.
    het_component: int | None = None
    start_time: int = 0
    end_time: int = 0
    elapsed: int = 0
    suspended: int = 0
    time_limit: int | None = None
    #: Hostlist form, "n[1-3]".
    nodes: str = ""
    node_count: int = 0
    tasks: int = 0
    cpu_time: CpuTime = CpuTime()
    #: Who ended the step (a cancel); "" otherwise.
    kill_request_user: str = ""
    #: The first task's process id, as slurmdbd keeps it; "" when not known.
    pid: str = ""
    #: kHz, or Slurm's CPU_FREQ_* codes; None when not asked.
    cpu_frequency_min: int | None = None
    cpu_frequency_max: int | None = None
    cpu_frequency_governor: int | None = None
    #: The task layout, e.g. "Block"; "" when not known.
    task_distribution: str = ""
    tres_allocated: tuple[Tres, ...] = ()
    tres_requested: TresStatistics = TresStatistics()
    tres_consumed: TresStatistics = TresStatistics()
    #: Average CPU frequency of the tasks in kHz; 0 when not measured.
    actual_cpu_frequency: int = 0
    #: Joules; None when not measured.
    consumed_energy: int | None = None
    submit_line: str = ""
    container: str = ""
    working_directory: str = ""
    standard_input: str = ""
    standard_output: str = ""
    standard_error: str = ""


@dataclass(frozen=True, slots=True)
class AccountingJob:
    """A job's accounting record: one per run (a requeued job has one per run)."""

    job_id: int
    name: str
    user_name: str
    user_id: int
    state: JobState
    #: Flags beside the base state, the first the one Slurm shows ("REQUEUED", ...).
    state_flags: tuple[str, ...] = ()
    #: Why the job last waited (or failed), Slurm's reason name.
    state_reason: str = "None"
    group_name: str = ""
    group_id: int = 0
    cluster: str = ""
    partition: str = ""
    account: str = ""
    qos: str = ""
    #: The QOS the submission asked for (24.11 on); "" when not known.
    qos_requested: str = ""
    wckey: str = ""
    #: "ASSIGNED_DEFAULT" when the wckey was the user's default.
    wckey_flags: tuple[str, ...] = ()
    association: AssociationRef | None = None
    #: The job's own exit (the batch step's); None while it has not ended.
    exit_code: ExitStatus | None = None
    #: The highest exit of its steps.
    derived_exit_code: ExitStatus | None = None
    #: The comment kept with the record (sacct's Comment), and the administrator's and
    #: slurmctld's.
    comment: str = ""
    admin_comment: str = ""
    system_comment: str = ""
    submit_time: int = 0
    eligible_time: int = 0
    start_time: int = 0
    end_time: int = 0
    #: Seconds run so far (still running) or in all; suspended time excluded.
    elapsed: int = 0
    suspended: int = 0
    time_limit: int | None = None
    priority: int | None = None
    cpu_time: CpuTime = CpuTime()
    nodes: str = ""
    node_count: int = 0
    required_cpus: int = 0
    memory_per_node: int | None = None
    memory_per_cpu: int | None = None
    tres_requested: tuple[Tres, ...] = ()
    tres_allocated: tuple[Tres, ...] = ()
    working_directory: str = ""
    submit_line: str = ""
    #: The batch script and environment, only when the query asks for them.
    script: str = ""
    environment: str = ""
    constraints: str = ""
    container: str = ""
    licenses: str = ""
    extra: str = ""
    failed_node: str = ""
    mcs_label: str = ""
    used_gres: str = ""
    #: The association's place in the tree ("/root/physics/0-alice/"), 23.11 on.
    lineage: str = ""
    reservation: str = ""
    reservation_id: int = 0
    reservation_requested: str = ""
    array_job_id: int = 0
    array_task_id: int | None = None
    array_task_string: str = ""
    array_max_tasks: int = 0
    het_job_id: int = 0
    het_job_offset: int | None = None
    restart_count: int = 0
    kill_request_user: str = ""
    #: How the job was started: "STARTED_ON_SUBMIT", "STARTED_ON_SCHEDULE",
    #: "STARTED_ON_BACKFILL", "START_RECEIVED", ... (slurmdbd's job flags).
    flags: tuple[str, ...] = ()
    standard_input: str = ""
    standard_output: str = ""
    standard_error: str = ""
    #: 26.05 on: the job's exclusive and oversubscribe modes, its segment size, its SLUID.
    exclusive: str = ""
    oversubscribe: str = ""
    segment_size: int = 0
    sluid: str = ""
    steps: tuple[JobStep, ...] = field(default_factory=tuple)

    @property
    def is_finished(self) -> bool:
        """Ended for good: its record will not change any more (but for a requeue)."""
        return self.state.is_finished or "REQUEUED" in self.state_flags


def _invalid(description: str, source: str) -> InvalidRequest:
    return InvalidRequest(description, error_number=ESLURM_REST_INVALID_QUERY, source=source)


@dataclass(frozen=True, slots=True)
class StepSelector:
    """A job, array task, het component or step as ``sacct -j`` names it."""

    job_id: int
    array_task_id: int | None = None
    het_offset: int | None = None
    #: A step id ("batch", "0") or None for the whole job.
    step: str | None = None

    @classmethod
    def parse(cls, text: str) -> StepSelector:
        """``12``, ``12_3``, ``12+1``, ``12.batch``, ``12_3.0``."""
        whole = text.strip()
        head, _, step = whole.partition(".")
        job, het_sep, het = head.partition("+")
        job, array_sep, task = job.partition("_")
        try:
            job_id = int(job)
            task_id = int(task) if array_sep else None
            offset = int(het) if het_sep else None
        except ValueError:
            raise _invalid(f"Unable to parse job/step {text!r}", "step") from None
        if job_id <= 0 or (task_id is not None and task_id < 0) or (offset or 0) < 0:
            raise _invalid(f"Unable to parse job/step {text!r}", "step")
        return cls(job_id, task_id, offset, step or None)

    def __str__(self) -> str:
        text = str(self.job_id)
        if self.array_task_id is not None:
            text += f"_{self.array_task_id}"
        if self.het_offset is not None:
            text += f"+{self.het_offset}"
        return text + (f".{self.step}" if self.step else "")


#: What ``AccountingQuery.scheduler`` may hold: how a job was started (slurmdbd's db_flags).
SCHEDULER_FILTERS = frozenset({"unset", "submit", "main", "backfill", "started"})
#: States a query may name besides the base ones.
EXTRA_STATES = frozenset({"REQUEUED", "RESIZING", "REVOKED", "SPECIAL_EXIT"})


@dataclass(frozen=True, slots=True)
class AccountingQuery:
    """Which accounting records to return, as ``sacct`` and slurmdbd choose them.

    Every given filter must match. Lists are alternatives ("any of"). With no time window
    the defaults are slurmdbd's (``window``): jobs of today, or of all time when jobs are
    named. Hashable, so that identical queries can share one answer.
    """

    #: Jobs, array tasks, het components or steps (``StepSelector`` forms).
    job_ids: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    partitions: tuple[str, ...] = ()
    qos: tuple[str, ...] = ()
    #: Base state names ("COMPLETED") or REQUEUED, RESIZING, REVOKED, SPECIAL_EXIT.
    states: tuple[str, ...] = ()
    job_names: tuple[str, ...] = ()
    wckeys: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    #: Association ids, as text.
    associations: tuple[str, ...] = ()
    reservations: tuple[str, ...] = ()
    reservation_ids: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    #: Reasons the jobs last waited for (Slurm's names).
    reasons: tuple[str, ...] = ()
    #: Nodes the jobs ran on, hostlist form.
    nodes: str = ""
    #: The window (Unix seconds): jobs eligible, running or ending in it; with a state
    #: filter, jobs in those states during it. None: slurmdbd's defaults.
    start_time: int | None = None
    end_time: int | None = None
    #: ``start_time`` is a submit time (slurmrestd's ``submit_time``/``usage_time_as_
    #: submit_time``): jobs submitted from then, no default window.
    window_is_submit_time: bool = False
    exit_code: int | None = None
    cpus_min: int | None = None
    cpus_max: int | None = None
    nodes_min: int | None = None
    nodes_max: int | None = None
    time_limit_min: int | None = None
    time_limit_max: int | None = None
    #: How the jobs were started: "unset", "submit", "main", "backfill", "started".
    scheduler: tuple[str, ...] = ()
    skip_steps: bool = False
    #: Every run of a requeued job (slurmrestd asks for them), not only the last.
    duplicates: bool = True
    #: Cut start and end times to the window (sacct's default; slurmrestd does not).
    truncate_times: bool = False
    #: Every component of a het job when one is named (True), only those named (False),
    #: slurmdbd's default (None).
    whole_hetjob: bool | None = None
    include_script: bool = False
    include_environment: bool = False

    def check(self) -> None:
        """Refuse what slurmrestd refuses before asking slurmdbd."""
        for text in self.job_ids:
            StepSelector.parse(text)
        known = {state.value for state in JobState} | EXTRA_STATES
        bad = sorted(s for s in self.states if s.upper() not in known)
        if bad:
            raise _invalid(f"Invalid job state {', '.join(bad)}", "state")
        unknown = sorted(set(self.scheduler) - SCHEDULER_FILTERS)
        if unknown:
            raise _invalid(f"Unknown scheduler filter {', '.join(unknown)}", "scheduler")
        for name, low, high in (
            ("cpus", self.cpus_min, self.cpus_max),
            ("nodes", self.nodes_min, self.nodes_max),
            ("time_limit", self.time_limit_min, self.time_limit_max),
        ):
            if low is not None and high is not None and low > high:
                raise _invalid(f"{name}_min exceeds {name}_max", name)
        if (
            self.start_time is not None
            and self.end_time is not None
            and self.end_time < self.start_time
        ):
            raise _invalid("end_time is before start_time", "end_time")

    def selectors(self) -> list[StepSelector]:
        return [StepSelector.parse(text) for text in self.job_ids]


def default_window(query: AccountingQuery, now: int, midnight: int) -> tuple[int, int]:
    """The window [start, end) slurmdbd searches when the query leaves times out.

    slurmdb_job_cond_def_start_end: with states, from now (or the given start) to the start;
    with job ids, from the epoch; otherwise from ``midnight`` (local) to now. The end is
    exclusive, so an end equal to the start or to now is moved one second on.
    """
    start = query.start_time or 0
    end = query.end_time or 0
    if not query.window_is_submit_time:
        if query.states:
            if not start and not query.job_ids:
                start = now
            if start and not end:
                end = start
        elif not query.job_ids and not start:
            start = midnight
    if not end:
        end = now
    if end == start or end == now:
        end += 1
    return start, end
