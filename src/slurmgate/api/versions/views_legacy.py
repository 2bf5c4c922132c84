"""Values v0.0.36-v0.0.38 print that are not plain attributes of the model.

Each follows what slurmrestd 22.05's plugins print (``dump_job_info`` in jobs.c, ``_dump_node``
in nodes.c, ``_dump_part`` in partitions.c): ``None`` where the daemon prints ``null``, which it
does for unset values (NO_VAL), and -1 for some unlimited ones.
"""

from __future__ import annotations

from typing import Any

from slurmgate.domain import (
    ControllerPing,
    Job,
    Node,
    NodeState,
    Partition,
    Reservation,
    Stats,
)

#: slurm.h: set in core_spec when the count is of threads (--thread-spec).
CORE_SPEC_THREAD = 0x8000
NO_VAL = 0xFFFFFFFE

# -- jobs ------------------------------------------------------------------------------------


def job_state(job: Job) -> str:
    """job_state_string(): a state flag, when one is set, is shown instead of the base state."""
    return job.state_flags[0] if job.state_flags else job.state.value


def exit_code_raw(job: Job) -> int:
    return job.exit_code.raw if job.exit_code else 0


def derived_exit_code_raw(job: Job) -> int:
    return job.derived_exit_code.raw if job.derived_exit_code else 0


def core_spec(job: Job) -> int | None:
    """22.05 prints the two crossed: a thread count (with CORE_SPEC_THREAD) as core_spec..."""
    spec = job.thread_specification
    return None if spec is None else spec | CORE_SPEC_THREAD


def thread_spec(job: Job) -> int | None:
    """... and a core count as thread_spec."""
    return job.core_specification


def nice(job: Job) -> int | None:
    """null for the default nice value (NICE_OFFSET), as the daemon prints it."""
    return job.nice or None


def tasks_per_node(job: Job) -> int:
    return job.tasks_per_node or 0


def het_job_offset(job: Job) -> int:
    return job.het_job_offset or 0


def shared(job: Job) -> str | None:
    if job.shared:
        return job.shared
    return "none" if job.exclusive else None


def job_flags_spaced(job: Job) -> list[str]:
    """v0.0.36/37 spell JOB_CPUS_SET with a trailing space."""
    return [f if f != "JOB_CPUS_SET" else "JOB_CPUS_SET " for f in job.flags]


def _sockets(cores: tuple[tuple[int, int], ...]) -> dict[str, Any]:
    sockets: dict[str, Any] = {}
    for socket, core in cores:
        sockets.setdefault(str(socket), {"cores": {}})["cores"][str(core)] = "allocated"
    return sockets


def job_resources(job: Job) -> dict[str, Any] | None:
    """v0.0.38's job_resources; None (the key left out) for a job that never got resources."""
    if not job.allocations:
        return None
    resources: dict[str, Any] = {"nodes": job.nodes}
    if job.allocation_unit:  # allocated_cores with CR_Core/CR_Socket, allocated_cpus with CR_CPU
        resources[f"allocated_{job.allocation_unit}"] = sum(a.cpus for a in job.allocations)
    resources["allocated_hosts"] = len(job.allocations)
    resources["allocated_nodes"] = [
        {
            "sockets": _sockets(a.cores or ()),
            "nodename": a.node_name,
            "cpus_used": a.cpus_used,
            "memory_used": a.memory_used,
            "memory_allocated": a.memory,
        }
        for a in job.allocations
    ]
    return resources


def job_resources_keyed(job: Job) -> dict[str, Any]:
    """v0.0.36/37's: nodes keyed by their index, sockets and cores keyed by id; {} if none."""
    if not job.allocations:
        return {}
    nodes: dict[str, Any] = {}
    for index, a in enumerate(job.allocations):
        cores = a.cores or ()
        nodes[str(index)] = {
            "sockets": {str(socket): "unassigned" for socket, _ in cores},
            "cores": {str(core): "unassigned" for _, core in cores},
            "memory": a.memory,
            "cpus": a.cpus,
        }
    return {
        "nodes": job.nodes,
        "allocated_cpus": sum(a.cpus for a in job.allocations),
        "allocated_hosts": len(job.allocations),
        "allocated_nodes": nodes,
    }


# -- nodes -----------------------------------------------------------------------------------


def node_features(node: Node) -> str:
    return ",".join(node.features)


def node_active_features(node: Node) -> str:
    return ",".join(node.active_features)


def node_state_v0036(node: Node) -> str:
    """v0.0.36 loads nodes without SHOW_MIXED: a mixed node reads as allocated."""
    return NodeState.ALLOCATED.value if node.state is NodeState.MIXED else node.state.value


def node_owner(node: Node) -> str | None:
    return node.owner or None


def node_tres_used(node: Node) -> str | None:
    """null for a node with nothing allocated."""
    return node.tres_used or None


def node_reason_set_by_user(node: Node) -> str | None:
    return node.reason_set_by_user or None


# -- partitions ------------------------------------------------------------------------------

_PREEMPTION_MODES = {"suspend": "suspend", "requeue": "requeue", "gang": "gang_schedule"}
_PARTITION_STATES = {"INACTIVE": 0, "DOWN": 1, "DRAIN": 2, "UP": 3}  # slurm.h PARTITION_*


def partition_flags(part: Partition) -> list[str]:
    flags = [f.lower() for f in part.flags]
    if part.is_default and "default" not in flags:  # a backend may list DEFAULT itself
        flags.append("default")
    return flags


def preemption_mode(part: Partition) -> list[str]:
    """v0.0.38: unset or OFF is "disabled"; CANCEL is not shown."""
    mode = part.preemption_mode.lower()
    if mode in ("off", ""):
        return ["disabled"]
    names = dict(_PREEMPTION_MODES, within="within")
    return [names[m] for m in mode.split(",") if m in names]


def preemption_mode_old(part: Partition) -> list[str]:
    """v0.0.36/37 read the raw bits: an unset mode (NO_VAL16) is requeue and gang_schedule."""
    mode = part.preemption_mode.lower()
    if mode == "":
        return ["requeue", "gang_schedule"]
    if mode == "off":
        return ["disabled"]
    return [_PREEMPTION_MODES[m] for m in mode.split(",") if m in _PREEMPTION_MODES]


def unlimited_as_minus_one(value: int | None) -> int:
    return -1 if value is None else value


def max_time_limit(part: Partition) -> int:
    return unlimited_as_minus_one(part.max_time)


def maximum_cpus_per_node(part: Partition) -> int:
    return unlimited_as_minus_one(part.max_cpus_per_node)


def maximum_nodes_per_job(part: Partition) -> int:
    return unlimited_as_minus_one(part.max_nodes)


def default_memory_per_cpu_raw(part: Partition) -> int:
    """v0.0.36/37 print the raw value, 0 when unset."""
    return part.default_memory_per_cpu or 0


def maximum_memory_per_node_raw(part: Partition) -> int:
    """v0.0.36/37 print max_mem_per_cpu under this name."""
    return part.max_memory_per_cpu or part.max_memory_per_node or 0


def partition_state_number(part: Partition) -> int:
    return _PARTITION_STATES.get(part.state, 0)


# -- reservations, licenses, ping, diag ------------------------------------------------------


def reservation_watts(resv: Reservation) -> int:
    return NO_VAL if resv.watts is None else resv.watts


def core_spec_count(resv: Reservation) -> int:
    return len(resv.core_specializations)


def purge_completed(resv: Reservation) -> dict[str, int] | None:
    """Printed only with the PURGE_COMP flag."""
    return {"time": resv.purge_completed_time} if resv.purge_completed else None


def ping_state(ping: ControllerPing) -> str:
    return "UP" if ping.responding else "DOWN"


def bf_queue_len_mean_v0036(stats: Stats) -> int:
    """v0.0.36's plugin divides the table-size sum here."""
    return stats.bf_table_size_mean


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__}  # fmt: skip
