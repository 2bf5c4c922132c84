"""Job array index expressions, as sbatch --array takes them and squeue shows them."""

from __future__ import annotations

import pytest

from slurmgate.backends.local.arrays import ArraySpec, format_task_ids, parse_array
from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.slurm_errno import ESLURM_INVALID_ARRAY


def test_range_gives_every_id_in_it() -> None:
    assert parse_array("0-15", 1001) == ArraySpec(tuple(range(16)), 0)


def test_range_with_a_step_gives_every_nth_id() -> None:
    assert parse_array("0-15:4", 1001).task_ids == (0, 4, 8, 12)


def test_list_of_ids_and_ranges_is_sorted_and_merged() -> None:
    assert parse_array("5-7,1,3,6", 1001).task_ids == (1, 3, 5, 6, 7)


def test_percent_limits_how_many_tasks_run_at_once() -> None:
    assert parse_array("0-15%4", 1001) == ArraySpec(tuple(range(16)), 4)


def test_single_id_is_an_array_of_one() -> None:
    assert parse_array("7", 1001) == ArraySpec((7,), 0)


def test_highest_id_allowed_is_one_below_max_array_size() -> None:
    assert parse_array("1000", 1001).task_ids == (1000,)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "no task ids"),
        ("%4", "no task ids"),
        ("-1", "'-1'"),
        ("0--3", "'0--3'"),
        ("7-3", "reversed"),
        ("0-15:0", "step"),
        ("abc", "'abc'"),
        ("1,,2", "''"),
        ("1-", "'1-'"),
        ("0-15%x", "throttle 'x'"),
        ("0-15%-2", "throttle '-2'"),
        ("0-1001", "not below MaxArraySize=1001"),
        ("1001", "not below MaxArraySize=1001"),
    ],
)
def test_bad_array_is_rejected_naming_the_bad_text(text: str, why: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_array(text, 1001)
    assert caught.value.error_number == ESLURM_INVALID_ARRAY
    assert repr(text) in caught.value.description
    assert why in caught.value.description


def test_task_ids_are_shown_as_ranges_with_the_throttle() -> None:
    assert format_task_ids([5, 0, 1, 2, 3], 4) == "0-3,5%4"


def test_task_ids_without_throttle_have_no_percent() -> None:
    assert format_task_ids([1, 3, 4, 9]) == "1,3-4,9"


def test_evenly_stepped_task_ids_are_shown_with_their_step() -> None:
    assert format_task_ids(range(0, 15, 2)) == "0-14:2"


def test_one_or_two_task_ids_are_listed() -> None:
    assert format_task_ids([7]) == "7"
    assert format_task_ids([3, 7]) == "3,7"


def test_no_task_ids_is_empty() -> None:
    assert format_task_ids([]) == ""


def test_formatting_round_trips_through_parsing() -> None:
    spec = parse_array("0-3,5,9-10%2", 1001)
    assert format_task_ids(spec.task_ids, spec.max_running) == "0-3,5,9-10%2"
