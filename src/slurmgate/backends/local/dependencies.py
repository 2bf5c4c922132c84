"""Job dependencies (``--dependency``): parsing and evaluation against the job table.

Syntax, as sbatch takes it: ``type:id[:id...]`` items joined by "," (all must hold) or "?"
(any may hold); ids may be ``id_task`` (one array task) or ``id_*`` (the whole array); ``after``
takes ``id+minutes``; ``singleton`` has no ids; a bare ``id[:id...]`` means ``afterany``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.jobs import Job, JobState
from slurmgate.domain.slurm_errno import ESLURM_DEPENDENCY

#: Slurm's job ids, task ids and minutes are 32-bit unsigned.
_UINT32 = 2**32

KINDS = frozenset({"after", "afterany", "afterok", "afternotok", "aftercorr", "singleton"})

_TARGET = re.compile(r"^(\d+)(?:_(\d+|\*))?(?:\+(\d+))?$", re.ASCII)


@dataclass(frozen=True)
class Dependency:
    kind: str
    job_id: int
    #: One task of array ``job_id``; None = the job, or every task when it is an array.
    task_id: int | None
    delay_minutes: int


@dataclass(frozen=True)
class DependencySpec:
    items: tuple[Dependency, ...]
    #: True: "," (every item must hold); False: "?" (one is enough).
    require_all: bool


class DependencyStatus(Enum):
    SATISFIED = "satisfied"
    WAITING = "waiting"
    NEVER = "never"


def _invalid(text: str, why: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid dependency specification {text!r}: {why}",
        error_number=ESLURM_DEPENDENCY,
        error="Job dependency problem",
    )


@lru_cache(maxsize=4096)
def parse_dependency(text: str) -> DependencySpec:
    """Parse ``text``; InvalidRequest(ESLURM_DEPENDENCY) names the part that is wrong."""
    stripped = text.strip()
    if not stripped:
        return DependencySpec((), True)
    if "," in stripped and "?" in stripped:
        raise _invalid(text, "',' and '?' cannot be mixed")
    require_all = "?" not in stripped
    items: list[Dependency] = []
    for part in stripped.split("," if require_all else "?"):
        items.extend(_parse_item(part, text))
    return DependencySpec(tuple(items), require_all)


def _parse_item(part: str, text: str) -> list[Dependency]:
    if not part:
        raise _invalid(text, "empty dependency")
    fields = part.split(":")
    if fields[0][:1].isdigit():
        kind, targets = "afterany", fields  # the old "id[:id]" form
    else:
        kind, targets = fields[0].lower(), fields[1:]
    if kind not in KINDS:
        raise _invalid(text, f"unknown dependency type {fields[0]!r}")
    if kind == "singleton":
        if targets:
            raise _invalid(text, "singleton takes no job ids")
        return [Dependency("singleton", 0, None, 0)]
    if not targets:
        raise _invalid(text, f"{kind!r} needs at least one job id")
    result = []
    for target in targets:
        match = _TARGET.match(target)
        if match is None or not 0 < int(match.group(1)) < _UINT32:
            raise _invalid(text, f"{target!r} is not a job id")
        task = match.group(2)
        delay = match.group(3)
        if (task not in (None, "*") and int(task) >= _UINT32) or (
            delay is not None and int(delay) >= _UINT32
        ):
            raise _invalid(text, f"{target!r} holds a number too large for Slurm")
        if delay is not None and kind != "after":
            raise _invalid(text, f"only 'after' takes a delay ({target!r})")
        result.append(
            Dependency(
                kind,
                int(match.group(1)),
                None if task is None or task == "*" else int(task),
                0 if delay is None else int(delay),
            )
        )
    return result


def without_jobs(text: str, gone: Container[int]) -> str:
    """Valid ``text`` without its targets in ``gone``, and without the items this leaves empty.

    What is kept is spelled as it was given; "" when nothing is left.
    """
    stripped = text.strip()
    separator = "," if "?" not in stripped else "?"
    kept = []
    for part in stripped.split(separator):
        fields = part.split(":")
        head = [] if fields[0][:1].isdigit() else fields[:1]  # the old "id[:id]" form has none
        targets = fields[len(head) :]
        left = [t for t in targets if int(re.split(r"[_+]", t, maxsplit=1)[0]) not in gone]
        if left or not targets:  # singleton names no job
            kept.append(":".join(head + left))
    return separator.join(kept)


@dataclass
class JobIndex:
    """Lookups ``evaluate`` needs, built once per scheduling pass instead of once per job."""

    tasks_by_array: dict[int, list[Job]] = field(default_factory=dict)
    #: (name, user_name) -> unfinished jobs, for singleton.
    unfinished_by_name: dict[tuple[str, str], list[Job]] = field(default_factory=dict)

    @classmethod
    def build(cls, jobs: Iterable[Job]) -> JobIndex:
        tasks: defaultdict[int, list[Job]] = defaultdict(list)
        unfinished: defaultdict[tuple[str, str], list[Job]] = defaultdict(list)
        for job in jobs:
            if job.array_job_id:
                tasks[job.array_job_id].append(job)
            if not job.state.is_finished:
                unfinished[(job.name, job.user_name)].append(job)
        return cls(dict(tasks), dict(unfinished))


def evaluate(
    spec: DependencySpec,
    job: Job,
    jobs: Mapping[int, Job],
    now: int,
    *,
    index: JobIndex | None = None,
) -> DependencyStatus:
    """Whether ``job`` may run as far as ``spec`` is concerned, at time ``now``.

    ``index`` (``JobIndex.build(jobs.values())``) makes this O(items) instead of O(jobs).
    """
    if not spec.items:
        return DependencyStatus.SATISFIED
    statuses = (_evaluate_one(dep, job, jobs, now, index) for dep in spec.items)
    return _all(statuses) if spec.require_all else _any(statuses)


def _all(statuses: Iterable[DependencyStatus]) -> DependencyStatus:
    result = DependencyStatus.SATISFIED
    for status in statuses:
        if status is DependencyStatus.NEVER:
            return status
        if status is DependencyStatus.WAITING:
            result = status
    return result


def _any(statuses: Iterable[DependencyStatus]) -> DependencyStatus:
    result = DependencyStatus.NEVER
    for status in statuses:
        if status is DependencyStatus.SATISFIED:
            return status
        if status is DependencyStatus.WAITING:
            result = status
    return result


def _evaluate_one(
    dep: Dependency, job: Job, jobs: Mapping[int, Job], now: int, index: JobIndex | None
) -> DependencyStatus:
    if dep.kind == "singleton":
        return _singleton(job, jobs, index)
    task_id = dep.task_id
    if dep.kind == "aftercorr" and job.array_task_id is not None:
        task_id = job.array_task_id
    targets = _targets(dep.job_id, task_id, jobs, index)
    kind = "afterok" if dep.kind == "aftercorr" else dep.kind
    # A job that is gone was purged long after it ended: Slurm treats it as done.
    return _all(_status(kind, target, dep.delay_minutes, now) for target in targets)


def _targets(
    job_id: int, task_id: int | None, jobs: Mapping[int, Job], index: JobIndex | None
) -> Sequence[Job]:
    direct = jobs.get(job_id)
    if direct is not None and (
        direct.array_job_id == 0 or (task_id is None and direct.array_job_id != job_id)
    ):
        return [direct]  # a plain job, or one task named by its own job id
    if index is not None:
        tasks = index.tasks_by_array.get(job_id, [])
    else:
        tasks = [j for j in jobs.values() if j.array_job_id == job_id]
    if task_id is None:
        return tasks
    return [t for t in tasks if t.array_task_id == task_id]


def _status(kind: str, target: Job, delay_minutes: int, now: int) -> DependencyStatus:
    state = target.state
    finished = state.is_finished
    if kind == "after":
        started = finished or (target.start_time > 0 and state is not JobState.PENDING)
        if not started:
            return DependencyStatus.WAITING
        base = target.start_time or target.end_time
        if now < base + delay_minutes * 60:
            return DependencyStatus.WAITING
        return DependencyStatus.SATISFIED
    if not finished:
        return DependencyStatus.WAITING
    if kind == "afterany":
        return DependencyStatus.SATISFIED
    succeeded = state is JobState.COMPLETED and (
        target.exit_code is None or target.exit_code.raw == 0
    )
    if kind == "afterok":
        return DependencyStatus.SATISFIED if succeeded else DependencyStatus.NEVER
    # afternotok: a COMPLETED job succeeded, every other end counts as failure.
    completed = state is JobState.COMPLETED
    return DependencyStatus.NEVER if completed else DependencyStatus.SATISFIED


def _singleton(job: Job, jobs: Mapping[int, Job], index: JobIndex | None) -> DependencyStatus:
    key = (job.name, job.user_name)
    others: Iterable[Job] = (
        index.unfinished_by_name.get(key, []) if index is not None else jobs.values()
    )
    for other in others:
        if (
            other.job_id < job.job_id
            and other.name == job.name
            and other.user_name == job.user_name
            and not other.state.is_finished
        ):
            return DependencyStatus.WAITING
    return DependencyStatus.SATISFIED
