"""The environment of a batch script, as slurmd builds it (env_array_for_batch_job + slurmstepd).

The submitted environment is the base; Slurm's own variables overwrite any of the same name.
``SLURM_EXPORT_ENV`` is dropped: sbatch consumed it at submission.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slurmgate.domain.jobs import Job, NodeAllocation

_DROPPED = ("SLURM_EXPORT_ENV",)


def compress_counts(counts: Sequence[int]) -> str:
    """Slurm's run-length form of per-node counts: [2, 2, 2, 1] -> "2(x3),1"."""
    parts: list[str] = []
    i = 0
    while i < len(counts):
        j = i
        while j + 1 < len(counts) and counts[j + 1] == counts[i]:
            j += 1
        reps = j - i + 1
        parts.append(str(counts[i]) if reps == 1 else f"{counts[i]}(x{reps})")
        i = j + 1
    return ",".join(parts)


def tasks_per_node(cpus: Sequence[int], tasks: int, cpus_per_task: int) -> list[int]:
    """Block distribution of ``tasks`` over nodes holding ``cpus`` (slurm_step_layout_create).

    Every node gets one task first, then nodes fill in order up to their CPU capacity, and
    anything left (overcommit) goes round-robin.
    """
    if not cpus:
        return []
    layout = [0] * len(cpus)
    remaining = tasks
    for i in range(len(cpus)):
        if remaining == 0:
            break
        layout[i] = 1
        remaining -= 1
    for i, node_cpus in enumerate(cpus):
        room = max(node_cpus // max(cpus_per_task, 1) - layout[i], 0)
        take = min(room, remaining)
        layout[i] += take
        remaining -= take
    i = 0
    while remaining > 0:
        layout[i % len(cpus)] += 1
        remaining -= 1
        i += 1
    return layout


def job_environment(
    job: Job,
    base: Mapping[str, str],
    *,
    node_name: str,
    submit_host: str,
    cluster_name: str,
    array_task_count: int | None = None,
    array_task_min: int | None = None,
    array_task_max: int | None = None,
    array_task_step: int | None = None,
) -> dict[str, str]:
    """``base`` (the submitted environment) plus Slurm's batch variables for ``job``.

    ``node_name`` is the batch host; the ``array_task_*`` facts describe the whole array
    (Slurm computes them at submission) and are used only for array tasks.
    """
    env = {k: v for k, v in base.items() if k not in _DROPPED}
    allocations: list[NodeAllocation] = list(job.allocations) or [
        NodeAllocation(node_name=node_name, cpus=job.cpus, memory=0)
    ]
    node_cpus = [a.cpus for a in allocations]
    num_nodes = len(allocations)
    nodelist = job.nodes or node_name
    cpus_per_task = job.cpus_per_task or 1
    ntasks = job.tasks or max(sum(node_cpus) // cpus_per_task, 1)
    batch_cpus = next((a.cpus for a in allocations if a.node_name == node_name), node_cpus[0])

    def put(name: str, value: object) -> None:
        env[name] = str(value)

    put("SLURM_CLUSTER_NAME", cluster_name)
    put("SLURM_JOB_ID", job.job_id)
    put("SLURM_JOBID", job.job_id)
    put("SLURM_JOB_NAME", job.name)
    put("SLURM_JOB_USER", job.user_name)
    put("SLURM_JOB_UID", job.user_id)
    put("SLURM_JOB_GID", job.group_id)
    put("SLURM_JOB_PARTITION", job.partition)
    put("SLURM_SUBMIT_DIR", job.current_working_directory or base.get("PWD", "/"))
    put("SLURM_SUBMIT_HOST", submit_host)
    put("SLURM_CPUS_ON_NODE", batch_cpus)
    put("SLURM_NTASKS", ntasks)
    put("SLURM_NPROCS", ntasks)
    put("SLURM_NNODES", num_nodes)
    put("SLURM_JOB_NUM_NODES", num_nodes)
    put("SLURM_JOB_NODELIST", nodelist)
    put("SLURM_NODELIST", nodelist)
    put("SLURMD_NODENAME", node_name)
    put("SLURM_JOB_CPUS_PER_NODE", compress_counts(node_cpus))
    put("SLURM_TASKS_PER_NODE", compress_counts(tasks_per_node(node_cpus, ntasks, cpus_per_task)))
    if job.account:
        put("SLURM_JOB_ACCOUNT", job.account)
    if job.qos:
        put("SLURM_JOB_QOS", job.qos)
    if job.reservation:
        put("SLURM_JOB_RESERVATION", job.reservation)
    if job.cpus_per_task is not None:
        put("SLURM_CPUS_PER_TASK", job.cpus_per_task)
    # Slurm exports exactly one of the two, the one the job's memory request used.
    env.pop("SLURM_MEM_PER_NODE", None)
    env.pop("SLURM_MEM_PER_CPU", None)
    if job.memory_per_cpu is not None:
        put("SLURM_MEM_PER_CPU", job.memory_per_cpu)
    elif job.memory_per_node is not None:
        put("SLURM_MEM_PER_NODE", job.memory_per_node)
    if job.array_task_id is not None:
        put("SLURM_ARRAY_JOB_ID", job.array_job_id)
        put("SLURM_ARRAY_TASK_ID", job.array_task_id)
        for name, value in (
            ("SLURM_ARRAY_TASK_COUNT", array_task_count),
            ("SLURM_ARRAY_TASK_MIN", array_task_min),
            ("SLURM_ARRAY_TASK_MAX", array_task_max),
            ("SLURM_ARRAY_TASK_STEP", array_task_step),
        ):
            if value is not None:
                put(name, value)
    if job.het_job_id:
        put("SLURM_HET_JOB_ID", job.het_job_id)
    env.pop("SLURM_RESTART_COUNT", None)
    if job.restart_count:  # set only for a job that was requeued, as slurmd sets it
        put("SLURM_RESTART_COUNT", job.restart_count)
    # sbatch records the submitter's nice value here; a REST submission has none to give.
    prio = base.get("SLURM_PRIO_PROCESS", "")
    put("SLURM_PRIO_PROCESS", prio if prio.lstrip("-").isdigit() else 0)
    for name in ("SLURM_GTIDS", "SLURM_LOCALID", "SLURM_PROCID", "SLURM_NODEID"):
        put(name, 0)
    put("SLURM_JOB_START_TIME", job.start_time)
    if job.time_limit is not None and job.start_time:
        put("SLURM_JOB_END_TIME", job.start_time + job.time_limit * 60)
    else:
        env.pop("SLURM_JOB_END_TIME", None)
    put("ENVIRONMENT", "BATCH")
    return env
