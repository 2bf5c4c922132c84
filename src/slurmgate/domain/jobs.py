"""Jobs as slurmgate understands them, independent of API version and backend.

Times are Unix seconds (0 = not set, as Slurm shows them); time limits are minutes, ``None``
meaning unlimited/inherited from the partition; memory is MiB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum

from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.slurm_errno import ESLURM_JOB_SCRIPT_MISSING


class JobState(StrEnum):
    """Slurm's base job states (JOB_STATE_BASE), by the names slurmrestd prints."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"
    NODE_FAIL = "NODE_FAIL"
    PREEMPTED = "PREEMPTED"
    BOOT_FAIL = "BOOT_FAIL"
    DEADLINE = "DEADLINE"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"

    @property
    def is_finished(self) -> bool:
        return self not in (JobState.PENDING, JobState.RUNNING, JobState.SUSPENDED)


class JobStateReason(StrEnum):
    """The subset of Slurm's job_state_reason strings that slurmgate produces itself.

    Backends that talk to a real slurmctld pass its reason string through unchanged, so
    ``Job.state_reason`` is a plain ``str``; these are the names the embedded cluster uses.
    """

    NONE = "None"
    PRIORITY = "Priority"
    RESOURCES = "Resources"
    DEPENDENCY = "Dependency"
    DEPENDENCY_NEVER_SATISFIED = "DependencyNeverSatisfied"
    BEGIN_TIME = "BeginTime"
    JOB_HELD_USER = "JobHeldUser"
    JOB_HELD_ADMIN = "JobHeldAdmin"
    PARTITION_TIME_LIMIT = "PartitionTimeLimit"
    PARTITION_NODE_LIMIT = "PartitionNodeLimit"
    PARTITION_DOWN = "PartitionDown"
    JOB_ARRAY_TASK_LIMIT = "JobArrayTaskLimit"
    NON_ZERO_EXIT_CODE = "NonZeroExitCode"
    RAISED_SIGNAL = "RaisedSignal"
    TIME_LIMIT = "TimeLimit"
    NODE_DOWN = "NodeDown"
    LAUNCH_FAILED = "JobLaunchFailure"
    BAD_CONSTRAINTS = "BadConstraints"


@dataclass(frozen=True, slots=True)
class ExitStatus:
    """A job's exit as Slurm records it: the raw wait(2) status.

    slurmrestd v0.0.36–v0.0.38 print the raw status (``exit 3`` → 768, SIGKILL → 9); later
    versions split it into return code and signal, which these properties give.
    """

    raw: int

    @classmethod
    def exited(cls, code: int) -> ExitStatus:
        return cls((code & 0xFF) << 8)

    @classmethod
    def signaled(cls, signal: int) -> ExitStatus:
        return cls(signal & 0x7F)

    @property
    def return_code(self) -> int:
        return os.waitstatus_to_exitcode(self.raw) if os.WIFEXITED(self.raw) else 0

    @property
    def signal(self) -> int:
        return os.WTERMSIG(self.raw) if os.WIFSIGNALED(self.raw) else 0


@dataclass(slots=True)
class JobSpec:
    """One job of a submission (``job`` or each entry of ``jobs``), already validated for types.

    ``None`` means "not given": the backend applies its defaults (documented in docs/embedded.md
    for the embedded cluster, slurm.conf for a real one).
    """

    script: str | None = None
    name: str | None = None
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    reservation: str | None = None
    comment: str | None = None
    wckey: str | None = None
    time_limit: int | None = None
    time_minimum: int | None = None
    begin_time: int | None = None
    deadline: int | None = None
    min_nodes: int | None = None
    max_nodes: int | None = None
    tasks: int | None = None
    tasks_per_node: int | None = None
    cpus_per_task: int | None = None
    minimum_cpus_per_node: int | None = None
    memory_per_node: int | None = None
    memory_per_cpu: int | None = None
    tres_per_node: str | None = None
    gres: str | None = None
    licenses: str | None = None
    constraints: str | None = None
    exclusive: bool | None = None
    oversubscribe: bool | None = None
    requeue: bool | None = None
    hold: bool = False
    nice: int | None = None
    priority: int | None = None
    array: str | None = None
    dependency: str | None = None
    kill_on_invalid_dependency: bool | None = None
    environment: dict[str, str] | None = None
    argv: list[str] = field(default_factory=list)
    current_working_directory: str | None = None
    standard_output: str | None = None
    standard_error: str | None = None
    standard_input: str | None = None
    open_mode: str | None = None
    signal: str | None = None
    mail_type: str | None = None
    mail_user: str | None = None
    required_nodes: str | None = None
    excluded_nodes: str | None = None
    # The rest of sbatch's options that slurmrestd v0.0.36-v0.0.38 accept; a real-cluster
    # backend passes them on, the embedded cluster may ignore those it cannot honour.
    exclusive_scope: str | None = None  # "user" or "mcs" (--exclusive=user|mcs)
    account_gather_frequency: str | None = None
    batch_features: str | None = None
    burst_buffer: str | None = None
    cluster_constraint: str | None = None
    container: str | None = None
    core_specification: int | None = None
    thread_specification: int | None = None
    sockets_per_node: int | None = None
    cores_per_socket: int | None = None
    threads_per_core: int | None = None
    tasks_per_core: int | None = None
    tasks_per_socket: int | None = None
    cpu_binding: str | None = None
    cpu_binding_hint: str | None = None
    cpu_frequency: str | None = None
    memory_binding: str | None = None
    distribution: str | None = None
    gpus: str | None = None
    gpus_per_node: str | None = None
    gpus_per_socket: str | None = None
    gpus_per_task: str | None = None
    cpus_per_gpu: int | None = None
    memory_per_gpu: int | None = None
    gpu_binding: str | None = None
    gpu_frequency: str | None = None
    gres_flags: str | None = None
    delay_boot: int | None = None  # seconds
    get_user_environment: bool | None = None
    mcs_label: str | None = None
    minimum_nodes: bool | None = None
    no_kill: bool | None = None
    prefer: str | None = None
    spread_job: bool | None = None
    wait_all_nodes: bool | None = None


NO_SHEBANG = (
    "This does not look like a batch script. The first line must start with #! followed by "
    "the path to an interpreter."
)


def check_batch_script(script: str | None) -> None:
    """Refuse what sbatch refuses before a batch script reaches slurmctld."""
    if not script:
        raise InvalidRequest(
            "Batch job submission requires a script",
            error_number=ESLURM_JOB_SCRIPT_MISSING,
            error="Job script not specified",
        )
    if not script.startswith("#!"):
        raise InvalidRequest(NO_SHEBANG)


@dataclass(slots=True)
class JobSubmission:
    """A whole submission request: one job, or the components of a heterogeneous job."""

    jobs: list[JobSpec]

    @property
    def is_heterogeneous(self) -> bool:
        return len(self.jobs) > 1


@dataclass(frozen=True, slots=True)
class SubmitResult:
    job_id: int
    step_id: str = "batch"
    user_message: str = ""
    #: What slurmctld said of a job it accepted (ESLURM_JOB_HELD for a held one), and its text.
    error_number: int = 0
    error: str = ""


@dataclass(slots=True)
class JobUpdate:
    """Fields a job update may change; ``None`` leaves a field as it is."""

    name: str | None = None
    time_limit: int | None = None
    time_minimum: int | None = None
    priority: int | None = None
    nice: int | None = None
    hold: bool | None = None
    comment: str | None = None
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    begin_time: int | None = None
    dependency: str | None = None
    requeue: bool | None = None
    min_nodes: int | None = None
    max_nodes: int | None = None
    tasks: int | None = None
    cpus_per_task: int | None = None
    memory_per_node: int | None = None
    memory_per_cpu: int | None = None
    constraints: str | None = None
    standard_output: str | None = None
    standard_error: str | None = None
    wckey: str | None = None
    deadline: int | None = None

    def changed_fields(self) -> dict[str, object]:
        return {
            name: value for name in self.__slots__ if (value := getattr(self, name)) is not None
        }


@dataclass(frozen=True, slots=True)
class NodeAllocation:
    """What a job holds on one node."""

    node_name: str
    cpus: int
    memory: int  # MiB
    #: The node's allocated cores as (socket id, core id within the socket) pairs, in order;
    #: ``None`` when the backend does not know them.
    cores: tuple[tuple[int, int], ...] | None = None
    #: CPUs and memory (MiB) of the allocation in use by job steps, as slurmctld counts them.
    cpus_used: int = 0
    memory_used: int = 0


@dataclass(slots=True)
class Job:
    """A job record, the same for every backend and every API version."""

    job_id: int
    name: str
    user_id: int
    user_name: str
    group_id: int
    state: JobState
    state_reason: str = JobStateReason.NONE
    state_description: str = ""
    #: The command a job was submitted with (sbatch's, salloc's), kept by Slurm 25.11 and later;
    #: empty for jobs submitted through the API.
    submit_line: str = ""
    partition: str = ""
    account: str = ""
    qos: str = ""
    reservation: str = ""
    comment: str = ""
    wckey: str = ""
    cluster: str = ""
    priority: int = 0
    nice: int = 0
    submit_time: int = 0
    eligible_time: int = 0
    accrue_time: int = 0
    #: Earliest start the user asked for (Unix seconds, 0 = none).
    begin_time: int = 0
    start_time: int = 0
    end_time: int = 0
    suspend_time: int = 0
    preempt_time: int = 0
    resize_time: int = 0
    deadline: int = 0
    last_sched_evaluation: int = 0
    #: Minutes; None = unlimited.
    time_limit: int | None = None
    time_minimum: int = 0
    exit_code: ExitStatus | None = None
    derived_exit_code: ExitStatus | None = None
    array_job_id: int = 0
    array_task_id: int | None = None
    array_task_string: str = ""
    array_max_tasks: int = 0
    het_job_id: int = 0
    het_job_offset: int | None = None
    het_job_id_set: str = ""
    batch_flag: bool = True
    batch_host: str = ""
    command: str = ""
    current_working_directory: str = ""
    standard_output: str = ""
    standard_error: str = ""
    standard_input: str = "/dev/null"
    dependency: str = ""
    features: str = ""
    licenses: str = ""
    required_nodes: str = ""
    excluded_nodes: str = ""
    #: Allocated node list in Slurm's hostlist form ("n[1-3]"); empty while pending.
    nodes: str = ""
    node_count: int = 1
    cpus: int = 1
    tasks: int = 1
    cpus_per_task: int | None = None
    tasks_per_node: int | None = None
    minimum_cpus_per_node: int = 1
    memory_per_node: int | None = None
    memory_per_cpu: int | None = None
    max_cpus: int = 0
    max_nodes: int = 0
    requeue: bool = False
    restart_count: int = 0
    contiguous: bool = False
    shared: str = ""
    exclusive: bool = False
    tres_req_str: str = ""
    tres_alloc_str: str = ""
    tres_per_node: str = ""
    #: None until slurmctld has computed it (at the job's start).
    billable_tres: float | None = None
    allocations: list[NodeAllocation] = field(default_factory=list)
    #: What slurmctld counts an allocation in: "cores" (SelectTypeParameters CR_Core or
    #: CR_Socket), "cpus" (CR_CPU), "" (neither).
    allocation_unit: str = "cpus"
    flags: list[str] = field(default_factory=list)
    #: Job state flags set beside the base state, the one Slurm shows instead of the base
    #: state first ("COMPLETING", "CONFIGURING", "REQUEUED", ...).
    state_flags: list[str] = field(default_factory=list)
    #: Flags the record was loaded with, as slurmctld returns them.
    show_flags: list[str] = field(default_factory=lambda: ["SHOW_ALL", "SHOW_DETAIL"])
    group_name: str = ""
    association_id: int = 0
    #: Seconds; 0 = none.
    delay_boot: int = 0
    admin_comment: str = ""
    system_comment: str = ""
    prefer: str = ""
    batch_features: str = ""
    burst_buffer: str = ""
    burst_buffer_state: str = ""
    cluster_features: str = ""
    container: str = ""
    mcs_label: str = ""
    #: sbatch's --sockets-per-node, --cores-per-socket, --threads-per-core (None = not given).
    sockets_per_node: int | None = None
    cores_per_socket: int | None = None
    threads_per_core: int | None = None
    tasks_per_core: int | None = None
    tasks_per_socket: int | None = None
    tasks_per_board: int = 0
    sockets_per_board: int = 0
    #: --core-spec and --thread-spec (None = not given).
    core_specification: int | None = None
    thread_specification: int | None = None
    #: --cpu-freq as slurmctld stores it (kHz, or Slurm's CPU_FREQ_* codes; None = not given).
    cpu_frequency_minimum: int | None = None
    cpu_frequency_maximum: int | None = None
    cpu_frequency_governor: int | None = None
    tres_per_job: str = ""
    tres_per_socket: str = ""
    tres_per_task: str = ""
    tres_bind: str = ""
    tres_freq: str = ""
    cpus_per_tres: str = ""
    memory_per_tres: str = ""
    minimum_tmp_disk_per_node: int = 0
    pre_sus_time: int = 0
    reboot: bool = False
    #: Seconds since the epoch at which the record last changed (for ``update_time`` filters).
    last_update: int = 0

    @property
    def is_held(self) -> bool:
        return self.state is JobState.PENDING and self.priority == 0

    @property
    def is_array_task(self) -> bool:
        return self.array_task_id is not None
