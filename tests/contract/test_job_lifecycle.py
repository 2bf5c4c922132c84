"""A job's life through the API: submit, run, finish, as a user of slurmrestd sees it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.contract.conftest import ClientFactory
from tests.support.cluster import Api, Cluster
from tests.support.spec import assert_matches_spec

HELLO = '#!/bin/bash\necho "Hello from SLURM REST API"\n'


@pytest.mark.parametrize("version", ["v0.0.36", "v0.0.37", "v0.0.38"])
def test_submitted_job_runs_and_completes_with_its_output_file(
    cluster: Cluster, workdir: Path, version: str, client_for: ClientFactory
) -> None:
    api = client_for(version=version)
    response = api.post(
        "job/submit",
        {
            "job": {
                "name": "test_job",
                "partition": "gpu",
                "nodes": 1,
                "tasks": 1,
                "current_working_directory": str(workdir),
                "environment": {"PATH": "/usr/bin:/bin"},
                "script": HELLO,
            }
        },
    )
    assert response.status_code == 200, response.text
    assert_matches_spec(f"/slurm/{version}/job/submit", response.json(), "post")
    job_id = response.json()["job_id"]

    job = api.wait_for(job_id)

    assert job["job_state"] == "COMPLETED"
    assert job["exit_code"] == 0
    assert job["name"] == "test_job"
    assert job["partition"] == "gpu"
    assert (workdir / f"slurm-{job_id}.out").read_text() == "Hello from SLURM REST API\n"


def test_job_shows_as_running_while_its_script_runs(api: Api, workdir: Path) -> None:
    job_id = api.submit("#!/bin/sh\nsleep 30\n", name="sleeper")
    try:
        job = api.wait_for(job_id, {"RUNNING"})
        assert job["start_time"] > 0
        assert job["nodes"]
        assert job["batch_host"]
        response = api.get("jobs")
        assert response.status_code == 200
        assert_matches_spec("/slurm/v0.0.38/jobs", response.json())
        listed = [j for j in response.json()["jobs"] if j["job_id"] == job_id]
        assert listed and listed[0]["job_state"] == "RUNNING"
    finally:
        api.cancel(job_id)


def test_failing_script_ends_failed_with_its_exit_code(api: Api, workdir: Path) -> None:
    job_id = api.submit("#!/bin/sh\necho oops >&2\nexit 3\n")

    job = api.wait_for(job_id)

    assert job["job_state"] == "FAILED"
    assert job["exit_code"] == 3 << 8  # raw wait status, as slurmrestd 22.05 prints it
    assert job["state_reason"] == "NonZeroExitCode"
    assert (workdir / f"slurm-{job_id}.out").read_text() == "oops\n"


def test_output_and_error_paths_expand_slurm_patterns(api: Api, workdir: Path) -> None:
    job_id = api.submit(
        "#!/bin/sh\necho out\necho err >&2\n",
        name="patterns",
        standard_output=str(workdir / "%x-%j.out"),
        standard_error=str(workdir / "%x-%j.err"),
    )

    api.wait_for(job_id, {"COMPLETED"})

    assert (workdir / f"patterns-{job_id}.out").read_text() == "out\n"
    assert (workdir / f"patterns-{job_id}.err").read_text() == "err\n"


def test_job_runs_with_slurm_environment_in_its_working_directory(api: Api, workdir: Path) -> None:
    job_id = api.submit(
        "#!/bin/sh\npwd\necho $SLURM_JOB_ID $SLURM_JOB_NAME $SLURM_NTASKS $SLURM_JOB_PARTITION\n"
        "echo $SLURM_SUBMIT_DIR\necho $GREETING\n",
        name="envcheck",
        tasks=2,
        environment={"PATH": "/usr/bin:/bin", "GREETING": "hi"},
    )

    api.wait_for(job_id, {"COMPLETED"})

    lines = (workdir / f"slurm-{job_id}.out").read_text().splitlines()
    assert lines == [str(workdir), f"{job_id} envcheck 2 debug", str(workdir), "hi"]


def test_cancelling_a_running_job_ends_it_cancelled(api: Api, workdir: Path) -> None:
    job_id = api.submit("#!/bin/sh\nsleep 60\n")
    api.wait_for(job_id, {"RUNNING"})

    response = api.cancel(job_id)

    assert response.status_code == 200, response.text
    job = api.wait_for(job_id)
    assert job["job_state"] == "CANCELLED"
    assert job["end_time"] >= job["start_time"] > 0


def test_cancelling_a_pending_job_never_runs_it(api: Api, workdir: Path) -> None:
    job_id = api.submit("#!/bin/sh\ntouch ran\n", hold=True)

    assert api.cancel(job_id).status_code == 200

    job = api.wait_for(job_id)
    assert job["job_state"] == "CANCELLED"
    assert job["start_time"] == 0 or job["start_time"] == job["end_time"]
    assert not (workdir / "ran").exists()


def test_signal_is_delivered_to_the_running_script(api: Api, workdir: Path) -> None:
    script = (
        "#!/bin/bash\ntrap 'echo got USR1; exit 0' USR1\n"
        "for i in $(seq 300); do sleep 0.1; done\nexit 1\n"
    )
    job_id = api.submit(script)
    api.wait_for(job_id, {"RUNNING"})
    time.sleep(0.3)  # let bash install its trap before the signal arrives

    assert api.cancel(job_id, "SIGUSR1").status_code == 200

    job = api.wait_for(job_id)
    assert job["job_state"] == "COMPLETED"
    assert "got USR1" in (workdir / f"slurm-{job_id}.out").read_text()


@pytest.mark.slow
def test_job_over_its_time_limit_is_killed_with_timeout(api: Api, workdir: Path) -> None:
    # Slurm's time limits are whole minutes, so this test takes a little over one.
    job_id = api.submit("#!/bin/sh\nsleep 600\n", time_limit=1)

    job = api.wait_for(job_id, timeout=130)

    assert job["job_state"] == "TIMEOUT"
    # slurmctld looks for jobs over their limit every 30 s, then allows KillWait.
    assert 60 <= job["end_time"] - job["start_time"] <= 100


def test_held_job_waits_until_released(cluster: Cluster, api: Api, workdir: Path) -> None:
    job_id = api.submit("#!/bin/sh\necho released\n", hold=True)
    job = api.wait_for(job_id, {"PENDING"}, reason=cluster.held_reason)
    assert job["priority"] == 0

    response = api.post(f"job/{job_id}", {"hold": False})

    assert response.status_code == 200, response.text
    api.wait_for(job_id, {"COMPLETED"})
    assert (workdir / f"slurm-{job_id}.out").read_text() == "released\n"


def test_update_changes_name_and_time_limit_of_a_pending_job(api: Api, workdir: Path) -> None:
    job_id = api.submit("#!/bin/sh\ntrue\n", hold=True, time_limit=30, name="before")
    try:
        response = api.post(f"job/{job_id}", {"name": "after", "time_limit": 10})

        assert response.status_code == 200, response.text
        job = api.job(job_id)
        assert job["name"] == "after"
        assert job["time_limit"] == 10
    finally:
        api.cancel(job_id)


def test_job_asking_for_more_time_than_its_partition_allows_waits_with_the_reason(
    api: Api, workdir: Path
) -> None:
    job_id = api.submit("#!/bin/sh\ntrue\n", partition="short", time_limit=60)
    try:
        api.wait_for(job_id, {"PENDING"}, reason="PartitionTimeLimit")
    finally:
        api.cancel(job_id)


def test_job_without_environment_or_directory_runs_with_documented_defaults(
    api: Api, cluster: Cluster, workdir: Path
) -> None:
    response = api.post(
        "job/submit",
        {"job": {"name": "bare", "script": "#!/bin/sh\necho $PATH > " + str(workdir / "path.txt")}},
    )

    assert response.status_code == 200, response.text
    job_id = response.json()["job_id"]
    job = api.wait_for(job_id)
    assert job["job_state"] == "COMPLETED", job
    assert (workdir / "path.txt").read_text().strip().startswith("/")
    # The default working directory is the user's home (a test's own), where the default
    # output lands.
    assert cluster.home is not None
    assert Path(job["current_working_directory"]) == cluster.home
    default_output = cluster.home / f"slurm-{job_id}.out"
    assert default_output.exists()
    default_output.unlink()


def test_finished_job_remains_queryable(api: Api, workdir: Path) -> None:
    job_id = api.submit("#!/bin/sh\ntrue\n")
    api.wait_for(job_id, {"COMPLETED"})

    response = api.get(f"job/{job_id}")

    assert response.status_code == 200
    assert_matches_spec(f"/slurm/v0.0.38/job/{job_id}", response.json())
    assert response.json()["jobs"][0]["job_state"] == "COMPLETED"
