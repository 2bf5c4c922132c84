"""Which jobs a JobSelection chooses, as slurmctld's kill_jobs chooses them."""

from __future__ import annotations

import pytest

from slurmgate.backends.selection import JobIdFilter, choose, mismatch, selected_id
from slurmgate.domain import InvalidRequest, Job, JobSelection, JobState
from slurmgate.domain.slurm_errno import (
    ESLURM_ALREADY_DONE,
    ESLURM_INVALID_JOB_ID,
    ESLURM_JOB_SIGNAL_FAILED,
    ESLURM_NOT_WHOLE_HET_JOB,
)


def job(job_id: int, state: JobState = JobState.PENDING, **fields: object) -> Job:
    values: dict[str, object] = {
        "job_id": job_id,
        "name": "j",
        "user_id": 1001,
        "user_name": "alice",
        "group_id": 1001,
        "state": state,
    }
    values.update(fields)
    return Job(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", JobIdFilter("12", 12)),
        ("12_3", JobIdFilter("12_3", 12, frozenset({3}))),
        ("12_[1-3,7]", JobIdFilter("12_[1-3,7]", 12, frozenset({1, 2, 3, 7}))),
        ("12+1", JobIdFilter("12+1", 12, None, 1)),
    ],
)
def test_job_ids_are_read_in_slurms_forms(text: str, expected: JobIdFilter) -> None:
    assert JobIdFilter.parse(text) == expected


@pytest.mark.parametrize("text", ["", "0", "x12", "12_", "12_[3-1]", "12+x", "-4"])
def test_malformed_job_ids_are_invalid_job_ids(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        JobIdFilter.parse(text)
    assert caught.value.error_number == ESLURM_INVALID_JOB_ID


def test_an_array_id_names_every_task_and_a_task_id_one() -> None:
    tasks = [job(20 + i, array_job_id=20, array_task_id=i) for i in range(3)]
    assert [t.job_id for t in tasks if JobIdFilter.parse("20").matches(t)] == [20, 21, 22]
    assert [t.job_id for t in tasks if JobIdFilter.parse("20_2").matches(t)] == [22]
    assert [t.job_id for t in tasks if JobIdFilter.parse("21").matches(t)] == [21]


def test_a_pending_meta_record_stands_for_its_remaining_tasks() -> None:
    meta = job(30, array_job_id=30, array_task_string="4-9%2")
    assert JobIdFilter.parse("30_5").matches(meta)
    assert not JobIdFilter.parse("30_2").matches(meta)
    assert selected_id(meta) == "30_[4-9]"
    assert selected_id(meta, frozenset({1, 2, 5, 6})) == "30_[5-6]"


def test_filters_say_why_they_leave_a_job_out() -> None:
    record = job(5, account="physics", nodes="n[1-2]", wckey="*default")
    assert mismatch(record, JobSelection(account="physics")) is None
    assert mismatch(record, JobSelection(account="bio")) == (
        "Job account physics != filter account bio"
    )
    assert mismatch(record, JobSelection(nodes=["n2", "n9"])) is None
    assert mismatch(record, JobSelection(nodes=["n3"])) is not None
    assert mismatch(record, JobSelection(wckey="default")) is None  # a default wckey matches
    assert mismatch(record, JobSelection(user_id=1001, states=["PENDING"])) is None
    assert mismatch(record, JobSelection(states=["RUNNING"])) == (
        "Job state PENDING != filter state RUNNING"
    )


def test_named_jobs_are_answered_and_filtered_ones_skipped() -> None:
    records = [
        job(1, JobState.COMPLETED),
        job(2, account="a"),
        job(3, account="b"),
    ]
    chosen, outcomes = choose(records, JobSelection(job_ids=["1", "2", "3", "4"], account="b"))
    assert [c.job.job_id for c in chosen] == [3]
    assert {(o.selected_id, o.error_number) for o in outcomes} == {
        ("1", ESLURM_ALREADY_DONE),
        ("2", ESLURM_JOB_SIGNAL_FAILED),
        ("4", ESLURM_INVALID_JOB_ID),
    }

    chosen, outcomes = choose(records, JobSelection(account="b"))
    assert [c.job.job_id for c in chosen] == [3] and outcomes == []


def test_a_het_job_goes_through_its_leader_and_pending_components_cannot_go_alone() -> None:
    leader = job(40, het_job_id=40, het_job_offset=0)
    member = job(41, het_job_id=40, het_job_offset=1)
    chosen, outcomes = choose([leader, member], JobSelection(job_ids=["40"]))
    assert [c.selected_id for c in chosen] == ["40"] and outcomes == []

    chosen, outcomes = choose([leader, member], JobSelection(job_ids=["40+1"]))
    assert chosen == []
    assert [(o.selected_id, o.error_number) for o in outcomes] == [
        ("40+1", ESLURM_NOT_WHOLE_HET_JOB)
    ]
