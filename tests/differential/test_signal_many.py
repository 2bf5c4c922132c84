"""DELETE jobs (v0.0.40 on): signal the jobs a filter chooses, through both daemons alike.

Each case submits two held jobs named apart, A and B, and sends the same filter, naming A to
slurmrestd and B to slurmgate; the answers, with each job's id written alike, must agree, and
so must what became of the jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.differential.pair import (
    VERSIONS,
    CancelAtEnd,
    Daemons,
    assert_alike,
    documented,
    job_request,
    response_schema,
    same_job,
    states_of,
)

Filter = Callable[[str, int, str], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    name: str
    #: The request body, from the job's name, its id and its owner.
    body: Filter
    #: The state the chosen job ends in.
    ends: str


CASES = (
    Case("by name", lambda name, _id, _user: {"job_name": name}, "CANCELLED"),
    Case(
        "by name, verbose",
        lambda name, _id, _user: {"job_name": name, "flags": ["VERBOSE"]},
        "CANCELLED",
    ),
    Case(
        "by id, user and state, verbose",
        lambda _name, job_id, user: {
            "jobs": [str(job_id)],
            "user_name": user,
            "job_state": ["PENDING"],
            "flags": ["VERBOSE"],
        },
        "CANCELLED",
    ),
    # A pending job cannot take a signal other than a kill: a failure, listed unasked.
    Case(
        "a signal a pending job refuses",
        lambda _name, job_id, _user: {"jobs": [str(job_id)], "signal": "SIGUSR1"},
        "PENDING",
    ),
)


def _params() -> list[object]:
    return [
        pytest.param(version, case, id=f"{version}-{case.name.replace(' ', '-')}")
        for version in VERSIONS
        if documented(version, "DELETE", "jobs")
        for case in CASES
    ]


@pytest.mark.parametrize(("version", "case"), _params())
def test_signal_chosen_jobs(
    alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd, version: str, case: Case
) -> None:
    names, ids = [], []
    for side in ("a", "b"):
        names.append(f"differential-signal-{version}-{side}")
        ids.append(alice.submit(version, job_request(workdir, names[-1], version, hold=True)))
        cancel_at_end(alice, ids[-1])
    restd = alice.restd(
        "DELETE", f"/slurm/{version}/jobs", json=case.body(names[0], ids[0], alice.user)
    )
    gate = alice.gate(
        "DELETE", f"/slurm/{version}/jobs", json=case.body(names[1], ids[1], alice.user)
    )
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, alice.explain(gate)
    assert_alike(
        f"DELETE /slurm/{version}/jobs ({case.name})",
        version,
        same_job(restd.body, ids[0]),
        same_job(gate.body, ids[1]),
        response_schema(version, "DELETE", "jobs"),
    )
    alice.wait_for(ids, {case.ends}, timeout=10)
    assert [states_of(alice.job(job_id))[0] for job_id in ids] == [case.ends, case.ends]
