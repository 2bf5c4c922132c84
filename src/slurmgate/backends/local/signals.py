"""Signals to the embedded cluster's jobs: one job (``DELETE /job/{id}``) or those a selection
chooses (``DELETE /jobs``), with slurmctld's rules and answers.

- SIGKILL cancels: a pending job at once, a running one once its processes are gone
  (``control``); any other signal goes to a running job's processes and is refused
  (ESLURM_JOB_PENDING) for a pending one. An allocation runs no process: a signal other than
  SIGKILL reaches nothing and succeeds, as it would for a job without steps.
- Jobs here have no steps besides their batch script: FULL_STEPS_ONLY signals nothing;
  BATCH_JOB and FULL_JOB both reach the script's process group. HURRY (burst buffers) and
  CRON_JOBS (scrontab) change nothing here.
- Only the owner or an administrator may signal a job (ESLURM_ACCESS_DENIED otherwise): one
  job's refusal is an error, a selection's is that job's outcome.
"""

from __future__ import annotations

import signal as signals
import time
from collections.abc import Iterable
from typing import Protocol

from slurmgate.backends import selection as chooser
from slurmgate.backends.local.job_facts import runs_script
from slurmgate.backends.local.ownership import already_done, check_owner, may_act, not_found
from slurmgate.backends.local.table import JobTable
from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    Job,
    JobSelection,
    JobState,
    Principal,
    SignalOutcome,
)
from slurmgate.domain.slurm_errno import ESLURM_ACCESS_DENIED, ESLURM_JOB_PENDING


class Jobs(Protocol):
    """What signalling needs of the cluster."""

    @property
    def table(self) -> JobTable: ...

    def is_admin(self, principal: Principal) -> bool: ...

    def wake(self) -> None: ...


class Control(Protocol):
    """What signalling needs of job control."""

    def cancel(self, job: Job, now: int) -> None: ...

    def send(self, job_id: int, sig: int) -> bool: ...


def _check_signal(sig: int) -> None:
    if not 0 < sig < signals.NSIG:
        raise InvalidRequest(f"Invalid signal number {sig}", source="signal")


def _pending(job_id: int) -> Conflict:
    return Conflict(
        f"Job {job_id} is pending execution",
        error_number=ESLURM_JOB_PENDING,
        error="Job is pending execution",
    )


def _deliver(control: Control, jobs: Iterable[Job], sig: int, job_id: int) -> None:
    """Send ``sig`` to the unfinished ``jobs`` (one job, or an array's or het job's records)."""
    active = [job for job in jobs if not job.state.is_finished]
    now = int(time.time())
    if sig == signals.SIGKILL:
        for job in active:
            control.cancel(job, now)
        return
    if all(job.state is JobState.PENDING for job in active):
        raise _pending(job_id)
    for job in active:
        if job.state is JobState.RUNNING and runs_script(job):
            control.send(job.job_id, sig)


async def signal_job(
    cluster: Jobs, control: Control, principal: Principal, job_id: int, sig: int
) -> None:
    """``scancel --signal`` of one job id: an array's id reaches every task, a het leader's
    every component."""
    _check_signal(sig)
    targets = cluster.table.targets(job_id)
    if not targets:
        stored = await cluster.table.load_stored(job_id)
        if not stored:
            raise not_found(job_id)
        check_owner(cluster, principal, stored)
        raise already_done(job_id)
    check_owner(cluster, principal, targets)
    if all(job.state.is_finished for job in targets):
        raise already_done(job_id)
    _deliver(control, targets, sig, job_id)
    cluster.wake()


def signal_jobs(
    cluster: Jobs,
    control: Control,
    principal: Principal,
    selection: JobSelection,
    sig: int,
) -> list[SignalOutcome]:
    """Signal what ``selection`` chooses (``backends.selection``); one outcome per job."""
    selection.check()
    _check_signal(sig)
    chosen, outcomes = chooser.choose(cluster.table.jobs.values(), selection)
    steps_only = "FULL_STEPS_ONLY" in selection.flags
    for item in chosen:
        job = item.job
        if not may_act(cluster, principal, job):
            outcomes.append(chooser.outcome(job.job_id, item.selected_id, ESLURM_ACCESS_DENIED))
            continue
        # A het leader carries its components; a component chosen alone goes by itself.
        records = cluster.table.group(job) if job.het_job_id == job.job_id else [job]
        error = 0
        if not steps_only:  # no steps run here besides the batch script
            try:
                _deliver(control, records, sig, job.job_id)
            except Conflict as exc:
                error = exc.error_number
        outcomes.append(chooser.outcome(job.job_id, item.selected_id, error))
    cluster.wake()
    return outcomes
