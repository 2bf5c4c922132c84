"""Values of v0.0.40 and later's answers to changes (a submission, an update, signals and
requeues) and of jobs/state, that the answer does not hold as such."""

from __future__ import annotations

from dataclasses import dataclass

from slurmgate.api.versions.answer import Answer
from slurmgate.api.versions.views_dp import job_state
from slurmgate.domain import SignalOutcome


def submit_step(answer: Answer) -> str:
    step: str = answer.result.step_id
    return step


def submit_error_code(answer: Answer) -> int:
    """What slurmctld said of a job it accepted (ESLURM_JOB_HELD for a held one), 0 if nothing."""
    code: int = answer.result.error_number
    return code


def submit_error(answer: Answer) -> str:
    """slurm_strerror() of that code: "No error" for 0."""
    text: str = answer.result.error
    return text or ("No error" if not answer.result.error_number else "")


def first_job_id(answer: Answer) -> str:
    """v0.0.40/41 repeat the first job's id, as text, beside the results."""
    return str(answer.items[0].job_id) if answer.items else ""


@dataclass(frozen=True, slots=True)
class JobStateEntry:
    """One entry of jobs/state: a job, or one task of an array."""

    job_id: str
    state: list[str]


def _task_ids(text: str) -> list[int]:
    """The task ids of an array's task string ("0-9:2,12%4" -> 0, 2, ..., 8, 12)."""
    found: list[int] = []
    for part in text.strip("[]").split("%", 1)[0].split(","):
        bounds, _, step = part.partition(":")
        first, _, last = bounds.partition("-")
        if first.isdigit():
            found += range(int(first), int(last or first) + 1, int(step or 1))
    return found


def _job_state_entries(answer: Answer, *, task_by_array: bool) -> list[JobStateEntry]:
    entries = []
    for job in answer.items:
        states = job_state(job)
        if job.het_job_id:
            entries.append(JobStateEntry(f"{job.job_id}+{job.job_id - job.het_job_id}", states))
        elif job.array_task_id is not None:
            owner = job.array_job_id if task_by_array else job.job_id
            entries.append(JobStateEntry(f"{owner}_{job.array_task_id}", states))
        elif job.array_task_string:
            entries += [JobStateEntry(f"{job.job_id}_{task}", states)
                        for task in _task_ids(job.array_task_string)]  # fmt: skip
        else:
            entries.append(JobStateEntry(str(job.job_id), states))
    return entries


def job_state_entries(answer: Answer) -> list[JobStateEntry]:
    """jobs/state: each job's id as text with its state; an array's pending tasks one by one,
    as the daemons expand them (``12_3``); a heterogeneous job's components as ``12+1``; a
    task of its own named by its own job id (v0.0.41 on: ``15_3`` for task 3 of array 12)."""
    return _job_state_entries(answer, task_by_array=False)


def job_state_entries_40(answer: Answer) -> list[JobStateEntry]:
    """v0.0.40 names a task of its own by its array's id (``12_3``)."""
    return _job_state_entries(answer, task_by_array=True)


def update_results(answer: Answer) -> list[SignalOutcome] | None:
    """The array tasks an update reached; None (printed null) when it reached no array."""
    return list(answer.items) or None


def requeue_groups(answer: Answer) -> list[list[SignalOutcome]]:
    """jobs/requeue answers a list of results per job asked for."""
    return [[outcome] for outcome in answer.items]


def selected_id(outcome: SignalOutcome) -> str:
    return outcome.selected_id or str(outcome.job_id)


def signal_error(outcome: SignalOutcome) -> str:
    return outcome.error or ("No error" if not outcome.error_number else str(outcome.error_number))


def signal_outcomes(answer: Answer) -> list[SignalOutcome]:
    outcomes: list[SignalOutcome] = list(answer.items)
    return outcomes


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__
         and not isinstance(value, type)}  # fmt: skip
