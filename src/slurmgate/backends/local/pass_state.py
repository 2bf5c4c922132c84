"""What one scheduling pass works on: the jobs it examines, the nodes, the timeline of their
free resources, and what the pass has decided so far."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from slurmgate.backends.local.dependencies import JobIndex
from slurmgate.backends.local.timeline import FOREVER, Request, Timeline
from slurmgate.domain.cluster import Partition
from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.hostlist import expand
from slurmgate.domain.jobs import Job, JobState, JobStateReason, NodeAllocation

#: The reasons of a job held by its user or an administrator.
HELD_REASONS = frozenset({JobStateReason.JOB_HELD_USER.value, JobStateReason.JOB_HELD_ADMIN.value})


@dataclass(frozen=True)
class NodeResources:
    name: str
    cpus: int
    memory: int  # MiB
    features: frozenset[str]
    available: bool


@dataclass
class Queue:
    """The jobs of the table a pass works on: those holding resources and those to examine.

    Sorting the table out is the only part of a pass that grows with every job it keeps (a
    queue of 100,000 held jobs), so it can be done a slice at a time (``add``) with other work
    in between; ``current`` then drops the jobs that changed meanwhile.
    """

    #: Running, suspended, or still ending after a requeue: their resources are taken.
    holding: list[Job] = field(default_factory=list)
    pending: list[Job] = field(default_factory=list)
    #: Pending jobs left out: held, and their reason says so already.
    held: int = 0

    @classmethod
    def of(cls, jobs: Iterable[Job]) -> Queue:
        queue = cls()
        queue.add(jobs)
        return queue

    def add(self, jobs: Iterable[Job]) -> None:
        # Locals: an attribute or enum member lookup costs more, once per job of 100,000.
        holding, pending = self.holding, self.pending
        waiting = JobState.PENDING
        for job in jobs:
            if job.state is waiting and "COMPLETING" not in job.state_flags:
                if job.priority == 0 and job.state_reason in HELD_REASONS and not job.het_job_id:
                    # Held, and already saying so: nothing to examine. A het job's members
                    # are examined together: one held member holds the whole job.
                    self.held += 1
                else:
                    pending.append(job)
            elif _holds(job):
                holding.append(job)

    def current(self) -> Queue:
        """The jobs still where ``add`` put them."""
        waiting = JobState.PENDING
        return Queue(
            [job for job in self.holding if _holds(job)],
            [
                job
                for job in self.pending
                if job.state is waiting and "COMPLETING" not in job.state_flags
            ],
            self.held,
        )


def _holds(job: Job) -> bool:
    if job.state is JobState.RUNNING or job.state is JobState.SUSPENDED:
        return True
    # Requeued (or ended), its processes still ending: its nodes are busy until they have.
    return bool(job.allocations) and "COMPLETING" in job.state_flags


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
    holding: Iterable[Job],
) -> PassState:
    """The pass's state before it decides anything: ``holding`` (see Queue) take their
    resources until their time limits; ``jobs`` is every job, for dependencies."""
    position = {node.name: i for i, node in enumerate(nodes)}
    free_cpus = [node.cpus for node in nodes]
    free_memory = [node.memory for node in nodes]
    releases: list[tuple[int, int, int, int]] = []  # (time, node, cpus, memory)
    running_tasks: dict[int, int] = {}
    for job in holding:
        if job.state is JobState.RUNNING:
            end = FOREVER if job.time_limit is None else job.start_time + job.time_limit * 60
            # An overrunning job still holds its nodes until it is killed: free them "soon".
            end = max(end, now + 1)
            holds_cpus = True
        elif job.state is JobState.SUSPENDED:
            # Suspending gives a job's CPUs back but keeps its memory (as select/cons_tres does).
            end, holds_cpus = FOREVER, False
        else:  # still ending (Queue): busy until it has
            end, holds_cpus = now + 1, True
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
