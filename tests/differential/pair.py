"""The same request, with the same user's token, to slurmrestd and to slurmgate.

Which API versions are compared depends on the lab the tests run in (docs/labs.md): the ones
both its slurmrestd and slurmgate serve. Request bodies are written in each version family's
own terms (``job_request``).
"""

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
from tests.differential.known import PER_JOB, PER_JOB_CORES, VOLATILE, patterns, unexplained
from tests.support.lab import MIRROR_MAX_AGE, LabGateway, lab_release

#: The API versions each lab's slurmrestd serves (and slurmgate too).
SERVED = {
    "22.05": ("v0.0.36", "v0.0.37", "v0.0.38"),
    "24.11": ("v0.0.40", "v0.0.41", "v0.0.42"),
    "26.05": ("v0.0.42", "v0.0.43", "v0.0.44", "v0.0.45"),
}
#: The release of the lab the tests run in, and the versions compared there.
RELEASE = lab_release()
VERSIONS = SERVED.get(RELEASE, SERVED["22.05"])
#: The version fixtures use for what is not compared (submitting, reading back, cancelling).
LATEST = VERSIONS[-1]
#: The versions of slurmrestd 22.05's own plugins; the later ones are data_parser versions.
LEGACY = frozenset(SERVED["22.05"])

#: slurmgate's own document (what it declares it prints), to name the places compared.
OURS = build_openapi()
RESOLVER = SchemaResolver(OURS)

#: Updates and cancellations have no schema in the old documents; both daemons answer with
#: meta and errors.
EMPTY_RESPONSE = {
    "type": "object",
    "properties": {
        "meta": {"$ref": "#/components/schemas/v0.0.38_meta"},
        "errors": {"type": "array"},
    },
}


def legacy(version: str) -> bool:
    return version in LEGACY


def documented(version: str, method: str, template: str) -> bool:
    """Whether slurmgate serves this operation in this version."""
    item = OURS["paths"].get(f"/slurm/{version}/{template}", {})
    return method.lower() in item


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


def states_of(record: dict[str, Any]) -> list[str]:
    """A job record's state: v0.0.36-38 print one name, later versions a list."""
    state = record["job_state"]
    return [state] if isinstance(state, str) else list(state)


def number_of(value: Any) -> Any:
    """A number as v0.0.36-38 print it, or the ``{"set", "infinite", "number"}`` of later ones."""
    return value["number"] if isinstance(value, dict) and "number" in value else value


class Daemons:
    """One user's clients for slurmrestd and for slurmgate (restarted if it died)."""

    def __init__(self, restd_url: str, gateway: LabGateway, key: bytes, user: str) -> None:
        self.user = user
        self.gateway = gateway
        token = mint(key, user, lifespan=3600, now=int(time.time()))
        headers = {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token}
        self.http = httpx.Client(headers=headers, timeout=60.0)
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
        params: dict[str, Any] | None = None,
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

    def submit(self, version: str, request: dict[str, Any]) -> int:
        """Submit through slurmrestd; the job's id."""
        answer = self.restd("POST", f"/slurm/{version}/job/submit", json=request)
        assert answer.status == 200, answer
        job_id: int = answer.body["job_id"]
        return job_id

    def job(self, job_id: int, version: str = LATEST) -> dict[str, Any]:
        """The job as slurmrestd shows it."""
        answer = self.restd("GET", f"/slurm/{version}/job/{job_id}")
        assert answer.status == 200, answer
        jobs = [j for j in answer.body["jobs"] if str(j["job_id"]) == str(job_id)]
        assert len(jobs) == 1, answer
        record: dict[str, Any] = jobs[0]
        return record

    def cancel(self, job_id: int) -> None:
        """Cancel through slurmrestd (a job that already ended is no failure)."""
        self.restd("DELETE", f"/slurm/{LATEST}/job/{job_id}")

    def wait_for(self, job_ids: Iterable[int], states: set[str], timeout: float = 30.0) -> None:
        """Until every job is in one of ``states`` (as slurmrestd shows it)."""
        deadline = time.monotonic() + timeout
        waiting = {job_id: "" for job_id in job_ids}
        while waiting and time.monotonic() < deadline:
            for job_id in list(waiting):
                record = self.job(job_id)
                found = states_of(record)
                waiting[job_id] = f"{found} ({record['state_reason']})"
                if states & set(found):
                    del waiting[job_id]
            time.sleep(0.2)
        assert not waiting, (
            f"after {timeout}s these jobs are not {sorted(states)}: {waiting} "
            "(is the lab node busy with other jobs?)"
        )


#: Registers a job (its owner's clients, its id) to cancel when the module ends.
CancelAtEnd = Callable[[Daemons, int], None]


@dataclass(frozen=True)
class Pair:
    """Two jobs submitted alike: A is acted on through slurmrestd, B through slurmgate."""

    a: int
    b: int


def assert_same_job(daemons: Daemons, version: str, pair: Pair, *, after: str) -> None:
    """A and B, as slurmrestd shows them, differ only in what differs between any two jobs
    (once slurmctld's scheduler has passed over both: it sets their reasons one by one)."""
    __tracebackhide__ = True
    listing = response_schema(version, "GET", "jobs")
    schema = RESOLVER.items(RESOLVER.property(listing, "jobs")[0])
    deadline = time.monotonic() + 10.0
    while True:
        found = compare(
            daemons.job(pair.a, version),
            daemons.job(pair.b, version),
            schema=schema,
            resolver=RESOLVER,
            volatile=patterns(VOLATILE) + patterns(PER_JOB),
            ignore=patterns(PER_JOB_CORES),
            root="$.jobs[]",
        )
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not found, (
        f"{after} ({version}), job {pair.a} (labelled slurmrestd) and job {pair.b} (labelled "
        f"slurmgate) differ:\n{report(found)}"
    )


def differences(
    version: str,
    daemon: Any,
    gateway: Any,
    schema: dict[str, Any] | None,
    *,
    volatile: Iterable[str] = (),
    root: str = "$",
) -> list[Difference]:
    """The differences between two bodies that known.py does not explain."""
    found = compare(
        daemon,
        gateway,
        schema=schema,
        resolver=RESOLVER,
        volatile=patterns(VOLATILE) + tuple(volatile),
        root=root,
    )
    return unexplained(found, version=version, release=RELEASE)


def _message(what: str, found: list[Difference]) -> str:
    return f"{what}: {len(found)} difference(s), slurmrestd vs slurmgate:\n{report(found)}"


def assert_alike(
    what: str,
    version: str,
    daemon: Any,
    gateway: Any,
    schema: dict[str, Any] | None,
    *,
    volatile: Iterable[str] = (),
    root: str = "$",
) -> None:
    __tracebackhide__ = True
    found = differences(version, daemon, gateway, schema, volatile=volatile, root=root)
    assert not found, _message(what, found)


def assert_reads_alike(
    daemons: Daemons,
    version: str,
    template: str,
    params: dict[str, Any] | None = None,
    **ids: object,
) -> Both:
    """GET the same thing from both until they agree.

    Others' jobs may move in between, and slurmgate serves its mirror, which may lag what
    slurmrestd just saw by up to ``mirror.max_age``: they must agree within that time.
    """
    __tracebackhide__ = True
    schema = response_schema(version, "GET", template)
    deadline = time.monotonic() + MIRROR_MAX_AGE + 3.0
    while True:
        both = daemons.both("GET", version, template.format(**ids), params=params)
        assert both.restd.status == 200, f"slurmrestd: {both.restd}"
        assert both.gate.status == 200, daemons.explain(both.gate)
        found = differences(version, both.restd.body, both.gate.body, schema)
        if not found:
            return both
        if time.monotonic() > deadline:
            # Other runs in the lab may change jobs all along: what changed within the
            # mirror's age may still differ, anything older may not.
            moving = in_flux(both.restd.body) | in_flux(both.gate.body)
            found = [d for d in found if _job_of(d.path) not in moving]
            if not found:
                return both
            raise AssertionError(_message(both.request, found))
        time.sleep(0.5)


#: Seconds after a job's last change during which slurmgate may show its previous state.
FLUX = MIRROR_MAX_AGE + 2.0
_JOB_TIMES = ("submit_time", "start_time", "end_time", "suspend_time", "resize_time")


def in_flux(body: Any) -> set[str]:
    """The ids of the listed jobs that changed within ``FLUX`` seconds."""
    jobs = body.get("jobs") if isinstance(body, dict) else None
    since = time.time() - FLUX
    return {
        str(job.get("job_id"))
        for job in jobs or ()
        if isinstance(job, dict)
        and any(
            isinstance(t, int | float) and t > since
            for t in (number_of(job.get(k)) for k in _JOB_TIMES)
        )  # fmt: skip
    }


def _job_of(path: str) -> str | None:
    """The job a listing's difference is in: ``$.jobs[job_id=12].nice`` -> "12"."""
    prefix = "$.jobs[job_id="
    return path[len(prefix) :].split("]", 1)[0] if path.startswith(prefix) else None


def same_job(body: Any, job_id: int, token: int = 0) -> Any:
    """``body`` with every mention of ``job_id`` (a number, or text such as "12" or "12_3")
    replaced by ``token``: to compare answers about two jobs acted on alike."""
    if isinstance(body, dict):
        return {k: same_job(v, job_id, token) for k, v in body.items()}
    if isinstance(body, list):
        return [same_job(v, job_id, token) for v in body]
    if isinstance(body, bool):
        return body
    if body == job_id:
        return token
    if isinstance(body, str) and body.split("_")[0] == str(job_id):
        return body.replace(str(job_id), str(token), 1)
    return body


SLEEP = "#!/bin/sh\nsleep 300\n"


def job_request(
    workdir: Path, name: str, version: str, *, script: str = SLEEP, **job: object
) -> dict[str, Any]:
    """A submission in ``version``'s own terms that both daemons accept.

    v0.0.36-38: sbatch's options, the environment as an object and the script at the top
    level (22.05's slurmrestd reads it only there); v0.0.40 on: the job description, its
    environment as ``NAME=value`` items, the script in it and its limits as number objects.
    The job asks for little memory so that it fits on the lab node beside other jobs.
    """
    fields: dict[str, Any] = {
        "name": name,
        "current_working_directory": str(workdir),
        "memory_per_node": 64,
        "time_limit": 5,
        **job,
    }
    if legacy(version):
        environment = {"PATH": "/usr/bin:/bin", "LANG": "C"}
        return {"script": script, "job": {**fields, "environment": environment}}
    for key in ("memory_per_node", "time_limit", "priority"):
        if isinstance(fields.get(key), int):
            fields[key] = {"set": True, "infinite": False, "number": fields[key]}
    return {"job": {**fields, "environment": ["PATH=/usr/bin:/bin", "LANG=C"], "script": script}}


def job_update(version: str, **changes: object) -> dict[str, Any]:
    """A job update in ``version``'s own terms (v0.0.40 on: limits as number objects)."""
    if legacy(version):
        return dict(changes)
    return {
        key: {"set": True, "infinite": False, "number": value}
        if key in ("time_limit", "priority") and isinstance(value, int)
        else value
        for key, value in changes.items()
    }
