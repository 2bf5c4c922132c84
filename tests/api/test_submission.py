"""Request bodies of v0.0.36-v0.0.38 read into domain types, with slurmrestd 22.05's rules."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from slurmgate.api.submission import parse_signal, parse_submission, parse_update
from slurmgate.api.versions import VERSIONS
from slurmgate.domain import InvalidRequest, JobSpec
from slurmgate.domain import slurm_errno as errno

SCRIPT = "#!/bin/bash\necho hello"
ENV = {"PATH": "/bin:/usr/bin"}


def one(job: dict[str, Any], version: str = "v0.0.38") -> tuple[JobSpec, list[str]]:
    submission, warnings = parse_submission({"script": SCRIPT, "job": job}, version)
    assert len(submission.jobs) == 1
    return submission.jobs[0], warnings


def rejected(job: dict[str, Any], version: str = "v0.0.38") -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse_submission({"script": SCRIPT, "job": {"environment": ENV, **job}}, version)
    return caught.value


def test_the_seeds_body_is_accepted_with_the_script_inside_the_job() -> None:
    body = {
        "job": {
            "name": "test_job",
            "partition": "gpu",
            "nodes": 1,
            "tasks": 1,
            "script": "#!/bin/bash\necho ...",
        }
    }
    submission, warnings = VERSIONS["v0.0.38"].parse_submission(body)
    spec = submission.jobs[0]
    assert (spec.name, spec.partition, spec.min_nodes, spec.max_nodes, spec.tasks) == (
        "test_job",
        "gpu",
        1,
        1,
        1,
    )
    assert spec.script == "#!/bin/bash\necho ..."
    assert warnings == ["job.environment: not given; the cluster's default is used"]


def test_a_complete_v0038_job_maps_onto_the_spec() -> None:
    spec, warnings = one(
        {
            "account": "proj",
            "time_limit": 90,
            "time_minimum": "30",
            "memory_per_node": "4G",
            "cpus_per_task": 2,
            "environment": {"PATH": "/bin", "OMP_NUM_THREADS": 4},
            "argv": ["a", "b"],
            "current_working_directory": "/tmp",
            "hold": True,
            "exclusive": "user",
            "open_mode": "append",
            "dependency": "afterok:1",
            "array": "0-3%2",
            "begin_time": 1_800_000_000,
            "container": "/img",
            "gpus_per_node": "gpu:1",
            "threads_per_core": 1,
            "wait_all_nodes": "yes",
        }
    )
    assert warnings == []
    assert (spec.account, spec.time_limit, spec.time_minimum) == ("proj", 90, 30)
    assert (spec.memory_per_node, spec.cpus_per_task) == (4096, 2)
    assert spec.environment == {"PATH": "/bin", "OMP_NUM_THREADS": "4"}
    assert (spec.argv, spec.current_working_directory, spec.hold) == (["a", "b"], "/tmp", True)
    assert (spec.exclusive, spec.exclusive_scope, spec.open_mode) == (True, "user", "append")
    assert (spec.dependency, spec.array, spec.begin_time) == ("afterok:1", "0-3%2", 1_800_000_000)
    assert (spec.container, spec.gpus_per_node, spec.threads_per_core) == ("/img", "gpu:1", 1)
    assert spec.wait_all_nodes is True


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [(2, (2, 2)), ("2", (2, 2)), ("2-4", (2, 4)), ([1, 3], (1, 3)), (["1", "3"], (1, 3))],
)
def test_nodes_take_a_count_a_range_or_a_pair(nodes: object, expected: tuple[int, int]) -> None:
    spec, _ = one({"nodes": nodes, "environment": ENV})
    assert (spec.min_nodes, spec.max_nodes) == expected


@pytest.mark.parametrize(
    ("limit", "minutes"),
    [(60, 60), ("60", 60), ("1:30:00", 90), ("2-00:00:00", 2880), ("10:30", 11), (0, None)],
)
def test_time_limits_read_slurm_time_strings(limit: object, minutes: int | None) -> None:
    spec, _ = one({"time_limit": limit, "environment": ENV})
    assert spec.time_limit == minutes


def test_keys_are_case_insensitive_and_sbatch_aliases_work() -> None:
    spec, _ = one({"Name": "x", "ntasks": 3, "cwd": "/w", "nodelist": "n1", "environment": ENV})
    assert (spec.name, spec.tasks, spec.current_working_directory) == ("x", 3, "/w")
    assert spec.required_nodes == "n1"


def test_a_heterogeneous_job_gives_the_script_to_its_first_component() -> None:
    body = {"script": SCRIPT, "jobs": [{"environment": ENV}, {"environment": ENV, "tasks": 2}]}
    submission, _ = parse_submission(body, "v0.0.38")
    assert submission.is_heterogeneous
    assert [j.script for j in submission.jobs] == [SCRIPT, None]
    assert submission.jobs[1].tasks == 2


def test_job_may_hold_a_list_and_jobs_a_single_object() -> None:
    het, _ = parse_submission({"script": SCRIPT, "job": [{"environment": ENV}] * 2}, "v0.0.37")
    single, _ = parse_submission({"script": SCRIPT, "jobs": {"environment": ENV}}, "v0.0.37")
    assert het.is_heterogeneous and not single.is_heterogeneous


def test_accepted_but_unsupported_options_are_warnings() -> None:
    _, warnings = one({"umask": "022", "environment": ENV})
    assert warnings == ["job.umask: accepted but not supported by slurmgate; ignored"]
    _, warnings = parse_submission(
        {"script": SCRIPT, "job": {"environment": ENV}, "extra": 1}, "v0.0.38"
    )
    assert warnings == ["extra: unknown field; ignored"]


def test_begin_time_accepts_now_plus_an_offset() -> None:
    spec, _ = one({"begin_time": "now+1hour", "environment": ENV})
    assert spec.begin_time is not None
    assert abs(spec.begin_time - (time.time() + 3600)) < 5


# -- errors, each naming the field -------------------------------------------------------------


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ({"time_limit": "abc"}, "job.time_limit: expected an integer (minutes) or a time string"),
        ({"tasks": "many"}, 'job.tasks: expected an integer, got "many"'),
        ({"tasks": True}, "job.tasks: expected an integer, got true"),
        ({"hold": "maybe"}, 'job.hold: expected a boolean, got "maybe"'),
        ({"name": {"a": 1}}, "job.name: expected a string"),
        ({"nodes": "two"}, 'job.nodes: expected a node count, "min-max" or [min, max]'),
        ({"nodes": [1, 2, 3]}, "job.nodes: expected [minimum, maximum], got 3 items"),
        ({"nodes": "4-2"}, "job.nodes: invalid node count range 4-2"),
        ({"environment": ["A=1"]}, "job.environment: expected an object"),
        ({"environment": {"A": [1]}}, "job.environment.A: expected a string, got [1]"),
        ({"environment": {"A": None}}, "job.environment.A: expected a string, got null"),
        ({"argv": "a b"}, "job.argv: expected an array of strings"),
        ({"exclusive": "sometimes"}, "job.exclusive: expected one of"),
        ({"open_mode": "rewrite"}, "job.open_mode: expected one of append, truncate"),
        ({"memory_per_node": "lots"}, "job.memory_per_node: expected a memory size"),
        ({"cpus_per_task": 0}, "job.cpus_per_task: must be greater than 0"),
        ({"priority": -1}, "job.priority: priority must be between"),
        ({"begin_time": "someday"}, "job.begin_time: expected a Unix time"),
        ({"no_such_option": 1}, "job.no_such_option: unknown field"),
        ({"wrap": "hostname"}, "job.wrap: disabled field"),
        ({"required_nodes": "n1"}, "job.required_nodes: disabled field"),
    ],
)
def test_bad_fields_are_rejected_by_path(job: dict[str, Any], message: str) -> None:
    error = rejected(job)
    assert error.description.startswith(message), error.description
    assert error.error_number == errno.ESLURM_REST_FAIL_PARSING
    assert type(error) is InvalidRequest  # 400, not 422


def test_version_differences_in_accepted_keys() -> None:
    assert "disabled" in rejected({"priority": 5}, "v0.0.36").description
    assert "disabled" in rejected({"oversubscribe": True}, "v0.0.37").description
    assert "unknown" in rejected({"container": "x"}, "v0.0.37").description
    spec, _ = one({"standard_out": "o.txt", "environment": ENV}, "v0.0.36")
    assert spec.standard_output == "o.txt"
    assert "unknown" in rejected({"standard_out": "o.txt"}, "v0.0.38").description


def test_a_missing_script_is_job_script_missing() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_submission({"job": {"environment": ENV}}, "v0.0.38")
    assert caught.value.error_number == errno.ESLURM_JOB_SCRIPT_MISSING


@pytest.mark.parametrize(
    "body", [{"script": SCRIPT}, {"script": SCRIPT, "job": []}, {"script": SCRIPT, "job": 3}]
)
def test_a_missing_job_description_is_invalid_jobs_desc(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_submission(body, "v0.0.38")
    assert caught.value.error_number == errno.ESLURM_REST_INVALID_JOBS_DESC


@pytest.mark.parametrize("body", [[], "script", None])
def test_a_body_that_is_not_an_object_is_rejected(body: object) -> None:
    with pytest.raises(InvalidRequest, match="expected an object"):
        parse_submission(body, "v0.0.38")


def test_a_non_string_script_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="script: expected a string"):
        parse_submission({"script": 5, "job": {"environment": ENV}}, "v0.0.38")


# -- updates -----------------------------------------------------------------------------------


def test_an_update_keeps_what_can_change_and_warns_about_the_rest() -> None:
    update, warnings = parse_update(
        {"time_limit": "2:00:00", "comment": "c", "nodes": "1-2", "argv": ["x"]}, "v0.0.38"
    )
    assert update.changed_fields() == {
        "time_limit": 120,
        "comment": "c",
        "min_nodes": 1,
        "max_nodes": 2,
    }
    assert warnings == ["job.argv: cannot be changed after submission; ignored"]


def test_an_update_needs_no_environment_and_rejects_lists() -> None:
    update, warnings = parse_update({"hold": False}, "v0.0.37")
    assert update.hold is False and warnings == []
    with pytest.raises(InvalidRequest, match="heterogeneous"):
        parse_update([{"hold": True}], "v0.0.38")
    with pytest.raises(InvalidRequest, match="job.nice: expected an integer"):
        parse_update({"nice": "low"}, "v0.0.38")


# -- signals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        (None, signal.SIGKILL),
        ("SIGUSR1", signal.SIGUSR1),
        ("USR1", signal.SIGUSR1),
        ("usr1", signal.SIGUSR1),
        ("10", 10),
        ("TERM", signal.SIGTERM),
        (15, 15),
    ],
)
def test_signals_by_name_or_number(text: str | int | None, number: int) -> None:
    assert parse_signal(text) == number


@pytest.mark.parametrize("text", ["SIGFOO", "0", "-9", "999", "", "USR1x"])
def test_unknown_signals_are_invalid_queries(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_signal(text)
    assert caught.value.error_number == errno.ESLURM_REST_INVALID_QUERY
    assert caught.value.source == "HTTP request: signal"
