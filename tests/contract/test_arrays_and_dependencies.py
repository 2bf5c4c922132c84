"""Job arrays and dependencies, as sbatch --array and --dependency users rely on them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support.cluster import FINISHED, Api, Cluster


def _finished_tasks(api: Api, array_job_id: int, count: int) -> list[dict[str, Any]]:
    """Wait until the array's ``count`` tasks have finished; their records, one per task.

    Slurm lists an array's pending tasks as one record (array_task_string "2-3"); a task gets
    its own record once it starts, so finished tasks are always listed one by one.
    """
    deadline = time.monotonic() + 60
    while True:
        response = api.get(f"job/{array_job_id}")
        assert response.status_code == 200, response.text
        tasks = [j for j in response.json()["jobs"] if j["array_job_id"] == array_job_id]
        if len(tasks) == count and all(t["job_state"] in FINISHED for t in tasks):
            return tasks
        assert time.monotonic() < deadline, tasks
        time.sleep(0.1)


def test_array_runs_every_task_with_its_own_index_and_output(api: Api, workdir: Path) -> None:
    array_id = api.submit(
        "#!/bin/sh\necho task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID\n", array="0-3"
    )

    tasks = _finished_tasks(api, array_id, 4)
    assert sorted(t["array_task_id"] for t in tasks) == [0, 1, 2, 3]
    assert {t["job_state"] for t in tasks} == {"COMPLETED"}
    for index in range(4):
        output = workdir / f"slurm-{array_id}_{index}.out"
        assert output.read_text() == f"task {index} of {array_id}\n"


def test_array_throttle_limits_how_many_tasks_run_at_once(api: Api, workdir: Path) -> None:
    array_id = api.submit("#!/bin/sh\nsleep 0.5\n", array="1-6%2")

    finished = _finished_tasks(api, array_id, 6)

    assert {t["job_state"] for t in finished} == {"COMPLETED"}
    intervals = [(j["start_time"], j["end_time"]) for j in finished]
    for start, _ in intervals:
        # Slurm's times are whole seconds: count tasks whose run strictly covers this start.
        overlapping = sum(1 for s, e in intervals if s <= start < e)
        assert overlapping <= 2, intervals


def test_afterok_job_starts_only_after_its_dependency_succeeds(api: Api, workdir: Path) -> None:
    first = api.submit("#!/bin/sh\nsleep 2\necho first >> order.txt\n")
    second = api.submit("#!/bin/sh\necho second >> order.txt\n", dependency=f"afterok:{first}")

    api.wait_for(second, {"PENDING"}, reason="Dependency", timeout=5)
    api.wait_for(second, {"COMPLETED"})
    assert (workdir / "order.txt").read_text() == "first\nsecond\n"


def test_afterok_on_a_failed_job_is_never_satisfied(api: Api, workdir: Path) -> None:
    failing = api.submit("#!/bin/sh\nexit 1\n")
    dependent = api.submit("#!/bin/sh\ntrue\n", dependency=f"afterok:{failing}")
    try:
        api.wait_for(failing, {"FAILED"})
        api.wait_for(dependent, {"PENDING"}, reason="DependencyNeverSatisfied")
    finally:
        api.cancel(dependent)


def test_afternotok_runs_after_a_failure(api: Api, workdir: Path) -> None:
    failing = api.submit("#!/bin/sh\nexit 2\n")
    cleanup = api.submit("#!/bin/sh\necho cleanup\n", dependency=f"afternotok:{failing}")

    api.wait_for(cleanup, {"COMPLETED"})

    assert (workdir / f"slurm-{cleanup}.out").read_text() == "cleanup\n"


def test_afterany_runs_whatever_the_outcome(api: Api, workdir: Path) -> None:
    failing = api.submit("#!/bin/sh\nexit 5\n")
    after = api.submit("#!/bin/sh\ntrue\n", dependency=f"afterany:{failing}")

    api.wait_for(after, {"COMPLETED"})


def test_singleton_jobs_of_one_name_run_one_at_a_time(api: Api, workdir: Path) -> None:
    first = api.submit("#!/bin/sh\nsleep 1\n", name="only-one", dependency="singleton")
    second = api.submit("#!/bin/sh\ntrue\n", name="only-one", dependency="singleton")

    api.wait_for(first, {"RUNNING", "COMPLETED"})
    assert api.job(second)["job_state"] == "PENDING"
    done_first = api.wait_for(first, {"COMPLETED"})
    done_second = api.wait_for(second, {"COMPLETED"})
    assert done_second["start_time"] >= done_first["end_time"]


def test_dependency_on_an_unknown_job_is_treated_as_slurmctld_does(
    api: Api, cluster: Cluster, workdir: Path
) -> None:
    if cluster.release >= "23.02":
        # From 23.02 slurmctld refuses a dependency on a job it does not know.
        response = api.post(
            "job/submit",
            {"job": {"script": "#!/bin/sh\ntrue\n", "dependency": "afterok:999999",
                     "environment": {"PATH": "/bin"}, "current_working_directory": str(workdir)}},
        )  # fmt: skip
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["error_number"] == 2038  # ESLURM_DEPENDENCY
        return
    # Up to 22.05 it takes such a job for one finished and purged long ago.
    job_id = api.submit("#!/bin/sh\ntrue\n", dependency="afterok:999999")

    job = api.wait_for(job_id, {"COMPLETED"})

    assert job["dependency"] == ""
