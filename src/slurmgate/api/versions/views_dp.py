"""Values v0.0.40 and later print that are not plain attributes of the model.

These versions are printed by slurmrestd's data_parser plugins: flags by their long names,
states as lists, exit codes taken apart, numbers that may be unset or infinite as objects
(the views return ``INFINITE`` or ``None`` for those; codecs.py prints them).
"""

from __future__ import annotations

import signal as _signal
from dataclasses import dataclass
from typing import Any

from slurmgate.api.versions.codecs import INFINITE, Infinite
from slurmgate.domain import (
    ExitStatus,
    Job,
    JobState,
)

#: slurm.h: the bit of core_spec that makes it a thread count.
CORE_SPEC_THREAD = 0x8000
NO_VAL16 = 0xFFFE

# Slurm's job flag macros -> the names data_parser prints (v0.0.40's parsers.c table).
JOB_FLAGS = {
    "KILL_INV_DEP": "KILL_INVALID_DEPENDENCY",
    "NO_KILL_INV_DEP": "NO_KILL_INVALID_DEPENDENCY",
    "HAS_STATE_DIR": "HAS_STATE_DIRECTORY",
    "BACKFILL_TEST": "TESTING_BACKFILL",
    "GRES_ENFORCE_BIND": "GRES_BINDING_ENFORCED",
    "TEST_NOW_ONLY": "TEST_NOW_ONLY",
    "JOB_SEND_ENV": "SEND_JOB_ENVIRONMENT",
    "SPREAD_JOB": "SPREAD_JOB",
    "USE_MIN_NODES": "PREFER_MINIMUM_NODE_COUNT",
    "JOB_KILL_HURRY": "JOB_KILL_HURRY",
    "TRES_STR_CALC": "SKIP_TRES_STRING_ACCOUNTING",
    "SIB_JOB_FLUSH": "SIBLING_CLUSTER_UPDATE_ONLY",
    "HET_JOB_FLAG": "HETEROGENEOUS_JOB",
    "JOB_NTASKS_SET": "EXACT_TASK_COUNT_REQUESTED",
    "JOB_CPUS_SET": "EXACT_CPU_COUNT_REQUESTED",
    "BF_WHOLE_NODE_TEST": "TESTING_WHOLE_NODE_BACKFILL",
    "TOP_PRIO_TMP": "TOP_PRIORITY_JOB",
    "JOB_ACCRUE_OVER": "ACCRUE_COUNT_CLEARED",
    "GRES_DISABLE_BIND": "GRES_BINDING_DISABLED",
    "JOB_WAS_RUNNING": "JOB_WAS_RUNNING",
    "RESET_ACCRUE_TIME": "JOB_ACCRUE_TIME_RESET",
    "CRON_JOB": "CRON_JOB",
    "JOB_MEM_SET": "EXACT_MEMORY_REQUESTED",
    "USE_DEFAULT_ACCT": "USING_DEFAULT_ACCOUNT",
    "USE_DEFAULT_PART": "USING_DEFAULT_PARTITION",
    "USE_DEFAULT_QOS": "USING_DEFAULT_QOS",
    "USE_DEFAULT_WCKEY": "USING_DEFAULT_WCKEY",
    "JOB_DEPENDENT": "DEPENDENT",
    "JOB_MAGNETIC": "MAGNETIC",
    "JOB_PART_ASSIGNED": "PARTITION_ASSIGNED",
    "BACKFILL_SCHED": "BACKFILL_ATTEMPTED",
    "BACKFILL_LAST": "SCHEDULING_ATTEMPTED",
    "JOB_SEND_SCRIPT": "SAVE_BATCH_SCRIPT",
}

# -- jobs ------------------------------------------------------------------------------------


def job_flags(job: Job) -> list[str]:
    return [JOB_FLAGS.get(flag, flag) for flag in job.flags]


def job_state(job: Job) -> list[str]:
    """The base state, then the state flags set beside it."""
    return [job.state.value, *job.state_flags]


def time_limit(job: Job) -> int | Infinite:
    return INFINITE if job.time_limit is None else job.time_limit


def tasks_per_core(job: Job) -> int | Infinite:
    """slurmctld keeps INFINITE16 for a job that gave none."""
    return INFINITE if job.tasks_per_core is None else job.tasks_per_core


def tasks_per_socket(job: Job) -> int | Infinite:
    return INFINITE if job.tasks_per_socket is None else job.tasks_per_socket


def tasks_per_node(job: Job) -> int:
    return job.tasks_per_node or 0


def _core_spec_raw(job: Job) -> int:
    if job.thread_specification is not None:
        return job.thread_specification | CORE_SPEC_THREAD
    return NO_VAL16 if job.core_specification is None else job.core_specification


def core_spec(job: Job) -> int:
    """data_parser prints the raw field apart: 0 where it holds a thread count (or none)."""
    raw = _core_spec_raw(job)
    return 0 if raw & CORE_SPEC_THREAD else raw


def thread_spec(job: Job) -> int:
    raw = _core_spec_raw(job)
    return raw & ~CORE_SPEC_THREAD if raw & CORE_SPEC_THREAD else 0


def hold(job: Job) -> bool:
    """A priority of 0 is a hold, whatever the job's state (a cancelled held job too)."""
    return job.priority == 0


def het_job_offset(job: Job) -> int:
    """slurmctld holds 0 for a job that is no heterogeneous job's component."""
    return job.het_job_offset or 0


def shared(job: Job) -> list[str]:
    """data_parser names JOB_SHARED_OK "oversubscribe" (v0.0.38 printed "shared")."""
    if job.shared:
        return ["oversubscribe" if job.shared == "shared" else job.shared]
    return ["none"] if job.exclusive else []


def exclusive(job: Job) -> list[str]:
    """v0.0.40/41's exclusive: "true" for a whole-node job, "user" or "mcs" for those."""
    if job.shared in ("user", "mcs"):
        return [job.shared]
    return ["true"] if job.exclusive else []


def oversubscribe(job: Job) -> bool:
    return job.shared in ("oversubscribe", "shared") or not job.exclusive


def profile(job: Job) -> list[str]:
    return ["NOT_SET"]


def nice(job: Job) -> int:
    return job.nice


def group_name(job: Job) -> str:
    return job.group_name


@dataclass(frozen=True, slots=True)
class Exit:
    """A job's exit as data_parser prints it: status words, return code, signal."""

    status: ExitStatus | None

    @property
    def words(self) -> list[str]:
        if self.status is None:
            return ["PENDING"]
        if self.status.signal:
            return ["SIGNALED", "CORE_DUMPED"] if self.status.raw & 0x80 else ["SIGNALED"]
        return ["ERROR"] if self.status.return_code else ["SUCCESS"]

    @property
    def return_code(self) -> int | None:
        if self.status is None or self.status.signal:
            return None
        return self.status.return_code

    @property
    def signal_id(self) -> int | None:
        return self.status.signal if self.status is not None and self.status.signal else None

    @property
    def signal_name(self) -> str:
        number = self.signal_id
        if not number:
            return ""
        try:
            return _signal.Signals(number).name.removeprefix("SIG")
        except ValueError:
            return str(number)


def exit_code(job: Job) -> Exit:
    return Exit(job.exit_code if job.exit_code is not None else _exit_or_default(job))


def derived_exit_code(job: Job) -> Exit:
    return Exit(job.derived_exit_code if job.derived_exit_code is not None
                else _exit_or_default(job))  # fmt: skip


def _exit_or_default(job: Job) -> ExitStatus | None:
    """slurmctld holds 0 (a success) for a job that started; NO_VAL for one that never did."""
    return None if job.state is JobState.PENDING and not job.start_time else ExitStatus(0)


def job_resources(job: Job) -> Job | None:
    """The job itself, read by the job_res record, when it holds resources; None otherwise."""
    return job if job.allocations else None


@dataclass(frozen=True, slots=True)
class AllocatedCore:
    index: int
    status: list[str]


@dataclass(frozen=True, slots=True)
class AllocatedSocket:
    index: int
    cores: list[AllocatedCore]


@dataclass(frozen=True, slots=True)
class AllocatedNode:
    """One node of a job's allocation (job_res_node)."""

    index: int
    name: str
    cpus_count: int
    cpus_used: int
    memory_used: int
    memory_allocated: int
    sockets: list[AllocatedSocket]


def allocated_nodes(job: Job) -> list[AllocatedNode]:
    found = []
    for index, a in enumerate(job.allocations):
        sockets: dict[int, list[AllocatedCore]] = {}
        for socket, core in a.cores or ():
            sockets.setdefault(socket, []).append(AllocatedCore(core, ["ALLOCATED"]))
        found.append(
            AllocatedNode(
                index=index,
                name=a.node_name,
                cpus_count=a.cpus,
                cpus_used=a.cpus_used,
                memory_used=a.memory_used,
                memory_allocated=a.memory,
                sockets=[AllocatedSocket(s, cores) for s, cores in sorted(sockets.items())],
            )
        )
    return found


def allocated_cpus(job: Job) -> int:
    return sum(a.cpus for a in job.allocations)


def select_type(job: Job) -> list[str]:
    """What slurmctld allocated the job's CPUs by (its job_resources hold no memory flag)."""
    return ["CORE"] if job.allocation_unit == "cores" else ["CPU"]


def select_type_45(job: Job) -> list[str]:
    """v0.0.45 names SelectTypeParameters whole; the model holds how CPUs are counted, not
    whether memory is consumable: taken as consumable (CR_Core_Memory, the default since
    Slurm 23.11)."""
    return ["CR_CORE_MEMORY"] if job.allocation_unit == "cores" else ["CR_CPU_MEMORY"]


def node_select_type(job: Job) -> list[str]:
    """How the job may share its nodes: ONE_ROW, the rule of partitions with OverSubscribe=NO
    (the default; the model holds no partition's OverSubscribe)."""
    return ["ONE_ROW"]


def legacy_job_resources(job: Job) -> dict[str, Any]:
    """v0.0.40's job_resources: v0.0.38's shape, with allocated_cpus beside allocated_cores;
    an empty object for a job that holds none."""
    if not job.allocations:
        return {}
    total = allocated_cpus(job)
    return {
        "nodes": job.nodes,
        "allocated_cores": total if job.allocation_unit == "cores" else 0,
        "allocated_cpus": total if job.allocation_unit != "cores" else 0,
        "allocated_hosts": len(job.allocations),
        "allocated_nodes": [
            {
                "sockets": {
                    str(s): {"cores": {str(c): "allocated" for (s2, c) in a.cores or () if s2 == s}}
                    for s in sorted({s for s, _ in a.cores or ()})
                },
                "nodename": a.node_name,
                "cpus_used": a.cpus_used,
                "memory_used": a.memory_used,
                "memory_allocated": a.memory,
            }
            for a in job.allocations
        ],
    }


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__
         and not isinstance(value, type)}  # fmt: skip
