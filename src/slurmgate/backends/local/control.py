"""Running jobs of the embedded cluster: start, signal, time limits, and what their end means.

A cancelled or timed-out job keeps its allocation until its processes are gone, as Slurm's
COMPLETING jobs do: the record stays RUNNING until the executor reports the exit, then
becomes CANCELLED or TIMEOUT. Termination is SIGCONT + SIGTERM to the job's process group,
then SIGKILL after ``kill_wait`` seconds.

How an end is recorded:

- exit 0: COMPLETED; other exit codes: FAILED, reason NonZeroExitCode;
- killed by a signal: FAILED, reason ``RaisedSignal:<n>(<name>)``;
- cancelled: CANCELLED; time limit: TIMEOUT, reason TimeLimit;
- the script could not be started: FAILED, reason JobLaunchFailure;
- its supervisor vanished without a status (lost while the gateway was down): NODE_FAIL,
  reason NodeDown.

``exit_code`` and ``derived_exit_code`` are the raw wait status.
"""

from __future__ import annotations

import asyncio
import logging
import signal as signals
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from slurmgate.backends.local.environment import job_environment
from slurmgate.backends.local.executor import LaunchSpec
from slurmgate.backends.local.patterns import expand_path
from slurmgate.backends.local.payloads import Payload
from slurmgate.backends.local.views import tres_string
from slurmgate.domain import (
    Conflict,
    ExitStatus,
    InvalidRequest,
    Job,
    JobState,
    JobStateReason,
    NodeAllocation,
    NotFound,
    PermissionDenied,
    Principal,
    SlurmgateError,
    hostlist,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_ALREADY_DONE,
    ESLURM_INVALID_JOB_ID,
    ESLURM_JOB_PENDING,
)

if TYPE_CHECKING:
    from slurmgate.backends.local.backend import LocalBackend

log = logging.getLogger(__name__)


def runs_script(job: Job) -> bool:
    """Only the leader of a heterogeneous job runs the script; the others hold resources."""
    return not job.het_job_id or job.het_job_offset in (0, None)


def raised_signal_reason(sig: int) -> str:
    try:
        name = signals.strsignal(sig) or f"Signal {sig}"
    except ValueError:
        name = f"Signal {sig}"
    return f"RaisedSignal:{sig}({name})"


def not_found(job_id: int) -> NotFound:
    return NotFound(
        f"Job {job_id} not found: Invalid job id specified",
        error_number=ESLURM_INVALID_JOB_ID,
        error="Invalid job id specified",
    )


def check_owner(backend: LocalBackend, principal: Principal, jobs: list[Job]) -> None:
    if backend.is_admin(principal):
        return
    for job in jobs:
        if job.user_name != principal.user_name:
            raise PermissionDenied(
                f"User {principal.user_name!r} may not act on job {job.job_id} "
                f"of user {job.user_name!r}",
                error_number=ESLURM_ACCESS_DENIED,
                error="Access/permission denied",
            )


class JobControl:
    def __init__(self, backend: LocalBackend) -> None:
        self.b = backend
        #: node name -> when its last allocation ended.
        self.last_busy: dict[str, int] = {}
        self._limit_timers: dict[int, asyncio.TimerHandle] = {}
        self._kill_timers: dict[int, asyncio.TimerHandle] = {}
        #: Jobs being terminated, and the state they end in.
        self._ending: dict[int, JobState] = {}
        #: Payload keys that have termination marks on disk, so only they are cleaned up.
        self._marked: set[int] = set()
        self._launching: dict[int, asyncio.Task[None]] = {}
        self._chores: set[asyncio.Task[None]] = set()

    # -- start --------------------------------------------------------------------------------

    def start_job(self, job: Job, allocations: list[NodeAllocation], now: int) -> None:
        names = [a.node_name for a in allocations]
        job.state = JobState.RUNNING
        job.state_reason = JobStateReason.NONE
        job.start_time = now
        job.end_time = 0
        job.allocations = list(allocations)
        job.nodes = hostlist.compress(names)
        job.node_count = len(allocations)
        job.batch_host = names[0] if names else ""
        job.cpus = sum(a.cpus for a in allocations) or job.cpus
        job.tres_alloc_str = tres_string(
            job.cpus, sum(a.memory for a in allocations), job.node_count
        )
        job.last_sched_evaluation = now
        if not job.eligible_time:
            job.eligible_time = job.accrue_time = now
        job.standard_output = expand_path(job.standard_output, job, job.batch_host)
        job.standard_error = expand_path(job.standard_error, job, job.batch_host)
        job.standard_input = expand_path(job.standard_input, job, job.batch_host)
        self.b.diag.jobs_started += 1
        self.b.touch(job, now)
        self.arm_time_limit(job)
        if runs_script(job):
            task = asyncio.create_task(self._launch(job), name=f"launch-{job.job_id}")
            self._launching[job.job_id] = task

    async def _launch(self, job: Job) -> None:
        b = self.b
        try:
            data = await b.store.load_payload(b.payload_key(job))
            if data is None:
                raise ValueError(f"the script of job {job.job_id} is missing from the store")
            payload = Payload.decode(data)
            environment = job_environment(
                job,
                payload.environment,
                node_name=job.batch_host,
                submit_host=b.host.hostname,
                cluster_name=b.settings.cluster_name,
                **self._array_facts(job),
            )
            as_root = b.rules.as_root
            await b.executor.launch(
                LaunchSpec(
                    job_id=job.job_id,
                    script=payload.script,
                    argv=payload.argv,
                    environment=environment,
                    cwd=job.current_working_directory,
                    stdout=job.standard_output,
                    stderr=job.standard_error,
                    stdin=job.standard_input,
                    append=payload.append,
                    uid=job.user_id if as_root else None,
                    gid=job.group_id if as_root else None,
                )
            )
        except (OSError, ValueError, KeyError, SlurmgateError) as exc:
            log.warning("job %d: launch failed: %s", job.job_id, exc)
            self._launching.pop(job.job_id, None)
            if job.state is JobState.RUNNING:
                self.finish(job, None, launch_failed=True)
            return
        self._launching.pop(job.job_id, None)
        if job.job_id in self._ending and job.state is JobState.RUNNING:
            self._deliver_termination(job)

    def _array_facts(self, job: Job) -> dict[str, int]:
        if job.array_task_id is None:
            return {}
        ids = sorted(t.array_task_id for t in self.b.group(job) if t.array_task_id is not None)
        gaps = {b - a for a, b in zip(ids, ids[1:], strict=False)}
        return {
            "array_task_count": len(ids),
            "array_task_min": ids[0],
            "array_task_max": ids[-1],
            "array_task_step": gaps.pop() if len(gaps) == 1 else 1,
        }

    # -- time limits --------------------------------------------------------------------------

    def arm_time_limit(self, job: Job) -> None:
        old = self._limit_timers.pop(job.job_id, None)
        if old is not None:
            old.cancel()
        if job.state is not JobState.RUNNING or job.time_limit is None:
            return
        delay = job.start_time + job.time_limit * 60 - time.time()
        loop = asyncio.get_running_loop()
        self._limit_timers[job.job_id] = loop.call_later(
            max(delay, 0.0), self._time_limit_reached, job.job_id
        )

    def _time_limit_reached(self, job_id: int) -> None:
        self._limit_timers.pop(job_id, None)
        job = self.b.jobs.get(job_id)
        if job is not None and job.state is JobState.RUNNING:
            self.terminate(job, JobState.TIMEOUT)

    # -- termination --------------------------------------------------------------------------

    def terminate(self, job: Job, final: JobState) -> None:
        """End a running job: it will be recorded as ``final`` once its processes are gone."""
        if job.job_id in self._ending:
            return
        self._ending[job.job_id] = final
        key = self.b.payload_key(job)
        self._marked.add(key)
        self._chore(self.b.payloads.mark_ending, key, job.job_id, final.value)
        if not runs_script(job):
            self.finish(job, None)
        elif job.job_id not in self._launching:
            self._deliver_termination(job)

    def _deliver_termination(self, job: Job) -> None:
        executor = self.b.executor
        executor.signal(job.job_id, signals.SIGCONT)
        if not executor.signal(job.job_id, signals.SIGTERM):
            # Nothing of it runs here any more and no exit will be reported: end it now.
            self.finish(job, None)
            return
        loop = asyncio.get_running_loop()
        self._kill_timers[job.job_id] = loop.call_later(
            self.b.settings.kill_wait, self._kill, job.job_id
        )

    def _kill(self, job_id: int) -> None:
        self._kill_timers.pop(job_id, None)
        self.b.executor.signal(job_id, signals.SIGKILL)

    def cancel_pending(self, job: Job, now: int, *, reason: str = JobStateReason.NONE) -> None:
        job.state = JobState.CANCELLED
        job.state_reason = reason
        job.start_time = job.end_time = now
        self.b.diag.jobs_canceled += 1
        self.b.touch(job, now)
        self._release_payload(job)

    # -- ends ---------------------------------------------------------------------------------

    def on_exit(self, job_id: int, status: ExitStatus | None) -> None:
        job = self.b.jobs.get(job_id)
        if job is None or job.state is not JobState.RUNNING:
            return
        launch_error = self.b.executor.launch_error(job_id)
        self.finish(job, status, launch_failed=launch_error is not None)

    def finish(self, job: Job, status: ExitStatus | None, *, launch_failed: bool = False) -> None:
        now = int(time.time())
        for timers in (self._limit_timers, self._kill_timers):
            handle = timers.pop(job.job_id, None)
            if handle is not None:
                handle.cancel()
        ending = self._ending.pop(job.job_id, None)
        if ending is JobState.CANCELLED:
            state, reason = JobState.CANCELLED, str(JobStateReason.NONE)
        elif launch_failed:
            state, reason = JobState.FAILED, str(JobStateReason.LAUNCH_FAILED)
        elif ending is JobState.TIMEOUT:
            state, reason = JobState.TIMEOUT, str(JobStateReason.TIME_LIMIT)
        elif status is None:
            state, reason = JobState.NODE_FAIL, str(JobStateReason.NODE_DOWN)
        elif status.raw == 0:
            state, reason = JobState.COMPLETED, str(JobStateReason.NONE)
        elif status.signal:
            state, reason = JobState.FAILED, raised_signal_reason(status.signal)
        else:
            state, reason = JobState.FAILED, str(JobStateReason.NON_ZERO_EXIT_CODE)
        self._record_end(job, state, reason, status, now)
        if job.het_job_id and runs_script(job):
            for member in self.b.group(job):
                if member is not job and not member.state.is_finished:
                    self._ending.pop(member.job_id, None)
                    self._record_end(member, state, reason, status, now)
        self._release_payload(job)
        self.b.wake()

    def _record_end(
        self, job: Job, state: JobState, reason: str, status: ExitStatus | None, now: int
    ) -> None:
        for timers in (self._limit_timers, self._kill_timers):
            handle = timers.pop(job.job_id, None)
            if handle is not None:
                handle.cancel()
        if job.state is JobState.PENDING:
            job.start_time = now
        job.state = state
        job.state_reason = reason
        job.end_time = now
        job.exit_code = job.derived_exit_code = status
        for allocation in job.allocations:
            self.last_busy[allocation.node_name] = now
        diag = self.b.diag
        if state is JobState.COMPLETED:
            diag.jobs_completed += 1
        elif state is JobState.CANCELLED:
            diag.jobs_canceled += 1
        else:
            diag.jobs_failed += 1
        self.b.touch(job, now)

    def _release_payload(self, job: Job) -> None:
        """Delete the script once every job sharing it has ended."""
        if any(not m.state.is_finished for m in self.b.group(job)):
            return
        key = self.b.payload_key(job)
        self.b.store.save_nowait((), drop_payloads=[key])
        if key in self._marked:
            self._marked.discard(key)
            self._chore(self.b.payloads.remove, key)

    def _chore(self, func: Callable[..., None], *args: object) -> None:
        """Run blocking file work in a thread without waiting for it (close() does)."""
        task = asyncio.create_task(asyncio.to_thread(func, *args))
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    # -- signal_job ---------------------------------------------------------------------------

    async def signal(self, principal: Principal, job_id: int, sig: int) -> None:
        if not 0 < sig < signals.NSIG:
            raise InvalidRequest(f"Invalid signal number {sig}")
        targets = self.b.targets(job_id)
        if not targets:
            stored = await self.b.load_stored(job_id)
            if not stored:
                raise not_found(job_id)
            check_owner(self.b, principal, stored)
            raise _already_done(job_id)
        check_owner(self.b, principal, targets)
        active = [t for t in targets if not t.state.is_finished]
        if not active:
            raise _already_done(job_id)
        if sig == signals.SIGKILL:
            now = int(time.time())
            for job in active:
                if job.state is JobState.PENDING:
                    self.cancel_pending(job, now)
                else:
                    self.terminate(job, JobState.CANCELLED)
            self.b.wake()
            return
        running = [t for t in active if t.state is JobState.RUNNING and runs_script(t)]
        if not running:
            raise Conflict(
                f"Job {job_id} is pending execution",
                error_number=ESLURM_JOB_PENDING,
                error="Job is pending execution",
            )
        for job in running:
            self.b.executor.signal(job.job_id, sig)

    # -- restart ------------------------------------------------------------------------------

    async def recover(self) -> None:
        """Re-adopt the jobs the store says are running; record those that ended meanwhile."""
        b = self.b
        running = [j for j in b.jobs.values() if j.state is JobState.RUNNING]
        with_process = [j.job_id for j in running if runs_script(j)]
        # A cancel or time limit under way when we stopped is carried through.
        marks = await asyncio.to_thread(
            lambda: {i: b.payloads.ending(b.payload_key(b.jobs[i]), i) for i in with_process}
        )
        for job_id, mark in marks.items():
            if mark in (JobState.CANCELLED.value, JobState.TIMEOUT.value):
                self._ending[job_id] = JobState(mark)
                self._marked.add(b.payload_key(b.jobs[job_id]))
        ended = await b.executor.recover(with_process)
        for job_id, status in ended.items():
            job = b.jobs[job_id]
            if status is None:
                log.warning("job %d was lost while the gateway was down", job_id)
            self.finish(job, status, launch_failed=b.executor.launch_error(job_id) is not None)
        for job in running:
            if job.state is not JobState.RUNNING:
                continue
            leader = b.jobs.get(job.het_job_id) if not runs_script(job) else job
            if leader is None:
                self._record_end(
                    job, JobState.NODE_FAIL, str(JobStateReason.NODE_DOWN), None, int(time.time())
                )
                continue
            if leader.state.is_finished:  # a component ends with its leader
                self._record_end(
                    job, leader.state, leader.state_reason, leader.exit_code, leader.end_time
                )
                continue
            if job.job_id in self._ending:
                self._deliver_termination(job)
            else:
                self.arm_time_limit(job)
        live = {b.payload_key(j) for j in b.jobs.values() if not j.state.is_finished}
        stale = await b.store.payload_keys() - live
        if stale:
            b.store.save_nowait((), drop_payloads=stale)
        marked = await asyncio.to_thread(b.payloads.keys)
        for key in marked - live:
            await asyncio.to_thread(b.payloads.remove, key)

    async def close(self) -> None:
        for timers in (self._limit_timers, self._kill_timers):
            for handle in timers.values():
                handle.cancel()
            timers.clear()
        pending = list(self._launching.values()) + list(self._chores)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def _already_done(job_id: int) -> Conflict:
    return Conflict(
        f"Job {job_id} has already completed",
        error_number=ESLURM_ALREADY_DONE,
        error="Job/step already completing or completed",
    )
