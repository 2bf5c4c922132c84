"""v0.0.36-v0.0.38 print what slurmrestd 22.05 prints: numbers as numbers, null when unset."""

from __future__ import annotations

from typing import Any

from slurmgate.api.versions import VERSIONS
from slurmgate.domain import JobState, NodeAllocation, Partition, SubmitResult
from tests.support.samples import INFO, JOBS, NODES, PARTITIONS, make_job

OLD = ("v0.0.36", "v0.0.37", "v0.0.38")


def job(name: str, kind: str) -> dict[str, Any]:
    return VERSIONS[name].job(JOBS[kind])


def test_numbers_are_numbers_in_every_version() -> None:
    for name in OLD:
        row = job(name, "running")
        assert (row["job_id"], row["start_time"], row["time_limit"]) == (42, 1_700_000_100, 60)


def test_unset_values_are_null() -> None:
    row = job("v0.0.38", "pending")
    assert row["array_task_id"] is None  # not an array task
    assert row["nice"] is None  # the default nice value
    assert row["cpus_per_task"] is None and row["memory_per_node"] is None
    assert row["profile"] is None
    assert (row["start_time"], row["end_time"]) == (0, 0)


def test_exit_codes_are_raw_wait_statuses() -> None:
    row = job("v0.0.38", "finished")
    assert row["exit_code"] == 768  # exit 3
    assert row["derived_exit_code"] == 9  # SIGKILL
    assert row["job_state"] == "FAILED"


def test_an_unlimited_time_limit_is_null() -> None:
    assert job("v0.0.38", "finished")["time_limit"] is None


def test_job_resources_list_each_allocated_node() -> None:
    resources = job("v0.0.38", "running")["job_resources"]
    assert resources["allocated_hosts"] == 2
    assert resources["allocated_cpus"] == 4
    assert [n["nodename"] for n in resources["allocated_nodes"]] == ["n1", "n2"]
    assert [n["memory_allocated"] for n in resources["allocated_nodes"]] == [1024, 1024]


def test_old_versions_key_allocated_nodes_by_index() -> None:
    resources = job("v0.0.37", "running")["job_resources"]
    assert set(resources["allocated_nodes"]) == {"0", "1"}
    assert resources["allocated_nodes"]["0"]["cpus"] == 2


def test_job_resources_are_left_out_for_a_job_that_never_got_any() -> None:
    assert "job_resources" not in job("v0.0.38", "pending")
    assert job("v0.0.37", "pending")["job_resources"] == {}


def test_job_resources_name_the_allocation_unit_and_cores() -> None:
    cores = make_job(
        state=JobState.RUNNING,
        nodes="n1",
        allocations=[NodeAllocation("n1", 2, 100, cores=((1, 0), (2, 0)))],
        allocation_unit="cores",
    )
    resources = VERSIONS["v0.0.38"].job(cores)["job_resources"]
    assert resources["allocated_cores"] == 2 and "allocated_cpus" not in resources
    assert resources["allocated_nodes"][0]["sockets"] == {
        "1": {"cores": {"0": "allocated"}},
        "2": {"cores": {"0": "allocated"}},
    }
    node = VERSIONS["v0.0.37"].job(cores)["job_resources"]["allocated_nodes"]["0"]
    assert (node["sockets"], node["cores"]) == (
        {"1": "unassigned", "2": "unassigned"},
        {"0": "unassigned"},
    )


def test_a_state_flag_is_shown_instead_of_the_base_state() -> None:
    flagged = make_job(state=JobState.CANCELLED, state_flags=["COMPLETING"])
    for name in OLD:
        assert VERSIONS[name].job(flagged)["job_state"] == "COMPLETING"


def _partition(name: str, part: Partition) -> dict[str, Any]:
    body: Any = VERSIONS[name].partitions([part], INFO)
    found: dict[str, Any] = body["partitions"][0]
    return found


def test_partition_limits() -> None:
    part = _partition("v0.0.38", PARTITIONS["unlimited"])
    assert (part["max_time_limit"], part["maximum_nodes_per_job"]) == (-1, -1)
    assert part["default_time_limit"] is None  # not set
    assert part["flags"] == ["default"]
    assert part["preemption_mode"] == ["disabled"]
    old = _partition("v0.0.36", PARTITIONS["limited"])
    # nodes_online is the raw partition state: PARTITION_DOWN is 1, PARTITION_UP 3.
    assert (old["preemption_mode"], old["nodes_online"], old["max_time_limit"]) == (
        ["requeue"],
        1,
        120,
    )
    unset = Partition(name="p", nodes="n1", preemption_mode="")
    assert _partition("v0.0.38", unset)["preemption_mode"] == ["disabled"]
    v37 = _partition("v0.0.37", unset)
    assert v37["preemption_mode"] == ["requeue", "gang_schedule"]  # NO_VAL16's bits
    assert v37["min nodes per job"] == 0 and "min_nodes_per_job" not in v37


def test_node_state_is_lower_case_with_flags_apart() -> None:
    body: Any = VERSIONS["v0.0.38"].nodes([NODES["mixed"]], INFO)
    node = body["nodes"][0]
    assert (node["state"], node["state_flags"]) == ("mixed", ["DRAIN"])
    assert (node["alloc_cpus"], node["idle_cpus"]) == (3, 5)
    assert node["features"] == "gpu,fast"
    assert node["owner"] is None
    v36: Any = VERSIONS["v0.0.36"].nodes([NODES["mixed"]], INFO)
    assert v36["nodes"][0]["state"] == "allocated"  # loaded without SHOW_MIXED


def test_meta_names_plugin_and_release_with_numbers() -> None:
    body: Any = VERSIONS["v0.0.38"].jobs([], INFO)
    assert body["meta"] == {
        "plugin": {"type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38"},
        "Slurm": {"version": {"major": 22, "micro": 8, "minor": 5}, "release": "22.05.8"},
    }


def test_submission_step_is_named_as_jobs_c_names_it() -> None:
    body: Any = VERSIONS["v0.0.38"].job_submitted(SubmitResult(job_id=7), INFO, warnings=["x: y"])
    assert (body["job_id"], body["step_id"]) == (7, "BATCH")
    assert body["warnings"] == [{"description": "x: y", "source": "x"}]


def test_operations_grow_with_versions() -> None:
    ops = {name: VERSIONS[name].operations() for name in OLD}
    assert ops["v0.0.37"] == ops["v0.0.38"] - {"licenses"}
    assert ops["v0.0.36"] == ops["v0.0.37"] - {"reservations", "reservation"}
