"""Taking in a submission: checks that need the job table, numbering, persistence, queueing.

The per-job checks and defaults are ``submission.SubmissionRules``; this module adds what needs
the cluster's state (dependency targets, MaxJobCount), gives out job ids (never reused: the
next id is committed with the jobs) and returns only once the store has committed the jobs
and their script is on disk.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import TYPE_CHECKING

from slurmgate.backends.local.arrays import format_task_ids
from slurmgate.backends.local.dependencies import parse_dependency, without_jobs
from slurmgate.backends.local.payloads import Payload
from slurmgate.backends.local.submission import Draft, Owner
from slurmgate.domain import (
    InvalidRequest,
    Job,
    JobStateReason,
    JobSubmission,
    Principal,
    SubmitResult,
    UnprocessableRequest,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_INVALID_ARRAY,
    ESLURM_JOB_HELD,
    ESLURM_MAX_JOB_COUNT,
)

if TYPE_CHECKING:
    from slurmgate.backends.local.backend import LocalBackend


def _drafts(
    b: LocalBackend,
    principal: Principal,
    owner: Owner,
    submission: JobSubmission,
    is_admin: bool,
    now: int,
    batch: bool,
) -> list[Draft]:
    return [
        b.rules.draft(
            principal,
            owner,
            spec,
            is_admin=is_admin,
            runs_script=batch and i == 0,
            heterogeneous=submission.is_heterogeneous,
            now=now,
        )
        for i, spec in enumerate(submission.jobs)
    ]


async def submit_jobs(
    b: LocalBackend, principal: Principal, submission: JobSubmission, *, batch: bool = True
) -> SubmitResult:
    """Validate, number, persist and queue a submission; returns once the store committed it.

    ``batch`` false makes it an allocation (``allocate``): no script, no process; the job holds
    what it is given until it is cancelled or its time limit ends it.
    """
    if not submission.jobs:
        raise InvalidRequest("The submission holds no job description")
    is_admin = b.is_admin(principal)
    now = int(time.time())
    owner = b.rules.cached_owner(principal, time.monotonic())
    if owner is None:
        # passwd lookups may go to the network (NSS): keep them off the event loop.
        owner = await asyncio.to_thread(b.rules.owner, principal)
        b.rules.remember_owner(owner, time.monotonic())
    drafts = _drafts(b, principal, owner, submission, is_admin, now, batch)
    if not batch:
        for draft in drafts:
            _as_allocation(draft)
    for draft in drafts:
        if draft.template.dependency:
            draft.template.dependency = await known_dependency(b, draft.template.dependency)
    count = sum(d.job_count for d in drafts)
    if len(b.jobs) + b.in_flight_jobs + count > b.settings.max_job_count:
        raise UnprocessableRequest(
            f"MaxJobCount limit reached: {b.settings.max_job_count} jobs",
            error_number=ESLURM_MAX_JOB_COUNT,
            error="MaxJobCount limit reached",
        )
    first = b.next_job_id
    b.next_job_id += count
    jobs = materialize(b, drafts, first)
    lead = drafts[0]
    payload = Payload(lead.script, lead.environment, lead.argv, lead.append)
    b.in_flight_jobs += count
    # Shielded: once ids are given out, a caller that goes away must not leave a committed
    # job without its script, or a script without its job.
    await asyncio.shield(
        asyncio.ensure_future(_persist(b, first, payload if batch else None, jobs))
    )
    held = (JobStateReason.JOB_HELD_USER, JobStateReason.JOB_HELD_ADMIN)
    if lead.template.state_reason in held:  # what slurmctld answers for a job accepted held
        return SubmitResult(
            job_id=first,
            step_id="batch",
            error_number=ESLURM_JOB_HELD,
            error="Job is in held state, pending scheduler release",
        )
    return SubmitResult(job_id=first, step_id="batch")


def _as_allocation(draft: Draft) -> None:
    """A draft without a script: what salloc asks slurmctld for."""
    if draft.array is not None:
        raise InvalidRequest(
            "Job arrays are batch jobs: an allocation cannot be one",
            error_number=ESLURM_INVALID_ARRAY,
            error="Invalid job array specification",
        )
    job = draft.template
    job.batch_flag = False
    job.command = ""
    job.standard_output = job.standard_error = job.standard_input = ""


async def _persist(b: LocalBackend, first: int, payload: Payload | None, jobs: list[Job]) -> None:
    scripts = {first: payload.encode()} if payload is not None else None
    try:
        # One transaction holds the records and their script: both or neither survive a crash.
        await b.store.save(jobs, next_job_id=b.next_job_id, payloads=scripts)
    finally:
        b.in_flight_jobs -= len(jobs)
    for job in jobs:
        b.index(job)
    b.last_change = max(b.last_change, int(time.time()))
    b.diag.jobs_submitted += len(jobs)
    b.wake()


def materialize(b: LocalBackend, drafts: list[Draft], first: int) -> list[Job]:
    """One record per job: array tasks and het components get consecutive ids from ``first``."""
    jobs: list[Job] = []
    next_id = first
    het_last = first + len(drafts) - 1
    for offset, draft in enumerate(drafts):
        spec_priority = draft.priority
        template = draft.template
        held = template.state_reason in ("JobHeldUser", "JobHeldAdmin")
        if held:
            priority = 0
        elif spec_priority:
            priority = spec_priority
        else:
            priority = b.priority_basic.next(template.nice)
        task_ids: list[int | None] = (
            list(draft.array.task_ids) if draft.array is not None else [None]
        )
        for task_id in task_ids:
            job = _copy(template)
            job.job_id = next_id
            job.priority = priority
            if task_id is not None and draft.array is not None:
                job.array_job_id = first
                job.array_task_id = task_id
                job.array_max_tasks = draft.array.max_running
                if next_id == first:
                    job.array_task_string = format_task_ids(
                        draft.array.task_ids, draft.array.max_running
                    )
            if len(drafts) > 1:
                job.het_job_id = first
                job.het_job_offset = offset
                job.het_job_id_set = f"{first}-{het_last}"
            jobs.append(job)
            next_id += 1
    return jobs


def _copy(template: Job) -> Job:
    """A record of its own: fields are immutable values except these two lists."""
    job = copy.copy(template)
    job.allocations = list(template.allocations)
    job.flags = list(template.flags)
    return job


async def known_dependency(b: LocalBackend, text: str) -> str:
    """Dependency ``text`` (refused if invalid) without the jobs it names that do not exist.

    slurmctld assumes a job it does not know (in memory or in the store here) ended long ago
    and was purged, and drops it from the dependency instead of refusing the job.
    """
    gone: set[int] = set()
    for item in parse_dependency(text).items:
        target = item.job_id
        if item.kind == "singleton" or target in b.jobs or target in b.arrays or target in gone:
            continue
        if not await b.load_stored(target):
            gone.add(target)
    return without_jobs(text, gone) if gone else text
