"""The same request, with the same user's token, to slurmrestd and to slurmgate."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from slurmgate.api.openapi import build_openapi
from slurmgate.auth.tokens import mint
from tests.differential.compare import Difference, SchemaResolver, compare, report
from tests.differential.known import VOLATILE, patterns, unexplained
from tests.support.lab import MIRROR_MAX_AGE, LabGateway

VERSIONS = ("v0.0.36", "v0.0.37", "v0.0.38")

#: slurmgate's own document (what it declares it prints), to name the places compared.
OURS = build_openapi()
RESOLVER = SchemaResolver(OURS)

#: Updates and cancellations have no schema in the document; both daemons answer with
#: meta and errors.
EMPTY_RESPONSE = {
    "type": "object",
    "properties": {
        "meta": {"$ref": "#/components/schemas/v0.0.38_meta"},
        "errors": {"type": "array"},
    },
}


def documented(version: str, method: str, template: str) -> bool:
    """Whether slurmgate serves this operation in this version."""
    return method.lower() in OURS["paths"].get(f"/slurm/{version}/{template}", {})


def response_schema(version: str, method: str, template: str) -> dict[str, Any]:
    """slurmgate's 200 response schema for an operation (``EMPTY_RESPONSE`` if none)."""
    operation = OURS["paths"][f"/slurm/{version}/{template}"][method.lower()]
    content = operation["responses"].get("200", {}).get("content", {})
    schema: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return schema or EMPTY_RESPONSE


@dataclass(frozen=True)
class Answer:
    status: int
    #: The decoded JSON body; None when the body is not JSON (slurmrestd's 404s are empty).
    body: Any
    text: str

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        try:
            body = response.json()
        except ValueError:
            body = None
        return cls(response.status_code, body, response.text)

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.text[:2000]}"


@dataclass(frozen=True)
class Both:
    restd: Answer
    gate: Answer
    #: What was asked, for messages: "GET /slurm/v0.0.38/nodes".
    request: str


class Daemons:
    """One user's clients for slurmrestd and for slurmgate (restarted if it died)."""

    def __init__(self, restd_url: str, gateway: LabGateway, key: bytes, user: str) -> None:
        self.user = user
        self.gateway = gateway
        token = mint(key, user, lifespan=900, now=int(time.time()))
        headers = {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token}
        self.http = httpx.Client(headers=headers, timeout=30.0)
        self.restd_url = restd_url

    def close(self) -> None:
        self.http.close()

    def restd(self, method: str, path: str, **kwargs: Any) -> Answer:
        return Answer.of(self.http.request(method, f"{self.restd_url}{path}", **kwargs))

    def gate(self, method: str, path: str, **kwargs: Any) -> Answer:
        if not self.gateway.running:  # it died in an earlier test, which failed for it
            self.gateway.start()
        try:
            response = self.http.request(method, f"{self.gateway.base_url}{path}", **kwargs)
        except httpx.TransportError as exc:
            raise AssertionError(
                f"slurmgate did not answer {method} {path} ({exc!r}); running: "
                f"{self.gateway.running}; its log ends with:\n{self.gateway.log_tail()}"
            ) from exc
        return Answer.of(response)

    def explain(self, answer: Answer) -> str:
        """slurmgate's answer, with the end of its log when it failed inside (HTTP 500)."""
        if answer.status != 500:
            return f"slurmgate: {answer}"
        return f"slurmgate: {answer}\nits log ends with:\n{self.gateway.log_tail()}"

    def both(
        self,
        method: str,
        version: str,
        tail: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Both:
        """Send one request to each daemon: slurmrestd first, then slurmgate."""
        path = f"/slurm/{version}/{tail}"
        kwargs: dict[str, Any] = {"params": params}
        if body is not None:  # slurmrestd refuses any body on GET and DELETE
            kwargs["json"] = body
        restd = self.restd(method, path, **kwargs)
        gate = self.gate(method, path, **kwargs)
        query = f"?{httpx.QueryParams(params)}" if params else ""
        return Both(restd, gate, f"{method} {path}{query}")

    def job(self, job_id: int, version: str = "v0.0.38") -> dict[str, Any]:
        """The job as slurmrestd shows it."""
        answer = self.restd("GET", f"/slurm/{version}/job/{job_id}")
        assert answer.status == 200, answer
        jobs = [j for j in answer.body["jobs"] if str(j["job_id"]) == str(job_id)]
        assert len(jobs) == 1, answer
        record: dict[str, Any] = jobs[0]
        return record

    def wait_for(self, job_ids: Iterable[int], states: set[str], timeout: float = 30.0) -> None:
        """Until every job is in one of ``states`` (as slurmrestd shows it)."""
        deadline = time.monotonic() + timeout
        waiting = {job_id: "" for job_id in job_ids}
        while waiting and time.monotonic() < deadline:
            for job_id in list(waiting):
                record = self.job(job_id)
                waiting[job_id] = f"{record['job_state']} ({record['state_reason']})"
                if record["job_state"] in states:
                    del waiting[job_id]
            time.sleep(0.2)
        assert not waiting, (
            f"after {timeout}s these jobs are not {sorted(states)}: {waiting} "
            "(is the lab node busy with other jobs?)"
        )


#: Registers a job (its owner's clients, its id) to cancel when the session ends.
CancelAtEnd = Callable[[Daemons, int], None]


def differences(
    daemon: Any, gateway: Any, schema: dict[str, Any] | None, *, volatile: Iterable[str] = ()
) -> list[Difference]:
    """The differences between two bodies that known.py does not explain."""
    found = compare(
        daemon,
        gateway,
        schema=schema,
        resolver=RESOLVER,
        volatile=patterns(VOLATILE) + tuple(volatile),
    )
    return unexplained(found)


def _message(what: str, found: list[Difference]) -> str:
    return f"{what}: {len(found)} difference(s), slurmrestd vs slurmgate:\n{report(found)}"


def assert_alike(
    what: str,
    daemon: Any,
    gateway: Any,
    schema: dict[str, Any] | None,
    *,
    volatile: Iterable[str] = (),
) -> None:
    __tracebackhide__ = True
    found = differences(daemon, gateway, schema, volatile=volatile)
    assert not found, _message(what, found)


def assert_reads_alike(daemons: Daemons, version: str, template: str, **ids: object) -> Both:
    """GET the same thing from both until they agree.

    Others' jobs may move in between, and slurmgate serves its mirror, which may lag what
    slurmrestd just saw by up to ``mirror.max_age``: they must agree within that time.
    """
    __tracebackhide__ = True
    schema = response_schema(version, "GET", template)
    deadline = time.monotonic() + MIRROR_MAX_AGE + 1.0
    while True:
        both = daemons.both("GET", version, template.format(**ids))
        assert both.restd.status == 200, f"slurmrestd: {both.restd}"
        assert both.gate.status == 200, daemons.explain(both.gate)
        found = differences(both.restd.body, both.gate.body, schema)
        if not found:
            return both
        if time.monotonic() > deadline:
            raise AssertionError(_message(both.request, found))
        time.sleep(0.5)


SLEEP = "#!/bin/sh\nsleep 300\n"


def job_request(workdir: Path, name: str, *, script: str = SLEEP, **job: object) -> dict[str, Any]:
    """A submission both daemons accept in every version: the script at the top level.

    22.05's slurmrestd reads the script only there, in v0.0.36 too. The job asks for little
    memory so that it fits on the lab node beside other jobs.
    """
    return {
        "script": script,
        "job": {
            "name": name,
            "current_working_directory": str(workdir),
            "environment": {"PATH": "/usr/bin:/bin", "LANG": "C"},
            "memory_per_node": 64,
            "time_limit": 5,
            **job,
        },
    }
