"""v0.0.40 to v0.0.45 on every backend: the job's life, every read, the newer operations.

Each answer validates against its version's official document (corrected only by the listed
errata); request bodies are the newer versions' own (``job.script``, ``environment`` as a list,
numbers that may be unset or infinite as objects).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.contract.conftest import ClientFactory
from tests.support.cluster import FINISHED, Api, Cluster
from tests.support.spec import assert_matches_spec

NEWER = ["v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44", "v0.0.45"]
READS = ["diag", "ping", "jobs", "nodes", "partitions", "reservations", "licenses"]


def job_body(workdir: Path, script: str, **fields: Any) -> dict[str, Any]:
    job = {
        "name": "newer",
        "current_working_directory": str(workdir),
        "environment": ["PATH=/usr/bin:/bin"],
        "script": script,
        **fields,
    }
    return {"job": job}


def submit(api: Api, workdir: Path, script: str, **fields: Any) -> int:
    response = api.post("job/submit", job_body(workdir, script, **fields))
    assert response.status_code == 200, response.text
    assert_matches_spec(f"/slurm/{api.version}/job/submit", response.json(), "post")
    job_id: int = response.json()["job_id"]
    return job_id


def job_of(api: Api, job_id: int) -> dict[str, Any]:
    response = api.get(f"job/{job_id}")
    assert response.status_code == 200, response.text
    assert_matches_spec(f"/slurm/{api.version}/job/{job_id}", response.json())
    found: dict[str, Any] = response.json()["jobs"][0]
    return found


def wait_for(api: Api, job_id: int, states: set[str], timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = job_of(api, job_id)
        if set(job["job_state"]) & states or time.monotonic() > deadline:
            assert set(job["job_state"]) & states, (job["job_state"], job["state_reason"])
            return job
        time.sleep(0.1)


@pytest.mark.parametrize("version", NEWER)
def test_a_job_runs_to_completion_in_every_newer_version(
    cluster: Cluster, workdir: Path, version: str, client_for: ClientFactory
) -> None:
    api = client_for(version=version)
    job_id = submit(api, workdir, "#!/bin/sh\necho newer\nexit 3\n", time_limit={"set": True,
                    "infinite": False, "number": 5})  # fmt: skip

    job = wait_for(api, job_id, FINISHED)

    assert job["job_state"][0] == "FAILED"
    assert job["exit_code"]["status"] == ["ERROR"]
    assert job["exit_code"]["return_code"] == {"set": True, "infinite": False, "number": 3}
    assert job["time_limit"] == {"set": True, "infinite": False, "number": 5}
    assert job["name"] == "newer" and job["job_id"] == job_id
    assert (workdir / f"slurm-{job_id}.out").read_text() == "newer\n"


@pytest.mark.parametrize("version", NEWER)
@pytest.mark.parametrize("path", READS)
def test_every_read_matches_the_official_document(
    cluster: Cluster, version: str, path: str, client_for: ClientFactory
) -> None:
    api = client_for(version=version)
    for spelling in (path, path + "/"):  # the daemons document the trailing slash
        response = api.get(spelling)
        assert response.status_code == 200, response.text
        assert_matches_spec(f"/slurm/{version}/{path}", response.json())
        assert response.json()["errors"] == []


@pytest.mark.parametrize("version", NEWER)
def test_a_job_list_carries_its_times(
    cluster: Cluster, version: str, client_for: ClientFactory
) -> None:
    body = client_for(version=version).get("jobs").json()
    assert body["last_update"]["set"] is True and body["last_update"]["number"] > 0
    assert "last_backfill" in body


def test_a_held_submission_says_so_in_its_warnings(
    cluster: Cluster, workdir: Path, client_for: ClientFactory
) -> None:
    api = client_for(version="v0.0.44")
    response = api.post("job/submit", job_body(workdir, "#!/bin/sh\ntrue\n", hold=True))
    assert response.status_code == 200, response.text
    try:
        warnings = [w["description"] for w in response.json()["warnings"]]
        assert "Job is in held state, pending scheduler release" in warnings
    finally:
        api.delete(f"job/{response.json()['job_id']}")


def test_an_unknown_key_is_ignored_with_a_warning_and_a_bad_value_refused(
    cluster: Cluster, workdir: Path, client_for: ClientFactory
) -> None:
    api = client_for(version="v0.0.42")
    body = job_body(workdir, "#!/bin/sh\ntrue\n", hold=True, no_such_key=1)
    response = api.post("job/submit", body)
    assert response.status_code == 200, response.text
    api.delete(f"job/{response.json()['job_id']}")
    sources = [w["source"] for w in response.json()["warnings"]]
    assert "#/job/no_such_key/" in sources

    bad = api.post("job/submit", job_body(workdir, "#!/bin/sh\ntrue\n", time_limit="soon"))
    assert bad.status_code == 400, bad.text
    error = bad.json()["errors"][0]
    assert (error["error_number"], error["source"]) == (9202, "#/job/time_limit/")
    assert_matches_spec("/slurm/v0.0.42/job/submit", bad.json(), "post")


def test_a_submission_without_a_script_is_refused(
    cluster: Cluster, workdir: Path, client_for: ClientFactory
) -> None:
    api = client_for(version="v0.0.43")
    body = job_body(workdir, "")
    del body["job"]["script"]
    response = api.post("job/submit", body)
    assert response.status_code == 422, response.text
    assert "script" in response.json()["errors"][0]["description"]


@pytest.mark.parametrize("version", ["v0.0.40", "v0.0.44"])
def test_update_and_cancel_answer_as_the_daemons_do(
    cluster: Cluster, workdir: Path, version: str, client_for: ClientFactory
) -> None:
    api = client_for(version=version)
    job_id = submit(api, workdir, "#!/bin/sh\ntrue\n", hold=True)
    updated = api.post(f"job/{job_id}", {"comment": "renamed", "name": "second"})
    assert updated.status_code == 200, updated.text
    assert_matches_spec(f"/slurm/{version}/job/{job_id}", updated.json(), "post")
    # Results are an array's tasks: none for a job that is no array ([] in v0.0.40, then null).
    assert updated.json()["results"] == ([] if version == "v0.0.40" else None)
    assert job_of(api, job_id)["comment"] == "renamed"

    cancelled = api.delete(f"job/{job_id}")
    assert cancelled.status_code == 200, cancelled.text
    assert_matches_spec(f"/slurm/{version}/job/{job_id}", cancelled.json(), "delete")
    if version >= "v0.0.42":  # from v0.0.42 on the failures, unasked: none
        assert cancelled.json()["status"] == []
    wait_for(api, job_id, {"CANCELLED"})


def test_jobs_chosen_by_filters_are_signalled(
    cluster: Cluster, workdir: Path, client_for: ClientFactory
) -> None:
    api = client_for(version="v0.0.42")
    first = submit(api, workdir, "#!/bin/sh\nsleep 60\n", hold=True, name="filtered")
    second = submit(api, workdir, "#!/bin/sh\nsleep 60\n", hold=True, name="filtered")
    chosen = {"jobs": [str(first), str(second)], "flags": ["VERBOSE"]}
    response = api.http.request("DELETE", api.url("jobs"), json=chosen)
    assert response.status_code in (200, 501), response.text
    if response.status_code == 501:  # a backend without the capability says so
        for job_id in (first, second):
            api.delete(f"job/{job_id}")
        return
    assert_matches_spec("/slurm/v0.0.42/jobs", response.json(), "delete")
    # Flag VERBOSE lists the successes too.
    assert sorted(s["job_id"]["number"] for s in response.json()["status"]) == [first, second]
    for job_id in (first, second):
        wait_for(api, job_id, {"CANCELLED"})


def test_an_empty_filter_chooses_nothing(cluster: Cluster, client_for: ClientFactory) -> None:
    api = client_for(version="v0.0.43")
    response = api.http.request("DELETE", api.url("jobs"), json={})
    assert response.status_code in (400, 501), response.text


def test_job_states_of_named_jobs(
    cluster: Cluster, workdir: Path, client_for: ClientFactory
) -> None:
    api = client_for(version="v0.0.44")
    job_id = submit(api, workdir, "#!/bin/sh\ntrue\n", hold=True)
    try:
        response = api.get("jobs/state", params={"job_id": str(job_id)})
        assert response.status_code == 200, response.text
        assert response.json()["jobs"] == [{"job_id": str(job_id), "state": ["PENDING"]}]
        assert api.get("jobs/state", params={"job_id": "x"}).status_code == 422
    finally:
        api.delete(f"job/{job_id}")


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "reservation"), ("get", "conf"), ("post", "new/node"), ("post", "partitions")],
)
def test_operations_slurmgate_does_not_serve_answer_501(
    cluster: Cluster, method: str, path: str, client_for: ClientFactory
) -> None:
    api = client_for(version="v0.0.45")
    response = api.http.request(method.upper(), api.url(path), json={})
    assert response.status_code == 501, response.text
    assert response.json()["errors"][0]["error_number"] == 2036


def test_host_lists_expand_and_compress(cluster: Cluster, client_for: ClientFactory) -> None:
    api = client_for(version="v0.0.44")
    names = api.http.post("/util/v0.0.44/hostnames", json={"hostlist": "n[01-03],login"})
    assert names.status_code == 200, names.text
    assert names.json()["hostnames"] == ["n01", "n02", "n03", "login"]
    back = api.http.post("/util/v0.0.44/hostlist", json={"hostnames": ["n01", "n02", "n03"]})
    assert back.json()["hostlist"] == "n[01-03]"
    # In their order, as slurm's hostlist keeps them.
    back = api.http.post("/util/v0.0.44/hostlist", json={"hostnames": ["n02", "n01", "n03"]})
    assert back.json()["hostlist"] == "n[02,01,03]"
    bad = api.http.post("/util/v0.0.44/hostnames", json={"hostlist": "n[3-1]"})
    assert bad.status_code == 400
