"""The cluster's metrics, from the mirror's tables, named as slurmctld's OpenMetrics plugin
(Slurm 25.11 and later) names them: ``slurm_jobs*``, ``slurm_partition_*``, ``slurm_user_*``
and ``slurm_account_*``, ``slurm_nodes*`` and ``slurm_node_*``, and the scheduler's counters.

Memory is in bytes wherever a name or its help says bytes. ``slurm_nodes_cpus*`` and
``slurm_nodes_memory*`` (the whole cluster's CPUs and memory) are slurmgate's, named alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from slurmgate.config import MetricsSettings
from slurmgate.domain import Job, JobState, Node, Partition, Stats
from slurmgate.metrics.exposition import Exposition

MIB = 1024 * 1024
_HELD = frozenset({"JobHeldUser", "JobHeldAdmin"})
#: Job counts: (suffix of the metric name, help).
JOB_COUNTS = (
    ("", "Total number of jobs"),
    ("_pending", "Number of jobs in Pending state"),
    ("_running", "Number of jobs in Running state"),
    ("_suspended", "Number of jobs in Suspended state"),
    ("_completed", "Number of jobs in Completed state"),
    ("_cancelled", "Number of jobs in Cancelled state"),
    ("_failed", "Number of jobs in Failed state"),
    ("_timeout", "Number of jobs in Timeout state"),
    ("_node_failed", "Number of jobs in Node Failed state"),
    ("_preempted", "Number of jobs in Preempted state"),
    ("_bootfail", "Number of jobs in BootFail state"),
    ("_deadline", "Number of jobs in Deadline state"),
    ("_outofmemory", "Number of jobs in Out of Memory state"),
    ("_hold", "Number of jobs in Hold state"),
    ("_completing", "Number of jobs in Completing state"),
    ("_configuring", "Number of jobs in Configuring state"),
    ("_requeued", "Number of jobs in Requeued state"),
    ("_finished", "Number of finished jobs"),
    ("_cpus_alloc", "Total number of Cpus allocated by jobs"),
    ("_memory_alloc", "Total memory bytes allocated by jobs"),
    ("_nodes_alloc", "Total number of nodes allocated by jobs"),
)
_STATE_SUFFIX = {
    JobState.PENDING: "_pending",
    JobState.RUNNING: "_running",
    JobState.SUSPENDED: "_suspended",
    JobState.COMPLETED: "_completed",
    JobState.CANCELLED: "_cancelled",
    JobState.FAILED: "_failed",
    JobState.TIMEOUT: "_timeout",
    JobState.NODE_FAIL: "_node_failed",
    JobState.PREEMPTED: "_preempted",
    JobState.BOOT_FAIL: "_bootfail",
    JobState.DEADLINE: "_deadline",
    JobState.OUT_OF_MEMORY: "_outofmemory",
}
_FLAG_SUFFIX = {"COMPLETING": "_completing", "CONFIGURING": "_configuring", "REQUEUED": "_requeued"}


def array_tasks(text: str) -> int:
    """How many tasks a pending array's record stands for ("0-9%2", "1,3,5-7:2"): slurmctld
    counts each one among the pending jobs."""
    count = 0
    for part in text.split("%")[0].split(","):
        span, _, step = part.partition(":")
        first, _, last = span.partition("-")
        if first.isdigit() and (not last or last.isdigit()):
            stride = int(step) if step.isdigit() and int(step) > 0 else 1
            count += (int(last or first) - int(first)) // stride + 1
    return max(count, 1)


def _memory(job: Job) -> int:
    if job.allocations:
        return sum(a.memory for a in job.allocations) * MIB
    per_node = job.memory_per_node or (job.memory_per_cpu or 0) * job.cpus // max(job.node_count, 1)
    return per_node * job.node_count * MIB


def _count(counts: Counter[str], job: Job) -> None:
    tasks = array_tasks(job.array_task_string) if job.array_task_string else 1
    counts[""] += tasks
    counts[_STATE_SUFFIX[job.state]] += tasks
    if job.state is JobState.PENDING and (job.priority == 0 or job.state_reason in _HELD):
        counts["_hold"] += tasks
    if job.state.is_finished:
        counts["_finished"] += 1
    for flag in job.state_flags:
        suffix = _FLAG_SUFFIX.get(flag)
        if suffix:
            counts[suffix] += 1
    if job.state in (JobState.RUNNING, JobState.SUSPENDED):
        counts["_cpus_alloc"] += job.cpus
        counts["_memory_alloc"] += _memory(job)
        counts["_nodes_alloc"] += job.node_count


def jobs(out: Exposition, items: Iterable[Job], settings: MetricsSettings) -> None:
    whole: Counter[str] = Counter()
    by: dict[str, defaultdict[str, Counter[str]]] = {
        kind: defaultdict(Counter) for kind in ("partition", "user", "account")
    }
    for job in items:
        _count(whole, job)
        for partition in job.partition.split(","):
            if partition:
                _count(by["partition"][partition], job)
        if settings.users:
            _count(by["user"][job.user_name], job)
        if settings.accounts and job.account:
            _count(by["account"][job.account], job)
    for suffix, help_text in JOB_COUNTS:
        out.gauge(f"slurm_jobs{suffix}", help_text, whole[suffix])
    scopes = [("partition", "partition", "partition")]
    if settings.users:
        scopes.append(("user", "username", "user"))
    if settings.accounts:
        scopes.append(("account", "account", "account"))
    for prefix, label, kind in scopes:
        groups = by[kind]
        for suffix, help_text in JOB_COUNTS:
            values = ((key, groups[key][suffix]) for key in sorted(groups))
            out.labelled(f"slurm_{prefix}_jobs{suffix}", "gauge", help_text, label, values)


_NODE_FLAGS = (
    ("_completing", "COMPLETING", "Number of nodes with Completing flag"),
    ("_fail", "FAIL", "Number of nodes with Fail flag"),
    ("_maint", "MAINTENANCE", "Number of nodes with Maintenance flag"),
    ("_noresp", "NOT_RESPONDING", "Number of nodes with Not Responding flag"),
    ("_planned", "PLANNED", "Number of nodes with Planned flag"),
    ("_resv", "RESERVED", "Number of nodes with Reserved flag"),
    ("_reboot_req", "REBOOT_REQUESTED", "Number of nodes with Reboot Requested flag"),
    ("_reboot_issued", "REBOOT_ISSUED", "Number of nodes with Reboot Issued flag"),
    ("_powered_down", "POWERED_DOWN", "Number of nodes powered down"),
    ("_cloud", "CLOUD", "Number of Cloud nodes"),
    ("_invalid_reg", "INVALID_REG", "Number of nodes with Invalid Registration flag"),
)


def _node_counts(nodes: list[Node]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for node in nodes:
        counts[""] += 1
        base = node.state.value
        counts["_alloc" if base == "allocated" else f"_{base}"] += 1
        flags = set(node.state_flags)
        if "DRAIN" in flags:
            busy = base in ("allocated", "mixed") or "COMPLETING" in flags
            counts["_draining" if busy else "_drained"] += 1
            if not busy:
                counts["_drain"] += 1
        for suffix, flag, _ in _NODE_FLAGS:
            if flag in flags:
                counts[suffix] += 1
        counts["_cpus"] += node.cpus
        counts["_cpus_alloc"] += node.alloc_cpus
        counts["_cpus_idle"] += max(node.cpus - node.alloc_cpus, 0)
        counts["_memory_bytes"] += node.real_memory * MIB
        counts["_memory_alloc_bytes"] += node.alloc_memory * MIB
    return counts


_NODE_COUNTS = (
    ("", "Total number of nodes"),
    ("_alloc", "Number of nodes in Allocated state"),
    ("_idle", "Number of nodes in Idle state"),
    ("_mixed", "Number of nodes in Mixed state"),
    ("_down", "Number of nodes in Down state"),
    ("_future", "Number of nodes in Future state"),
    ("_unknown", "Number of nodes in Unknown state"),
    ("_drain", "Number of nodes with Drain flag"),
    ("_drained", "Number of drained nodes"),
    ("_draining", "Number of nodes in draining condition (Drain state with active jobs)"),
    *((suffix, help_text) for suffix, _, help_text in _NODE_FLAGS),
    ("_cpus", "Total number of CPUs of all nodes (slurmgate)"),
    ("_cpus_alloc", "CPUs allocated to jobs on all nodes (slurmgate)"),
    ("_cpus_idle", "Idle CPUs of all nodes (slurmgate)"),
    ("_memory_bytes", "Total memory in bytes of all nodes (slurmgate)"),
    ("_memory_alloc_bytes", "Memory in bytes allocated to jobs on all nodes (slurmgate)"),
)


def nodes(out: Exposition, items: list[Node], settings: MetricsSettings) -> None:
    counts = _node_counts(items)
    for suffix, help_text in _NODE_COUNTS:
        out.gauge(f"slurm_nodes{suffix}", help_text, counts[suffix])
    if not settings.nodes:
        return
    per_node: tuple[tuple[str, str, Callable[[Node], int]], ...] = (
        ("slurm_node_cpus", "Total number of cpus in the node", lambda n: n.cpus),
        ("slurm_node_cpus_alloc", "Allocated cpus in the node", lambda n: n.alloc_cpus),
        ("slurm_node_cpus_idle", "Idle cpus in the node", lambda n: max(n.idle_cpus, 0)),
        ("slurm_node_memory_bytes", "Total memory in bytes of the node",
         lambda n: n.real_memory * MIB),
        ("slurm_node_memory_alloc_bytes", "Bytes allocated to jobs in the node",
         lambda n: n.alloc_memory * MIB),
        ("slurm_node_memory_free_bytes", "Free memory in bytes of the node",
         lambda n: n.free_memory * MIB),
    )  # fmt: skip
    for name, help_text, value in per_node:
        out.labelled(name, "gauge", help_text, "node", ((n.name, value(n)) for n in items))


def partitions(out: Exposition, items: list[Partition], node_items: list[Node]) -> None:
    by_name = {node.name: node for node in node_items}
    out.gauge("slurm_partitions", "Total number of partitions", len(items))
    counts = {
        p.name: _node_counts([by_name[n] for n in p.node_names if n in by_name]) for p in items
    }
    rows = (
        ("slurm_partition_nodes", "Partition total nodes", ""),
        ("slurm_partition_cpus", "Partition total cpus", "_cpus"),
        ("slurm_partition_nodes_alloc", "Nodes allocated", "_alloc"),
        ("slurm_partition_nodes_idle", "Nodes in Idle state", "_idle"),
        ("slurm_partition_nodes_mixed", "Nodes in Mixed state", "_mixed"),
        ("slurm_partition_nodes_down", "Nodes in Down state", "_down"),
        ("slurm_partition_nodes_drain", "Nodes in Drain state", "_drain"),
        ("slurm_partition_nodes_draining", "Number of nodes in draining condition "
         "(Drain state with active jobs)", "_draining"),
        ("slurm_partition_nodes_cpus_alloc", "Number of allocated cpus", "_cpus_alloc"),
        ("slurm_partition_nodes_cpus_idle", "Number of idle CPUs on all nodes", "_cpus_idle"),
        ("slurm_partition_nodes_mem_alloc", "Amount of allocated memory of all nodes (bytes)",
         "_memory_alloc_bytes"),
        ("slurm_partition_nodes_mem_tot", "Total amount of memory of all nodes (bytes)",
         "_memory_bytes"),
    )  # fmt: skip
    for name, help_text, key in rows:
        out.labelled(
            name, "gauge", help_text, "partition", ((p, c[key]) for p, c in counts.items())
        )


def scheduler(out: Exposition, stats: Stats) -> None:
    rows = (
        ("slurm_schedule_cycle_cnt", "Scheduling cycle count", stats.schedule_cycle_total),
        ("slurm_schedule_cycle_last", "Last scheduling cycle time", stats.schedule_cycle_last),
        ("slurm_schedule_cycle_max", "Max scheduling cycle time", stats.schedule_cycle_max),
        ("slurm_sched_mean_cycle", "Mean scheduling cycle time", stats.schedule_cycle_mean),
        ("slurm_sched_mean_depth_cycle", "Mean depth of scheduling cycles",
         stats.schedule_cycle_mean_depth),
        ("slurm_schedule_queue_len", "Jobs pending queue length", stats.schedule_queue_length),
        ("slurm_bf_cycle_cnt", "Backfill cycle count", stats.bf_cycle_counter),
        ("slurm_bf_cycle_last", "Last backfill cycle time", stats.bf_cycle_last),
        ("slurm_bf_cycle_max", "Max backfill cycle time", stats.bf_cycle_max),
        ("slurm_bf_cycle_tot", "Sum of backfill cycle times", stats.bf_cycle_sum),
        ("slurm_bf_mean_cycle", "Mean backfill cycle time", stats.bf_cycle_mean),
        ("slurm_bf_active", "Backfill scheduler active jobs", int(stats.bf_active)),
        ("slurm_bf_queue_len", "Backfill queue length", stats.bf_queue_len),
        ("slurm_bf_last_depth", "Last backfill depth", stats.bf_last_depth),
        ("slurm_bf_when_last_cycle", "Timestamp of last backfill cycle",
         stats.bf_when_last_cycle),
        ("slurm_backfilled_jobs", "Total backfilled jobs since reset", stats.bf_backfilled_jobs),
        ("slurm_last_backfilled_jobs", "Backfilled jobs since last cycle",
         stats.bf_last_backfilled_jobs),
        ("slurm_backfilled_het_jobs", "Heterogeneous components backfilled",
         stats.bf_backfilled_het_jobs),
        ("slurm_sdiag_jobs_submitted", "Jobs submitted since reset", stats.jobs_submitted),
        ("slurm_sdiag_jobs_started", "Jobs started since reset", stats.jobs_started),
        ("slurm_sdiag_jobs_completed", "Jobs completed since reset", stats.jobs_completed),
        ("slurm_sdiag_jobs_canceled", "Jobs canceled since reset", stats.jobs_canceled),
        ("slurm_sdiag_jobs_failed", "Jobs failed since reset", stats.jobs_failed),
        ("slurm_sdiag_jobs_pending", "Jobs pending at timestamp", stats.jobs_pending),
        ("slurm_sdiag_jobs_running", "Jobs running at timestamp", stats.jobs_running),
        ("slurm_sdiag_job_states_ts", "Job states timestamp", stats.job_states_ts),
        ("slurm_server_thread_cnt", "Active slurmctld threads count", stats.server_thread_count),
        ("slurm_agent_queue_size", "Outgoing RPC retry queue length", stats.agent_queue_size),
        ("slurm_agent_cnt", "Number of agent threads", stats.agent_count),
        ("slurm_agent_thread_cnt", "Total active agent-created threads",
         stats.agent_thread_count),
        ("slurm_slurmdbd_queue_size", "Queued messages to SlurmDBD", stats.dbd_agent_queue_size),
        ("slurm_sched_stats_timestamp", "Statistics snapshot timestamp", stats.req_time),
    )  # fmt: skip
    for name, help_text, value in rows:
        out.gauge(name, help_text, value)
