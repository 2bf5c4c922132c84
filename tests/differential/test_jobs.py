"""Submit, update, signal and cancel: the same request through both daemons, the same result.

Each test acts on two jobs submitted alike, A through slurmrestd and B through slurmgate, and
compares the answers, then the two jobs' records as slurmrestd shows them: they may differ only
in ``known.PER_JOB``. The jobs are also read through both daemons (``test_reads.py`` reads a
held one).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.differential.pair import (
    VERSIONS,
    Both,
    CancelAtEnd,
    Daemons,
    Pair,
    assert_alike,
    assert_reads_alike,
    assert_same_job,
    documented,
    job_request,
    job_update,
    legacy,
    number_of,
    response_schema,
    states_of,
)
from tests.support.lab import slurm_client_env

#: Runs until cancelled; notes every SIGUSR1 in a file named after the job.
TRAPPING = """#!/bin/sh
trap 'echo USR1 >> "signalled-$SLURM_JOB_ID"' USR1
while :; do sleep 1; done
"""


def _submit(
    daemons: Daemons, version: str, request: dict[str, Any], end: CancelAtEnd
) -> tuple[Pair, Both]:
    """Submit A through slurmrestd and B through slurmgate."""
    both = daemons.both("POST", version, "job/submit", request)
    assert both.restd.status == 200, f"{both.request}: slurmrestd: {both.restd}"
    end(daemons, both.restd.body["job_id"])
    assert both.gate.status == 200, f"{both.request}: {daemons.explain(both.gate)}"
    end(daemons, both.gate.body["job_id"])
    return Pair(both.restd.body["job_id"], both.gate.body["job_id"]), both


def _submit_held(daemons: Daemons, version: str, workdir: Path, end: CancelAtEnd) -> Pair:
    """Two held jobs, both through slurmrestd: the tests using them are about what comes next."""
    request = job_request(workdir, f"differential-held-{version}", version, hold=True)
    ids = []
    for _ in range(2):
        ids.append(daemons.submit(version, request))
        end(daemons, ids[-1])
    return Pair(*ids)


def _act_on_both(
    daemons: Daemons,
    method: str,
    version: str,
    pair: Pair,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> None:
    """The same request on A through slurmrestd and on B through slurmgate: same answers."""
    path = f"/slurm/{version}/job/{{}}"
    kwargs: dict[str, Any] = {"params": params, **({"json": body} if body else {})}
    restd = daemons.restd(method, path.format(pair.a), **kwargs)
    gate = daemons.gate(method, path.format(pair.b), **kwargs)
    query = f"?{httpx.QueryParams(params)}" if params else ""
    what = f"{method} {path.format('{job_id}')}{query}"
    assert restd.status == 200, f"{what}: slurmrestd: {restd}"
    assert gate.status == 200, f"{what}: {daemons.explain(gate)}"
    schema = response_schema(version, method, "job/{job_id}")
    assert_alike(what, version, restd.body, gate.body, schema)


def _submission_alike(version: str, both: Both) -> None:
    schema = response_schema(version, "POST", "job/submit")
    assert_alike(both.request, version, both.restd.body, both.gate.body, schema,
                 volatile=["$.job_id", "$.result.job_id"])  # fmt: skip


@dataclass(frozen=True)
class Running:
    """Two running jobs of one version, submitted alike, and the submission's answers."""

    version: str
    pair: Pair
    both: Both


@pytest.fixture(scope="module", params=VERSIONS)
def running(request: pytest.FixtureRequest, alice: Daemons, workdir: Path) -> Iterator[Running]:
    """One version at a time (the tests are grouped by it): two of the node's CPUs at most."""
    version: str = request.param
    jobs: list[int] = []
    try:
        submission = job_request(workdir, f"differential-{version}", version, script=TRAPPING)
        pair, both = _submit(alice, version, submission, lambda _owner, job: jobs.append(job))
        alice.wait_for([pair.a, pair.b], {"RUNNING"})
        yield Running(version, pair, both)
    finally:
        for job_id in jobs:
            alice.cancel(job_id)


def test_submission_answer(running: Running) -> None:
    _submission_alike(running.version, running.both)


def test_submitted_jobs_are_alike(alice: Daemons, running: Running) -> None:
    assert_same_job(alice, running.version, running.pair, after="submitted alike")


def test_running_jobs_read_alike(alice: Daemons, running: Running) -> None:
    for job_id in (running.pair.a, running.pair.b):
        assert_reads_alike(alice, running.version, "job/{job_id}", job_id=job_id)


def test_signal(alice: Daemons, workdir: Path, running: Running) -> None:
    version, pair = running.version, running.pair
    _act_on_both(alice, "DELETE", version, pair, params={"signal": "USR1"})

    files = [workdir / f"signalled-{job_id}" for job_id in (pair.a, pair.b)]
    deadline = time.monotonic() + 10
    while not all(f.exists() for f in files) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [f.exists() for f in files] == [True, True], "the jobs' shells did not get SIGUSR1"
    assert [states_of(alice.job(j))[0] for j in (pair.a, pair.b)] == ["RUNNING", "RUNNING"]
    assert_same_job(alice, version, pair, after="signalled alike")


def _held(version: str, workdir: Path, **job: Any) -> dict[str, Any]:
    """A held submission; from v0.0.40 on with named output and error files."""
    if not legacy(version):
        job.setdefault("standard_output", "differential-%x-%j.out")
    return job_request(workdir, f"differential-held-{version}", version, hold=True, **job)


@pytest.mark.parametrize("version", VERSIONS)
def test_held_submission(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    pair, both = _submit(alice, version, _held(version, workdir), cancel_at_end)
    _submission_alike(version, both)
    assert_same_job(alice, version, pair, after="submitted held alike")
    for job_id in (pair.a, pair.b):
        assert_reads_alike(alice, version, "job/{job_id}", job_id=job_id)


@pytest.mark.parametrize("version", VERSIONS)
def test_array_submission(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    pair, both = _submit(alice, version, _held(version, workdir, array="0-2"), cancel_at_end)
    _submission_alike(version, both)
    assert_same_job(alice, version, pair, after="submitted as arrays alike")
    for job_id in (pair.a, pair.b):
        assert_reads_alike(alice, version, "job/{job_id}", job_id=job_id)
        if documented(version, "GET", "jobs/state"):
            found = assert_reads_alike(alice, version, "jobs/state", {"job_id": str(job_id)})
            assert [j["job_id"] for j in found.gate.body["jobs"]] == [
                f"{job_id}_{task}" for task in range(3)
            ]


@pytest.mark.parametrize("version", [v for v in VERSIONS if not legacy(v)])
def test_lenient_submission(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    """Values of other JSON types that convert, and keys the version does not know: accepted
    with the same warnings, in the same order."""
    request = _held(version, workdir, comment=7, tasks="1", requeue="yes")
    request["job"].update(nosuchfield=1.5, nested={"inner": None})
    request["unknown"] = [1]
    pair, both = _submit(alice, version, request, cancel_at_end)
    _submission_alike(version, both)
    assert len(both.gate.body["warnings"]) >= 6, both.gate
    assert_same_job(alice, version, pair, after="submitted leniently alike")


# No name: 22.05's slurmrestd answers 200 to a new name but leaves the job's as it was
# (slurmgate applies it; tests/contract covers that).
UPDATE = {"comment": "updated", "time_limit": 3, "nice": 10}


@pytest.mark.parametrize("version", VERSIONS)
def test_update(alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str) -> None:
    pair = _submit_held(alice, version, workdir, cancel_at_end)
    _act_on_both(alice, "POST", version, pair, body=job_update(version, **UPDATE))

    updated = alice.job(pair.a)
    assert (updated["comment"], number_of(updated["time_limit"]), updated["nice"]) == (
        "updated",
        3,
        10,
    )
    # v0.0.36's slurmrestd also renames the job "openapi" on any update: give both one name.
    for job_id in (pair.a, pair.b):
        subprocess.run(
            ["scontrol", "update", f"jobid={job_id}", "name=differential-updated"],
            check=True,
            env=slurm_client_env(),
        )
    assert_same_job(alice, version, pair, after="updated alike")


@pytest.mark.parametrize("version", VERSIONS)
def test_cancel(alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str) -> None:
    pair = _submit_held(alice, version, workdir, cancel_at_end)
    _act_on_both(alice, "DELETE", version, pair)

    alice.wait_for([pair.a, pair.b], {"CANCELLED"}, timeout=10)
    assert_same_job(alice, version, pair, after="cancelled alike")
