"""``update_job`` for the embedded cluster, with slurmctld's rules for who may change what.

- the owner or an administrator may update a job; an array's job id updates every unfinished
  task, a heterogeneous leader's id every component;
- a user may only lower a time limit; only an administrator may set a priority other than 0
  (priority 0 holds the job) or a negative nice value; a user cannot release a job an
  administrator held;
- partition, dependency, begin time, size, memory, constraints and output paths change only
  while the job is pending;
- a running job's time limit timer is re-armed with the new limit; a released job gets a fresh
  priority/basic priority, as in Slurm.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Protocol

from slurmgate.backends.local.intake import known_dependency
from slurmgate.backends.local.ownership import Admins, check_owner, not_found
from slurmgate.backends.local.priority import PriorityBasic
from slurmgate.backends.local.sizing import apply_resources, check_fits
from slurmgate.backends.local.submission import SubmissionRules
from slurmgate.backends.local.table import JobTable
from slurmgate.backends.local.views import ClusterLayout
from slurmgate.domain import (
    Conflict,
    Job,
    JobState,
    JobStateReason,
    JobUpdate,
    Partition,
    PermissionDenied,
    Principal,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_JOB_FINISHED,
    ESLURM_JOB_NOT_PENDING,
)

#: What the scheduler never looks at: changing only these needs no scheduling pass (a pass
#: goes over every job, on the event loop; a portal annotating jobs must not cost one each).
#: Not the name: a singleton dependency waits on other jobs of the same name.
_UNSCHEDULED = frozenset({"comment", "standard_output", "standard_error", "wckey"})

_PENDING_ONLY = frozenset(
    {
        "hold",
        "partition",
        "dependency",
        "begin_time",
        "min_nodes",
        "max_nodes",
        "tasks",
        "cpus_per_task",
        "memory_per_node",
        "memory_per_cpu",
        "constraints",
        "standard_output",
        "standard_error",
    }
)
_HELD = (JobStateReason.JOB_HELD_USER, JobStateReason.JOB_HELD_ADMIN)


def _finished(job_id: int) -> Conflict:
    return Conflict(
        f"Job {job_id} has already finished",
        error_number=ESLURM_JOB_FINISHED,
        error="Job has already finished",
    )


def _denied(principal: Principal, what: str) -> PermissionDenied:
    return PermissionDenied(
        f"User {principal.user_name!r} may not {what}",
        error_number=ESLURM_ACCESS_DENIED,
        error="Access/permission denied",
    )


class Accounts(Protocol):
    def resolve(self, job: Job, account: str | None, qos: str | None) -> None:
        """Set ``job``'s account, QOS and association to those asked, or refuse."""


class JobUpdates:
    """``update_job``: checks every target, then changes them all or none."""

    def __init__(
        self,
        table: JobTable,
        rules: SubmissionRules,
        layout: ClusterLayout,
        admins: Admins,
        priority: PriorityBasic,
        accounts: Accounts,
        *,
        arm_time_limit: Callable[[Job], None],
        wake: Callable[[], None],
    ) -> None:
        self._table = table
        self._rules = rules
        self._layout = layout
        self._admins = admins
        self._priority = priority
        self._accounts = accounts
        self._arm_time_limit = arm_time_limit
        self._wake = wake

    async def apply(self, principal: Principal, job_id: int, update: JobUpdate) -> None:
        table, rules = self._table, self._rules
        targets = table.targets(job_id)
        if not targets:
            stored = await table.load_stored(job_id)
            if not stored:
                raise not_found(job_id)
            check_owner(self._admins, principal, stored)
            raise _finished(job_id)
        check_owner(self._admins, principal, targets)
        active = [t for t in targets if not t.state.is_finished]
        if not active:
            raise _finished(job_id)
        changes = update.changed_fields()
        if not changes:
            return
        is_admin = self._admins.is_admin(principal)
        if _PENDING_ONLY & changes.keys() and any(t.state is not JobState.PENDING for t in active):
            raise Conflict(
                f"Job {job_id} is no longer pending execution",
                error_number=ESLURM_JOB_NOT_PENDING,
                error="Job is no longer pending execution",
            )
        # Everything is checked before anything changes: an update applies whole or not at all.
        rules.check_priority(
            principal, is_admin=is_admin, priority=update.priority, nice=update.nice
        )
        if update.time_limit is not None and not is_admin:
            for job in active:
                if job.time_limit is None or update.time_limit > job.time_limit:
                    raise _denied(principal, "raise the time limit of a job")
        if update.hold is False and not is_admin:
            if any(t.state_reason == JobStateReason.JOB_HELD_ADMIN for t in active):
                raise _denied(principal, "release a job held by an administrator")
        partition = rules.partition_for(update.partition) if update.partition else None
        if update.dependency:
            dependency = await known_dependency(table, update.dependency)
            update = dataclasses.replace(update, dependency=dependency)
        charged = {}
        if update.account is not None or update.qos is not None:
            for job in active:  # as slurmctld: the association must exist, the QOS too
                trial = dataclasses.replace(job, allocations=[], flags=[])
                self._accounts.resolve(trial, update.account or job.account, update.qos or job.qos)
                charged[job.job_id] = (trial.account, trial.qos, trial.association_id)
        for job in active:
            _resize(self._layout, rules, job, update, partition)
        for job in active:
            if job.job_id in charged:
                job.account, job.qos, job.association_id = charged[job.job_id]
            _apply(self._priority, job, update, is_admin=is_admin)
            table.touch(job)
            if job.state is JobState.RUNNING and update.time_limit is not None:
                self._arm_time_limit(job)
        if not update.changed_fields().keys() <= _UNSCHEDULED:
            self._wake()


def _resize(
    layout: ClusterLayout,
    rules: SubmissionRules,
    job: Job,
    update: JobUpdate,
    partition: Partition | None,
) -> None:
    """Check and apply size and partition changes of a pending job; raises if it cannot fit.

    Called for every target before any is changed, so a refusal leaves all of them as they were.
    """
    keys = {
        "partition",
        "min_nodes",
        "tasks",
        "cpus_per_task",
        "memory_per_node",
        "memory_per_cpu",
        "constraints",
    }
    if not keys & update.changed_fields().keys():
        return
    target = partition or rules.partition_for(job.partition)
    trial = dataclasses.replace(job, allocations=list(job.allocations), flags=list(job.flags))
    if update.constraints is not None:
        trial.features = update.constraints
    apply_resources(
        layout,
        trial,
        target,
        nodes=update.min_nodes if update.min_nodes is not None else job.node_count,
        tasks=update.tasks if update.tasks is not None else job.tasks,
        tasks_per_node=job.tasks_per_node,
        cpus_per_task=update.cpus_per_task,
        min_cpus_per_node=None,
        memory_per_node=update.memory_per_node,
        memory_per_cpu=update.memory_per_cpu,
    )
    check_fits(layout, trial, target)
    job.partition = target.name
    for name in (
        "node_count",
        "tasks",
        "cpus_per_task",
        "minimum_cpus_per_node",
        "cpus",
        "memory_per_node",
        "memory_per_cpu",
        "tres_req_str",
        "billable_tres",
        "features",
    ):
        setattr(job, name, getattr(trial, name))


def _apply(basic: PriorityBasic, job: Job, update: JobUpdate, *, is_admin: bool) -> None:
    pending = job.state is JobState.PENDING
    for name in (
        "name",
        "comment",
        "wckey",
        "requeue",
        "deadline",
        "time_minimum",
        "max_nodes",
    ):
        value = getattr(update, name)
        if value is not None:
            setattr(job, name, value)
    if update.time_limit is not None:
        job.time_limit = update.time_limit
    if pending and update.begin_time is not None:
        job.begin_time = update.begin_time
    if pending and update.dependency is not None:
        job.dependency = update.dependency
    cwd = job.current_working_directory
    if pending and update.standard_output is not None:
        job.standard_output = os.path.join(cwd, update.standard_output)
    if pending and update.standard_error is not None:
        job.standard_error = os.path.join(cwd, update.standard_error)
    if update.nice is not None and update.nice != job.nice:
        if job.priority > 0:
            job.priority = max(job.priority + job.nice - update.nice, 1)
        job.nice = update.nice
    hold = update.hold
    if update.priority == 0:
        hold = True
    if hold is True and pending:
        job.priority = 0
        job.state_reason = (
            JobStateReason.JOB_HELD_ADMIN if is_admin else JobStateReason.JOB_HELD_USER
        )
    elif update.priority is not None and update.priority > 0:
        job.priority = update.priority
        if pending and job.state_reason in _HELD:
            job.state_reason = JobStateReason.NONE
    elif hold is False and pending and job.priority == 0:
        job.priority = basic.next(job.nice)
        job.state_reason = JobStateReason.NONE
        # A release ends the hold of a requeue too, its special exit with it.
        job.state_description = ""
        job.state_flags = [f for f in job.state_flags if f != "SPECIAL_EXIT"]
