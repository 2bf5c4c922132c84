"""Cluster views and error answers: right status, slurmrestd's envelope, never a bare page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.contract.conftest import ClientFactory
from tests.support.cluster import Api, Cluster
from tests.support.spec import assert_error_envelope, assert_matches_spec


@pytest.mark.parametrize("version", ["v0.0.36", "v0.0.37", "v0.0.38"])
@pytest.mark.parametrize("path", ["diag", "ping", "jobs", "nodes", "partitions"])
def test_cluster_views_match_the_official_schema(
    cluster: Cluster, version: str, path: str, client_for: ClientFactory
) -> None:
    api = client_for(version=version)
    response = api.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_matches_spec(f"/slurm/{version}/{path}", response.json())


def test_nodes_show_the_configured_node_and_its_resources(cluster: Cluster, api: Api) -> None:
    nodes = api.get("nodes").json()["nodes"]
    assert [n["name"] for n in nodes] == [cluster.node_name]
    assert nodes[0]["cpus"] == 8
    assert nodes[0]["real_memory"] == 8192
    single = api.get(f"node/{cluster.node_name}")
    assert single.status_code == 200
    assert_matches_spec(f"/slurm/v0.0.38/node/{cluster.node_name}", single.json())


def test_partitions_show_the_default_and_limits(api: Api) -> None:
    partitions = {p["name"]: p for p in api.get("partitions").json()["partitions"]}
    assert set(partitions) == {"debug", "gpu", "short"}
    assert partitions["short"]["max_time_limit"] == 5
    single = api.get("partition/gpu")
    assert single.status_code == 200
    assert single.json()["partitions"][0]["name"] == "gpu"


def test_reservations_and_licenses_are_listed(cluster: Cluster, client_for: ClientFactory) -> None:
    api = client_for(version="v0.0.38")
    reservations = api.get("reservations")
    assert reservations.status_code == 200
    assert_matches_spec("/slurm/v0.0.38/reservations", reservations.json())
    assert [r["name"] for r in reservations.json()["reservations"]] == ["maint"]
    assert api.get("reservation/maint").status_code == 200
    licenses = api.get("licenses")
    assert licenses.status_code == 200
    assert_matches_spec("/slurm/v0.0.38/licenses", licenses.json())
    assert [(lic["LicenseName"], lic["Total"]) for lic in licenses.json()["licenses"]] == [
        ("matlab", 2)
    ]


@pytest.mark.parametrize(
    "path",
    ["job/99999999", "node/no-such-node", "partition/no-such-partition", "reservation/nope"],
)
def test_unknown_objects_answer_404_in_the_envelope(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404, response.text
    assert_error_envelope(response.json())


def test_unknown_path_and_version_answer_404_in_the_envelope(
    cluster: Cluster, client_for: ClientFactory
) -> None:
    api = client_for()
    for url in ["/slurm/v0.0.38/nope", "/slurm/v0.0.99/jobs", "/nothing"]:
        response = api.http.get(url)
        assert response.status_code == 404, url
        assert_error_envelope(response.json())


def test_wrong_method_answers_405_in_the_envelope(api: Api) -> None:
    response = api.http.put("/slurm/v0.0.38/jobs")
    assert response.status_code == 405
    assert_error_envelope(response.json())


def test_version_without_an_endpoint_answers_404(
    cluster: Cluster, client_for: ClientFactory
) -> None:
    # Reservations arrived in v0.0.37 and licenses in v0.0.38, as in slurmrestd 22.05.
    api = client_for(version="v0.0.36")
    assert api.get("reservations").status_code == 404
    assert client_for(version="v0.0.37").get("licenses").status_code == 404


def test_unparsable_json_is_a_400(api: Api) -> None:
    response = api.http.post(
        "/slurm/v0.0.38/job/submit",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert_error_envelope(response.json())


def test_wrong_type_is_a_400_naming_the_field(api: Api, workdir: Path) -> None:
    response = api.post(
        "job/submit", {"job": {"script": "#!/bin/sh\ntrue\n", "time_limit": "soon"}}
    )
    assert response.status_code == 400
    assert_error_envelope(response.json())
    assert "time_limit" in response.text


def test_unknown_partition_is_a_400_naming_it(api: Api, workdir: Path) -> None:
    response = api.post(
        "job/submit",
        {
            "job": {
                "script": "#!/bin/sh\ntrue\n",
                "partition": "nonexistent",
                "environment": {"PATH": "/bin"},
                "current_working_directory": str(workdir),
            }
        },
    )
    assert response.status_code == 400
    assert "nonexistent" in response.json()["errors"][0]["description"]


def test_script_without_interpreter_line_is_refused(api: Api, workdir: Path) -> None:
    response = api.post("job/submit", {"job": {"script": "echo hi"}})
    assert response.status_code == 400
    assert "#!" in response.json()["errors"][0]["description"]


def test_submission_without_script_is_refused(api: Api) -> None:
    response = api.post("job/submit", {"job": {"name": "x"}})
    assert response.status_code == 400
    assert_error_envelope(response.json())


def test_cancelling_someone_elses_job_is_forbidden(
    cluster: Cluster, api: Api, workdir: Path, client_for: ClientFactory
) -> None:
    job_id = api.submit("#!/bin/sh\nsleep 30\n", hold=True)
    try:
        intruder = client_for(cluster.other_user)
        response = intruder.cancel(job_id)
        assert response.status_code == 403, response.text
        assert_error_envelope(response.json())
        assert api.job(job_id)["job_state"] == "PENDING"
    finally:
        api.cancel(job_id)


def test_unknown_signal_is_a_400(api: Api) -> None:
    job_id = api.submit("#!/bin/sh\ntrue\n", hold=True)
    try:
        assert api.cancel(job_id, "SIGNOTREAL").status_code == 400
    finally:
        api.cancel(job_id)


def test_openapi_document_is_served_without_credentials(cluster: Cluster) -> None:
    for path in ["/openapi", "/openapi.json", "/openapi/v3"]:
        response = httpx.get(cluster.base_url + path)
        assert response.status_code == 200
        assert "/slurm/v0.0.38/jobs" in response.json()["paths"]
