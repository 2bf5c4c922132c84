"""One scheduling pass of the embedded cluster: Slurm's main scheduler plus conservative backfill.

``plan`` walks the pending jobs in priority order. Jobs stopped by something other than
resources (hold, begin time, dependency, partition limits, array throttle) get that reason. The
rest are placed on a timeline of free CPUs and memory per node, built from the running jobs' end
times: a job starts now if it fits now without delaying any start reserved for a job above it;
otherwise it gets the earliest start it could have, and that start is reserved in turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from slurmgate.backends.local.dependencies import (
    DependencyStatus,
    JobIndex,
    evaluate,
    parse_dependency,
)
from slurmgate.backends.local.pass_state import (
    HELD_REASONS,
    NodeResources,
    PassState,
    Queue,
    initial_pass,
)
from slurmgate.backends.local.timeline import FOREVER, Request
from slurmgate.domain.cluster import Partition
from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.hostlist import expand
from slurmgate.domain.jobs import Job, JobStateReason, NodeAllocation

__all__ = ["NodeResources", "Plan", "Queue", "plan"]

R = JobStateReason


@dataclass(frozen=True)
class Plan:
    starts: list[tuple[int, list[NodeAllocation]]]
    reasons: dict[int, str]
    expected_start: dict[int, int]
    cancel: list[int]
    backfilled: int
    depth: int
    #: Pending jobs left out: held, and their reason says so already.
    held: int = 0


def plan(
    now: int,
    nodes: Sequence[NodeResources],
    partitions: Mapping[str, Partition],
    jobs: Mapping[int, Job],
    *,
    queue: Queue | None = None,
    max_depth: int = 500,
) -> Plan:
    """Decide which pending jobs start now, where, and why the others wait.

    ``queue`` is ``jobs`` sorted out already (by default, here).

    ``depth`` counts the jobs (a heterogeneous job once) tested against resources; jobs stopped
    earlier (hold, begin time, dependency, partition, throttle) are cheap and always get their
    reason. Once ``max_depth`` jobs were tested, the rest keep their current reasons.
    """
    if queue is None:
        queue = Queue.of(jobs.values())
    state = initial_pass(now, nodes, partitions, jobs, queue.holding)
    pending = list(queue.pending)
    held = queue.held
    # Priority desc, then submit time, then id, as three stable sorts on plain ints: about
    # three times faster than one sort on tuples (2 ms for 10,000 jobs).
    pending.sort(key=attrgetter("job_id"))
    pending.sort(key=attrgetter("submit_time"))
    pending.sort(key=attrgetter("priority"), reverse=True)
    groups = _het_groups(pending)
    reasons = state.reasons
    done: set[int] = set()
    for position, job in enumerate(pending):
        if state.depth >= max_depth:
            # Not reached this pass: the rest keep the reasons they have, as in Slurm.
            for rest in pending[position:]:
                if rest.job_id not in done:
                    # A hold is known without examining the job; anything else may be stale.
                    unsaid = rest.priority == 0 and rest.state_reason not in HELD_REASONS
                    reasons[rest.job_id] = R.JOB_HELD_USER.value if unsaid else rest.state_reason
            break
        if job.het_job_id:
            if job.job_id in done:
                continue
            members = groups[job.het_job_id]
            done.update(m.job_id for m in members)
        else:
            members = [job]
        blocker = _group_blocker(state, members)
        if blocker is not None:
            for member in members:
                reasons[member.job_id] = blocker
            continue
        state.depth += 1
        _schedule(state, members)
    return Plan(
        state.starts,
        reasons,
        state.expected_start,
        state.cancel,
        state.backfilled,
        state.depth,
        held,
    )


def _het_groups(pending: Iterable[Job]) -> dict[int, list[Job]]:
    groups: dict[int, list[Job]] = {}
    for job in pending:
        if job.het_job_id:
            groups.setdefault(job.het_job_id, []).append(job)
    for members in groups.values():
        members.sort(key=lambda j: (j.het_job_offset or 0, j.job_id))
    return groups


# --- blockers ------------------------------------------------------------------------------


def _group_blocker(state: PassState, members: list[Job]) -> str | None:
    """The first reason any member cannot run now, other than resources; the leader's first."""
    if len(members) == 1:
        return _blocker(state, members[0])
    # A heterogeneous job starts whole or not at all, so any component's blocker stops it.
    blockers = (_blocker(state, member) for member in members)
    return next((b for b in blockers if b is not None), None)


def _blocker(state: PassState, job: Job) -> str | None:
    if job.priority == 0:
        return job.state_reason if job.state_reason in HELD_REASONS else R.JOB_HELD_USER.value
    if job.begin_time > state.now:
        return R.BEGIN_TIME.value
    if job.dependency:
        status = _dependency_status(state, job)
        if status is DependencyStatus.WAITING:
            return R.DEPENDENCY.value
        if status is DependencyStatus.NEVER:
            if "KILL_INVALID_DEPEND" in job.flags:
                state.cancel.append(job.job_id)
            return R.DEPENDENCY_NEVER_SATISFIED.value
    partition = state.partitions.get(job.partition)
    if partition is None or partition.state.upper() == "DOWN":
        return R.PARTITION_DOWN.value
    if partition.state.upper() == "INACTIVE":
        return "PartitionInactive"
    # DRAIN refuses new submissions only; queued jobs still run, as in Slurm.
    if partition.max_time is not None and (
        job.time_limit is None or job.time_limit > partition.max_time
    ):
        return R.PARTITION_TIME_LIMIT.value
    if (partition.max_nodes is not None and job.node_count > partition.max_nodes) or (
        job.node_count > len(state.part_nodes.get(job.partition, ()))
    ):
        return R.PARTITION_NODE_LIMIT.value
    if (
        job.array_max_tasks > 0
        and job.array_task_id is not None
        and state.running_tasks.get(job.array_job_id, 0) >= job.array_max_tasks
    ):
        return R.JOB_ARRAY_TASK_LIMIT.value
    return None


def _dependency_status(state: PassState, job: Job) -> DependencyStatus:
    try:
        spec = parse_dependency(job.dependency)
    except InvalidRequest:
        return DependencyStatus.NEVER  # validated at submit; an unreadable one can never hold
    if state.index is None:
        state.index = JobIndex.build(state.jobs.values())
    return evaluate(spec, job, state.jobs, state.now, index=state.index)


# --- resources -----------------------------------------------------------------------------


def _request(state: PassState, job: Job) -> Request | None:
    """The job's needs on each node it may use; None when no node could ever hold it."""
    if job.job_id in state.requests:
        return state.requests[job.job_id]
    wanted = _features(job.features)
    excluded = _names(job.excluded_nodes)
    required_names = _names(job.required_nodes)
    node_count = max(job.node_count, 1)
    per_node_cpus = -(-max(job.cpus, 1) // node_count)
    candidates = []
    required = set()
    for index in state.part_nodes.get(job.partition, ()):
        node = state.nodes[index]
        if not node.available or node.name in excluded:
            continue
        if wanted is not None and not any(alt <= node.features for alt in wanted):
            continue
        if job.exclusive:
            cpus, memory = node.cpus, node.memory
        else:
            cpus = per_node_cpus
            memory = _memory(job, cpus, node.memory)
        if cpus > node.cpus or memory > node.memory:
            continue
        candidates.append((index, cpus, memory))
        if node.name in required_names:
            required.add(index)
    req = None
    if len(candidates) >= node_count and len(required) == len(required_names) <= node_count:
        # At least a second, so that even a zero limit is checked against the present.
        duration = FOREVER if job.time_limit is None else max(job.time_limit * 60, 1)
        req = Request(tuple(candidates), node_count, frozenset(required), duration)
    state.requests[job.job_id] = req
    return req


def _memory(job: Job, cpus: int, node_memory: int) -> int:
    if job.memory_per_node is not None:
        return job.memory_per_node or node_memory  # --mem=0: all of the node's memory
    if job.memory_per_cpu is not None:
        return job.memory_per_cpu * cpus
    return 0


def _features(text: str) -> list[frozenset[str]] | None:
    """Constraints as alternatives of required sets: "a&b|c" -> [{a, b}, {c}]."""
    if not text:
        return None
    return [
        frozenset(f.strip() for f in alt.replace(",", "&").split("&") if f.strip())
        for alt in text.split("|")
    ]


def _names(text: str) -> set[str]:
    if not text:
        return set()
    try:
        return set(expand(text))
    except InvalidRequest:
        return set()


def _schedule(state: PassState, members: list[Job]) -> None:
    """Start ``members`` now if they fit without delaying a reservation, else reserve."""
    leader = members[0]
    maybe = [_request(state, job) for job in members]
    requests = [req for req in maybe if req is not None]
    if len(requests) < len(members):
        # No node of the partition could ever hold it: say why if it is the constraints.
        unmatched = any(_no_node_has_features(state, job) for job in members)
        reason = R.BAD_CONSTRAINTS.value if unmatched else R.RESOURCES.value
        for job in members:
            state.reasons[job.job_id] = reason
        return
    found = _search(state, requests)
    if found is not None and found[0] == state.now:
        for job, req, chosen in zip(members, requests, found[1], strict=True):
            state.starts.append((job.job_id, _take(state, req, chosen)))
            if state.blocked_nodes.intersection(state.part_nodes.get(job.partition, ())):
                state.backfilled += 1
            if job.array_task_id is not None:
                running = state.running_tasks.get(job.array_job_id, 0)
                state.running_tasks[job.array_job_id] = running + 1
        return
    if leader.partition in state.blocked_parts and _fits_now(state, requests):
        reason = R.PRIORITY.value  # only starts reserved for jobs above it stop this one
    else:
        reason = R.RESOURCES.value
    _block(state, members, reason)
    if found is not None:
        start, placements = found
        for job, req, chosen in zip(members, requests, placements, strict=True):
            for index, cpus, memory in _pick(req, chosen):
                state.timeline.add(start, start + req.duration, index, -cpus, -memory)
            state.expected_start[job.job_id] = start


def _block(state: PassState, members: list[Job], reason: str) -> None:
    """Record a wait for resources; jobs below it on these nodes that start are backfilled."""
    for job in members:
        state.reasons[job.job_id] = reason
        if job.partition not in state.blocked_parts:
            state.blocked_parts.add(job.partition)
            state.blocked_nodes.update(state.part_nodes.get(job.partition, ()))


def _no_node_has_features(state: PassState, job: Job) -> bool:
    wanted = _features(job.features)
    if wanted is None:
        return False
    nodes = (state.nodes[index] for index in state.part_nodes.get(job.partition, ()))
    return not any(alt <= node.features for node in nodes for alt in wanted)


def _search(state: PassState, requests: list[Request]) -> tuple[int, list[list[int]]] | None:
    """The earliest time every request fits at once, and the nodes each would use."""
    if len(requests) == 1:
        req = requests[0]
        # Starts and reservations only ever take resources within a pass, so a request of the
        # same shape and no shorter cannot fit earlier than one searched before: start there.
        seen = state.searched.setdefault((req.nodes, req.node_count, req.required), [])
        start_from = state.now
        for duration, start in seen:
            if duration <= req.duration:
                if start is None:
                    return None
                start_from = max(start_from, start)
        found = state.timeline.earliest(req, start_from)
        seen.append((req.duration, None if found is None else found[0]))
        return None if found is None else (found[0], [found[1]])
    # A heterogeneous job: try each point where the timeline changes, all components at once.
    for t in list(state.timeline.times):
        if t < state.now:
            continue
        trial = state.timeline.copy()
        placements = []
        for req in requests:
            chosen, failed = trial.fit(req, t)
            if failed >= 0:
                break
            placements.append(chosen)
            for index, cpus, memory in _pick(req, chosen):
                trial.add(t, t + req.duration, index, -cpus, -memory)
        else:
            return t, placements
    return None


def _pick(req: Request, chosen: list[int]) -> list[tuple[int, int, int]]:
    needs = {n[0]: n for n in req.nodes}
    return [needs[index] for index in chosen]


def _take(state: PassState, req: Request, chosen: list[int]) -> list[NodeAllocation]:
    allocations = []
    for index, cpus, memory in _pick(req, chosen):
        state.timeline.add(state.now, state.now + req.duration, index, -cpus, -memory)
        state.free_cpus[index] -= cpus
        state.free_memory[index] -= memory
        allocations.append(NodeAllocation(state.nodes[index].name, cpus, memory))
    return allocations


def _fits_now(state: PassState, requests: list[Request]) -> bool:
    """Whether the jobs would fit in what is free right now, ignoring reservations."""
    for req in requests:
        fit = {
            n[0]
            for n in req.nodes
            if state.free_cpus[n[0]] >= n[1] and state.free_memory[n[0]] >= n[2]
        }
        if len(fit) < req.node_count or not req.required <= fit:
            return False
    return True
