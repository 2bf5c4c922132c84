"""What job control tells accounting: a batch step starting and ending, a run ended by a requeue.

The run's own record follows the job with every save (``acct_rows``); this adds what the job
record does not hold: the batch step, from the script's launch to its exit (wait status,
CPU time, peak memory), and the end of a run that a requeue interrupted, which slurmdbd keeps
as a record of its own (state REQUEUED) while the job goes on as a new run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from slurmgate.backends.local.acct_records import StepRecord
from slurmgate.backends.local.acct_rows import REQUEUED
from slurmgate.backends.local.executor import ProcessUsage
from slurmgate.backends.local.table import JobTable
from slurmgate.domain import ExitStatus, Job, JobState

#: The batch step of a job that timed out was cancelled, as slurmstepd records it.
_STEP_STATES = {JobState.TIMEOUT: JobState.CANCELLED}


class RunRecorder:
    def __init__(self, table: JobTable) -> None:
        self._table = table
        #: Job id -> its batch step while the script runs.
        self._open: dict[int, StepRecord] = {}

    def restore(self, steps: Iterable[StepRecord]) -> None:
        """Steps that were running when the gateway stopped (after a restart)."""
        for step in steps:
            self._open[step.job_id] = step

    def step_started(self, job: Job, now: int) -> None:
        held = job.allocations[0] if job.allocations else None
        step = StepRecord(
            job_id=job.job_id,
            run=job.restart_count,
            step_id="batch",
            start=now,
            node=job.batch_host,
            cpus=held.cpus if held is not None else job.cpus,
            memory=held.memory if held is not None else 0,
        )
        self._open[job.job_id] = step
        self._save([step])

    def step_ended(
        self,
        job: Job,
        state: JobState,
        status: ExitStatus | None,
        usage: ProcessUsage | None,
        now: int,
    ) -> None:
        """The script ended (``state`` is the job's end, PENDING for a requeue)."""
        step = self._open.pop(job.job_id, None)
        if step is None:
            return
        if state is JobState.PENDING:
            state = JobState.CANCELLED
        ended = dataclasses.replace(
            step,
            end=now,
            state=_STEP_STATES.get(state, state).value,
            status=status.raw if status is not None else None,
        )
        if usage is not None:
            ended = dataclasses.replace(
                ended,
                pid=usage.pid,
                user_cpu=usage.user_cpu,
                system_cpu=usage.system_cpu,
                max_rss_kib=usage.max_rss_kib,
            )
        self._save([ended])

    def run_requeued(self, job: Job, now: int) -> None:
        """A requeue interrupts ``job``'s running run: its record ends, state REQUEUED."""
        if job.state not in (JobState.RUNNING, JobState.SUSPENDED):
            return  # a finished run's record already holds its end
        closing = dataclasses.replace(
            job,
            state=JobState.PENDING,
            state_flags=[REQUEUED],
            end_time=now,
            allocations=list(job.allocations),
            flags=list(job.flags),
        )
        store = self._table.attached_store
        if store is not None:
            store.save_nowait((), runs=[closing])

    def _save(self, steps: list[StepRecord]) -> None:
        store = self._table.attached_store
        if store is not None:
            store.save_nowait((), steps=[s.row() for s in steps])
