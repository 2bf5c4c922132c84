"""/slurmdb/{version}/ on the embedded cluster, over HTTP: what slurmrestd's slurmdbd plugin
answers, held to the documents the 24.11 and 26.05 daemons serve (tests/data/specs)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.accounting.embedded_gateway import Gateway, running
from tests.support.documents import document, resolve
from tests.support.slurmdb_documents import DAEMON_DOCUMENTS
from tests.support.spec import json_schema

VERSIONS = sorted(DAEMON_DOCUMENTS)
#: A user who is no accounting administrator.
OTHER = "nobody"


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    async with running(Gateway, tmp_path) as started:
        yield started


def assert_matches_daemon(version: str, method: str, template: str, body: Any) -> None:
    """``body`` is what the version's daemon document declares for this operation."""
    doc = document(DAEMON_DOCUMENTS[version])
    path = f"/slurmdb/{version}/{template}"
    operation = (doc["paths"].get(path) or doc["paths"][path + "/"])[method]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft4Validator(json_schema(_keyed(resolve(schema, doc)))).validate(body)


def _keyed(schema: Any) -> Any:
    """``schema`` without the required keys named by path ("hourly/count"), which name no key
    (the documents' mistake, docs/api.md)."""
    if isinstance(schema, list):
        return [_keyed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _keyed(v) for k, v in schema.items()}
    if isinstance(out.get("required"), list):
        out["required"] = [r for r in out["required"] if "/" not in r]
    return out


async def finished_job(gateway: Gateway, workdir: Path, exit_code: int = 3) -> int:
    """A job that ran and exited with ``exit_code``, gone from the controller's job list."""
    os.chmod(workdir, 0o1777)
    request = {
        "job": {
            "script": f"#!/bin/sh\nexit {exit_code}\n",
            "current_working_directory": str(workdir),
            "environment": ["PATH=/bin:/usr/bin"],
            "name": "history",
        }
    }
    submitted = await gateway.call("POST", "/slurm/v0.0.44/job/submit", body=request)
    assert submitted.status_code == 200, submitted.text
    job_id: int = submitted.json()["job_id"]
    for _ in range(600):  # until the controller has forgotten it (min_job_age = 0)
        listed = (await gateway.call("GET", "/slurm/v0.0.44/jobs")).json()["jobs"]
        if all(job["job_id"] != job_id for job in listed):
            return job_id
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} stayed in the controller's list")


#: Each read, and its path in the daemon's document.
READS = {
    "diag": "diag",
    "jobs": "jobs",
    "job/{job_id}": "job/{job_id}",
    "accounts": "accounts",
    "account/root": "account/{account_name}",
    "users": "users",
    "user/root": "user/{name}",
    "associations": "associations",
    "association?account=root": "association",
    "qos": "qos",
    "qos/normal": "qos/{qos}",
    "tres": "tres",
    "clusters": "clusters",
    "config": "config",
}


@pytest.mark.parametrize("version", VERSIONS)
async def test_every_read_answers_as_the_daemons_document_declares(
    gateway: Gateway, tmp_path: Path, version: str
) -> None:
    job_id = await finished_job(gateway, tmp_path)
    reads = {**READS, "ping": "ping"} if version >= "v0.0.42" else READS
    for read, template in reads.items():
        path = read.replace("{job_id}", str(job_id))
        response = await gateway.call("GET", f"/slurmdb/{version}/{path}")
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        assert body["meta"]["plugin"]["type"] == "openapi/slurmdbd"
        assert_matches_daemon(version, "get", template, body)


async def test_a_finished_job_gone_from_the_controller_is_in_the_history_with_its_exit_code(
    gateway: Gateway, tmp_path: Path
) -> None:
    job_id = await finished_job(gateway, tmp_path, exit_code=3)
    for version in VERSIONS:
        listed = (await gateway.call("GET", f"/slurmdb/{version}/jobs?job_name=history")).json()
        [job] = [j for j in listed["jobs"] if j["job_id"] == job_id]
        assert job["state"]["current"] == ["FAILED"]
        assert job["exit_code"]["status"] == ["ERROR"]
        assert job["exit_code"]["return_code"] == {"set": True, "infinite": False, "number": 3}
        assert [step["step"]["name"] for step in job["steps"]] == ["batch"]
        one = (await gateway.call("GET", f"/slurmdb/{version}/job/{job_id}")).json()
        assert [j["job_id"] for j in one["jobs"]] == [job_id]


async def test_an_unknown_job_is_not_found(gateway: Gateway) -> None:
    response = await gateway.call("GET", "/slurmdb/v0.0.44/job/999999")
    assert response.status_code == 404
    assert response.json()["jobs"] == []
    assert response.json()["errors"][0]["error_number"] != 0


async def test_accounts_users_and_qos_are_added_read_and_removed(gateway: Gateway) -> None:
    v = "/slurmdb/v0.0.44"
    added = await gateway.call(
        "POST", f"{v}/accounts_association/",
        body={"association_condition": {"accounts": ["physics"]},
              "account": {"description": "Physics", "organization": "sci"}},
    )  # fmt: skip
    assert added.status_code == 200, added.text
    assert added.json()["added_accounts"] == (
        " Adding Account(s)\n  physics\n Settings\n  Description     = Physics\n"
        "  Organization    = sci\n Associations =\n  C = slurmgate  A = physics             \n"
    )
    assert_matches_daemon("v0.0.44", "post", "accounts_association", added.json())
    [account] = (await gateway.call("GET", f"{v}/account/physics")).json()["accounts"]
    assert (account["description"], account["organization"]) == ("Physics", "sci")

    users = await gateway.call(
        "POST", f"{v}/users_association/",
        body={
            "association_condition": {"users": ["alice"], "accounts": ["physics"]},
            "user": {"defaultaccount": "physics"},
        },
    )  # fmt: skip
    assert users.status_code == 200, users.text
    # slurmdbd's own words, as sacctmgr prints them.
    assert users.json()["added_users"] == (
        " Adding User(s)\n  alice\n Settings\n  Default Account = physics\n"
        " Associations =\n  C = slurmgate  A = physics              U = alice    \n"
    )
    assert_matches_daemon("v0.0.44", "post", "users_association", users.json())
    [alice] = (await gateway.call("GET", f"{v}/user/alice?with_assocs")).json()["users"]
    assert alice["default"]["account"] == "physics"
    assert [a["account"] for a in alice["associations"]] == ["physics"]

    qos = await gateway.call(
        "POST", f"{v}/qos/",
        body={"qos": [{"name": "fast", "priority": {"set": True, "number": 10},
                       "limits": {"max": {"wall_clock": {"per": {"job": 60}}}}}]},
    )  # fmt: skip
    assert qos.status_code == 200, qos.text
    assert_matches_daemon("v0.0.44", "post", "qos", qos.json())
    [fast] = (await gateway.call("GET", f"{v}/qos/fast")).json()["qos"]
    assert fast["priority"]["number"] == 10
    assert fast["limits"]["max"]["wall_clock"]["per"]["job"]["number"] == 60

    assert (await gateway.call("DELETE", f"{v}/user/alice")).status_code == 200
    removed = await gateway.call("DELETE", f"{v}/account/physics")
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed_accounts"] == ["physics"]
    assert_matches_daemon("v0.0.44", "delete", "account/{account_name}", removed.json())
    assert (await gateway.call("DELETE", f"{v}/qos/fast")).json()["removed_qos"] == ["fast"]
    gone = await gateway.call("GET", f"{v}/account/physics")
    assert gone.status_code == 404


async def test_a_user_who_is_no_administrator_may_not_add_accounts(gateway: Gateway) -> None:
    refused = await gateway.call(
        "POST", "/slurmdb/v0.0.44/accounts/", user=OTHER,
        body={"accounts": [{"name": "mine", "description": "d", "organization": "o"}]},
    )  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["error"] == "Access/permission denied"
    assert (await gateway.call("GET", "/slurmdb/v0.0.44/account/mine")).status_code == 404


async def test_a_body_of_the_wrong_type_is_refused_naming_its_field(gateway: Gateway) -> None:
    refused = await gateway.call("POST", "/slurmdb/v0.0.44/accounts/", body={"accounts": "x"})
    assert refused.status_code == 400
    assert "accounts" in refused.json()["errors"][0]["source"]


async def test_adding_users_needs_the_user_settings(gateway: Gateway) -> None:
    refused = await gateway.call(
        "POST", "/slurmdb/v0.0.44/users_association/",
        body={"association_condition": {"users": ["carol"], "accounts": ["root"]}},
    )  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["error_number"] == 9200
    assert refused.json()["errors"][0]["source"] == "#/user/"


async def test_adding_tres_answers_as_unsupported(gateway: Gateway) -> None:
    refused = await gateway.call("POST", "/slurmdb/v0.0.44/tres/", body={"TRES": []})
    assert refused.status_code == 501
    assert refused.json()["meta"]["plugin"]["type"] == "openapi/slurmdbd"


async def test_ping_is_not_a_path_of_v0_0_41(gateway: Gateway) -> None:
    assert (await gateway.call("GET", "/slurmdb/v0.0.41/ping/")).status_code == 404


async def test_pollers_of_a_long_history_share_one_rendering(
    gateway: Gateway, tmp_path: Path
) -> None:
    """Identical reads within accounting.cache_seconds share one answer, rendered once."""
    request = {
        "job": {
            "script": "#!/bin/sh\ntrue\n",
            "current_working_directory": str(tmp_path),
            "environment": ["PATH=/bin"],
            "name": "poll",
            "hold": True,
        }
    }
    for _ in range(250):
        submitted = await gateway.call("POST", "/slurm/v0.0.44/job/submit", body=request)
        assert submitted.status_code == 200, submitted.text
    # Held jobs are never eligible: chosen by their submission.
    path = "/slurmdb/v0.0.44/jobs?job_name=poll&usage_time_as_submit_time&start_time=1"
    answers = await asyncio.gather(*(gateway.call("GET", path) for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(answers[0].json()["jobs"]) == 250
    assert gateway.app.state.slurmdb_renders.renders == 1
