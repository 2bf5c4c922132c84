"""A job's size: CPUs, nodes, tasks and memory from what was asked, and whether it can ever fit.

Defaults: 1 node, 1 task, 1 CPU per task; CPUs = tasks x CPUs per task (at least the minimum
CPUs per node on every node). Memory: per node or per CPU as asked; else the partition's
``default_memory_per_cpu``; else per CPU the smallest node memory / node CPUs of the partition.
``--mem=0`` means all the memory of a node.
"""

from __future__ import annotations

from slurmgate.backends.local.views import ClusterLayout, tres_string
from slurmgate.domain import InvalidRequest, Job, Partition
from slurmgate.domain.slurm_errno import (
    ESLURM_BAD_TASK_COUNT,
    ESLURM_INVALID_CPU_COUNT,
    ESLURM_INVALID_NODE_COUNT,
    ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
)


def _invalid(description: str, number: int, error: str) -> InvalidRequest:
    return InvalidRequest(description, error_number=number, error=error)


def check_fits(layout: ClusterLayout, job: Job, partition: Partition) -> None:
    """Refuse a job that no state of the partition's nodes could ever run."""
    wanted = {f for f in job.features.replace(",", "&").split("&") if f}
    nodes = [
        layout.node_configs[n] for n in partition.node_names if wanted <= set(layout.features(n))
    ]
    per_node_cpus = -(-job.cpus // max(job.node_count, 1))
    if job.memory_per_node is not None:
        per_node_memory = job.memory_per_node
    else:
        per_node_memory = (job.memory_per_cpu or 0) * per_node_cpus
    fitting = [n for n in nodes if n.cpus >= per_node_cpus and n.memory >= per_node_memory]
    if len(fitting) < job.node_count:
        raise _invalid(
            f"Requested node configuration is not available: {job.node_count} node(s) with "
            f"{per_node_cpus} CPU(s) and {per_node_memory}M memory"
            + (f" and features {job.features}" if wanted else "")
            + f" in partition {partition.name!r}",
            ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
            "Requested node configuration is not available",
        )


def apply_resources(
    layout: ClusterLayout,
    job: Job,
    partition: Partition,
    *,
    nodes: int | None,
    tasks: int | None,
    tasks_per_node: int | None,
    cpus_per_task: int | None,
    min_cpus_per_node: int | None,
    memory_per_node: int | None,
    memory_per_cpu: int | None,
) -> None:
    """Fill the job's size fields from a request, with the defaults in the docstring."""
    if nodes is not None and nodes < 1:
        raise _invalid(
            f"Invalid node count {nodes}",
            ESLURM_INVALID_NODE_COUNT,
            "Node count specification invalid",
        )
    if tasks is not None and tasks < 1:
        raise _invalid(
            f"Invalid task count {tasks}",
            ESLURM_BAD_TASK_COUNT,
            "Task count specification invalid",
        )
    for value in (cpus_per_task, min_cpus_per_node, tasks_per_node):
        if value is not None and value < 1:
            raise _invalid(
                f"Invalid CPU count {value}",
                ESLURM_INVALID_CPU_COUNT,
                "CPU count specification invalid",
            )
    for value in (memory_per_node, memory_per_cpu):
        if value is not None and value < 0:
            raise _invalid(
                f"Invalid memory size {value}",
                ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
                "Requested node configuration is not available",
            )
    node_count = nodes if nodes is not None else job.node_count or 1
    if tasks is None:
        task_count = node_count * (tasks_per_node or 1)
    else:
        task_count = tasks
        # sbatch: "can't run N processes on M nodes, setting nnodes to N".
        node_count = min(node_count, task_count)
    per_task = cpus_per_task if cpus_per_task is not None else job.cpus_per_task or 1
    job.node_count = node_count
    job.tasks = task_count
    job.tasks_per_node = tasks_per_node
    job.cpus_per_task = per_task
    job.minimum_cpus_per_node = min_cpus_per_node or per_task
    job.cpus = max(task_count * per_task, job.minimum_cpus_per_node * node_count)
    if memory_per_node is not None or memory_per_cpu is not None:
        job.memory_per_node, job.memory_per_cpu = memory_per_node, memory_per_cpu
    elif job.memory_per_node is None and job.memory_per_cpu is None:
        job.memory_per_cpu = _default_memory_per_cpu(layout, partition)
    if job.memory_per_node == 0:  # --mem=0: all the memory of each node
        job.memory_per_node = min(layout.node_configs[n].memory for n in partition.node_names)
    if job.memory_per_node is not None:
        job.memory_per_cpu = None
    refresh_tres(job)


def _default_memory_per_cpu(layout: ClusterLayout, partition: Partition) -> int:
    if partition.default_memory_per_cpu is not None:
        return partition.default_memory_per_cpu
    configs = [layout.node_configs[n] for n in partition.node_names]
    return max(min(c.memory // c.cpus for c in configs), 1) if configs else 1


def refresh_tres(job: Job) -> None:
    if job.memory_per_node is not None:
        memory = job.memory_per_node * job.node_count
    else:
        memory = (job.memory_per_cpu or 0) * job.cpus
    job.tres_req_str = tres_string(job.cpus, memory, job.node_count)
    job.billable_tres = float(job.cpus)
