"""Taking the embedded cluster's running jobs up again when the gateway restarts.

Jobs the store says are running are re-adopted when their processes still run (their supervisor
outlives the gateway), and their end is recorded when it came while the gateway was down. A
cancel, time limit, node failure or requeue under way when it stopped is carried through:
termination marks on disk say which (a requeued job is PENDING and COMPLETING in the store).
Allocations hold their resources on: they run no process to lose.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from slurmgate.backends.local.control import JobControl
from slurmgate.backends.local.executor import Executor
from slurmgate.backends.local.job_facts import completing, runs_script
from slurmgate.backends.local.payloads import PayloadStore
from slurmgate.backends.local.table import JobTable
from slurmgate.domain import JobState, JobStateReason

log = logging.getLogger(__name__)

#: Endings a termination mark may record.
_ENDINGS = frozenset({JobState.CANCELLED.value, JobState.TIMEOUT.value, JobState.NODE_FAIL.value})


class Cluster(Protocol):
    @property
    def table(self) -> JobTable: ...

    @property
    def executor(self) -> Executor: ...

    @property
    def payloads(self) -> PayloadStore: ...


async def recover(cluster: Cluster, control: JobControl) -> None:
    """Re-adopt the jobs the store says are running; record those that ended meanwhile."""
    table = cluster.table
    jobs = table.jobs
    running = [j for j in jobs.values() if j.state is JobState.RUNNING or completing(j)]
    with_process = [j.job_id for j in running if runs_script(j)]
    marks = await asyncio.to_thread(
        lambda: {i: cluster.payloads.ending(table.payload_key(jobs[i]), i) for i in with_process}
    )
    for job_id, mark in marks.items():
        if completing(jobs[job_id]):
            control.adopt_ending(job_id, JobState.PENDING)
        elif mark in _ENDINGS:
            control.adopt_ending(job_id, JobState(mark))
    ended = await cluster.executor.recover(with_process)
    for job_id, status in ended.items():
        if status is None:
            log.warning("job %d was lost while the gateway was down", job_id)
        failed = cluster.executor.launch_error(job_id) is not None
        control.finish(jobs[job_id], status, launch_failed=failed)
    now = int(time.time())
    for job in running:
        if completing(job) and not runs_script(job):
            control.requeued(job, now)  # nothing of it runs: its requeue is complete
            continue
        if job.state is not JobState.RUNNING:
            continue
        if not job.batch_flag and not job.het_job_id:  # an allocation holds on
            control.arm_time_limit(job)
            continue
        leader = jobs.get(job.het_job_id) if not runs_script(job) else job
        if leader is None:
            control.record_end(job, JobState.NODE_FAIL, str(JobStateReason.NODE_DOWN), None, now)
            continue
        if leader.state.is_finished:  # a component ends with its leader
            control.record_end(
                job, leader.state, leader.state_reason, leader.exit_code, leader.end_time
            )
            continue
        if control.is_ending(job.job_id):
            control.deliver_termination(job)
        else:
            control.arm_time_limit(job)
    for job in jobs.values():
        if completing(job) and control.is_ending(job.job_id):
            control.deliver_termination(job)
    await _tidy(cluster)


async def _tidy(cluster: Cluster) -> None:
    """Drop scripts and marks no job in memory needs (finished jobs keep theirs: requeue)."""
    live = {cluster.table.payload_key(j) for j in cluster.table.jobs.values()}
    stale = await cluster.table.store.payload_keys() - live
    if stale:
        cluster.table.store.save_nowait((), drop_payloads=stale)
    table = cluster.table
    unfinished = {table.payload_key(j) for j in table.jobs.values() if not j.state.is_finished}
    marked = await asyncio.to_thread(cluster.payloads.keys)
    for key in marked - unfinished:
        await asyncio.to_thread(cluster.payloads.remove, key)
