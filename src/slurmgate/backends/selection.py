"""Which jobs a ``JobSelection`` chooses, as slurmctld's kill_jobs (Slurm 24.05+) chooses them.

The embedded cluster signals the jobs chosen here, and so does the slurm backend on releases
without ``slurm_kill_jobs``, so that a selection means the same everywhere:

- with job ids, each id names a job, an array ("12": every task), some of its tasks ("12_3",
  "12_[1-3]") or a het job component ("12+1"); an id that names nothing is reported
  (ESLURM_INVALID_JOB_ID), and so is a named job that has finished (ESLURM_ALREADY_DONE) or
  that another filter leaves out (ESLURM_JOB_SIGNAL_FAILED, saying which filter);
- without ids every job is looked at, and those the filters leave out or that have finished
  are skipped silently;
- a het job is signalled through its leader, which carries its components; a component alone
  only while it runs (ESLURM_NOT_WHOLE_HET_JOB while pending).

Who may signal what is left to the caller: the embedded cluster checks ownership, slurmctld
checks it on each signal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from slurmgate.backends.local.arrays import format_task_ids, parse_array
from slurmgate.domain import InvalidRequest, Job, JobSelection, JobState, SignalOutcome, hostlist
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_ALREADY_DONE,
    ESLURM_INVALID_JOB_ID,
    ESLURM_JOB_PENDING,
    ESLURM_JOB_SIGNAL_FAILED,
    ESLURM_NOT_WHOLE_HET_JOB,
)

#: slurm_strerror's texts for the outcomes made here.
ERROR_TEXTS = {
    ESLURM_ACCESS_DENIED: "Access/permission denied",
    ESLURM_JOB_PENDING: "Job is pending execution",
    ESLURM_ALREADY_DONE: "Job/step already completing or completed",
    ESLURM_INVALID_JOB_ID: "Invalid job id specified",
    ESLURM_JOB_SIGNAL_FAILED: "Cannot signal job",
    ESLURM_NOT_WHOLE_HET_JOB: "Operation not permitted on individual component of "
    "heterogeneous job",
}

_JOB_ID = re.compile(r"^(\d+)(?:_(\d+|\[[0-9,:%-]+\])|\+(\d+))?$")
#: Array task ids are below MaxArraySize, itself at most 4000001 in Slurm.
_MAX_TASK_ID = 4_000_001


@dataclass(frozen=True, slots=True)
class JobIdFilter:
    """One id of ``JobSelection.job_ids``."""

    text: str
    job_id: int
    #: The array tasks named ("12_3", "12_[1-3]"); None when the id names no tasks.
    tasks: frozenset[int] | None = None
    #: The het component named ("12+1"); None when the id names none.
    het_offset: int | None = None

    @classmethod
    def parse(cls, text: str) -> JobIdFilter:
        found = _JOB_ID.match(text.strip())
        if found is None or int(found.group(1)) == 0:
            raise InvalidRequest(
                f"Invalid job id specified: {text!r}",
                error_number=ESLURM_INVALID_JOB_ID,
                error=ERROR_TEXTS[ESLURM_INVALID_JOB_ID],
                source="jobs",
            )
        job_id, tasks, offset = found.groups()
        named = None
        if tasks is not None:
            named = frozenset(_task_ids(tasks.strip("[]"), text))
        return cls(
            text.strip(),
            int(job_id),
            named,
            None if offset is None else int(offset),
        )

    def matches(self, job: Job) -> bool:
        if self.tasks is not None:
            return job.array_job_id == self.job_id and bool(self.tasks & tasks_of(job))
        if self.het_offset is not None:
            return job.het_job_id == self.job_id and job.het_job_offset == self.het_offset
        return self.job_id in (job.job_id, job.array_job_id, job.het_job_id)


def _task_ids(text: str, given: str) -> list[int]:
    try:
        return list(parse_array(text, _MAX_TASK_ID).task_ids)
    except InvalidRequest:
        raise InvalidRequest(
            f"Invalid job id specified: {given!r}",
            error_number=ESLURM_INVALID_JOB_ID,
            error=ERROR_TEXTS[ESLURM_INVALID_JOB_ID],
            source="jobs",
        ) from None


def tasks_of(job: Job) -> frozenset[int]:
    """The array tasks a record stands for: its own, or a pending meta record's remaining ones
    (slurmctld keeps tasks that have not started in one record, ``array_task_string``)."""
    if job.array_task_id is not None:
        return frozenset({job.array_task_id})
    if job.array_job_id and job.array_task_string:
        body = job.array_task_string.split("%", 1)[0]
        try:
            return frozenset(parse_array(body, _MAX_TASK_ID).task_ids)
        except InvalidRequest:
            return frozenset()
    return frozenset()


def selected_id(job: Job, tasks: frozenset[int] | None = None) -> str:
    """The record's id as slurmctld names a selected job; ``tasks`` narrows a meta record."""
    if job.array_task_id is not None:
        return f"{job.array_job_id}_{job.array_task_id}"
    if job.array_job_id and job.array_task_string:
        remaining = tasks_of(job) if tasks is None else tasks_of(job) & tasks
        return f"{job.array_job_id}_[{format_task_ids(remaining)}]"
    if job.het_job_id and job.het_job_offset:
        return f"{job.het_job_id}+{job.het_job_offset}"
    return str(job.job_id)


def mismatch(job: Job, selection: JobSelection) -> str | None:
    """Why the filters other than ids leave ``job`` out, in slurmctld's words; None if not."""
    if selection.account and job.account != selection.account:
        return f"Job account {job.account} != filter account {selection.account}"
    if selection.job_name and job.name != selection.job_name:
        return f"Job name {job.name} != filter name {selection.job_name}"
    if selection.partition and selection.partition not in job.partition.split(","):
        return (
            f"Job partition {job.partition} does not include filter partition {selection.partition}"
        )
    if selection.qos and job.qos != selection.qos:
        return f"Job qos {job.qos or 'NULL'} != filter qos {selection.qos}"
    if selection.reservation and selection.reservation not in job.reservation.split(","):
        return (
            f"Job reservation {job.reservation} does not include filter reservation "
            f"{selection.reservation}"
        )
    if selection.states and job.state.value != selection.states[0]:
        return f"Job state {job.state.value} != filter state {selection.states[0]}"
    if selection.user_id is not None and job.user_id != selection.user_id:
        return f"Job user id {job.user_id} != filter user id {selection.user_id}"
    if selection.user_name and job.user_name != selection.user_name:
        return f"Job user {job.user_name} != filter user {selection.user_name}"
    if selection.nodes:
        if not job.nodes:
            return f"Job does not have nodes but filter has nodes {','.join(selection.nodes)}"
        wanted = {name for item in selection.nodes for name in hostlist.expand(item)}
        if not wanted & set(hostlist.expand(job.nodes)):
            return (
                f"Job nodes {job.nodes} does not intersect with filter nodes "
                f"{','.join(selection.nodes)}"
            )
    if selection.wckey:
        # A wckey given by default starts with '*'; a filter without it matches both.
        key = job.wckey
        if not selection.wckey.startswith("*") and key.startswith("*"):
            key = key[1:]
        if key != selection.wckey:
            return f"Job wckey {job.wckey} != filter wckey {selection.wckey}"
    return None


def outcome(job_id: int, selected: str, error_number: int, description: str = "") -> SignalOutcome:
    error = ERROR_TEXTS.get(error_number, "")
    return SignalOutcome(
        job_id=job_id,
        error_number=error_number,
        error=error,
        description=description or error,
        selected_id=selected,
    )


@dataclass(frozen=True, slots=True)
class Chosen:
    """A job to signal, and how to name it: the selected id narrows a meta record's tasks."""

    job: Job
    selected_id: str


def choose(
    jobs: Iterable[Job], selection: JobSelection
) -> tuple[list[Chosen], list[SignalOutcome]]:
    """The jobs to signal, and the outcomes already known (ids naming nothing, jobs left out).

    ``jobs`` are every record the caller knows, in submission order (a het leader before its
    components); ``selection`` has passed ``check``.
    """
    records = sorted(jobs, key=lambda j: j.job_id)
    chosen: dict[int, Chosen] = {}
    outcomes: list[SignalOutcome] = []
    if selection.job_ids:
        for text in selection.job_ids:
            wanted = JobIdFilter.parse(text)
            found = [job for job in records if wanted.matches(job)]
            if not found:
                outcomes.append(outcome(0, wanted.text, ESLURM_INVALID_JOB_ID))
            for job in found:
                _consider(job, selection, wanted, chosen, outcomes)
    else:
        for job in records:
            _consider(job, selection, None, chosen, outcomes)
    leaders = {c.job.job_id for c in chosen.values() if c.job.het_job_id == c.job.job_id}
    kept: list[Chosen] = []
    for item in chosen.values():
        job = item.job
        if job.het_job_id and job.het_job_offset:
            if job.het_job_id in leaders:
                continue  # the leader's signal reaches it
            if job.state is JobState.PENDING:
                outcomes.append(
                    outcome(
                        job.job_id,
                        item.selected_id,
                        ESLURM_NOT_WHOLE_HET_JOB,
                        "Het job component cannot be signalled while pending"
                        if selection.job_ids
                        else "",
                    )
                )
                continue
        kept.append(item)
    return kept, outcomes


def _consider(
    job: Job,
    selection: JobSelection,
    wanted: JobIdFilter | None,
    chosen: dict[int, Chosen],
    outcomes: list[SignalOutcome],
) -> None:
    if job.job_id in chosen:
        return
    name = selected_id(job, wanted.tasks if wanted is not None else None)
    if job.state.is_finished:
        if wanted is not None:
            outcomes.append(outcome(job.job_id, name, ESLURM_ALREADY_DONE))
        return
    why = mismatch(job, selection)
    if why is not None:
        if wanted is not None:
            text = f"{why}: {ERROR_TEXTS[ESLURM_JOB_SIGNAL_FAILED]}"
            outcomes.append(outcome(job.job_id, name, ESLURM_JOB_SIGNAL_FAILED, text))
        return
    chosen[job.job_id] = Chosen(job, name)
