"""Request bodies of v0.0.40 and later, read as their record's fields declare them."""

from __future__ import annotations

from typing import Any

import pytest

from slurmgate.api.versions import VERSIONS
from slurmgate.api.versions.notation import Record, parse_fields
from slurmgate.domain import InvalidRequest

INFINITE = {"set": False, "infinite": True, "number": 0}
JOB = {"script": "#!/bin/sh\ntrue\n", "environment": ["PATH=/bin"]}


def refused(job: dict[str, Any]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        VERSIONS["v0.0.44"].parse_submission({"job": {**JOB, **job}})
    return caught.value


def test_an_infinite_time_limit_means_no_limit() -> None:
    submission, warnings = VERSIONS["v0.0.44"].parse_submission(
        {"job": {**JOB, "time_limit": INFINITE, "time_minimum": INFINITE}}
    )
    assert (submission.jobs[0].time_limit, submission.jobs[0].time_minimum) == (None, None)
    assert warnings == []


def test_an_infinite_number_where_there_is_no_limit_is_refused_by_its_path() -> None:
    error = refused({"memory_per_node": INFINITE})
    assert (error.source, error.error_number) == ("#/job/memory_per_node/", 9202)
    assert error.description == "memory_per_node cannot be infinite"


@pytest.mark.parametrize(
    "job",
    [
        {"priority": INFINITE, "memory_per_node": INFINITE},
        {"memory_per_node": INFINITE, "priority": INFINITE},
    ],
)
def test_of_two_refused_infinities_the_first_in_the_jobs_field_order_is_named(
    job: dict[str, Any],
) -> None:
    assert refused(job).source == "#/job/memory_per_node/"


def test_each_component_of_a_heterogeneous_job_keeps_its_own_limits() -> None:
    submission, _ = VERSIONS["v0.0.44"].parse_submission(
        {"jobs": [{**JOB, "time_limit": INFINITE}, {**JOB, "time_limit": 5}, JOB]}
    )
    assert [job.time_limit for job in submission.jobs] == [None, 5, None]


def test_known_fields_are_read_in_the_records_order_then_unknown_keys_in_the_bodys() -> None:
    # Each conversion's warning is written as it is read: their order shows the reading's.
    _, warnings = VERSIONS["v0.0.44"].parse_submission(
        {"job": {"zzz": 1, "nice": "3", **JOB, "name": 5, "aaa": {"b": True}}}
    )
    assert [warning.split(":")[0] for warning in warnings] == [
        "#/job/name/",
        "#/job/nice/",
        "#/job/zzz/",
        "#/job/aaa/b/",
    ]


def test_a_record_naming_a_field_twice_is_refused_when_the_tables_load() -> None:
    with pytest.raises(ValueError, match="names a field twice"):
        Record(tuple(parse_fields("name:s nice:i32 name:s", {})))


def test_a_records_field_is_found_by_name() -> None:
    record = Record(tuple(parse_fields("name:s nice:i32", {})))
    assert record.field("nice").type == "i32"
    with pytest.raises(KeyError):
        record.field("priority")
