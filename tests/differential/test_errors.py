"""Failures: the same error (number and text) from both daemons, and slurmgate's own status.

slurmrestd answers 500 (22.05), and 200, 404 or 422 (the later releases) to failures, as each
plugin chooses; slurmgate answers 404 for unknown ids, 403 when the user may not touch the
job, 400 for a request Slurm refuses, 422 for one it cannot read (docs/api.md, Errors).
Where slurmgate reports another error than the daemon, ``known.ERRORS`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.differential.known import error_explained
from tests.differential.pair import (
    RELEASE,
    VERSIONS,
    Both,
    Daemons,
    assert_alike,
    documented,
    job_request,
    legacy,
    response_schema,
)
from tests.support.lab import Lab

#: No such job: below MaxJobId, far above the ids a test cluster reaches.
MISSING_JOB = 60_000_000


@dataclass(frozen=True)
class Context:
    """What a request body may name."""

    workdir: Path
    version: str
    bobs_job: int
    node: str


Body = Callable[[Context], Any]


def _submission(**job: Any) -> Body:
    return lambda c: job_request(c.workdir, "differential-refused", c.version, **job)


def _no_script(c: Context) -> Any:
    request = job_request(c.workdir, "differential-refused", c.version)
    del request["job"]["script"]
    return request


def _allocation(c: Context) -> Any:
    request = job_request(c.workdir, "differential-refused", c.version, partition="nosuchpartition")
    del request["job"]["script"]
    return request


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
    body: Body | None = None
    #: Only in the data_parser versions (v0.0.40 on).
    newer: bool = False
    #: The node named is the lab's (else: no such node).
    real_node: bool = False


UPDATE: Body = lambda _c: {"comment": "not yours"}  # noqa: E731

CASES = (
    Case("unknown job", "GET", "job/{job_id}", 404),
    Case("update unknown job", "POST", "job/{job_id}", 404, body=UPDATE),
    Case("cancel unknown job", "DELETE", "job/{job_id}", 404),
    Case("unknown node", "GET", "node/{node_name}", 404),
    Case("unknown partition", "GET", "partition/{partition_name}", 404),
    Case("unknown reservation", "GET", "reservation/{reservation_name}", 404),
    Case("cancel someone else's job", "DELETE", "job/{job_id}", 403, bobs=True),
    Case("signal someone else's job", "DELETE", "job/{job_id}", 403, {"signal": "USR1"}, True),
    Case("update someone else's job", "POST", "job/{job_id}", 403, bobs=True, body=UPDATE),
    Case(
        "invalid partition on submit",
        "POST",
        "job/submit",
        400,
        body=_submission(partition="nosuchpartition"),
    ),
    Case("submission without a script", "POST", "job/submit", 422, body=_no_script, newer=True),
    Case(
        "a value that does not convert",
        "POST",
        "job/submit",
        400,
        body=_submission(nice="very"),
        newer=True,
    ),
    Case("signal without a filter", "DELETE", "jobs", 400, body=lambda _c: {}, newer=True),
    Case("allocation in an unknown partition", "POST", "job/allocate", 400, body=_allocation),
    Case("malformed job ids", "GET", "jobs/state", 422, {"job_id": "12,x"}, newer=True),
    Case("update a node as a user", "POST", "node/{node_name}", 403, body=UPDATE, real_node=True),
    Case(
        "update nodes as a user",
        "POST",
        "nodes",
        403,
        body=lambda c: {"comment": "not yours", "name": [c.node]},
    ),
    Case("remove a node as a user", "DELETE", "node/{node_name}", 403, real_node=True),
    Case("reconfigure as a user", "GET", "reconfigure", 501),
    Case("requeue someone else's job", "GET", "job/{job_id}/requeue", 403, bobs=True),
    Case(
        "requeue someone else's jobs",
        "POST",
        "jobs/requeue",
        403,
        body=lambda c: {"jobs": [str(c.bobs_job)]},
    ),
    Case("layout of someone else's job", "GET", "resources/{job_id}", 403, bobs=True),
)


def _params() -> list[Any]:
    return [
        pytest.param(version, case, id=f"{version}-{case.name.replace(' ', '-')}")
        for version in VERSIONS
        for case in CASES
        if documented(version, case.method, case.template) and not (case.newer and legacy(version))
    ]


def error_of(entry: dict[str, Any]) -> tuple[int | None, str]:
    """(number, text) of an errors[] entry, whichever key the daemon put the number under."""
    number = next((entry[k] for k in ("error_number", "errno", "error_code") if k in entry), None)
    return number, entry.get("error", "")


def reported(body: Any) -> list[tuple[int | None, str]]:
    """Every error an answer reports: in errors[], and (v0.0.42 on) a signal's status[]."""
    if not isinstance(body, dict):
        return []
    found = [error_of(entry) for entry in body.get("errors", [])]
    for entry in body.get("status") or []:
        if isinstance(entry, dict) and entry.get("error", {}).get("code"):
            found.append((entry["error"]["code"], entry["error"]["string"]))
    return found


def _send(daemons: Daemons, case: Case, tail: str, context: Context) -> Both:
    body = case.body(context) if case.body else None
    return daemons.both(case.method, context.version, tail, body, case.params)


@pytest.mark.parametrize(("version", "case"), _params())
def test_error(
    alice: Daemons, lab: Lab, bobs_job: int, workdir: Path, version: str, case: Case
) -> None:
    tail = case.template.format(
        job_id=bobs_job if case.bobs else MISSING_JOB,
        node_name=lab.node if case.real_node else "nosuchnode",
        partition_name="nosuchpartition",
        reservation_name="nosuchreservation",
    )
    context = Context(workdir, version, bobs_job, lab.node)
    both = _send(alice, case, tail, context)
    assert both.gate.status == case.status, alice.explain(both.gate)

    theirs = reported(both.restd.body)
    if theirs and theirs[0][0] == 0 and legacy(version) and version != "v0.0.38":
        # v0.0.36 prints {"error": "<function>: <message>", "error_code": 0} for some
        # failures: the error Slurm gave is the one v0.0.38 prints.
        older = Context(workdir, "v0.0.38", bobs_job, lab.node)
        theirs = reported(_send(alice, case, tail, older).restd.body)
    (ours,) = reported(both.gate.body)
    if theirs[:1] != [ours]:
        assert error_explained(case.name, version, RELEASE, theirs), (
            f"{both.request}: slurmgate reports {ours}, slurmrestd {theirs} "
            f"(HTTP {both.restd.status}: {both.restd.text[:1000]})"
        )
    if legacy(version) and version != "v0.0.38":  # their documents' name for the number
        assert both.gate.body["errors"][0]["errno"] == ours[0]

    schema = response_schema(version, case.method, case.template)
    theirs_besides = {k: v for k, v in (both.restd.body or {}).items() if k != "errors"}
    ours_besides = {k: v for k, v in both.gate.body.items() if k != "errors"}
    assert_alike(
        f"{both.request} (besides errors[])", version, theirs_besides, ours_besides, schema
    )
