"""One scheduling pass of the embedded cluster: Slurm's main scheduler plus conservative backfill.

``plan`` walks the pending jobs in priority order. Jobs stopped by something other than
resources (hold, begin time, dependency, partition limits, array throttle) get that reason. The
rest are placed on a timeline of free CPUs and memory per node, built from the running jobs' end
times: a job starts now if it fits now without delaying any start reserved for a job above it;
otherwise it gets the earliest start it could have, and that start is reserved in turn.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from slurmgate.backends.local.dependencies import (
    DependencyStatus,
    JobIndex,
    evaluate,
    parse_dependency,
)
from slurmgate.domain.cluster import Partition
from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.hostlist import expand
from slurmgate.domain.jobs import Job, JobState, JobStateReason, NodeAllocation

R = JobStateReason
_HELD = frozenset({R.JOB_HELD_USER.value, R.JOB_HELD_ADMIN.value})
_FOREVER = 1 << 62


@dataclass(frozen=True)
class NodeResources:
    name: str
    cpus: int
    memory: int  # MiB
    features: frozenset[str]
    available: bool


@dataclass(frozen=True)
class Plan:
    starts: list[tuple[int, list[NodeAllocation]]]
    reasons: dict[int, str]
    expected_start: dict[int, int]
    cancel: list[int]
    backfilled: int
    depth: int


@dataclass(frozen=True)
class _Request:
    """What one job needs: ``node_count`` of ``nodes`` (index, cpus, memory) for ``duration``."""

    nodes: tuple[tuple[int, int, int], ...]
    node_count: int
    required: frozenset[int]
    duration: int  # seconds; _FOREVER = unlimited


@dataclass
class _Timeline:
    """Free CPUs and memory per node over time; segment i covers [times[i], times[i + 1])."""

    times: list[int]
    cpus: list[list[int]]
    memory: list[list[int]]

    def _split(self, t: int) -> int:
        i = bisect.bisect_left(self.times, t)
        if i < len(self.times) and self.times[i] == t:
            return i
        self.times.insert(i, t)
        self.cpus.insert(i, list(self.cpus[i - 1]))
        self.memory.insert(i, list(self.memory[i - 1]))
        return i

    def add(self, start: int, end: int, node: int, cpus: int, memory: int) -> None:
        """Add (negative: take) resources on ``node`` during [start, end)."""
        first = self._split(start)
        last = self._split(end) if end < _FOREVER else len(self.times)
        for s in range(first, last):
            self.cpus[s][node] += cpus
            self.memory[s][node] += memory

    def copy(self) -> _Timeline:
        return _Timeline(
            list(self.times), [list(c) for c in self.cpus], [list(m) for m in self.memory]
        )

    def fit(self, req: _Request, t: int) -> tuple[list[int], int]:
        """Nodes ``req`` can hold during [t, t + duration), and the first segment that failed.

        The failed segment is -1 on success; when it is set, no window covering it fits either,
        so the search may jump past it.
        """
        first = bisect.bisect_right(self.times, t) - 1
        end = t + req.duration
        ok = list(req.nodes)
        s = first
        while s < len(self.times) and self.times[s] < end:
            free_c, free_m = self.cpus[s], self.memory[s]
            here = [n for n in ok if free_c[n[0]] >= n[1] and free_m[n[0]] >= n[2]]
            if len(here) < req.node_count or not req.required <= {n[0] for n in here}:
                return [], (first if self._room(req, s) else s)
            ok = here
            s += 1
        # Best fit: required nodes first, then those left with the fewest idle CPUs and memory.
        free_c, free_m = self.cpus[first], self.memory[first]
        ok.sort(key=lambda n: (n[0] not in req.required, free_c[n[0]] - n[1], free_m[n[0]] - n[2]))
        return [n[0] for n in ok[: req.node_count]], -1

    def earliest(self, req: _Request, start_from: int) -> tuple[int, list[int]] | None:
        """The first time from ``start_from`` at which ``req`` fits, and where; None = never."""
        t = start_from
        while True:
            chosen, failed = self.fit(req, t)
            if failed < 0:
                return t, chosen
            after = failed + 1
            # Segments with too few free nodes cannot be in any window: skip them cheaply.
            while after < len(self.times) and not self._room(req, after):
                after += 1
            if after >= len(self.times):
                return None
            t = self.times[after]

    def _room(self, req: _Request, s: int) -> bool:
        free_c, free_m = self.cpus[s], self.memory[s]
        if req.node_count == 1 and not req.required:  # the common case, without the sets
            return any(free_c[i] >= c and free_m[i] >= m for i, c, m in req.nodes)
        fit = {n[0] for n in req.nodes if free_c[n[0]] >= n[1] and free_m[n[0]] >= n[2]}
        return len(fit) >= req.node_count and req.required <= fit


@dataclass
class _Pass:
    now: int
    nodes: Sequence[NodeResources]
    partitions: Mapping[str, Partition]
    jobs: Mapping[int, Job]
    timeline: _Timeline
    free_cpus: list[int]
    free_memory: list[int]
    running_tasks: dict[int, int]
    index: JobIndex | None = None
    part_nodes: dict[str, list[int]] = field(default_factory=dict)
    requests: dict[int, _Request | None] = field(default_factory=dict)
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


def plan(
    now: int,
    nodes: Sequence[NodeResources],
    partitions: Mapping[str, Partition],
    jobs: Mapping[int, Job],
    *,
    max_depth: int = 500,
) -> Plan:
    """Decide which pending jobs start now, where, and why the others wait.

    ``depth`` counts the jobs (a heterogeneous job once) tested against resources; jobs stopped
    earlier (hold, begin time, dependency, partition, throttle) are cheap and always get their
    reason. Once ``max_depth`` jobs were tested, the rest keep their current reasons.
    """
    state = _initial_pass(now, nodes, partitions, jobs)
    # A requeued job whose processes still end (COMPLETING) waits until they have.
    pending = [
        job
        for job in jobs.values()
        if job.state is JobState.PENDING and "COMPLETING" not in job.state_flags
    ]
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
                    held = rest.priority == 0 and rest.state_reason not in _HELD
                    reasons[rest.job_id] = R.JOB_HELD_USER.value if held else rest.state_reason
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
    )


def _initial_pass(
    now: int,
    nodes: Sequence[NodeResources],
    partitions: Mapping[str, Partition],
    jobs: Mapping[int, Job],
) -> _Pass:
    position = {node.name: i for i, node in enumerate(nodes)}
    free_cpus = [node.cpus for node in nodes]
    free_memory = [node.memory for node in nodes]
    releases: list[tuple[int, int, int, int]] = []  # (time, node, cpus, memory)
    running_tasks: dict[int, int] = {}
    for job in jobs.values():
        if job.state is JobState.RUNNING:
            end = _FOREVER if job.time_limit is None else job.start_time + job.time_limit * 60
            # An overrunning job still holds its nodes until it is killed: free them "soon".
            end = max(end, now + 1)
            holds_cpus = True
        elif job.state is JobState.SUSPENDED:
            # Suspending gives a job's CPUs back but keeps its memory (as select/cons_tres does).
            end, holds_cpus = _FOREVER, False
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
            if end < _FOREVER:
                releases.append((end, node, cpus, alloc.memory))
    timeline = _Timeline([now], [list(free_cpus)], [list(free_memory)])
    for end, node, cpus, memory in sorted(releases):
        timeline.add(end, _FOREVER, node, cpus, memory)
    state = _Pass(now, nodes, partitions, jobs, timeline, free_cpus, free_memory, running_tasks)
    for name, partition in partitions.items():
        names = partition.node_names or _partition_node_names(partition, nodes)
        # By name, so that equally good nodes are chosen by name (the best-fit sort is stable).
        indexes = {position[n] for n in names if n in position}
        state.part_nodes[name] = sorted(indexes, key=lambda i: nodes[i].name)
    return state


def _partition_node_names(partition: Partition, nodes: Sequence[NodeResources]) -> list[str]:
    if partition.nodes.upper() == "ALL":
        return [node.name for node in nodes]
    try:
        return expand(partition.nodes)
    except InvalidRequest:
        return []


def _het_groups(pending: Iterable[Job]) -> dict[int, list[Job]]:
    groups: dict[int, list[Job]] = {}
    for job in pending:
        if job.het_job_id:
            groups.setdefault(job.het_job_id, []).append(job)
    for members in groups.values():
        members.sort(key=lambda j: (j.het_job_offset or 0, j.job_id))
    return groups


# --- blockers ------------------------------------------------------------------------------


def _group_blocker(state: _Pass, members: list[Job]) -> str | None:
    """The first reason any member cannot run now, other than resources; the leader's first."""
    if len(members) == 1:
        return _blocker(state, members[0])
    # A heterogeneous job starts whole or not at all, so any component's blocker stops it.
    blockers = (_blocker(state, member) for member in members)
    return next((b for b in blockers if b is not None), None)


def _blocker(state: _Pass, job: Job) -> str | None:
    if job.priority == 0:
        return job.state_reason if job.state_reason in _HELD else R.JOB_HELD_USER.value
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


def _dependency_status(state: _Pass, job: Job) -> DependencyStatus:
    try:
        spec = parse_dependency(job.dependency)
    except InvalidRequest:
        return DependencyStatus.NEVER  # validated at submit; an unreadable one can never hold
    if state.index is None:
        state.index = JobIndex.build(state.jobs.values())
    return evaluate(spec, job, state.jobs, state.now, index=state.index)


# --- resources -----------------------------------------------------------------------------


def _request(state: _Pass, job: Job) -> _Request | None:
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
        duration = _FOREVER if job.time_limit is None else max(job.time_limit * 60, 1)
        req = _Request(tuple(candidates), node_count, frozenset(required), duration)
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


def _schedule(state: _Pass, members: list[Job]) -> None:
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


def _block(state: _Pass, members: list[Job], reason: str) -> None:
    """Record a wait for resources; jobs below it on these nodes that start are backfilled."""
    for job in members:
        state.reasons[job.job_id] = reason
        if job.partition not in state.blocked_parts:
            state.blocked_parts.add(job.partition)
            state.blocked_nodes.update(state.part_nodes.get(job.partition, ()))


def _no_node_has_features(state: _Pass, job: Job) -> bool:
    wanted = _features(job.features)
    if wanted is None:
        return False
    nodes = (state.nodes[index] for index in state.part_nodes.get(job.partition, ()))
    return not any(alt <= node.features for node in nodes for alt in wanted)


def _search(state: _Pass, requests: list[_Request]) -> tuple[int, list[list[int]]] | None:
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


def _pick(req: _Request, chosen: list[int]) -> list[tuple[int, int, int]]:
    needs = {n[0]: n for n in req.nodes}
    return [needs[index] for index in chosen]


def _take(state: _Pass, req: _Request, chosen: list[int]) -> list[NodeAllocation]:
    allocations = []
    for index, cpus, memory in _pick(req, chosen):
        state.timeline.add(state.now, state.now + req.duration, index, -cpus, -memory)
        state.free_cpus[index] -= cpus
        state.free_memory[index] -= memory
        allocations.append(NodeAllocation(state.nodes[index].name, cpus, memory))
    return allocations


def _fits_now(state: _Pass, requests: list[_Request]) -> bool:
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
