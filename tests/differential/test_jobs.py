"""Submit, update, signal and cancel: the same request through both daemons, the same result.

Each test acts on two jobs submitted alike, A through slurmrestd and B through slurmgate, and
compares the answers, then the two jobs' records as slurmrestd shows them: they may differ only
in ``known.PER_JOB``. Running jobs are also read through both daemons (``test_reads.py`` reads
a held one).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.differential.compare import compare, report
from tests.differential.known import PER_JOB, PER_JOB_CORES, VOLATILE, patterns
from tests.differential.pair import (
    RESOLVER,
    VERSIONS,
    Both,
    CancelAtEnd,
    Daemons,
    assert_alike,
    assert_reads_alike,
    job_request,
    response_schema,
)
from tests.support.lab import slurm_client_env

#: Runs until cancelled; notes every SIGUSR1 in a file named after the job.
TRAPPING = """#!/bin/sh
trap 'echo USR1 >> "signalled-$SLURM_JOB_ID"' USR1
while :; do sleep 1; done
"""


@dataclass(frozen=True)
class Pair:
    """Two jobs submitted alike: A is acted on through slurmrestd, B through slurmgate."""

    a: int
    b: int


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
    request = job_request(workdir, f"differential-held-{version}", hold=True)
    ids = []
    for _ in range(2):
        answer = daemons.restd("POST", f"/slurm/{version}/job/submit", json=request)
        assert answer.status == 200, answer
        ids.append(answer.body["job_id"])
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
    assert_alike(what, restd.body, gate.body, response_schema(version, method, "job/{job_id}"))


def assert_same_job(daemons: Daemons, version: str, pair: Pair, *, after: str) -> None:
    """A and B, as slurmrestd shows them, differ only in what differs between any two jobs."""
    __tracebackhide__ = True
    listing = response_schema(version, "GET", "jobs")
    schema = RESOLVER.items(RESOLVER.property(listing, "jobs")[0])
    found = compare(
        daemons.job(pair.a, version),
        daemons.job(pair.b, version),
        schema=schema,
        resolver=RESOLVER,
        volatile=patterns(VOLATILE) + patterns(PER_JOB),
        ignore=patterns(PER_JOB_CORES),
        root="$.jobs[]",
    )
    assert not found, (
        f"{after} ({version}), job {pair.a} (labelled slurmrestd) and job {pair.b} (labelled "
        f"slurmgate) differ:\n{report(found)}"
    )


@pytest.fixture(scope="module")
def running(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd
) -> dict[str, tuple[Pair, Both]]:
    """Per version, two running jobs submitted alike, and the answers (waited for at once)."""
    submitted = {
        version: _submit(
            alice,
            version,
            job_request(workdir, f"differential-{version}", script=TRAPPING),
            cancel_at_end,
        )
        for version in VERSIONS
    }
    alice.wait_for([j for pair, _ in submitted.values() for j in (pair.a, pair.b)], {"RUNNING"})
    return submitted


@pytest.mark.parametrize("version", VERSIONS)
def test_submission_answer(version: str, running: dict[str, tuple[Pair, Both]]) -> None:
    _, both = running[version]
    schema = response_schema(version, "POST", "job/submit")
    assert_alike(both.request, both.restd.body, both.gate.body, schema, volatile=["$.job_id"])


@pytest.mark.parametrize("version", VERSIONS)
def test_submitted_jobs_are_alike(
    alice: Daemons, version: str, running: dict[str, tuple[Pair, Both]]
) -> None:
    pair, _ = running[version]
    assert_same_job(alice, version, pair, after="submitted alike")


@pytest.mark.parametrize("version", VERSIONS)
def test_running_jobs_read_alike(
    alice: Daemons, version: str, running: dict[str, tuple[Pair, Both]]
) -> None:
    pair, _ = running[version]
    for job_id in (pair.a, pair.b):
        assert_reads_alike(alice, version, "job/{job_id}", job_id=job_id)


@pytest.mark.parametrize("version", VERSIONS)
def test_signal(
    alice: Daemons, workdir: Path, version: str, running: dict[str, tuple[Pair, Both]]
) -> None:
    pair, _ = running[version]
    _act_on_both(alice, "DELETE", version, pair, params={"signal": "USR1"})

    files = [workdir / f"signalled-{job_id}" for job_id in (pair.a, pair.b)]
    deadline = time.monotonic() + 10
    while not all(f.exists() for f in files) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [f.exists() for f in files] == [True, True], "the jobs' shells did not get SIGUSR1"
    assert [alice.job(j)["job_state"] for j in (pair.a, pair.b)] == ["RUNNING", "RUNNING"]
    assert_same_job(alice, version, pair, after="signalled alike")


# No name: 22.05's slurmrestd answers 200 to a new name but leaves the job's as it was
# (slurmgate applies it; tests/contract covers that).
UPDATE = {"comment": "updated", "time_limit": 3, "nice": 10}


@pytest.mark.parametrize("version", VERSIONS)
def test_update(alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str) -> None:
    pair = _submit_held(alice, version, workdir, cancel_at_end)
    _act_on_both(alice, "POST", version, pair, body=UPDATE)

    updated = alice.job(pair.a)
    assert (updated["comment"], updated["time_limit"], updated["nice"]) == ("updated", 3, 10)
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
