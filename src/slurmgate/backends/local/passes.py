"""The embedded controller's background work: scheduling passes and forgetting old jobs.

One task runs in the event loop. It wakes when something may let a job start (a submission, an
end, an update, a node change: ``wake``) or every ``sched_interval`` seconds, waits a moment
for the rest of the same burst, then brings back nodes whose ResumeAfter time has come, runs
one scheduling pass (``scheduler.plan``) and applies it, and every half minute lets finished
jobs older than MinJobAge leave memory (the store keeps them; their scripts go then).
Both go through every job the controller keeps a slice at a time (see slices).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Protocol

from slurmgate.backends.local import cores, node_updates, scheduler
from slurmgate.backends.local.control import JobControl
from slurmgate.backends.local.diag import Diagnostics
from slurmgate.backends.local.node_states import NodeStates
from slurmgate.backends.local.pass_state import NodeResources
from slurmgate.backends.local.slices import slices
from slurmgate.backends.local.table import JobTable
from slurmgate.config import LocalSettings
from slurmgate.domain import Job, JobState, Partition, Principal

log = logging.getLogger(__name__)

#: A wake-up waits this long for more of the same burst before the pass runs.
COALESCE = 0.1
#: How often finished jobs older than MinJobAge leave memory (the store keeps them).
PURGE_INTERVAL = 30


class Cluster(Protocol):
    """What the passes need of the cluster."""

    @property
    def settings(self) -> LocalSettings: ...

    @property
    def table(self) -> JobTable: ...

    @property
    def partitions(self) -> Mapping[str, Partition]: ...

    @property
    def node_resources(self) -> list[NodeResources]: ...

    @property
    def shapes(self) -> Mapping[str, cores.Shape]: ...

    @property
    def control(self) -> JobControl: ...

    @property
    def diag(self) -> Diagnostics: ...

    @property
    def node_states(self) -> NodeStates: ...

    def holding(self) -> list[Job]: ...

    def is_admin(self, principal: Principal) -> bool: ...

    def nodes_changed(self) -> None: ...


class Passes:
    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_purge = 0

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="slurmgate-scheduler")
        self.wake()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self._cluster.settings.sched_interval
        while True:
            timer = loop.call_later(interval, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()
            await asyncio.sleep(COALESCE)
            self._wake.clear()
            try:
                await node_updates.resume_due(self._cluster, int(time.time()))
                await self.schedule()
                await self.purge()
            except Exception:
                log.exception("scheduling pass failed")

    async def schedule(self) -> None:
        """One scheduling pass, applied: starts, reasons, expected starts, sdiag's counters."""
        c = self._cluster
        queue = scheduler.Queue()
        spent = 0
        async for part in slices(list(c.table.jobs.values())):
            begin = time.perf_counter_ns()
            queue.add(part)
            spent += time.perf_counter_ns() - begin
        now = int(time.time())
        begin = time.perf_counter_ns()
        # Only the pass starts jobs; others may have ended, been cancelled or requeued while
        # the table was sorted out: they wake the next pass.
        queue = queue.current()
        plan = scheduler.plan(now, c.node_resources, c.partitions, c.table.jobs, queue=queue)
        pending = plan.held
        holding = c.holding() if plan.starts else []
        for job_id, allocations in plan.starts:
            job = c.table.jobs.get(job_id)
            if job is not None and job.state is JobState.PENDING:
                placed = cores.assign(allocations, c.shapes, holding)
                c.control.start_job(job, placed, now)
                holding.append(job)
        for job_id in plan.cancel:
            job = c.table.jobs.get(job_id)
            if job is not None and job.state is JobState.PENDING:
                c.control.cancel_pending(job, now, reason="DependencyNeverSatisfied")
        for job_id, reason in plan.reasons.items():
            job = c.table.jobs.get(job_id)
            if job is None or job.state is not JobState.PENDING:
                continue
            pending += 1
            if reason in ("Priority", "Resources", "None") and not job.eligible_time:
                job.eligible_time = job.accrue_time = now
            if job.state_reason != reason:
                job.state_reason = reason
                job.last_sched_evaluation = now
                c.table.touch(job, now)
        for job_id, start in plan.expected_start.items():
            job = c.table.jobs.get(job_id)
            if job is not None and job.state is JobState.PENDING:
                job.start_time = start
        duration = (spent + time.perf_counter_ns() - begin) // 1000
        c.diag.schedule_cycle(duration, plan.depth, pending, plan.backfilled, now)

    async def purge(self, *, force: bool = False) -> None:
        """Let finished jobs older than MinJobAge leave memory, a whole array or het job at
        once; at most every ``PURGE_INTERVAL`` seconds unless ``force``."""
        c = self._cluster
        now = int(time.time())
        if not force and now - self._last_purge < PURGE_INTERVAL:
            return
        self._last_purge = now
        horizon = now - c.settings.min_job_age
        gone: set[int] = set()
        async for part in slices(list(c.table.jobs.values())):
            for job in part:
                # Gone already with its array or het job, or changed since the slicing began.
                if job.job_id not in c.table.jobs or not job.state.is_finished:
                    continue
                members = c.table.group(job)
                if all(m.state.is_finished and m.end_time < horizon for m in members):
                    gone.add(c.table.payload_key(job))
                    for member in members:
                        c.table.unindex(member)
        c.control.drop_payloads(gone)
