"""job_info_t -> the domain ``Job``, field by field as slurmrestd 22.05 reads them.

The rules follow ``dump_job_info`` in src/plugins/openapi/v0.0.38/jobs.c: the renderers in
``slurmgate.api.versions`` then print the same values. Call these only while the
``job_info_msg_t`` is alive: every string is copied out here, nothing keeps a C pointer.
"""

from __future__ import annotations

import grp
import pwd
import threading
from functools import lru_cache
from typing import Any

from slurmgate.backends.slurm import job_resources
from slurmgate.backends.slurm.cvalues import (
    INFINITE16,
    NO_VAL,
    NO_VAL16,
    count,
    libslurm_function,
    number,
    pointer,
    text,
)
from slurmgate.domain import ExitStatus, Job, JobState

# job_state & JOB_STATE_BASE indexes enum job_states (slurm.h), in this order.
_STATES = (
    JobState.PENDING,
    JobState.RUNNING,
    JobState.SUSPENDED,
    JobState.COMPLETED,
    JobState.CANCELLED,
    JobState.FAILED,
    JobState.TIMEOUT,
    JobState.NODE_FAIL,
    JobState.PREEMPTED,
    JobState.BOOT_FAIL,
    JobState.DEADLINE,
    JobState.OUT_OF_MEMORY,
)

# Job bitflags slurmrestd lists, in its order (the rest are internal to slurmctld).
_FLAG_NAMES = (
    "KILL_INV_DEP",
    "NO_KILL_INV_DEP",
    "HAS_STATE_DIR",
    "BACKFILL_TEST",
    "GRES_ENFORCE_BIND",
    "TEST_NOW_ONLY",
    "SPREAD_JOB",
    "USE_MIN_NODES",
    "JOB_KILL_HURRY",
    "TRES_STR_CALC",
    "SIB_JOB_FLUSH",
    "HET_JOB_FLAG",
    "JOB_CPUS_SET",
    "TOP_PRIO_TMP",
    "JOB_ACCRUE_OVER",
    "GRES_DISABLE_BIND",
    "JOB_WAS_RUNNING",
    "JOB_MEM_SET",
    "JOB_RESIZED",
)

_SHOW_FLAG_NAMES = (
    "SHOW_ALL",
    "SHOW_DETAIL",
    "SHOW_MIXED",
    "SHOW_LOCAL",
    "SHOW_SIBLING",
    "SHOW_FEDERATION",
    "SHOW_FUTURE",
)

_SHARED = {0: "none", 1: "shared", 2: "user", 3: "mcs"}  # JOB_SHARED_NONE..JOB_SHARED_MCS

#: slurm.h: set in core_spec when the count is of threads (--thread-spec), not cores.
CORE_SPEC_THREAD = 0x8000


class _Library:
    """The constants and functions job records need, resolved once per binding."""

    def __init__(self, ffi: Any, c: Any) -> None:
        self.flags = tuple((ffi.integer_const(name), name) for name in _FLAG_NAMES)
        self.state_base = ffi.integer_const("JOB_STATE_BASE")
        self.mem_per_cpu = ffi.integer_const("MEM_PER_CPU")
        self.nice_offset = ffi.integer_const("NICE_OFFSET")
        # The binding's shims: what they call differs by release (releases.py).
        self.reason_string = c.slurmgate_reason_string
        self.job_show_flags = c.slurmgate_job_show_flags
        self.submit_line = c.slurmgate_job_submit_line
        self.show_flags = tuple((ffi.integer_const(name), name) for name in _SHOW_FLAG_NAMES)
        self.state_flags = ffi.integer_const("JOB_STATE_FLAGS")
        self.state_string = libslurm_function(ffi, "job_state_string", "char *(*)(uint32_t)")
        self.reasons: dict[int, str] = {}
        self.states: dict[int, list[str]] = {}


_libraries: dict[int, _Library] = {}
_libraries_lock = threading.Lock()


def _library(ffi: Any, c: Any) -> _Library:
    found = _libraries.get(id(ffi))
    if found is None:
        with _libraries_lock:
            found = _libraries.setdefault(id(ffi), _Library(ffi, c))
    return found


def _reason(lib: _Library, ffi: Any, code: int) -> str:
    found = lib.reasons.get(code)
    if found is None:  # static strings in libslurm: safe to cache by number
        found = text(ffi, lib.reason_string(code)) or f"Reason{code}"
        lib.reasons[code] = found
    return found


@lru_cache(maxsize=4096)
def user_name(uid: int) -> str:
    """The account name of ``uid``; "" when it has none (slurmrestd prints null then)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


@lru_cache(maxsize=4096)
def group_name(gid: int) -> str:
    """The name of group ``gid``; "" when it has none (slurmrestd prints null then)."""
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return ""


def _state_flags(lib: _Library, ffi: Any, value: int) -> list[str]:
    """The state flags set in ``value``: the one job_state_string shows first, then the rest."""
    flags = value & lib.state_flags
    if not flags:
        return []
    found = lib.states.get(value)
    if found is None:
        base = value & lib.state_base
        base_name = text(ffi, lib.state_string(base))
        shown = text(ffi, lib.state_string(value))
        names = [shown] if shown and shown != base_name else []
        bit = 1
        while bit <= flags:
            if flags & bit:
                name = text(ffi, lib.state_string(base | bit))
                if name and name != base_name and name not in names:
                    names.append(name)
            bit <<= 1
        found = lib.states[value] = names
    return list(found)


def _show_flags(lib: _Library, info: Any) -> list[str]:
    """The flags the record was loaded with; since 24.11 slurmctld no longer sends them, and
    they are the ones every load here asks for (Job's default)."""
    bits = lib.job_show_flags(info)
    if bits < 0:
        return ["SHOW_ALL", "SHOW_DETAIL"]
    return [name for bit, name in lib.show_flags if bits & bit]


def _state(lib: _Library, value: int) -> JobState:
    base = value & lib.state_base
    # An unknown base state (a newer slurmctld) reads as the nearest safe answer.
    return _STATES[base] if base < len(_STATES) else JobState.FAILED


def _flags(lib: _Library, bits: int) -> list[str]:
    return [name for bit, name in lib.flags if bits & bit]


def _memory(lib: _Library, value: int) -> tuple[int | None, int | None]:
    """(per node, per CPU) in MiB from pn_min_memory; MEM_PER_CPU marks the per-CPU form."""
    if value & lib.mem_per_cpu:
        return None, value & ~lib.mem_per_cpu
    return (value or None), None


def _opt16(value: int) -> int | None:
    return None if value == NO_VAL16 else value


def _per(value: int) -> int | None:
    """ntasks_per_core/_socket: unset as NO_VAL16 or INFINITE16."""
    return None if value in (NO_VAL16, INFINITE16) else value


def _specialization(value: int) -> tuple[int | None, int | None]:
    """(cores, threads) from core_spec: CORE_SPEC_THREAD marks a thread count."""
    if value == NO_VAL16:
        return None, None
    if value & CORE_SPEC_THREAD:
        return None, value & ~CORE_SPEC_THREAD
    return value, None


def job_from_c(
    ffi: Any, c: Any, info: Any, cluster_name: str, *, last_update: int = 0, unit: str = "cpus"
) -> Job:
    """One ``job_info_t`` (from slurm_load_job[s] with SHOW_DETAIL) as a domain Job.

    ``cluster_name`` stands in where the record names no cluster; ``last_update`` is the
    message's time, which individual records do not carry; ``unit`` is what allocations are
    counted in (``allocation_unit``). ``c`` is the binding's ``lib``.
    """
    lib = _library(ffi, c)

    def s(pointer: Any) -> str:
        return text(ffi, pointer)

    uid = info.user_id
    memory = _memory(lib, info.pn_min_memory)
    nodes = s(info.nodes)
    tres_alloc = s(info.tres_alloc_str)
    nice = info.nice
    het_job_id = info.het_job_id
    gid = info.group_id
    core_spec, thread_spec = _specialization(info.core_spec)
    return Job(
        job_id=info.job_id,
        name=s(info.name),
        user_id=uid,
        user_name=s(info.user_name) or user_name(uid),
        group_id=count(info.group_id),
        state=_state(lib, info.job_state),
        state_reason=_reason(lib, ffi, info.state_reason),
        state_description=s(info.state_desc),
        submit_line=s(lib.submit_line(pointer(ffi, info))),
        partition=s(info.partition),
        account=s(info.account),
        qos=s(info.qos),
        reservation=s(info.resv_name),
        comment=s(info.comment),
        wckey=s(info.wckey),
        cluster=s(info.cluster) or cluster_name,
        priority=count(info.priority),
        nice=0 if nice == NO_VAL else nice - lib.nice_offset,
        submit_time=info.submit_time,
        eligible_time=info.eligible_time,
        accrue_time=info.accrue_time,
        begin_time=info.eligible_time,  # slurmctld sends details->begin_time as eligible_time
        start_time=info.start_time,
        end_time=info.end_time,
        suspend_time=info.suspend_time,
        preempt_time=info.preempt_time,
        resize_time=info.resize_time,
        deadline=info.deadline,
        last_sched_evaluation=info.last_sched_eval,
        time_limit=number(info.time_limit),
        time_minimum=count(info.time_min),
        exit_code=ExitStatus(info.exit_code),
        derived_exit_code=ExitStatus(info.derived_ec),
        array_job_id=info.array_job_id,
        array_task_id=None if info.array_task_id == NO_VAL else info.array_task_id,
        array_task_string=s(info.array_task_str),
        array_max_tasks=info.array_max_tasks,
        het_job_id=het_job_id,
        het_job_offset=info.het_job_offset if het_job_id else None,
        het_job_id_set=s(info.het_job_id_set),
        batch_flag=info.batch_flag == 1,
        batch_host=s(info.batch_host),
        command=s(info.command),
        current_working_directory=s(info.work_dir),
        standard_output=s(info.std_out),
        standard_error=s(info.std_err),
        standard_input=s(info.std_in),
        dependency=s(info.dependency),
        features=s(info.features),
        licenses=s(info.licenses),
        required_nodes=s(info.req_nodes),
        excluded_nodes=s(info.exc_nodes),
        nodes=nodes,
        node_count=info.num_nodes,
        cpus=info.num_cpus,
        tasks=count(info.num_tasks),
        cpus_per_task=number(info.cpus_per_task, 16),
        tasks_per_node=number(info.ntasks_per_node, 16),
        minimum_cpus_per_node=info.pn_min_cpus,
        memory_per_node=memory[0],
        memory_per_cpu=memory[1],
        max_cpus=count(info.max_cpus),
        max_nodes=count(info.max_nodes),
        requeue=bool(info.requeue),
        restart_count=info.restart_cnt,
        contiguous=info.contiguous == 1,
        shared=_SHARED.get(info.shared, ""),
        exclusive=info.shared != NO_VAL16 and info.shared != 1,
        tres_req_str=s(info.tres_req_str),
        tres_alloc_str=tres_alloc,
        tres_per_node=s(info.tres_per_node),
        billable_tres=None if info.billable_tres == float(NO_VAL) else info.billable_tres,
        allocations=job_resources.allocations(ffi, c, info, nodes, memory, tres_alloc),
        allocation_unit=unit,
        flags=_flags(lib, info.bitflags),
        state_flags=_state_flags(lib, ffi, info.job_state),
        show_flags=_show_flags(lib, pointer(ffi, info)),
        group_name="" if gid == NO_VAL else group_name(gid),
        association_id=info.assoc_id,
        delay_boot=count(info.delay_boot),
        admin_comment=s(info.admin_comment),
        system_comment=s(info.system_comment),
        prefer=s(info.prefer),
        batch_features=s(info.batch_features),
        burst_buffer=s(info.burst_buffer),
        burst_buffer_state=s(info.burst_buffer_state),
        cluster_features=s(info.cluster_features),
        container=s(info.container),
        mcs_label=s(info.mcs_label),
        sockets_per_node=_opt16(info.sockets_per_node),
        cores_per_socket=_opt16(info.cores_per_socket),
        threads_per_core=_opt16(info.threads_per_core),
        tasks_per_core=_per(info.ntasks_per_core),
        tasks_per_socket=_per(info.ntasks_per_socket),
        tasks_per_board=info.ntasks_per_board,
        sockets_per_board=info.sockets_per_board,
        core_specification=core_spec,
        thread_specification=thread_spec,
        cpu_frequency_minimum=None if info.cpu_freq_min == NO_VAL else info.cpu_freq_min,
        cpu_frequency_maximum=None if info.cpu_freq_max == NO_VAL else info.cpu_freq_max,
        cpu_frequency_governor=None if info.cpu_freq_gov == NO_VAL else info.cpu_freq_gov,
        tres_per_job=s(info.tres_per_job),
        tres_per_socket=s(info.tres_per_socket),
        tres_per_task=s(info.tres_per_task),
        tres_bind=s(info.tres_bind),
        tres_freq=s(info.tres_freq),
        cpus_per_tres=s(info.cpus_per_tres),
        memory_per_tres=s(info.mem_per_tres),
        minimum_tmp_disk_per_node=info.pn_min_tmp_disk,
        pre_sus_time=info.pre_sus_time,
        reboot=bool(info.reboot),
        last_update=last_update,
    )


class KnownJobs:
    """The jobs the last load converted, by id with their record's digest (job_digests.py),
    and what their conversion depended on beyond the record: the next load converts only the
    records whose digest changed and reuses the other ``Job``s as they are.

    Replaced whole at the end of each load, so loads in two threads at once need no lock (the
    last to end is kept)."""

    def __init__(self) -> None:
        self.held: tuple[tuple[str, str], dict[int, tuple[int, Job]]] = (("", ""), {})


def jobs_from_msg(
    ffi: Any, c: Any, msg: Any, cluster_name: str, known: KnownJobs | None = None
) -> list[Job]:
    """Every record of a ``job_info_msg_t``, in slurmctld's order.

    With ``known``, a record found unchanged is the ``Job`` an earlier load made of it, whose
    ``last_update`` is the time of the message that first carried it as it is."""
    if msg == ffi.NULL:
        return []
    unit = job_resources.allocation_unit(ffi, c)
    stamp = msg.last_update
    records, total = msg.job_array, msg.record_count
    if known is None:
        return [
            job_from_c(ffi, c, records[i], cluster_name, last_update=stamp, unit=unit)
            for i in range(total)
        ]
    context = (cluster_name, unit)
    held_context, held = known.held
    before = held if held_context == context else {}
    pairs = ffi.new("uint64_t[]", 2 * total)
    c.slurmgate_job_digests(msg, pairs)
    values = ffi.unpack(pairs, 2 * total)
    jobs: list[Job] = []
    now: dict[int, tuple[int, Job]] = {}
    for i in range(total):
        job_id, digest = values[2 * i], values[2 * i + 1]
        found = before.get(job_id)
        if found is not None and found[0] == digest:
            job = found[1]
        else:
            job = job_from_c(ffi, c, records[i], cluster_name, last_update=stamp, unit=unit)
        now[job_id] = (digest, job)
        jobs.append(job)
    known.held = (context, now)
    return jobs


def job_state(ffi: Any, c: Any, value: int) -> tuple[JobState, list[str]]:
    """A job_state value (slurmctld's or slurmdbd's) as the base state and its flags."""
    lib = _library(ffi, c)
    return _state(lib, value), _state_flags(lib, ffi, value)


def reason_name(ffi: Any, c: Any, code: int) -> str:
    """A job_state_reason number by its name ("Resources", "None", ...)."""
    return _reason(_library(ffi, c), ffi, code)
