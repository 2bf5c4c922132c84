"""Running jobs of the embedded cluster: start, time limits, requeues and what their end means.

A cancelled or timed-out job keeps its allocation until its processes are gone, as Slurm's
COMPLETING jobs do: the record stays RUNNING until the executor reports the exit, then
becomes CANCELLED or TIMEOUT. Termination is SIGCONT + SIGTERM to the job's process group,
then SIGKILL after ``kill_wait`` seconds.

A requeued job is PENDING at once, flagged COMPLETING while its processes end (it keeps its
allocation and is not scheduled meanwhile); then it is a pending job again, as slurmctld's
batch_requeue_fini leaves it: no nodes, no start or end, a new submit time. Its script is
kept until the job leaves memory (``min_job_age`` after its end), so a finished job can be
requeued too. An allocation (``allocate``) runs no process: it holds its resources until it
is cancelled or its time limit ends it. A node set DOWN ends its jobs: requeued if they may
be, else NODE_FAIL.

How an end is recorded:

- exit 0: COMPLETED; other exit codes: FAILED, reason NonZeroExitCode;
- killed by a signal: FAILED, reason ``RaisedSignal:<n>(<name>)``;
- cancelled: CANCELLED; time limit: TIMEOUT, reason TimeLimit;
- the script could not be started: FAILED, reason JobLaunchFailure;
- its supervisor vanished without a status (lost while the gateway was down), or its node
  was set DOWN: NODE_FAIL, reason NodeDown.

``exit_code`` and ``derived_exit_code`` are the raw wait status.
"""

from __future__ import annotations

import asyncio
import logging
import signal as signals
import time
from collections.abc import Callable
from typing import Protocol

from slurmgate.backends.local.acct_runs import RunRecorder
from slurmgate.backends.local.diag import Diagnostics
from slurmgate.backends.local.executor import Executor
from slurmgate.backends.local.job_facts import (
    COMPLETING,
    completing,
    raised_signal_reason,
    runs_script,
)
from slurmgate.backends.local.launch import launch_script
from slurmgate.backends.local.patterns import expand_path
from slurmgate.backends.local.payloads import PayloadStore
from slurmgate.backends.local.table import JobTable
from slurmgate.backends.local.views import tres_string
from slurmgate.config import LocalSettings
from slurmgate.domain import (
    ExitStatus,
    Job,
    JobState,
    JobStateReason,
    NodeAllocation,
    SlurmgateError,
    hostlist,
)

log = logging.getLogger(__name__)


class RunAs(Protocol):
    """Whether jobs run as their users (the gateway runs as root) or as the gateway."""

    @property
    def as_root(self) -> bool: ...


class JobControl:
    def __init__(
        self,
        table: JobTable,
        executor: Executor,
        payloads: PayloadStore,
        diag: Diagnostics,
        settings: LocalSettings,
        *,
        hostname: str,
        run_as: RunAs,
        wake: Callable[[], None],
        runs: RunRecorder,
    ) -> None:
        self._table = table
        self._executor = executor
        self._payloads = payloads
        self._diag = diag
        self._settings = settings
        self._hostname = hostname
        self._run_as = run_as
        self._wake = wake
        self._runs = runs
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
        self._diag.jobs_started += 1
        self._table.touch(job, now)
        self.arm_time_limit(job)
        if runs_script(job):
            self._runs.step_started(job, now)
            task = asyncio.create_task(self._launch(job), name=f"launch-{job.job_id}")
            self._launching[job.job_id] = task

    async def _launch(self, job: Job) -> None:
        try:
            await launch_script(
                job,
                self._table,
                self._executor,
                submit_host=self._hostname,
                cluster_name=self._settings.cluster_name,
                as_root=self._run_as.as_root,
            )
        except (OSError, ValueError, KeyError, SlurmgateError) as exc:
            log.warning("job %d: launch failed: %s", job.job_id, exc)
            self._launching.pop(job.job_id, None)
            if job.state is JobState.RUNNING or job.job_id in self._ending:
                self.finish(job, None, launch_failed=True)
            return
        self._launching.pop(job.job_id, None)
        if job.job_id in self._ending:
            self.deliver_termination(job)

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
        job = self._table.jobs.get(job_id)
        if job is not None and job.state is JobState.RUNNING:
            self.terminate(job, JobState.TIMEOUT)

    # -- termination --------------------------------------------------------------------------

    def terminate(self, job: Job, final: JobState) -> None:
        """End a running job: it will be recorded as ``final`` once its processes are gone."""
        if job.job_id in self._ending:
            return
        self._ending[job.job_id] = final
        key = self._table.payload_key(job)
        self._marked.add(key)
        self._chore(self._payloads.mark_ending, key, job.job_id, final.value)
        if not runs_script(job):
            self.finish(job, None)
        elif job.job_id not in self._launching:
            self.deliver_termination(job)

    def deliver_termination(self, job: Job) -> None:
        executor = self._executor
        executor.signal(job.job_id, signals.SIGCONT)
        if not executor.signal(job.job_id, signals.SIGTERM):
            # Nothing of it runs here any more and no exit will be reported: end it now.
            self.finish(job, None)
            return
        loop = asyncio.get_running_loop()
        self._kill_timers[job.job_id] = loop.call_later(
            self._settings.kill_wait, self._kill, job.job_id
        )

    def _kill(self, job_id: int) -> None:
        self._kill_timers.pop(job_id, None)
        self._executor.signal(job_id, signals.SIGKILL)

    def cancel_pending(self, job: Job, now: int, *, reason: str = JobStateReason.NONE) -> None:
        job.state = JobState.CANCELLED
        job.state_reason = reason
        job.start_time = job.end_time = now
        self._diag.jobs_canceled += 1
        self._table.touch(job, now)
        self._clear_marks(job)

    def cancel(self, job: Job, now: int) -> None:
        """Cancel an unfinished job, as SIGKILL through scancel does."""
        if completing(job):
            # Requeued, its processes still ending: they end it as cancelled instead.
            self._ending[job.job_id] = JobState.CANCELLED
        elif job.state is JobState.PENDING:
            self.cancel_pending(job, now)
        else:
            self.terminate(job, JobState.CANCELLED)

    def send(self, job_id: int, sig: int) -> bool:
        """Deliver ``sig`` to the job's processes; False when none run here."""
        return self._executor.signal(job_id, sig)

    def is_ending(self, job_id: int) -> bool:
        return job_id in self._ending

    # -- requeue and node failure -------------------------------------------------------------

    def requeue(self, job: Job, now: int, *, hold: bool, special_exit: bool) -> None:
        """Put a running or finished batch job back in the queue (the caller checked it may)."""
        self._runs.run_requeued(job, now)
        job.restart_count += 1
        if job.state in (JobState.RUNNING, JobState.SUSPENDED):
            job.state = JobState.PENDING
            job.state_flags = [COMPLETING]
            job.end_time = now
            self.terminate(job, JobState.PENDING)
        elif job.state.is_finished:
            self.requeued(job, now)
        if hold or special_exit:
            # slurmctld's hold on a requeue: the user's, which the user may release.
            job.priority = 0
            job.state_reason = JobStateReason.JOB_HELD_USER
            what = "special exit" if special_exit else "held"
            job.state_description = f"job requeued in {what} state"
            if special_exit and "SPECIAL_EXIT" not in job.state_flags:
                job.state_flags.append("SPECIAL_EXIT")
        self._table.touch(job, now)
        self._wake()

    def requeued(self, job: Job, now: int) -> None:
        """A requeued job's processes are gone: it is a pending job again."""
        job.state = JobState.PENDING
        job.state_flags = [f for f in job.state_flags if f == "SPECIAL_EXIT"]
        job.start_time = job.end_time = 0
        job.submit_time = now
        job.eligible_time = job.accrue_time = 0
        job.allocations = []
        job.nodes = job.batch_host = job.tres_alloc_str = ""
        if job.priority != 0:
            job.state_reason = JobStateReason.NONE
            job.state_description = ""
        key = self._table.payload_key(job)
        if key in self._marked:
            self._chore(self._payloads.clear_ending, key, job.job_id)
        self._table.touch(job, now)

    def node_down(self, job: Job, now: int) -> None:
        """The job's node was set DOWN: requeue the job if it may be, else it fails there."""
        if runs_script(job) and job.requeue:
            self.requeue(job, now, hold=False, special_exit=False)
        elif not job.state.is_finished:
            self.terminate(job, JobState.NODE_FAIL)

    # -- ends ---------------------------------------------------------------------------------

    def on_exit(self, job_id: int, status: ExitStatus | None) -> None:
        job = self._table.jobs.get(job_id)
        if job is None or (job.state is not JobState.RUNNING and job_id not in self._ending):
            return
        launch_error = self._executor.launch_error(job_id)
        self.finish(job, status, launch_failed=launch_error is not None)

    def finish(self, job: Job, status: ExitStatus | None, *, launch_failed: bool = False) -> None:
        now = int(time.time())
        for timers in (self._limit_timers, self._kill_timers):
            handle = timers.pop(job.job_id, None)
            if handle is not None:
                handle.cancel()
        ending = self._ending.pop(job.job_id, None)
        usage = self._executor.usage(job.job_id) if status is not None else None
        if ending is JobState.PENDING:  # requeued: back in the queue now that it has stopped
            self._runs.step_ended(job, JobState.PENDING, status, usage, now)
            for allocation in job.allocations:
                self.last_busy[allocation.node_name] = now
            self.requeued(job, now)
            self._wake()
            return
        if ending is JobState.CANCELLED:
            state, reason = JobState.CANCELLED, str(JobStateReason.NONE)
        elif launch_failed:
            state, reason = JobState.FAILED, str(JobStateReason.LAUNCH_FAILED)
        elif ending is JobState.TIMEOUT:
            state, reason = JobState.TIMEOUT, str(JobStateReason.TIME_LIMIT)
        elif status is None or ending is JobState.NODE_FAIL:
            state, reason = JobState.NODE_FAIL, str(JobStateReason.NODE_DOWN)
        elif status.raw == 0:
            state, reason = JobState.COMPLETED, str(JobStateReason.NONE)
        elif status.signal:
            state, reason = JobState.FAILED, raised_signal_reason(status.signal)
        else:
            state, reason = JobState.FAILED, str(JobStateReason.NON_ZERO_EXIT_CODE)
        self._runs.step_ended(job, state, status, usage, now)
        self.record_end(job, state, reason, status, now)
        if job.het_job_id and runs_script(job):
            for member in self._table.group(job):
                if member is not job and not member.state.is_finished:
                    self._ending.pop(member.job_id, None)
                    self.record_end(member, state, reason, status, now)
        self._clear_marks(job)
        self._wake()

    def record_end(
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
        diag = self._diag
        if state is JobState.COMPLETED:
            diag.jobs_completed += 1
        elif state is JobState.CANCELLED:
            diag.jobs_canceled += 1
        else:
            diag.jobs_failed += 1
        self._table.touch(job, now)

    def adopt_ending(self, job_id: int, final: JobState) -> None:
        """A termination under way when the gateway stopped, carried through (recovery)."""
        job = self._table.jobs[job_id]
        self._ending[job_id] = final
        self._marked.add(self._table.payload_key(job))

    def _clear_marks(self, job: Job) -> None:
        """Remove the termination marks once every job sharing the script has ended.

        The script itself stays in the store until the jobs leave memory (``drop_payloads``):
        a finished job may still be requeued.
        """
        if any(not m.state.is_finished for m in self._table.group(job)):
            return
        key = self._table.payload_key(job)
        if key in self._marked:
            self._marked.discard(key)
            self._chore(self._payloads.remove, key)

    def drop_payloads(self, keys: set[int]) -> None:
        """Delete the scripts of jobs that left memory."""
        if keys:
            self._table.store.save_nowait((), drop_payloads=keys)

    def _chore(self, func: Callable[..., None], *args: object) -> None:
        """Run blocking file work in a thread without waiting for it (close() does)."""
        task = asyncio.create_task(asyncio.to_thread(func, *args))
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def close(self) -> None:
        for timers in (self._limit_timers, self._kill_timers):
            for handle in timers.values():
                handle.cancel()
            timers.clear()
        pending = list(self._launching.values()) + list(self._chores)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
