"""Output file name patterns of batch jobs (sbatch --output/--error/--input)."""

from __future__ import annotations

from typing import Any

import pytest

from slurmgate.backends.local.patterns import expand_path
from slurmgate.domain.jobs import Job, JobState


def job(**kw: Any) -> Job:
    fields: dict[str, Any] = {
        "job_id": 42,
        "name": "train",
        "user_id": 1000,
        "user_name": "alice",
        "group_id": 1000,
        "state": JobState.RUNNING,
        "current_working_directory": "/home/alice/work",
    }
    fields.update(kw)
    return Job(**fields)


def task() -> Job:
    return job(job_id=45, array_job_id=40, array_task_id=5)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/out/slurm-%j.out", "/out/slurm-42.out"),
        ("/out/%x.%u.log", "/out/train.alice.log"),
        ("/out/%N.log", "/out/node1.log"),
        ("/out/%J", "/out/42.batch"),
        ("/out/%s-%n-%t", "/out/batch-0-0"),
        ("/out/100%%-%j", "/out/100%-42"),
        ("/out/%8j", "/out/00000042"),
        ("/out/%3t", "/out/000"),
    ],
)
def test_symbols_are_replaced(pattern: str, expected: str) -> None:
    assert expand_path(pattern, job(), "node1") == expected


def test_array_task_gets_its_array_id_and_task_id() -> None:
    assert expand_path("/out/%A_%a-%j.out", task(), "n1") == "/out/40_5-45.out"


def test_array_ids_are_zero_padded_to_the_width_asked() -> None:
    assert expand_path("/out/%4A_%3a", task(), "n1") == "/out/0040_005"


def test_plain_job_shows_its_own_id_as_array_id_and_no_val_as_task_id() -> None:
    assert expand_path("/out/%A_%a", job(), "n1") == "/out/42_4294967294"


def test_width_is_capped_at_ten_digits() -> None:
    assert expand_path("/out/%20j", job(), "n1") == "/out/0000000042"


def test_relative_result_is_under_the_working_directory() -> None:
    assert expand_path("slurm-%j.out", job(), "n1") == "/home/alice/work/slurm-42.out"


def test_unknown_symbols_and_a_trailing_percent_stay_as_written() -> None:
    assert expand_path("/out/%q%5z-%", job(), "n1") == "/out/%q%5z-%"


def test_backslash_turns_off_replacement() -> None:
    assert expand_path("/out/\\%j.out", job(), "n1") == "/out/%j.out"
