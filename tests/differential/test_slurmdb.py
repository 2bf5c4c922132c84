"""The /slurmdb/ paths both daemons serve, in every version both serve: the same answers."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.differential.pair import OURS, VERSIONS, Answer, Daemons, differences, legacy
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
    # Times as dates: slurmrestd 24.11 refuses numeric ones (known.py).
    before = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 60))
    window = {"users": lab.users[0], "start_time": "2020-01-01T00:00:00", "end_time": before}
    restd, gate = assert_slurmdb_alike(alice, version, "jobs/", "jobs", window)
    assert restd.body["jobs"], "nothing to compare: the lab has no history"
    one = restd.body["jobs"][-1]["job_id"]
    assert_slurmdb_alike(alice, version, f"job/{one}", "job/{job_id}")


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
