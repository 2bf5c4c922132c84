"""/slurmdb/v0.0.36-v0.0.38/ on the embedded cluster, over HTTP: what slurmrestd 22.05's
slurmdb plugins (dbv0.0.36-dbv0.0.38) answer, held to the document the 22.05 daemon serves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.accounting import embedded_gateway
from tests.support.slurmdb_legacy import SPECS, assert_answer_valid

#: Path segment -> the plugin answering it.
PLUGINS = {spec.segment: name for name, spec in SPECS.items()}
#: A user who is no accounting administrator.
OTHER = "nobody"


class Gateway(embedded_gateway.Gateway):
    async def answer(
        self, method: str, path: str, body: Any = None, status: int = 200, user: str = "root"
    ) -> Any:
        """The answer of a slurmdb call, which must have ``status`` and match the document."""
        response = await self.call(method, path, user, body)
        assert response.status_code == status, response.text
        answer = response.json()
        segment = path.split("/")[2]
        assert answer["meta"]["plugin"]["type"] == f"openapi/{PLUGINS[segment]}"
        assert_answer_valid(PLUGINS[segment], method, path, answer)
        return answer


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    async with embedded_gateway.running(Gateway, tmp_path) as started:
        yield started


async def _finished_job(gateway: Gateway, script: str) -> int:
    """A job submitted through /slurm/v0.0.38/ and waited for until it is accounted ended."""
    submitted = await gateway.call(
        "POST",
        "/slurm/v0.0.38/job/submit",
        body={
            "script": script,
            "job": {"name": "acct", "current_working_directory": str(gateway.workdir),
                    "environment": {"PATH": "/bin:/usr/bin"}},
        },
    )  # fmt: skip
    assert submitted.status_code == 200, submitted.text
    job_id: int = submitted.json()["job_id"]
    for _ in range(300):
        answer = (await gateway.call("GET", f"/slurmdb/v0.0.38/job/{job_id}")).json()
        if answer.get("jobs") and answer["jobs"][0]["time"]["end"]:
            return job_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} never ended in the accounting records")


@pytest.mark.parametrize("segment", sorted(PLUGINS))
async def test_a_finished_job_is_found_with_its_exit_code(gateway: Gateway, segment: str) -> None:
    job_id = await _finished_job(gateway, "#!/bin/sh\nexit 3\n")
    listed = await gateway.answer("GET", f"/slurmdb/{segment}/jobs?job_name=acct")
    [job] = [j for j in listed["jobs"] if j["job_id"] == job_id]
    assert job["exit_code"] == {"status": "ERROR", "return_code": 3}
    assert job["state"]["current"] == "FAILED" and job["user"] == "root"
    assert [step["step"]["id"] for step in job["steps"]] == ["batch"]
    assert job["steps"][0]["exit_code"]["return_code"] == 3
    one = await gateway.answer("GET", f"/slurmdb/{segment}/job/{job_id}")
    assert one["jobs"] == [job]


async def test_a_signalled_job_names_its_signal(gateway: Gateway) -> None:
    job_id = await _finished_job(gateway, "#!/bin/sh\nkill -TERM $$\n")
    [job] = (await gateway.answer("GET", f"/slurmdb/v0.0.38/job/{job_id}"))["jobs"]
    assert job["exit_code"]["status"] == "SIGNALED"
    assert job["exit_code"]["signal"] == {"signal_id": 15, "name": "Terminated"}


async def test_job_filters_choose_records_and_unknown_ones_are_refused(gateway: Gateway) -> None:
    job_id = await _finished_job(gateway, "#!/bin/sh\ntrue\n")
    # With states, slurmdbd looks for jobs in them during the window (by default: now).
    window = f"start_time=1&end_time={int(time.time()) + 60}"
    found = await gateway.answer(
        "GET", f"/slurmdb/v0.0.37/jobs?state=COMPLETED&partition=debug&{window}"
    )
    assert [j["job_id"] for j in found["jobs"]] == [job_id]
    none = await gateway.answer("GET", "/slurmdb/v0.0.37/jobs?job_name=other", status=200)
    assert none["jobs"] == []
    # users and accounts, as /slurm/ jobs filters name them, are taken too.
    mine = await gateway.answer("GET", f"/slurmdb/v0.0.36/jobs?users=root&accounts=root&{window}")
    assert [j["job_id"] for j in mine["jobs"]] == [job_id]
    others = await gateway.answer("GET", f"/slurmdb/v0.0.36/jobs?users=nobody&{window}")
    assert others["jobs"] == []
    refused = await gateway.answer("GET", "/slurmdb/v0.0.37/jobs?bogus=1", status=400)
    assert refused["errors"][0]["description"] == "Unknown Query field"
    assert refused["errors"][0]["source"] == "bogus" and refused["jobs"] == []


async def test_accounts_users_and_associations_round_trip(gateway: Gateway) -> None:
    await gateway.answer("POST", "/slurmdb/v0.0.38/accounts", {"accounts": [{"name": "physics"}]})
    [account] = (await gateway.answer("GET", "/slurmdb/v0.0.36/account/physics"))["accounts"]
    assert account["description"] == account["organization"] == "physics"
    await gateway.answer(
        "POST",
        "/slurmdb/v0.0.37/associations",
        {"associations": [{"account": "physics", "parent_account": "root"}]},
    )
    await gateway.answer(
        "POST",
        "/slurmdb/v0.0.38/associations",
        {"associations": [{"account": "physics", "user": "root", "max": {"jobs": {"active": 3}}}]},
    )
    [assoc] = (
        await gateway.answer("GET", "/slurmdb/v0.0.38/association?account=physics&user=root")
    )["associations"]
    assert assoc["max"]["jobs"]["active"] == 3 and assoc["parent_account"] == "physics"
    await gateway.answer(
        "POST",
        "/slurmdb/v0.0.36/users",
        {"users": [{"name": OTHER, "default": {"account": "physics"}}]},
    )
    [user] = (await gateway.answer("GET", f"/slurmdb/v0.0.38/user/{OTHER}"))["users"]
    assert user["default"]["account"] == "physics" and user["administrator_level"] == "None"

    removed = await gateway.answer("DELETE", f"/slurmdb/v0.0.38/user/{OTHER}")
    assert removed["removed_users"] == [OTHER]
    # DELETE association removes one association: dbv0.0.38 refuses a query choosing more.
    ambiguous = await gateway.answer(
        "DELETE", "/slurmdb/v0.0.38/association?account=physics", status=400
    )
    assert "ambiguous" in ambiguous["errors"][0]["description"]
    removed = await gateway.answer("DELETE", "/slurmdb/v0.0.38/associations?account=physics")
    assert removed["removed_associations"]
    await gateway.answer("DELETE", "/slurmdb/v0.0.38/account/physics")
    gone = await gateway.answer("GET", "/slurmdb/v0.0.38/account/physics", status=404)
    assert gone["accounts"] == []
    # dbv0.0.36/37 list deleted accounts, flagged; dbv0.0.38 when asked to.
    old = await gateway.answer("GET", "/slurmdb/v0.0.37/accounts")
    assert [a["flags"] for a in old["accounts"] if a["name"] == "physics"] == [["DELETED"]]
    asked = await gateway.answer("GET", "/slurmdb/v0.0.38/accounts?with_deleted=true")
    assert "physics" in [a["name"] for a in asked["accounts"]]


async def test_qos_round_trip_in_dbv0038(gateway: Gateway) -> None:
    body = {
        "QOS": [
            {
                "name": "high",
                "description": "urgent work",
                "priority": 10,
                "limits": {"max": {"wall_clock": {"per": {"job": 60}}}},
                "preempt": {"mode": ["REQUEUE"]},
            }
        ]
    }
    await gateway.answer("POST", "/slurmdb/v0.0.38/qos", body)
    [qos] = (await gateway.answer("GET", "/slurmdb/v0.0.38/qos/high"))["QOS"]
    assert qos["priority"] == 10 and qos["description"] == "urgent work"
    assert qos["limits"]["max"]["wall_clock"]["per"]["job"] == 60
    assert qos["preempt"]["mode"] == ["REQUEUE"]
    removed = await gateway.answer("DELETE", "/slurmdb/v0.0.38/qos/high")
    assert removed["removed_qos"] == ["high"]
    assert (await gateway.answer("GET", "/slurmdb/v0.0.38/qos/high", status=404))["QOS"] == []


async def test_refusals_answer_in_the_plugins_envelope(gateway: Gateway) -> None:
    denied = await gateway.answer(
        "POST", "/slurmdb/v0.0.38/accounts", {"accounts": [{"name": "chem"}]}, 403, user=OTHER
    )
    assert denied["errors"][0]["error_number"] == 2002
    malformed = await gateway.call("POST", "/slurmdb/v0.0.38/accounts", body={"accounts": "x"})
    assert malformed.status_code == 400 and malformed.json()["errors"]
    # dbv0.0.36 has no POST qos; adding TRES is the daemon's and not slurmgate's.
    assert (await gateway.call("POST", "/slurmdb/v0.0.36/qos", body={"QOS": []})).status_code == 404
    unsupported = await gateway.call("POST", "/slurmdb/v0.0.36/tres", body={"TRES": []})
    assert unsupported.status_code == 501 and unsupported.json()["errors"]
    unknown = await gateway.answer("GET", "/slurmdb/v0.0.36/user/ghost", status=404)
    assert unknown["users"] == [] and unknown["errors"][0]["error_number"] == 9003


@pytest.mark.parametrize("segment", sorted(PLUGINS))
async def test_every_read_matches_the_daemons_document(gateway: Gateway, segment: str) -> None:
    for path in ("diag", "tres", "qos", "users", "accounts", "associations", "clusters", "config"):
        await gateway.answer("GET", f"/slurmdb/{segment}/{path}")
