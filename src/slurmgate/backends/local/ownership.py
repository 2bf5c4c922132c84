"""Who may act on a job of the embedded cluster, and the refusals slurmctld answers with.

The owner or an administrator (``auth.admins``) may act on a job; anyone else is refused with
ESLURM_ACCESS_DENIED, as slurmctld refuses users who are neither the owner, an operator nor a
coordinator of the job's account.
"""

from __future__ import annotations

from typing import Protocol

from slurmgate.domain import Conflict, Job, NotFound, PermissionDenied, Principal
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_ALREADY_DONE,
    ESLURM_INVALID_JOB_ID,
)


class Admins(Protocol):
    def is_admin(self, principal: Principal) -> bool: ...


def may_act(admins: Admins, principal: Principal, job: Job) -> bool:
    return job.user_name == principal.user_name or admins.is_admin(principal)


def check_owner(admins: Admins, principal: Principal, jobs: list[Job]) -> None:
    for job in jobs:
        if not may_act(admins, principal, job):
            raise PermissionDenied(
                f"User {principal.user_name!r} may not act on job {job.job_id} "
                f"of user {job.user_name!r}",
                error_number=ESLURM_ACCESS_DENIED,
                error="Access/permission denied",
            )


def not_found(job_id: int) -> NotFound:
    return NotFound(
        f"Job {job_id} not found: Invalid job id specified",
        error_number=ESLURM_INVALID_JOB_ID,
        error="Invalid job id specified",
    )


def already_done(job_id: int) -> Conflict:
    return Conflict(
        f"Job {job_id} has already completed",
        error_number=ESLURM_ALREADY_DONE,
        error="Job/step already completing or completed",
    )
