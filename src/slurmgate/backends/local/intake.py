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
from collections.abc import Callable
from typing import Protocol

from slurmgate.backends.local.arrays import format_task_ids
from slurmgate.backends.local.dependencies import parse_dependency, without_jobs
from slurmgate.backends.local.diag import Diagnostics
from slurmgate.backends.local.ownership import Admins
from slurmgate.backends.local.payloads import Payload
from slurmgate.backends.local.priority import PriorityBasic
from slurmgate.backends.local.submission import Draft, SubmissionRules
from slurmgate.backends.local.table import JobTable
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


class Accounts(Protocol):
    async def assign(self, job: Job) -> None:
        """Fill in a new job's account, QOS and association, or refuse it."""


class Intake:
    """Takes submissions and allocations in: validated, numbered, committed, then queued."""

    def __init__(
        self,
        table: JobTable,
        rules: SubmissionRules,
        admins: Admins,
        priority: PriorityBasic,
        diag: Diagnostics,
        accounts: Accounts,
        *,
        max_job_count: int,
        wake: Callable[[], None],
    ) -> None:
        self._accounts = accounts
        self._table = table
        self._rules = rules
        self._admins = admins
        self._priority = priority
        self._diag = diag
        self._max_job_count = max_job_count
        self._wake = wake

    async def submit(
        self, principal: Principal, submission: JobSubmission, *, batch: bool = True
    ) -> SubmitResult:
        """Validate, number, persist and queue a submission; returns once the store committed
        it.

        ``batch`` false makes it an allocation (``allocate``): no script, no process; the job
        holds what it is given until it is cancelled or its time limit ends it.
        """
        if not submission.jobs:
            raise InvalidRequest("The submission holds no job description")
        table, rules = self._table, self._rules
        is_admin = self._admins.is_admin(principal)
        now = int(time.time())
        owner = rules.cached_owner(principal, time.monotonic())
        if owner is None:
            # passwd lookups may go to the network (NSS): keep them off the event loop.
            owner = await asyncio.to_thread(rules.owner, principal)
            rules.remember_owner(owner, time.monotonic())
        drafts = [
            rules.draft(
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
        if not batch:
            for draft in drafts:
                _as_allocation(draft)
        for draft in drafts:
            await self._accounts.assign(draft.template)
        for draft in drafts:
            if draft.template.dependency:
                draft.template.dependency = await known_dependency(table, draft.template.dependency)
        count = sum(d.job_count for d in drafts)
        if len(table.jobs) + table.in_flight_jobs + count > self._max_job_count:
            raise UnprocessableRequest(
                f"MaxJobCount limit reached: {self._max_job_count} jobs",
                error_number=ESLURM_MAX_JOB_COUNT,
                error="MaxJobCount limit reached",
            )
        first = table.next_job_id
        table.next_job_id += count
        jobs = materialize(self._priority, drafts, first)
        lead = drafts[0]
        payload = Payload(lead.script, lead.environment, lead.argv, lead.append)
        table.in_flight_jobs += count
        # Shielded: once ids are given out, a caller that goes away must not leave a committed
        # job without its script, or a script without its job.
        await asyncio.shield(
            asyncio.ensure_future(self._persist(first, payload if batch else None, jobs))
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

    async def _persist(self, first: int, payload: Payload | None, jobs: list[Job]) -> None:
        table = self._table
        scripts = {first: payload.encode()} if payload is not None else None
        try:
            # One transaction holds the records and their script: both or neither survive a
            # crash.
            await table.store.save(jobs, next_job_id=table.next_job_id, payloads=scripts)
        finally:
            table.in_flight_jobs -= len(jobs)
        for job in jobs:
            table.index(job)
        table.last_change = max(table.last_change, int(time.time()))
        self._diag.jobs_submitted += len(jobs)
        self._wake()


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


def materialize(basic: PriorityBasic, drafts: list[Draft], first: int) -> list[Job]:
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
            priority = basic.next(template.nice)
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


async def known_dependency(table: JobTable, text: str) -> str:
    """Dependency ``text`` (refused if invalid) without the jobs it names that do not exist.

    slurmctld assumes a job it does not know (in memory or in the store here) ended long ago
    and was purged, and drops it from the dependency instead of refusing the job.
    """
    gone: set[int] = set()
    for item in parse_dependency(text).items:
        target = item.job_id
        if item.kind == "singleton" or target in table.jobs or target in table.arrays:
            continue
        if target in gone:
            continue
        if not await table.load_stored(target):
            gone.add(target)
    return without_jobs(text, gone) if gone else text
