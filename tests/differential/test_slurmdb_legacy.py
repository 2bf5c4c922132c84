"""/slurmdb/v0.0.36-v0.0.38/ of slurmrestd 22.05 (its dbv0.0.36-dbv0.0.38 plugins) and of
slurmgate on the same lab: the same answers, key by key and type by type."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.differential.conftest import Connect
from tests.differential.pair import OURS, VERSIONS, Answer, CancelAtEnd, Daemons, differences
from tests.differential.pair import legacy as is_legacy
from tests.support.lab import Lab

LEGACY = [version for version in VERSIONS if is_legacy(version)]
#: Reads whose records do not move while the tests run.
READS = ("accounts", "users", "associations", "qos", "tres", "clusters")


def _plugin(version: str) -> str:
    return f"db{version}"


def _schema(version: str, template: str, method: str = "get") -> dict[str, Any]:
    paths = OURS["paths"]
    item = paths.get(f"/slurmdb/{version}/{template}") or paths[f"/slurmdb/{version}/{template}/"]
    schema: dict[str, Any] = item[method]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    return schema


def _both(daemons: Daemons, method: str, path: str) -> tuple[Answer, Answer]:
    return daemons.restd(method, path), daemons.gate(method, path)


def _in_order(body: Any) -> Any:
    """Associations, which have no id here, in one order on both sides."""
    if isinstance(body, dict) and isinstance(body.get("associations"), list):
        listed = body["associations"]
        key = [(a["cluster"], a["account"], a["user"] or "", a["partition"] or "") for a in listed]
        body = {**body, "associations": [a for _, a in sorted(zip(key, listed, strict=True))]}
    return body


def _assert_alike(
    version: str,
    template: str,
    path: str,
    restd: Answer,
    gate: Answer,
    volatile: tuple[str, ...] = (),
) -> None:
    __tracebackhide__ = True
    found = differences(
        _plugin(version),
        _in_order(restd.body),
        _in_order(gate.body),
        _schema(version, template),
        volatile=volatile,
    )
    assert not found, f"GET {path}:\n" + "\n".join(str(d) for d in found)


@pytest.mark.parametrize(
    ("version", "template"),
    [pytest.param(v, t, id=f"{v}-{t}") for v in LEGACY for t in READS],
)
def test_slurmdb_read(alice: Daemons, version: str, template: str) -> None:
    path = f"/slurmdb/{version}/{template}"
    restd, gate = _both(alice, "GET", path)
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, alice.explain(gate)
    assert gate.body["meta"]["plugin"] == restd.body["meta"]["plugin"]
    _assert_alike(version, template, path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_a_named_record(alice: Daemons, lab: Lab, version: str) -> None:
    """An account, a user, a QOS, a cluster and an association, each named."""
    for template, path in (
        ("account/{account_name}", f"account/{lab.account}"),
        ("user/{user_name}", f"user/{alice.user}"),
        ("qos/{qos_name}", "qos/normal"),
        ("cluster/{cluster_name}", f"cluster/{lab.cluster}"),
        ("association", f"association?account={lab.account}&user={alice.user}"),
    ):
        full = f"/slurmdb/{version}/{path}"
        restd, gate = _both(alice, "GET", full)
        assert restd.status == gate.status == 200, (restd, alice.explain(gate))
        _assert_alike(version, template, full, restd, gate)


def _submit(alice: Daemons, workdir: Path, script: str, name: str, **job: object) -> int:
    """A batch job submitted through slurmrestd in v0.0.38, working in ``workdir``."""
    return alice.submit(
        "v0.0.38",
        {
            "script": script,
            "job": {
                "name": name,
                **job,
                "current_working_directory": str(workdir),
                "environment": {"PATH": "/bin:/usr/bin"},
            },
        },
    )


def _finished(
    alice: Daemons,
    workdir: Path,
    cancel_at_end: CancelAtEnd,
    script: str,
    state: str,
    version: str,
    name: str = "sg-dbjob",
    *,
    cancel: bool = False,
) -> tuple[str, Answer, Answer]:
    """A job run to its end, and its record as both daemons print it once slurmdbd has it."""
    job_id = _submit(alice, workdir, f"#!/bin/sh\n{script}\n", name)
    cancel_at_end(alice, job_id)
    alice.wait_for([job_id], {state})
    if cancel:  # once it runs, through slurmrestd
        alice.cancel(job_id)
        alice.wait_for([job_id], {"CANCELLED"})
    path = f"/slurmdb/{version}/job/{job_id}"
    for _ in range(100):  # slurmdbd completes the record a moment after slurmctld ends it
        restd = alice.restd("GET", path)
        record = restd.body["jobs"][0] if restd.status == 200 and restd.body["jobs"] else {}
        if record and record["time"]["end"] and record["flags"]:
            break
        time.sleep(0.1)
    gate = alice.gate("GET", path)
    assert gate.status == 200, alice.explain(gate)
    return path, restd, gate


@pytest.mark.parametrize("version", LEGACY)
def test_a_finished_job(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """A job that ended (exit 0) is the same record, with its batch step, in both."""
    path, restd, gate = _finished(alice, workdir, cancel_at_end, "true", "COMPLETED", version)
    [theirs], [ours] = restd.body["jobs"], gate.body["jobs"]
    assert ours["exit_code"] == theirs["exit_code"] == {"status": "SUCCESS", "return_code": 0}
    assert [s["step"]["id"] for s in ours["steps"]] == [s["step"]["id"] for s in theirs["steps"]]
    _assert_alike(version, "job/{job_id}", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_a_failed_job_keeps_its_exit_code(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """22.05 prints exit 3 as SUCCESS with return code 0 (known.py); slurmgate as ERROR, 3."""
    path, restd, gate = _finished(alice, workdir, cancel_at_end, "exit 3", "FAILED", version)
    [theirs], [ours] = restd.body["jobs"], gate.body["jobs"]
    assert theirs["exit_code"] == {"status": "SUCCESS", "return_code": 0}
    assert ours["exit_code"] == {"status": "ERROR", "return_code": 3}
    assert ours["state"]["current"] == theirs["state"]["current"] == "FAILED"
    _assert_alike(version, "job/{job_id}", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_an_unknown_account_is_an_empty_listing_with_an_error(alice: Daemons, version: str) -> None:
    """slurmrestd answers 500 with "Nothing found"; slurmgate 404 with the same empty list."""
    restd, gate = _both(alice, "GET", f"/slurmdb/{version}/account/sg-no-such-account")
    assert gate.status == 404, alice.explain(gate)
    assert restd.body["accounts"] == gate.body["accounts"] == []
    assert [e["error_number"] for e in restd.body["errors"]] == [9003]
    assert [e["error_number"] for e in gate.body["errors"]] == [9003]


@pytest.mark.parametrize("version", LEGACY)
def test_an_unknown_job_filter_is_refused(alice: Daemons, version: str) -> None:
    """slurmrestd answers 500 with "Unknown Query field"; slurmgate 400 with the same."""
    restd, gate = _both(alice, "GET", f"/slurmdb/{version}/jobs?sg_bogus=1")
    assert gate.status == 400, alice.explain(gate)
    assert [e["description"] for e in restd.body["errors"]] == ["Unknown Query field"]
    assert [e["description"] for e in gate.body["errors"]] == ["Unknown Query field"]
    assert [e["error_number"] for e in gate.body["errors"]] == [9000]


@pytest.mark.parametrize("version", LEGACY)
def test_config_as_an_administrator(connect: Connect, version: str) -> None:
    """Every list at once (a user who is no administrator may not read wckeys: both refuse)."""
    root = connect("root")
    path = f"/slurmdb/{version}/config"
    restd, gate = _both(root, "GET", path)
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, root.explain(gate)
    _assert_alike(version, "config", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_diag(alice: Daemons, connect: Connect, version: str) -> None:
    """slurmdbd's statistics, to an administrator: the same rollups, calls and users (each
    read is itself a call); a user who is none is refused by both (slurmrestd: 500).

    dbv0.0.36 answers them with 500 and no error (its plugin takes the count of users listed
    for a failure, which dbv0.0.37 fixed); slurmgate with 200."""
    path = f"/slurmdb/{version}/diag"
    restd, gate = _both(connect("root"), "GET", path)
    assert restd.status == (500 if version == "v0.0.36" else 200), f"slurmrestd: {restd}"
    assert gate.status == 200, f"slurmgate: {gate}"
    found = differences(
        _plugin(version),
        restd.body,
        gate.body,
        _schema(version, "diag"),
        volatile=("$.statistics.*",),
    )
    assert not found, "\n".join(str(d) for d in found)
    restd, gate = _both(alice, "GET", path)
    assert gate.status == 403, alice.explain(gate)
    assert [e["error_number"] for e in restd.body["errors"]] == [2002]
    assert [e["error_number"] for e in gate.body["errors"]] == [2002]


@pytest.mark.parametrize("version", LEGACY)
def test_an_empty_listing(connect: Connect, version: str) -> None:
    """No wckey on the lab: slurmrestd answers 500 with "Nothing found", slurmgate 200 and
    the same empty list (known.py)."""
    path = f"/slurmdb/{version}/wckeys"
    restd, gate = _both(connect("root"), "GET", path)
    assert gate.status == 200, f"slurmgate: {gate}"
    assert restd.body["wckeys"] == gate.body["wckeys"] == []
    _assert_alike(version, "wckeys", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_jobs_chosen_by_name(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """The job history filtered by name (and by a name no job has) is the same in both."""
    # A name of its own: slurmgate shares an accounting answer for a few seconds between
    # identical queries, which an earlier version's test may just have made.
    named = f"sg-dbjob-{version}-{int(time.time())}"
    _finished(alice, workdir, cancel_at_end, "true", "COMPLETED", version, named)
    for name in (named, "sg-no-such-job"):
        path = f"/slurmdb/{version}/jobs?job_name={name}"
        for _ in range(50):  # each daemon's connection to slurmdbd sees the end in its turn
            restd, gate = _both(alice, "GET", path)
            if gate.status != 200 or len(gate.body["jobs"]) == len(restd.body["jobs"]):
                break
            time.sleep(0.1)
        assert restd.status == gate.status == 200, (restd, alice.explain(gate))
        assert bool(gate.body["jobs"]) == (name == named)
        _assert_alike(version, "jobs", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_an_account_added_and_removed_through_slurmgate(connect: Connect, version: str) -> None:
    """What slurmgate adds, slurmrestd reads as it reads its own; what it removes is gone
    (slurmdbd forgets an account that never had an association or a job, and flags others
    deleted, which dbv0.0.36/37 list)."""
    root = connect("root")
    name = f"sgdb{version[-2:]}{int(time.time()) % 1_000_000}"
    body = {"accounts": [{"name": name, "description": "slurmgate test", "organization": "sg"}]}
    added = root.gate("POST", f"/slurmdb/{version}/accounts", json=body)
    assert added.status == 200 and added.body["errors"] == [], root.explain(added)
    path = f"/slurmdb/{version}/account/{name}"
    for _ in range(100):  # slurmgate shares accounting answers for a few seconds
        restd, gate = _both(root, "GET", path)
        if gate.status == 200:
            break
        time.sleep(0.1)
    assert restd.status == gate.status == 200, (restd, root.explain(gate))
    assert [a["description"] for a in gate.body["accounts"]] == ["slurmgate test"]
    _assert_alike(version, "account/{account_name}", path, restd, gate)
    removed = root.gate("DELETE", path)
    assert removed.status == 200, root.explain(removed)
    assert removed.body["errors"] == [], root.explain(removed)
    listed = root.restd("GET", f"/slurmdb/{version}/accounts")
    flags = [a["flags"] for a in listed.body["accounts"] if a["name"] == name]
    assert all(f == ["DELETED"] for f in flags), listed


@pytest.mark.parametrize("version", LEGACY)
def test_a_cancelled_job(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """A job cancelled while it ran: its signal and who asked for it, alike in both."""
    path, restd, gate = _finished(
        alice, workdir, cancel_at_end, "sleep 300", "RUNNING", version, cancel=True
    )
    [theirs], [ours] = restd.body["jobs"], gate.body["jobs"]
    assert ours["state"]["current"] == theirs["state"]["current"] == "CANCELLED"
    assert ours["kill_request_user"] == theirs["kill_request_user"]
    _assert_alike(version, "job/{job_id}", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_a_job_with_a_numbered_step(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """A step srun started is numbered (its id a number, where batch's is a name)."""
    path, restd, gate = _finished(
        alice, workdir, cancel_at_end, "srun true", "COMPLETED", version, "sg-dbstep"
    )
    [theirs], [ours] = restd.body["jobs"], gate.body["jobs"]
    assert 0 in [s["step"]["id"] for s in ours["steps"]]
    assert [s["step"]["id"] for s in ours["steps"]] == [s["step"]["id"] for s in theirs["steps"]]
    _assert_alike(version, "job/{job_id}", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_an_array_job(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """An array's id names every task's record; each task with its index, alike in both."""
    job_id = _submit(alice, workdir, "#!/bin/sh\ntrue\n", "sg-dbarray", array="0-1")
    cancel_at_end(alice, job_id)
    path = f"/slurmdb/{version}/job/{job_id}"
    for _ in range(300):  # until slurmdbd has both tasks' ends
        restd = alice.restd("GET", path)
        listed = restd.body.get("jobs") or [] if restd.status == 200 else []
        if len(listed) == 2 and all(j["time"]["end"] and j["flags"] for j in listed):
            break
        time.sleep(0.1)
    gate = alice.gate("GET", path)
    assert gate.status == 200, alice.explain(gate)
    tasks = sorted(j["array"]["task_id"] for j in gate.body["jobs"])
    assert tasks == [0, 1]
    _assert_alike(version, "job/{job_id}", path, restd, gate)


@pytest.mark.parametrize("version", LEGACY)
def test_a_running_job(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """A job still running: no end, and the exit slurmdbd holds until then (0, a success)."""
    job_id = _submit(alice, workdir, "#!/bin/sh\nsleep 300\n", "sg-dbrunning")
    cancel_at_end(alice, job_id)
    alice.wait_for([job_id], {"RUNNING"})
    path = f"/slurmdb/{version}/job/{job_id}"
    for _ in range(100):  # slurmdbd records the start a moment after slurmctld
        restd, gate = _both(alice, "GET", path)
        if restd.body["jobs"] and restd.body["jobs"][0]["state"]["current"] == "RUNNING":
            if gate.status == 200 and gate.body["jobs"][0]["state"]["current"] == "RUNNING":
                break
        time.sleep(0.1)
    [theirs], [ours] = restd.body["jobs"], gate.body["jobs"]
    assert ours["time"]["end"] == theirs["time"]["end"] == 0
    assert ours["exit_code"] == theirs["exit_code"] == {"status": "SUCCESS", "return_code": 0}
    # It runs on between the two reads.
    running = ("$.jobs[].time.elapsed", "$.jobs[].steps[].time.elapsed")
    _assert_alike(version, "job/{job_id}", path, restd, gate, volatile=running)
    alice.cancel(job_id)


@pytest.mark.parametrize("version", LEGACY)
def test_a_job_cancelled_before_it_ran(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """A held job cancelled: no nodes, no start, no steps, alike in both."""
    job_id = _submit(alice, workdir, "#!/bin/sh\ntrue\n", "sg-dbheld", hold=True)
    cancel_at_end(alice, job_id)
    alice.wait_for([job_id], {"PENDING"})
    alice.cancel(job_id)
    alice.wait_for([job_id], {"CANCELLED"})
    path = f"/slurmdb/{version}/job/{job_id}"
    for _ in range(100):  # slurmdbd has the whole record a moment after slurmctld ends it
        restd = alice.restd("GET", path)
        record = restd.body["jobs"][0] if restd.status == 200 and restd.body["jobs"] else {}
        if record and record["time"]["end"] and record["name"] == "sg-dbheld":
            break
        time.sleep(0.1)
    gate = alice.gate("GET", path)
    assert gate.status == 200, alice.explain(gate)
    [theirs], [ours] = restd.body["jobs"], gate.body["jobs"]
    assert ours["steps"] == theirs["steps"] == []
    assert ours["state"]["current"] == theirs["state"]["current"] == "CANCELLED"
    _assert_alike(version, "job/{job_id}", path, restd, gate)
