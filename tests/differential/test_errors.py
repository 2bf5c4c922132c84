"""Failures: the same error (number and text) from both daemons, and slurmgate's own status.

slurmrestd answers 500 for every failure; slurmgate answers 404 for unknown ids, 403 when the
user may not touch the job, 400 for a request Slurm refuses (docs/api.md, Errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.differential.pair import (
    VERSIONS,
    Both,
    Daemons,
    assert_alike,
    documented,
    job_request,
    response_schema,
)

#: No such job: below MaxJobId, far above the ids a test cluster reaches.
MISSING_JOB = 60_000_000


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    template: str
    #: slurmgate's HTTP status.
    status: int
    params: dict[str, str] | None = None
    #: The job is bob's (else: no such job).
    bobs: bool = False


CASES = (
    Case("unknown job", "GET", "job/{job_id}", 404),
    Case("update unknown job", "POST", "job/{job_id}", 404),
    Case("cancel unknown job", "DELETE", "job/{job_id}", 404),
    Case("unknown node", "GET", "node/{node_name}", 404),
    Case("unknown partition", "GET", "partition/{partition_name}", 404),
    Case("unknown reservation", "GET", "reservation/{reservation_name}", 404),
    Case("cancel someone else's job", "DELETE", "job/{job_id}", 403, bobs=True),
    Case("signal someone else's job", "DELETE", "job/{job_id}", 403, {"signal": "USR1"}, True),
    Case("update someone else's job", "POST", "job/{job_id}", 403, bobs=True),
    Case("invalid partition on submit", "POST", "job/submit", 400),
)

UPDATE = {"comment": "not yours"}


def _params() -> list[Any]:
    return [
        pytest.param(version, case, id=f"{version}-{case.name.replace(' ', '-')}")
        for version in VERSIONS
        for case in CASES
        if documented(version, case.method, case.template)
    ]


def error_of(entry: dict[str, Any]) -> tuple[int | None, str]:
    """(number, text) of an errors[] entry, whichever key the daemon put the number under."""
    number = next((entry[k] for k in ("error_number", "errno", "error_code") if k in entry), None)
    return number, entry.get("error", "")


def _send(daemons: Daemons, version: str, case: Case, tail: str, workdir: Path) -> Both:
    body: Any = None
    if case.template == "job/submit":
        body = job_request(workdir, "differential-refused", partition="nosuchpartition")
    elif case.method == "POST":
        body = UPDATE
    return daemons.both(case.method, version, tail, body, case.params)


@pytest.mark.parametrize(("version", "case"), _params())
def test_error(alice: Daemons, bobs_job: int, workdir: Path, version: str, case: Case) -> None:
    tail = case.template.format(
        job_id=bobs_job if case.bobs else MISSING_JOB,
        node_name="nosuchnode",
        partition_name="nosuchpartition",
        reservation_name="nosuchreservation",
    )
    both = _send(alice, version, case, tail, workdir)
    assert both.restd.status == 500, f"slurmrestd: {both.restd}"
    assert both.gate.status == case.status, alice.explain(both.gate)

    (theirs,) = both.restd.body["errors"]
    if theirs.get("error_code") == 0:
        # v0.0.36 prints {"error": "<function>: <message>", "error_code": 0} for some
        # failures: the error Slurm gave is the one v0.0.38 prints.
        theirs = _send(alice, "v0.0.38", case, tail, workdir).restd.body["errors"][0]
    (ours,) = both.gate.body["errors"]
    assert error_of(ours) == error_of(theirs), f"{both.request}: {ours} vs slurmrestd's {theirs}"
    if version != "v0.0.38":  # their documents' name for the number (docs/api.md)
        assert ours["errno"] == ours["error_number"]

    schema = response_schema(version, case.method, case.template)
    theirs_besides = {k: v for k, v in both.restd.body.items() if k != "errors"}
    ours_besides = {k: v for k, v in both.gate.body.items() if k != "errors"}
    assert_alike(f"{both.request} (besides errors[])", theirs_besides, ours_besides, schema)
