"""``scontrol requeue`` and ``requeuehold`` on the embedded cluster, with slurmctld's rules.

A job id names one job, an array (every task) or a het job through its leader (every
component; another component's id is refused, ESLURM_NOT_HET_JOB_LEADER). Each job is checked
as slurmctld's ``_job_requeue_op`` checks it, in its order:

- only its owner or an administrator may requeue it (ESLURM_ACCESS_DENIED);
- with ``incomplete``, a job that is not running is left as it is (success);
- the job must be requeueable (``requeue``, the default: ``local.job_requeue``), else
  ESLURM_DISABLED; a batch job, not an allocation (ESLURM_BATCH_ONLY); not pending
  (ESLURM_JOB_PENDING);
- a job being cancelled or timed out cannot change meanwhile
  (ESLURM_TRANSITION_STATE_NO_UPDATE), nor be requeued once its script is gone (a finished
  job that left memory is no longer known: ESLURM_INVALID_JOB_ID).

The jobs that pass are requeued (``control.requeue``); when none does, the first refusal is the
answer, as scontrol reports a single job's error. A requeued job restarts once scheduled, with
``restart_count`` one higher; ``hold`` (and ``special_exit``) hold it (JobHeldUser) until it is
released. Unlike slurmctld, nothing delays its new start: slurmctld waits for the old launch
credential to expire, which the embedded cluster has none of.
"""

from __future__ import annotations

import time
from typing import Protocol

from slurmgate.backends.local.ownership import may_act, not_found
from slurmgate.backends.local.table import JobTable
from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    Job,
    JobState,
    PermissionDenied,
    Principal,
    RequeueOptions,
    SlurmgateError,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_BATCH_ONLY,
    ESLURM_DISABLED,
    ESLURM_JOB_PENDING,
    ESLURM_NOT_HET_JOB_LEADER,
    ESLURM_TRANSITION_STATE_NO_UPDATE,
)


class Jobs(Protocol):
    """What requeueing needs of the cluster."""

    def is_admin(self, principal: Principal) -> bool: ...

    @property
    def table(self) -> JobTable: ...


class Control(Protocol):
    def requeue(self, job: Job, now: int, *, hold: bool, special_exit: bool) -> None: ...

    def is_ending(self, job_id: int) -> bool: ...


async def requeue_job(
    cluster: Jobs,
    control: Control,
    principal: Principal,
    job_id: int,
    options: RequeueOptions,
) -> None:
    targets = cluster.table.targets(job_id)
    if not targets:
        raise not_found(job_id)
    if any(job.het_job_id and job.het_job_id != job_id for job in targets):
        raise InvalidRequest(
            f"Job {job_id} is a component of het job {targets[0].het_job_id}: requeue its leader",
            error_number=ESLURM_NOT_HET_JOB_LEADER,
            error="Job is not the leader of a heterogeneous job",
        )
    passed: list[Job] = []
    first: SlurmgateError | None = None
    for job in targets:
        if options.incomplete and job.state not in (JobState.RUNNING, JobState.SUSPENDED):
            continue  # only jobs that have not completed: this one stays as it is
        refusal = await _refusal(cluster, control, principal, job)
        if refusal is None:
            passed.append(job)
        elif first is None:
            first = refusal
    if first is not None and not passed:
        raise first
    now = int(time.time())
    for job in passed:
        control.requeue(job, now, hold=options.hold, special_exit=options.special_exit)


async def _refusal(
    cluster: Jobs, control: Control, principal: Principal, job: Job
) -> SlurmgateError | None:
    """Why ``job`` may not be requeued, as slurmctld checks it; None when it may."""
    job_id = job.job_id
    if not may_act(cluster, principal, job):
        return PermissionDenied(
            f"User {principal.user_name!r} may not requeue job {job_id} of user {job.user_name!r}",
            error_number=ESLURM_ACCESS_DENIED,
            error="Access/permission denied",
        )
    if not job.requeue:
        return Conflict(
            f"Job {job_id} is not requeueable (submitted with requeue false)",
            error_number=ESLURM_DISABLED,
            error="Requested operation is presently disabled",
        )
    if not job.batch_flag:
        return InvalidRequest(
            f"Job {job_id} is an allocation: only batch jobs can be requeued",
            error_number=ESLURM_BATCH_ONLY,
            error="Only batch jobs are accepted or processed",
        )
    if job.state is JobState.PENDING:
        return Conflict(
            f"Job {job_id} is pending execution",
            error_number=ESLURM_JOB_PENDING,
            error="Job is pending execution",
        )
    if control.is_ending(job_id):
        return Conflict(
            f"Job {job_id} is ending; try again once it has",
            error_number=ESLURM_TRANSITION_STATE_NO_UPDATE,
            error="Job can not be altered now, try again later",
        )
    if job.state.is_finished and not await cluster.table.script_kept(job):
        return Conflict(
            f"Job {job_id} cannot be requeued: its script is no longer kept",
            error_number=ESLURM_DISABLED,
            error="Requested operation is presently disabled",
        )
    return None
