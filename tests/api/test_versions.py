"""Each version's views of the domain, held to the official slurmrestd 22.05.8 document."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
import orjson
import pytest

from slurmgate.api.versions import OPERATIONS, VERSIONS, ApiVersion
from slurmgate.backends.base import ClusterInfo
from slurmgate.domain import (
    ControllerPing,
    ExitStatus,
    InvalidRequest,
    Job,
    JobState,
    License,
    Node,
    NodeAllocation,
    NodeState,
    NotFound,
    Partition,
    Reservation,
    RpcByType,
    RpcByUser,
    Stats,
    SubmitResult,
)
from tests.support.spec import SPEC_22_05

INFO = ClusterInfo(cluster_name="lab", slurm_version=(22, 5, 8))
NAMES = sorted(VERSIONS)


@functools.cache
def official() -> dict[str, Any]:
    return dict(json.loads(SPEC_22_05.read_text()))


def validate(body: object, version: str, schema: str) -> Any:
    """``body`` as a client receives it (JSON bytes), checked against the official schema."""
    wire = orjson.loads(orjson.dumps(body))
    root = {
        "$ref": f"#/components/schemas/{version}_{schema}",
        "components": official()["components"],
    }
    jsonschema.Draft4Validator(root).validate(wire)
    return wire


def assert_exact_keys(body: Any, schema: dict[str, Any], version: ApiVersion) -> None:
    """Every declared property is present (but those marked optional) and nothing else, all
    the way down; objects keyed by id (``additionalProperties``) hold their values' shape."""
    if "$ref" in schema:
        schema = version.schemas[schema["$ref"]]
    if schema.get("type") == "array":
        for item in body:
            assert_exact_keys(item, schema["items"], version)
    elif schema.get("type") == "object" and "additionalProperties" in schema:
        for value in body.values():
            assert_exact_keys(value, schema["additionalProperties"], version)
    elif schema.get("type") == "object" and "properties" in schema:
        declared = set(schema["properties"])
        required = declared - set(schema.get("x-optional", ()))
        assert required <= set(body) <= declared, set(body) ^ declared
        for key in body:
            assert_exact_keys(body[key], schema["properties"][key], version)


def check(body: Any, version: ApiVersion, schema: str) -> Any:
    assert_exact_keys(orjson.loads(orjson.dumps(body)), version.schemas[schema], version)
    return validate(body, version.name, schema)


# -- small factories ---------------------------------------------------------------------------


def make_job(**changes: Any) -> Job:
    fields: dict[str, Any] = {
        "job_id": 42,
        "name": "test_job",
        "user_id": 1000,
        "user_name": "alice",
        "group_id": 1000,
        "state": JobState.PENDING,
        "partition": "gpu",
        "submit_time": 1_700_000_000,
        "time_limit": 60,
        "standard_output": "/home/alice/slurm-42.out",
    }
    fields.update(changes)
    return Job(**fields)


JOBS = {
    "pending": make_job(state_reason="Priority"),
    "running": make_job(
        state=JobState.RUNNING,
        start_time=1_700_000_100,
        nodes="n[1-2]",
        node_count=2,
        cpus=4,
        batch_host="n1",
        allocations=[NodeAllocation("n1", 2, 1024), NodeAllocation("n2", 2, 1024)],
    ),
    "finished": make_job(
        state=JobState.FAILED,
        end_time=1_700_000_200,
        exit_code=ExitStatus.exited(3),
        derived_exit_code=ExitStatus.signaled(9),
        time_limit=None,
    ),
    "array task": make_job(
        job_id=45, array_job_id=43, array_task_id=2, array_task_string="", array_max_tasks=2
    ),
    "het component": make_job(
        job_id=51, het_job_id=50, het_job_offset=1, het_job_id_set="50-51", memory_per_cpu=512
    ),
}

NODES = {
    "idle": Node(name="n1", hostname="n1", address="10.0.0.1", state=NodeState.IDLE, cpus=8),
    "mixed": Node(
        name="n2",
        hostname="n2",
        address="10.0.0.2",
        state=NodeState.MIXED,
        state_flags=["DRAIN"],
        cpus=8,
        alloc_cpus=3,
        features=["gpu", "fast"],
        partitions=["gpu", "debug"],
        reason="maintenance",
    ),
}

PARTITIONS = {
    "unlimited": Partition(name="debug", nodes="n[1-2]", is_default=True, total_nodes=2),
    "limited": Partition(
        name="gpu",
        nodes="n2",
        max_time=120,
        default_time=30,
        max_nodes=1,
        max_cpus_per_node=8,
        default_memory_per_cpu=1024,
        preemption_mode="REQUEUE",
        state="DOWN",
    ),
}

RESERVATION = Reservation(
    name="maint", nodes="n1", node_count=1, start_time=1, end_time=2, flags=["MAINT"]
)
LICENSE = License(name="matlab", total=10, used=3, reserved=1)
STATS = Stats(
    jobs_submitted=7,
    bf_active=True,
    rpcs_by_message_type=[RpcByType("REQUEST_PING", 1008, 3, 10, 30)],
    rpcs_by_user=[RpcByUser("alice", 1000, 4, 5, 20)],
)
PINGS = [ControllerPing("ctl", True), ControllerPing("ctl2", False, mode="backup", status=-1)]


# -- every view against the official schema ----------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(JOBS))
def test_jobs_match_the_official_schema(name: str, kind: str) -> None:
    version = VERSIONS[name]
    body = check(version.jobs([JOBS[kind]], INFO), version, "jobs_response")
    assert body["jobs"][0]["name"] == "test_job"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(NODES))
def test_nodes_match_the_official_schema(name: str, kind: str) -> None:
    version = VERSIONS[name]
    body = check(version.nodes([NODES[kind]], INFO), version, "nodes_response")
    state = NODES[kind].state.value
    if name == "v0.0.36" and state == "mixed":
        state = "allocated"  # v0.0.36 loads nodes without SHOW_MIXED
    assert body["nodes"][0]["state"] == state


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(PARTITIONS))
def test_partitions_match_the_official_schema(name: str, kind: str) -> None:
    version = VERSIONS[name]
    check(version.partitions([PARTITIONS[kind]], INFO), version, "partitions_response")


@pytest.mark.parametrize("name", NAMES)
def test_diag_ping_and_submit_match_the_official_schema(name: str) -> None:
    version = VERSIONS[name]
    check(version.diag(STATS, INFO), version, "diag")
    check(version.ping(PINGS, INFO), version, "pings")
    result = SubmitResult(job_id=42)
    check(version.job_submitted(result, INFO), version, "job_submission_response")


@pytest.mark.parametrize("name", ["v0.0.37", "v0.0.38"])
def test_reservations_match_the_official_schema(name: str) -> None:
    version = VERSIONS[name]
    body = check(version.reservations([RESERVATION], INFO), version, "reservations_response")
    assert body["reservations"][0]["node_list"] == "n1"


def test_licenses_match_the_official_schema() -> None:
    version = VERSIONS["v0.0.38"]
    body = check(version.licenses([LICENSE], INFO), version, "licenses")
    assert body["licenses"][0] == {
        "LicenseName": "matlab",
        "Total": 10,
        "Used": 3,
        "Free": 6,
        "Reserved": 1,
        "Remote": False,
    }


# -- values as slurmrestd 22.05 prints them ----------------------------------------------------


def test_v0038_prints_numbers_and_v0036_prints_strings() -> None:
    job = JOBS["running"]
    new = VERSIONS["v0.0.38"].jobs([job], INFO)["jobs"][0]  # type: ignore[index]
    old = VERSIONS["v0.0.36"].jobs([job], INFO)["jobs"][0]  # type: ignore[index]
    mid = VERSIONS["v0.0.37"].jobs([job], INFO)["jobs"][0]  # type: ignore[index]
    assert (new["job_id"], new["start_time"], new["cpus_per_task"]) == (42, 1_700_000_100, "1")
    assert (old["job_id"], old["start_time"], old["time_limit"]) == ("42", "1700000100", "60")
    assert (mid["job_id"], mid["start_time"]) == ("42", 1_700_000_100)


def test_exit_codes_are_raw_wait_statuses() -> None:
    job = VERSIONS["v0.0.38"].jobs([JOBS["finished"]], INFO)["jobs"][0]  # type: ignore[index]
    assert job["exit_code"] == 768  # exit 3
    assert job["derived_exit_code"] == 9  # SIGKILL
    assert job["job_state"] == "FAILED"


def test_unlimited_time_limit_is_slurms_infinite() -> None:
    job = VERSIONS["v0.0.38"].jobs([JOBS["finished"]], INFO)["jobs"][0]  # type: ignore[index]
    assert job["time_limit"] == 0xFFFFFFFF


def test_unset_times_are_zero_and_non_array_task_id_is_no_val() -> None:
    job = VERSIONS["v0.0.38"].jobs([JOBS["pending"]], INFO)["jobs"][0]  # type: ignore[index]
    assert (job["start_time"], job["end_time"]) == (0, 0)
    assert job["array_task_id"] == 0xFFFFFFFE
    assert job["state_reason"] == "Priority"


def test_job_resources_list_each_allocated_node() -> None:
    job = VERSIONS["v0.0.38"].jobs([JOBS["running"]], INFO)["jobs"][0]  # type: ignore[index]
    resources = job["job_resources"]
    assert resources["allocated_hosts"] == 2
    assert resources["allocated_cpus"] == 4
    assert [n["nodename"] for n in resources["allocated_nodes"]] == ["n1", "n2"]
    assert [n["memory_allocated"] for n in resources["allocated_nodes"]] == [1024, 1024]


def test_job_resources_are_left_out_for_a_job_that_never_got_any() -> None:
    assert "job_resources" not in VERSIONS["v0.0.38"].job(JOBS["pending"])  # type: ignore[attr-defined]
    assert VERSIONS["v0.0.37"].job(JOBS["pending"])["job_resources"] == {}  # type: ignore[attr-defined]


def test_job_resources_name_the_allocation_unit_and_cores() -> None:
    running = JOBS["running"]
    job = make_job(
        state=JobState.RUNNING,
        nodes="n1",
        allocations=[NodeAllocation("n1", 2, 100, cores=((1, 0), (2, 0)))],
        allocation_unit="cores",
    )
    assert running.allocation_unit == "cpus"
    body = check(VERSIONS["v0.0.38"].jobs([job], INFO), VERSIONS["v0.0.38"], "jobs_response")
    resources = body["jobs"][0]["job_resources"]
    assert resources["allocated_cores"] == 2 and "allocated_cpus" not in resources
    assert resources["allocated_nodes"][0]["sockets"] == {
        "1": {"cores": {"0": "allocated"}},
        "2": {"cores": {"0": "allocated"}},
    }
    old = check(VERSIONS["v0.0.37"].jobs([job], INFO), VERSIONS["v0.0.37"], "jobs_response")
    node = old["jobs"][0]["job_resources"]["allocated_nodes"][0]
    assert (node["sockets"], node["cores"]) == (
        {"1": "unassigned", "2": "unassigned"},
        {"0": "unassigned"},
    )


def test_a_state_flag_is_shown_instead_of_the_base_state() -> None:
    job = make_job(state=JobState.CANCELLED, state_flags=["COMPLETING"])
    for name in NAMES:
        assert VERSIONS[name].jobs([job], INFO)["jobs"][0]["job_state"] == "COMPLETING"  # type: ignore[index]


def test_partition_limits_print_unlimited_as_minus_one() -> None:
    body = VERSIONS["v0.0.38"].partitions([PARTITIONS["unlimited"]], INFO)
    part = body["partitions"][0]  # type: ignore[index]
    assert (part["max_time_limit"], part["maximum_nodes_per_job"]) == (-1, -1)
    assert part["flags"] == ["default"]
    assert part["preemption_mode"] == ["disabled"]
    old = VERSIONS["v0.0.36"].partitions([PARTITIONS["limited"]], INFO)["partitions"][0]  # type: ignore[index]
    # nodes_online is the raw partition state: PARTITION_DOWN is 1, PARTITION_UP 3.
    assert (old["preemption_mode"], old["nodes_online"], old["max_time_limit"]) == (
        "requeue",
        1,
        120,
    )
    unset = Partition(name="p", nodes="n1", preemption_mode="")
    assert VERSIONS["v0.0.38"].partition(unset)["preemption_mode"] == ["disabled"]  # type: ignore[attr-defined]
    v37 = VERSIONS["v0.0.37"].partition(unset)  # type: ignore[attr-defined]
    assert v37["preemption_mode"] == ["requeue", "gang_schedule"]  # NO_VAL16's bits
    assert v37["min nodes per job"] == 0 and "min_nodes_per_job" not in v37


def test_node_state_is_lower_case_with_flags_apart() -> None:
    node = VERSIONS["v0.0.38"].nodes([NODES["mixed"]], INFO)["nodes"][0]  # type: ignore[index]
    assert (node["state"], node["state_flags"]) == ("mixed", ["DRAIN"])
    assert (node["alloc_cpus"], node["idle_cpus"]) == (3, 5)
    assert node["features"] == "gpu,fast"


def test_v0038_meta_names_plugin_and_release() -> None:
    body = VERSIONS["v0.0.38"].jobs([], INFO)
    assert body["meta"] == {
        "plugin": {"type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38"},
        "Slurm": {"version": {"major": "22", "micro": "8", "minor": "5"}, "release": "22.05.8"},
    }
    # The older versions print it too, with the version parts as numbers.
    version = VERSIONS["v0.0.36"].jobs([], INFO)["meta"]["Slurm"]["version"]  # type: ignore[index]
    assert version == {"major": 22, "micro": 8, "minor": 5}


def test_submission_step_is_named_as_jobs_c_names_it() -> None:
    body = VERSIONS["v0.0.38"].job_submitted(SubmitResult(job_id=7), INFO, warnings=["x: y"])
    assert (body["job_id"], body["step_id"]) == (7, "BATCH")
    assert body["warnings"] == [{"description": "x: y", "source": "x"}]


# -- errors and empty bodies -------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_error_entries_carry_the_versions_keys_and_the_modern_ones(name: str) -> None:
    version = VERSIONS[name]
    error = InvalidRequest("job.time_limit: bad", error_number=9001, source="job.time_limit")
    body = version.errors([error, NotFound("no such job")], INFO)
    entry = validate(body, name, "jobs_response")["errors"][0]
    own = "errno" if name != "v0.0.38" else "error_number"
    assert entry[own] == entry["error_number"] == 9001
    assert entry["description"] == "job.time_limit: bad"
    assert entry["source"] == "job.time_limit"
    assert body["errors"][1]["error_number"] == 9003  # type: ignore[index]


@pytest.mark.parametrize("name", NAMES)
def test_empty_success_body_has_meta_and_no_errors(name: str) -> None:
    body = VERSIONS[name].empty(INFO)
    assert body["errors"] == [] and body["warnings"] == []
    assert body["meta"]["plugin"]["type"] == f"openapi/{name}"  # type: ignore[index]


def test_operations_grow_with_versions() -> None:
    ops = {name: VERSIONS[name].operations() for name in NAMES}
    assert ops["v0.0.38"] == OPERATIONS
    assert ops["v0.0.37"] == OPERATIONS - {"licenses"}
    assert ops["v0.0.36"] == OPERATIONS - {"licenses", "reservations", "reservation"}


def test_the_schema_check_itself_rejects_a_wrong_type() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate({"jobs": [{"job_id": 1}]}, "v0.0.37", "jobs_response")  # a string there
