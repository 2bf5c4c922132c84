"""Job dependencies: what sbatch --dependency accepts, and when a dependent job may run."""

from __future__ import annotations

from typing import Any

import pytest

from slurmgate.backends.local.dependencies import (
    Dependency,
    DependencySpec,
    DependencyStatus,
    JobIndex,
    evaluate,
    parse_dependency,
    without_jobs,
)
from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.jobs import ExitStatus, Job, JobState
from slurmgate.domain.slurm_errno import ESLURM_DEPENDENCY

NOW = 1_000_000
SATISFIED, WAITING, NEVER = (
    DependencyStatus.SATISFIED,
    DependencyStatus.WAITING,
    DependencyStatus.NEVER,
)


def job(job_id: int, state: JobState = JobState.PENDING, **kw: Any) -> Job:
    fields: dict[str, Any] = {
        "name": f"job{job_id}",
        "user_id": 1000,
        "user_name": "alice",
        "group_id": 1000,
        "state": state,
    }
    fields.update(kw)
    return Job(job_id=job_id, **fields)


def ended(job_id: int, state: JobState, code: int = 0, **kw: Any) -> Job:
    return job(
        job_id, state, start_time=NOW - 600, end_time=NOW - 60,
        exit_code=ExitStatus.exited(code), **kw,
    )  # fmt: skip


def status(text: str, *others: Job, me: Job | None = None, now: int = NOW) -> DependencyStatus:
    """Evaluate ``text`` for job 100 both with and without an index (they must agree)."""
    me = me or job(100)
    jobs = {j.job_id: j for j in (*others, me)}
    spec = parse_dependency(text)
    plain = evaluate(spec, me, jobs, now)
    indexed = evaluate(spec, me, jobs, now, index=JobIndex.build(jobs.values()))
    assert plain is indexed
    return plain


# --- parsing --------------------------------------------------------------------------------


def test_parses_several_types_and_ids_that_must_all_hold() -> None:
    spec = parse_dependency("afterok:12:13,afterany:14_2,singleton")
    assert spec == DependencySpec(
        (
            Dependency("afterok", 12, None, 0),
            Dependency("afterok", 13, None, 0),
            Dependency("afterany", 14, 2, 0),
            Dependency("singleton", 0, None, 0),
        ),
        require_all=True,
    )


def test_parses_question_mark_as_any_may_hold() -> None:
    spec = parse_dependency("afterok:1?afternotok:2")
    assert spec.require_all is False
    assert [d.kind for d in spec.items] == ["afterok", "afternotok"]


def test_parses_after_with_a_delay_in_minutes() -> None:
    assert parse_dependency("after:5+10").items == (Dependency("after", 5, None, 10),)


def test_bare_job_ids_mean_afterany() -> None:
    assert parse_dependency("7:8").items == (
        Dependency("afterany", 7, None, 0),
        Dependency("afterany", 8, None, 0),
    )


def test_star_task_means_the_whole_array() -> None:
    assert parse_dependency("aftercorr:7_*").items == (Dependency("aftercorr", 7, None, 0),)


def test_types_are_case_insensitive() -> None:
    assert parse_dependency("AfterOK:3").items == (Dependency("afterok", 3, None, 0),)


def test_empty_text_has_no_dependencies() -> None:
    assert parse_dependency("") == DependencySpec((), True)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("afterok:1,afterany:2?afterok:3", "cannot be mixed"),
        ("afterwards:1", "'afterwards'"),
        ("afterok", "needs at least one job id"),
        ("afterok:", "''"),
        ("afterok:abc", "'abc'"),
        ("afterok:0", "'0'"),
        ("afterok:1_x", "'1_x'"),
        ("afterok:5+10", "only 'after' takes a delay"),
        ("singleton:4", "singleton takes no job ids"),
        ("afterok:1,,afterany:2", "empty dependency"),
    ],
)
def test_bad_dependency_is_rejected_naming_what_is_wrong(text: str, bad: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_dependency(text)
    assert caught.value.error_number == ESLURM_DEPENDENCY
    assert bad in caught.value.description
    assert repr(text) in caught.value.description


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("afterok:7", ""),
        ("afterok:7,afterany:8", "afterany:8"),
        ("afterok:7:8_2:9", "afterok:8_2"),
        ("after:7+5?afternotok:8_*", "afternotok:8_*"),
        ("7:8", "8"),
        ("singleton,afterok:9", "singleton"),
        ("afterok:8", "afterok:8"),
    ],
)
def test_without_jobs_drops_their_targets_and_the_items_left_empty(text: str, left: str) -> None:
    assert without_jobs(text, {7, 9}) == left


# --- after ok / not ok / any --------------------------------------------------------------------


def test_afterok_waits_while_the_job_runs() -> None:
    assert status("afterok:1", job(1, JobState.RUNNING, start_time=NOW - 5)) is WAITING


def test_afterok_is_satisfied_by_a_successful_job() -> None:
    assert status("afterok:1", ended(1, JobState.COMPLETED)) is SATISFIED


@pytest.mark.parametrize(
    "state", [JobState.FAILED, JobState.CANCELLED, JobState.TIMEOUT, JobState.NODE_FAIL]
)
def test_afterok_can_never_be_satisfied_once_the_job_ended_otherwise(state: JobState) -> None:
    assert status("afterok:1", ended(1, state, code=1)) is NEVER


def test_afternotok_is_satisfied_by_a_failed_job() -> None:
    assert status("afternotok:1", ended(1, JobState.FAILED, code=2)) is SATISFIED


def test_afternotok_can_never_be_satisfied_by_a_completed_job() -> None:
    assert status("afternotok:1", ended(1, JobState.COMPLETED)) is NEVER


def test_afterany_is_satisfied_whatever_the_end() -> None:
    assert status("afterany:1", ended(1, JobState.CANCELLED)) is SATISFIED
    assert status("afterany:1", job(1, JobState.RUNNING)) is WAITING


def test_dependency_on_a_purged_job_counts_as_satisfied() -> None:
    assert status("afterok:1") is SATISFIED


# --- after ------------------------------------------------------------------------------------


def test_after_is_satisfied_once_the_job_started() -> None:
    assert status("after:1", job(1)) is WAITING
    assert status("after:1", job(1, JobState.RUNNING, start_time=NOW - 5)) is SATISFIED


def test_after_is_satisfied_by_a_job_cancelled_before_it_started() -> None:
    assert status("after:1", job(1, JobState.CANCELLED, end_time=NOW - 5)) is SATISFIED


def test_after_with_a_delay_waits_that_many_minutes_after_the_start() -> None:
    started = job(1, JobState.RUNNING, start_time=NOW - 300)
    assert status("after:1+10", started) is WAITING
    assert status("after:1+10", started, now=NOW + 300) is SATISFIED


# --- combining --------------------------------------------------------------------------------


def test_comma_needs_every_dependency() -> None:
    done, busy = ended(1, JobState.COMPLETED), job(2, JobState.RUNNING)
    assert status("afterok:1,afterok:2", done, busy) is WAITING
    assert status("afterok:1:2", done, ended(2, JobState.FAILED, 1)) is NEVER


def test_question_mark_needs_one_dependency() -> None:
    failed, busy = ended(1, JobState.FAILED, 1), job(2, JobState.RUNNING)
    assert status("afterok:1?afterok:2", failed, busy) is WAITING
    assert status("afterok:1?afterany:2", failed, ended(2, JobState.FAILED, 1)) is SATISFIED
    assert status("afterok:1?afterok:2", failed, ended(2, JobState.FAILED, 1)) is NEVER


# --- arrays -------------------------------------------------------------------------------------


def tasks(array_id: int, *states: JobState) -> list[Job]:
    """Tasks 0.. of array ``array_id``; task 0 has the array's id, as in Slurm."""
    return [
        ended(array_id + i, state, code=0 if state is JobState.COMPLETED else 1,
              array_job_id=array_id, array_task_id=i)
        if state.is_finished
        else job(array_id + i, state, array_job_id=array_id, array_task_id=i)
        for i, state in enumerate(states)
    ]  # fmt: skip


def test_dependency_on_an_array_waits_for_every_task() -> None:
    array = tasks(10, JobState.COMPLETED, JobState.RUNNING)
    assert status("afterok:10", *array) is WAITING
    assert status("afterok:10", *tasks(10, JobState.COMPLETED, JobState.COMPLETED)) is SATISFIED


def test_dependency_on_an_array_fails_when_any_task_fails() -> None:
    assert status("afterok:10", *tasks(10, JobState.FAILED, JobState.RUNNING)) is NEVER


def test_dependency_on_one_task_looks_at_that_task_only() -> None:
    array = tasks(10, JobState.RUNNING, JobState.COMPLETED)
    assert status("afterok:10_1", *array) is SATISFIED
    assert status("afterok:10_0", *array) is WAITING


def test_dependency_on_a_task_by_its_own_job_id_looks_at_that_task_only() -> None:
    array = tasks(10, JobState.RUNNING, JobState.COMPLETED)
    assert status("afterok:11", *array) is SATISFIED


def test_aftercorr_task_waits_for_the_task_with_the_same_index() -> None:
    array = tasks(10, JobState.RUNNING, JobState.COMPLETED)
    second = job(101, array_job_id=100, array_task_id=1)
    first = job(100, array_job_id=100, array_task_id=0)
    assert status("aftercorr:10", *array, me=second) is SATISFIED
    assert status("aftercorr:10", *array, me=first) is WAITING


def test_aftercorr_on_a_plain_job_waits_for_that_job() -> None:
    me = job(101, array_job_id=100, array_task_id=1)
    assert status("aftercorr:5", job(5, JobState.RUNNING), me=me) is WAITING
    assert status("aftercorr:5", ended(5, JobState.COMPLETED), me=me) is SATISFIED


def test_plain_job_with_aftercorr_waits_for_the_whole_array() -> None:
    assert status("aftercorr:10", *tasks(10, JobState.COMPLETED, JobState.RUNNING)) is WAITING


def test_aftercorr_task_without_a_partner_task_may_run() -> None:
    me = job(105, array_job_id=100, array_task_id=5)
    assert status("aftercorr:10", *tasks(10, JobState.RUNNING), me=me) is SATISFIED


# --- singleton ----------------------------------------------------------------------------------


def test_singleton_waits_for_an_earlier_job_with_the_same_name_and_user() -> None:
    me = job(100, name="nightly")
    assert status("singleton", job(5, JobState.RUNNING, name="nightly"), me=me) is WAITING
    assert status("singleton", job(5, name="nightly"), me=me) is WAITING


def test_singleton_ignores_other_names_users_later_jobs_and_finished_jobs() -> None:
    me = job(100, name="nightly")
    others = [
        job(1, JobState.RUNNING, name="other"),
        job(2, JobState.RUNNING, name="nightly", user_name="bob"),
        job(200, JobState.RUNNING, name="nightly"),
        ended(3, JobState.COMPLETED, name="nightly"),
    ]
    assert status("singleton", *others, me=me) is SATISFIED
