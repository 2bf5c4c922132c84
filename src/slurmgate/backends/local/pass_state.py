"""What one scheduling pass works on: the nodes, the timeline of their free resources, and
what the pass has decided so far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from slurmgate.backends.local.dependencies import JobIndex
from slurmgate.backends.local.timeline import FOREVER, Request, Timeline
from slurmgate.domain.cluster import Partition
from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.hostlist import expand
from slurmgate.domain.jobs import Job, JobState, NodeAllocation


@dataclass(frozen=True)
class NodeResources:
    name: str
    cpus: int
    memory: int  # MiB
    features: frozenset[str]
    available: bool


@dataclass
class PassState:
    now: int
    nodes: Sequence[NodeResources]
    partitions: Mapping[str, Partition]
    jobs: Mapping[int, Job]
    timeline: Timeline
    free_cpus: list[int]
    free_memory: list[int]
    running_tasks: dict[int, int]
    index: JobIndex | None = None
    part_nodes: dict[str, list[int]] = field(default_factory=dict)
    requests: dict[int, Request | None] = field(default_factory=dict)
    #: Per request shape (nodes, count, required): (duration, start found or None) so far.
    searched: dict[tuple[object, ...], list[tuple[int, int | None]]] = field(default_factory=dict)
    blocked_parts: set[str] = field(default_factory=set)
    blocked_nodes: set[int] = field(default_factory=set)
    starts: list[tuple[int, list[NodeAllocation]]] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    expected_start: dict[int, int] = field(default_factory=dict)
    cancel: list[int] = field(default_factory=list)
    backfilled: int = 0
    depth: int = 0


def initial_pass(
    now: int,
    nodes: Sequence[NodeResources],
    partitions: Mapping[str, Partition],
    jobs: Mapping[int, Job],
) -> PassState:
    position = {node.name: i for i, node in enumerate(nodes)}
    free_cpus = [node.cpus for node in nodes]
    free_memory = [node.memory for node in nodes]
    releases: list[tuple[int, int, int, int]] = []  # (time, node, cpus, memory)
    running_tasks: dict[int, int] = {}
    # Locals: an enum member's lookup costs more, once per job of a queue of 100,000.
    running, suspended = JobState.RUNNING, JobState.SUSPENDED
    for job in jobs.values():
        if job.state is running:
            end = FOREVER if job.time_limit is None else job.start_time + job.time_limit * 60
            # An overrunning job still holds its nodes until it is killed: free them "soon".
            end = max(end, now + 1)
            holds_cpus = True
        elif job.state is suspended:
            # Suspending gives a job's CPUs back but keeps its memory (as select/cons_tres does).
            end, holds_cpus = FOREVER, False
        elif job.allocations and "COMPLETING" in job.state_flags:
            # Requeued, its processes still ending: its nodes are busy until they have.
            end, holds_cpus = now + 1, True
        else:
            continue
        if job.array_task_id is not None:
            running_tasks[job.array_job_id] = running_tasks.get(job.array_job_id, 0) + 1
        for alloc in job.allocations:
            node = position.get(alloc.node_name)
            if node is None:
                continue
            cpus = alloc.cpus if holds_cpus else 0
            free_cpus[node] -= cpus
            free_memory[node] -= alloc.memory
            if end < FOREVER:
                releases.append((end, node, cpus, alloc.memory))
    timeline = Timeline([now], [list(free_cpus)], [list(free_memory)])
    for end, node, cpus, memory in sorted(releases):
        timeline.add(end, FOREVER, node, cpus, memory)
    state = PassState(now, nodes, partitions, jobs, timeline, free_cpus, free_memory, running_tasks)
    for name, partition in partitions.items():
        names = partition.node_names or partition_node_names(partition, nodes)
        # By name, so that equally good nodes are chosen by name (the best-fit sort is stable).
        indexes = {position[n] for n in names if n in position}
        state.part_nodes[name] = sorted(indexes, key=lambda i: nodes[i].name)
    return state


def partition_node_names(partition: Partition, nodes: Sequence[NodeResources]) -> list[str]:
    if partition.nodes.upper() == "ALL":
        return [node.name for node in nodes]
    try:
        return expand(partition.nodes)
    except InvalidRequest:
        return []
