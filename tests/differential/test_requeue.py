"""Requeue (v0.0.45: GET job/{id}/requeue, POST jobs/requeue) of running jobs, and their
resource layouts (v0.0.44 on), through both daemons alike.

A module of its own: its jobs run, and take CPUs of the lab's node, only while it runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.differential.pair import (
    VERSIONS,
    CancelAtEnd,
    Daemons,
    Pair,
    assert_alike,
    assert_reads_alike,
    assert_same_job,
    documented,
    job_request,
    response_schema,
    same_job,
    states_of,
)

SCRIPT = "#!/bin/sh\nsleep 300\n"
LAYOUTS = [v for v in VERSIONS if documented(v, "GET", "resources/{job_id}")]
REQUEUES = [v for v in VERSIONS if documented(v, "GET", "job/{job_id}/requeue")]


def _running_pair(
    daemons: Daemons, version: str, workdir: Path, end: CancelAtEnd, name: str
) -> Pair:
    """Two running jobs, both submitted through slurmrestd."""
    ids = []
    for _ in range(2):
        ids.append(daemons.submit(version, job_request(workdir, name, version, script=SCRIPT)))
        end(daemons, ids[-1])
    daemons.wait_for(ids, {"RUNNING"})
    return Pair(*ids)


@pytest.mark.parametrize("version", LAYOUTS)
def test_resource_layout(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    pair = _running_pair(alice, version, workdir, cancel_at_end, f"differential-layout-{version}")
    for job_id in (pair.a, pair.b):
        both = assert_reads_alike(alice, version, "resources/{job_id}", job_id=job_id)
        assert both.gate.body["nodes"]
    for job_id in (pair.a, pair.b):
        alice.cancel(job_id)


@pytest.mark.parametrize("version", REQUEUES)
def test_requeue(alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str) -> None:
    pair = _running_pair(alice, version, workdir, cancel_at_end, f"differential-requeue-{version}")
    path = f"/slurm/{version}/job/{{}}/requeue"
    restd = alice.restd("GET", path.format(pair.a))
    gate = alice.gate("GET", path.format(pair.b))
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, alice.explain(gate)
    schema = response_schema(version, "GET", "job/{job_id}/requeue")
    assert_alike(f"GET {path}", version, restd.body, gate.body, schema)
    alice.wait_for([pair.a, pair.b], {"PENDING"}, timeout=15)
    assert_same_job(alice, version, pair, after="requeued alike")
    for job_id in (pair.a, pair.b):
        alice.cancel(job_id)


@pytest.mark.parametrize("version", REQUEUES)
def test_requeue_many(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str
) -> None:
    pair = _running_pair(alice, version, workdir, cancel_at_end, f"differential-requeue-{version}")
    path = f"/slurm/{version}/jobs/requeue"
    restd = alice.restd("POST", path, json={"jobs": [str(pair.a)], "flags": ["HOLD"]})
    gate = alice.gate("POST", path, json={"jobs": [str(pair.b)], "flags": ["HOLD"]})
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, alice.explain(gate)
    schema = response_schema(version, "POST", "jobs/requeue")
    assert_alike(f"POST {path}", version, same_job(restd.body, pair.a),
                 same_job(gate.body, pair.b), schema)  # fmt: skip
    alice.wait_for([pair.a, pair.b], {"PENDING"}, timeout=15)
    assert [states_of(alice.job(job_id))[0] for job_id in (pair.a, pair.b)] == ["PENDING"] * 2
    assert_same_job(alice, version, pair, after="requeued held alike")
    for job_id in (pair.a, pair.b):
        alice.cancel(job_id)
