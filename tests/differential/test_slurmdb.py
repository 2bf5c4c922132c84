"""The /slurmdb/ paths both daemons serve, in every version both serve: the same answers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.differential.conftest import Connect
from tests.differential.pair import (
    LATEST,
    OURS,
    VERSIONS,
    Answer,
    CancelAtEnd,
    Daemons,
    differences,
    job_request,
    legacy,
)
from tests.support.lab import Lab

#: Reads whose records do not move while the tests run.
READS = ("accounts", "users", "associations", "qos", "tres", "clusters")
DATA_PARSER = [v for v in VERSIONS if not legacy(v)]
#: slurmgate shares accounting answers for this long (accounting.cache_seconds).
CACHE_SECONDS = 5.0


def _schema(version: str, template: str) -> dict[str, Any]:
    item = (
        OURS["paths"].get(f"/slurmdb/{version}/{template}")
        or OURS["paths"][f"/slurmdb/{version}/{template}/"]
    )
    schema: dict[str, Any] = item["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    return schema


def _both(
    daemons: Daemons, path: str, params: dict[str, Any] | None = None
) -> tuple[Answer, Answer]:
    return daemons.restd("GET", path, params=params), daemons.gate("GET", path, params=params)


def assert_slurmdb_alike(
    daemons: Daemons, version: str, path: str, template: str, params: dict[str, Any] | None = None
) -> tuple[Answer, Answer]:
    """GET ``path`` from both until they agree (slurmgate may answer from its shared answers,
    up to ``CACHE_SECONDS`` old)."""
    __tracebackhide__ = True
    deadline = time.monotonic() + CACHE_SECONDS + 3.0
    while True:
        restd, gate = _both(daemons, f"/slurmdb/{version}/{path}", params)
        assert restd.status == 200, f"slurmrestd: {restd}"
        assert gate.status == 200, daemons.explain(gate)
        found = differences(version, restd.body, gate.body, _schema(version, template))
        if not found:
            return restd, gate
        if time.monotonic() > deadline:
            raise AssertionError("\n".join(str(d) for d in found))
        time.sleep(0.5)


@pytest.mark.parametrize(
    ("version", "template"),
    [pytest.param(v, t, id=f"{v}-{t}") for v in DATA_PARSER for t in READS],
)
def test_slurmdb_read(alice: Daemons, version: str, template: str) -> None:
    restd, _ = assert_slurmdb_alike(alice, version, f"{template}/", template)
    key = "TRES" if template == "tres" else template
    assert restd.body[key], f"nothing to compare: {restd}"


@pytest.mark.parametrize("version", DATA_PARSER)
def test_slurmdb_job_history(alice: Daemons, lab: Lab, version: str) -> None:
    """alice's jobs that ended before the last minute: records that no longer change."""
    # Times as dates: 24.11's v0.0.40 and v0.0.41 refuse Unix seconds (docs/api.md).
    before = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 60))
    window = {"users": lab.users[0], "start_time": "2020-01-01T00:00:00", "end_time": before}
    restd, gate = assert_slurmdb_alike(alice, version, "jobs/", "jobs", window)
    assert restd.body["jobs"], "nothing to compare: the lab has no history"
    one = restd.body["jobs"][-1]["job_id"]
    assert_slurmdb_alike(alice, version, f"job/{one}", "job/{job_id}")


@pytest.fixture(scope="module")
def failed_job(alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd) -> int:
    """A job of alice's that exited 3, once slurmdbd has recorded its end."""
    request = job_request(workdir, "differential-exit", LATEST, script="#!/bin/sh\nexit 3\n")
    job_id = alice.submit(LATEST, request)
    cancel_at_end(alice, job_id)
    path = f"/slurmdb/{DATA_PARSER[-1]}/job/{job_id}"
    for _ in range(240):  # slurmdbd records the end a moment after slurmctld
        found = alice.restd("GET", path)
        jobs = found.body.get("jobs") if isinstance(found.body, dict) else None
        if jobs and jobs[0]["state"]["current"][0] == "FAILED" and jobs[0]["steps"]:
            return job_id
        time.sleep(0.5)
    raise AssertionError(f"slurmdbd did not record the end of job {job_id}")


@pytest.mark.parametrize("version", DATA_PARSER)
def test_slurmdb_failed_job_with_its_exit_code(
    alice: Daemons, version: str, failed_job: int
) -> None:
    _, gate = assert_slurmdb_alike(alice, version, f"job/{failed_job}", "job/{job_id}")
    [job] = gate.body["jobs"]
    assert job["exit_code"]["return_code"]["number"] == 3
    assert job["state"]["current"] == ["FAILED"]


@pytest.mark.parametrize("version", DATA_PARSER)
def test_slurmdb_one_record(alice: Daemons, lab: Lab, version: str) -> None:
    assert_slurmdb_alike(alice, version, f"account/{lab.account}", "account/{account_name}")
    assert_slurmdb_alike(alice, version, "qos/normal", "qos/{qos}")
    assert_slurmdb_alike(alice, version, f"user/{lab.users[0]}", "user/{name}")
    assert_slurmdb_alike(alice, version, "associations/", "associations", {"account": lab.account})


@pytest.mark.parametrize("version", DATA_PARSER)
def test_slurmdb_unknown_account(alice: Daemons, version: str) -> None:
    """The daemons answer 200 with a warning, slurmgate 404; both list nothing."""
    restd, gate = _both(alice, f"/slurmdb/{version}/account/no-such-account")
    assert restd.status == 200 and restd.body["accounts"] == []
    assert gate.status == 404 and gate.body["accounts"] == []


@pytest.mark.parametrize("version", DATA_PARSER)
def test_slurmdb_refuses_a_user_who_is_no_administrator(alice: Daemons, version: str) -> None:
    """Adding an account and reading slurmdbd's statistics are for administrators: both
    refuse (slurmgate with 403, the daemons with other statuses) with the same error."""
    body = {"accounts": [{"name": "sg-differential", "description": "d", "organization": "o"}]}
    path = f"/slurmdb/{version}/accounts/"
    restd, gate = alice.restd("POST", path, json=body), alice.gate("POST", path, json=body)
    assert gate.status == 403, alice.explain(gate)
    assert restd.status != 200 or restd.body["errors"], f"slurmrestd: {restd}"
    assert {e["error_number"] for e in gate.body["errors"]} == {2002}
    stats_restd, stats_gate = _both(alice, f"/slurmdb/{version}/diag/")
    assert stats_gate.status == 403, alice.explain(stats_gate)
    assert [e["error"] for e in stats_restd.body["errors"]] == [
        e["error"] for e in stats_gate.body["errors"]
    ]


@pytest.fixture(scope="module")
def admin(connect: Connect) -> Daemons:
    """An accounting administrator of the lab: root."""
    return connect("root")


def _schema_of(version: str, template: str, method: str) -> dict[str, Any]:
    item = (
        OURS["paths"].get(f"/slurmdb/{version}/{template}")
        or OURS["paths"][f"/slurmdb/{version}/{template}/"]
    )
    schema: dict[str, Any] = item[method]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    return schema


def _changed_alike(
    daemons: Daemons, version: str, method: str, template: str, tail: str, body: Any = None
) -> tuple[Answer, Answer]:
    """The same change through each daemon, each on records of its own (``body`` names them
    with {who}: "rstd" or "gate", of one length, so that sacctmgr's columns line up); both
    answers alike once the daemon's names are slurmgate's."""
    __tracebackhide__ = True
    answers = []
    for who, call in (("rstd", daemons.restd), ("gate", daemons.gate)):
        text = json.dumps(body).replace("{who}", who) if body is not None else None
        kwargs: dict[str, Any] = {"content": text} if text is not None else {}
        if text is not None:
            kwargs["headers"] = {"Content-Type": "application/json"}
        answers.append(call(method, f"/slurmdb/{version}/{tail.format(who=who)}", **kwargs))
    restd, gate = answers
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, daemons.explain(gate)
    theirs = json.loads(json.dumps(restd.body).replace("sgd-rstd-", "sgd-gate-"))
    found = differences(version, theirs, gate.body, _schema_of(version, template, method.lower()))
    assert not found, "\n".join(str(d) for d in found)
    return restd, gate


@pytest.mark.parametrize("version", DATA_PARSER)
def test_slurmdb_account_user_and_qos_round_trip(admin: Daemons, lab: Lab, version: str) -> None:
    """An account with its association, a user in it and a QOS, added, read and removed through
    each daemon alike (each its own: sgd-rstd-..., sgd-gate-...)."""
    tag = version.replace(".", "")
    account, user_name, qos = f"sgd-{{who}}-{tag}", lab.users[1], f"sgd-{{who}}-{tag}"
    try:
        _changed_alike(
            admin, version, "POST", "accounts_association", "accounts_association/",
            {"association_condition": {"accounts": [account], "clusters": [lab.cluster]},
             "account": {"description": "differential", "organization": "slurmgate"}},
        )  # fmt: skip
        _changed_alike(
            admin, version, "POST", "users_association", "users_association/",
            {"association_condition": {"users": [user_name], "accounts": [account],
                                       "clusters": [lab.cluster]},
             "user": {"defaultaccount": lab.account}},
        )  # fmt: skip
        _changed_alike(
            admin, version, "POST", "qos", "qos/",
            {"qos": [{"name": qos, "description": "differential",
                      "priority": {"set": True, "number": 7}}]},
        )  # fmt: skip
        for who in ("rstd", "gate"):  # each daemon's records, read through both
            name = account.format(who=who)
            assert_slurmdb_alike(admin, version, f"account/{name}", "account/{account_name}")
            assert_slurmdb_alike(admin, version, "associations/", "associations", {"account": name})
            assert_slurmdb_alike(admin, version, f"qos/{qos.format(who=who)}", "qos/{qos}")
    finally:
        for who, call in (("rstd", admin.restd), ("gate", admin.gate)):
            call("DELETE", f"/slurmdb/{version}/associations/",
                 params={"account": account.format(who=who), "user": user_name})  # fmt: skip
            call("DELETE", f"/slurmdb/{version}/account/{account.format(who=who)}")
            call("DELETE", f"/slurmdb/{version}/qos/{qos.format(who=who)}")
