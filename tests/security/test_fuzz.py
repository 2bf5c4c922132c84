"""Schema-driven fuzzing of a real ``slurmgate serve``, from slurmgate's own OpenAPI document.

schemathesis generates requests for every operation of the document (every version and
slurmgate's own paths), valid and invalid alike, with a valid token and without one. Whatever
arrives, the gateway must answer in slurmrestd's envelope, never with a 5xx, conform to the
document it publishes, and still be serving afterwards.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode

from slurmgate.api.openapi import build_openapi
from slurmgate.auth.tokens import mint
from tests.support.cluster import current_user, read_key, start_gateway, stop_process

pytestmark = pytest.mark.slow

# The only partition is DOWN: generated submissions are accepted and stay PENDING, so the
# fuzzer never starts a process. Small arrays keep one generated submission cheap.
CONFIG = """
[local]
kill_wait = 1
sched_interval = 0.5
max_array_size = 8

[[local.nodes]]
name = "node1"
cpus = 2
memory = 1024

[[local.partitions]]
name = "debug"
default = true
state = "DOWN"
"""

TOKEN_HEADER = "X-SLURM-USER-TOKEN"  # noqa: S105 - a header name
#: ESLURM_JOB_HELD: slurmctld's notice that it accepted a job held.
HELD = 2042
#: ESLURM_NOT_SUPPORTED: what this backend cannot do (501).
NOT_SUPPORTED = 2036
USER_HEADER = "X-SLURM-USER-NAME"


def not_a_server_error_but_unsupported(ctx: Any, response: Response, case: Any) -> bool | None:
    """No 5xx, but for the 501 the document's unsupported operations answer (NotSupported)."""
    if response.status_code == 501:
        errors = orjson.loads(response.content).get("errors") or [{}]
        if errors[0].get("error_number") == NOT_SUPPORTED:
            return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    not_a_server_error_but_unsupported,
    response_schema_conformance,
    content_type_conformance,
]
# Bounded for two cores: the whole module takes a few minutes. Every version is fuzzed; the
# versions share their machinery, so the newest of each family (v0.0.38, v0.0.45) gets the
# most examples and the others a sample.
AUTHENTICATED = settings(
    max_examples=100,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
ANONYMOUS = settings(AUTHENTICATED, max_examples=20)
# Job submissions and updates are where the parser and the backend meet: they get more.
JOB_BODIES = settings(AUTHENTICATED, max_examples=300)
SAMPLED = settings(AUTHENTICATED, max_examples=25)
SAMPLED_ANONYMOUS = settings(AUTHENTICATED, max_examples=5)
SAMPLED_JOB_BODIES = settings(AUTHENTICATED, max_examples=60)
#: The versions fuzzed in full, in /slurm/ and /slurmdb/ alike; the others are sampled.
FULL = ("v0.0.38", "v0.0.45")
_VERSIONED = re.compile(r"/(v0\.0\.\d+)/")


def _budget(label: str, *, anonymous: bool = False) -> Any:
    versioned = _VERSIONED.search(label)
    full = versioned is None or versioned.group(1) in FULL
    if anonymous:
        return ANONYMOUS if full else SAMPLED_ANONYMOUS
    if label.startswith("POST /slurm/"):
        return JOB_BODIES if full else SAMPLED_JOB_BODIES
    return AUTHENTICATED if full else SAMPLED


@dataclass
class Target:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    user: str
    token: str
    #: Answers to the fuzz tests' requests, per (test, operation, status).
    sent: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    @property
    def auth(self) -> dict[str, str]:
        return {TOKEN_HEADER: self.token, USER_HEADER: self.user}

    def call(self, case: schemathesis.Case, test: str, **kwargs: Any) -> Response:
        response = case.call(base_url=self.base_url, timeout=30, **kwargs)
        self.sent[test, case.operation.label, response.status_code] += 1
        return response


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    state_dir = tmp_path_factory.mktemp("fuzz")
    process, base_url = start_gateway(state_dir, CONFIG)
    try:
        user = current_user()
        token = mint(read_key(state_dir), user, lifespan=3600, now=int(time.time()))
        found = Target(base_url, process, state_dir / "gateway.log", user, token)
        assert httpx.get(f"{base_url}/openapi/v3").json() == DOCUMENT
        _seed_jobs(found, count=5)
        yield found
        print(_summary(found.sent))  # noqa: T201 - the figures, for whoever runs with -s
    finally:
        stop_process(process)


def _summary(sent: Counter[tuple[str, str, int]]) -> str:
    by_test: Counter[str] = Counter()
    by_status: Counter[int] = Counter()
    for (test, _, status), count in sent.items():
        by_test[test] += count
        by_status[status] += count
    submits: Counter[int] = Counter()
    for (_, label, status), count in sent.items():
        if label.endswith("/job/submit"):
            submits[status] += count
    return (
        f"\nfuzzing sent {sum(by_test.values())} requests: {dict(by_test)};"
        f" statuses {dict(sorted(by_status.items()))}; job/submit statuses {dict(submits)}"
    )


def _seed_jobs(target: Target, count: int) -> None:
    """Real jobs, so that the small job ids the fuzzer favours reach the backend's paths."""
    job = {"environment": {"PATH": "/usr/bin:/bin"}, "current_working_directory": "/tmp"}
    for _ in range(count):
        response = httpx.post(
            f"{target.base_url}/slurm/v0.0.38/job/submit",
            json={"script": "#!/bin/sh\ntrue\n", "job": job},
            headers=target.auth,
        )
        assert response.status_code == 200, response.text


# The document the gateway serves (checked against the live one in ``target``), loaded once
# so that each operation is a test of its own. The anonymous run lets schemathesis generate
# (and omit) the security headers; the authenticated one leaves them to the test.
DOCUMENT = build_openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
SCHEMA_WITHOUT_AUTH = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}}),
)
LABELS = [result.ok().label for result in SCHEMA.get_all_operations()]
#: Operations whose answer lasts until the client leaves (the event stream): fuzzed without a
#: valid token only, where they are refused at once.
STREAMING = {
    f"{method.upper()} {path}"
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if operation.get("x-slurmgate-streaming")
}

# Job fields with values the parser may well accept, so that generated submissions and
# updates reach the backend instead of all stopping at the first malformed field.
_JOB_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(max_size=30),
    "comment": st.text(max_size=30),
    "account": st.sampled_from(["", "proj", "root"]),
    "partition": st.sampled_from(["debug", "nosuch", "debug,debug"]),
    "time_limit": st.one_of(
        st.integers(-2, 10**7), st.sampled_from(["1:00", "1-00:00:00", "UNLIMITED", "0"])
    ),
    "time_minimum": st.integers(0, 100),
    "nodes": st.one_of(
        st.integers(-1, 4), st.sampled_from(["1-2", "2-1", "0"]), st.lists(st.integers(0, 3))
    ),
    "tasks": st.integers(-1, 64),
    "tasks_per_node": st.integers(0, 8),
    "cpus_per_task": st.integers(-1, 8),
    "memory_per_node": st.one_of(st.integers(0, 10**6), st.sampled_from(["1G", "2T", "512M"])),
    "memory_per_cpu": st.integers(0, 4096),
    "array": st.sampled_from(["0-3", "1,3,5", "0-7%2", "0-100000", "5-1", "0-3:2", ""]),
    "dependency": st.sampled_from(
        ["afterok:1", "afterany:2:3", "singleton", "after:999999", "afternotok:1?afterok:2", "x"]
    ),
    "hold": st.booleans(),
    "requeue": st.booleans(),
    "begin_time": st.sampled_from(["now+1hour", 0, 4102444800, "2030-01-01T00:00:00", "now+"]),
    "deadline": st.sampled_from(["now+1hour", 1, "2000-01-01"]),
    "environment": st.dictionaries(st.text(max_size=8), st.text(max_size=16), max_size=3),
    "current_working_directory": st.sampled_from(["/tmp", "/nonexistent", "relative", ""]),
    "standard_output": st.sampled_from(["/tmp/fuzz-%j.out", "%x%j%%", "", "/proc/1/x"]),
    "standard_error": st.sampled_from(["/dev/null", "%A_%a"]),
    "licenses": st.sampled_from(["matlab:1", "nosuch:1", "matlab:-1"]),
    "nice": st.integers(-(2**31), 2**31),
    "priority": st.one_of(st.integers(-1, 2**32), st.just("TOP")),
    "exclusive": st.sampled_from(["user", "true", "mcs", "false", "oversubscribe"]),
    "signal": st.sampled_from(["USR1@60", "B:TERM", "R:INT@10", "bogus", "9999"]),
    "reservation": st.sampled_from(["maint", "nosuch"]),
    "qos": st.sampled_from(["normal", "nosuch"]),
    "gres": st.sampled_from(["gpu:1", "gpu:a100:2", ""]),
    "constraints": st.sampled_from(["x86", "a&b", "[a|b]"]),
    "distribution": st.sampled_from(["block", "cyclic:cyclic", "nonsense"]),
    "mail_type": st.sampled_from(["ALL", "END,FAIL", "bogus"]),
    "get_user_environment": st.booleans(),
}
_BAD_SCRIPTS = st.one_of(
    st.sampled_from(["", "no interpreter line", "#!/bin/sh\n" + "x" * 9000]),
    st.text(max_size=50),
)
# Mostly a good script (three times in four), so that the job's fields decide the outcome.
_SCRIPTS = st.integers(0, 3).flatmap(
    lambda n: _BAD_SCRIPTS if n == 0 else st.just("#!/bin/sh\ntrue\n")
)
# Values at the edges of what a number can be, for any field: beyond int64 and uint32, floats,
# digits of other scripts (which int() reads), far-off relative times.
_EDGE_VALUES: list[Any] = [
    2**31, 2**32, 2**63, 2**64, -(2**63) - 1, 1e300, -0.5, "9" * 25, "-1", "²", "１２", "1-２",
    "now+99999999999999999weeks", "9999-12-31T23:59:59", "\x00", " ", "UNLIMITED",
]  # fmt: skip
_EDGES = st.sampled_from(_EDGE_VALUES)


def _field(name: str) -> st.SearchStrategy[Any]:
    return st.one_of(_JOB_FIELDS[name], _EDGES)


# A few fields at a time: each one is a chance for the parser to refuse the whole job.
_JOBS = st.lists(st.sampled_from(sorted(_JOB_FIELDS)), max_size=4, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: _field(name) for name in names})
)


def _plausible(label: str) -> st.SearchStrategy[schemathesis.Case] | None:
    """Near-valid bodies for the operations that take a job, else None."""
    operation = SCHEMA_WITHOUT_AUTH.find_operation_by_label(label)
    assert operation is not None
    if label.startswith("POST") and label.endswith("/job/submit"):
        bodies = st.fixed_dictionaries(
            {"script": _SCRIPTS, "job": st.one_of(_JOBS, st.lists(_JOBS, min_size=1, max_size=3))}
        )
        return bodies.flatmap(lambda body: operation.as_strategy(body=body))
    if label.startswith("POST"):  # a job update, mostly of the seeded jobs
        numeric = "/v0.0.36/" in label
        ids = st.integers(1, 8).map(lambda n: n if numeric else str(n))
        return st.tuples(_JOBS, ids).flatmap(
            lambda args: operation.as_strategy(body=args[0], path_parameters={"job_id": args[1]})
        )
    return None


def cases(label: str, *, security_headers: bool) -> st.SearchStrategy[schemathesis.Case]:
    """Requests that fit the document and requests that do not, for one operation."""
    schema = SCHEMA if security_headers else SCHEMA_WITHOUT_AUTH
    operation = schema.find_operation_by_label(label)
    assert operation is not None
    choices = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    plausible = _plausible(label)
    if plausible is not None:
        choices.append(plausible)
    return st.one_of(choices)


def assert_envelope(path: str, response: Response) -> None:
    """slurmrestd's answer: JSON with ``errors``, empty on success, explained on failure."""
    status = response.status_code
    if status == 304:  # unchanged since update_time (v0.0.42 and later): no body at all
        assert not response.content
        return
    content_type = response.headers.get("content-type", [""])[0]
    if 200 <= status < 300 and path.startswith(("/metrics", "/slurmgate/v1/job/")):
        # The job output's bytes and the metrics' text, as the document declares them.
        assert not content_type.startswith("application/json"), (status, content_type)
        return
    assert content_type.startswith("application/json"), (status, content_type)
    body = orjson.loads(response.content)
    assert isinstance(body, dict), body
    if path.startswith("/openapi"):
        assert status == 200 and "paths" in body
        return
    assert isinstance(body.get("errors"), list), body
    if path.startswith("/slurm/v0.0.38/"):
        assert "meta" in body, body
    if 200 <= status < 300:
        # Only a held job's notice may stand beside a success (v0.0.36-38, as 22.05 prints it).
        assert [e for e in body["errors"] if e.get("error_number") != HELD] == [], body
        return
    assert body["errors"], body
    for entry in body["errors"]:
        assert isinstance(entry.get("error"), str), entry
        assert isinstance(entry.get("error_number"), int), entry
        assert isinstance(entry.get("description"), str), entry
        assert isinstance(entry.get("source"), str), entry


@pytest.mark.parametrize("label", [label for label in LABELS if label not in STREAMING])
def test_no_request_with_a_valid_token_gets_a_5xx_or_a_malformed_answer(
    label: str, target: Target
) -> None:
    @given(case=cases(label, security_headers=False))
    @_budget(label)
    def fuzz(case: schemathesis.Case) -> None:
        response = target.call(case, "authenticated", headers=target.auth)
        case.validate_response(response, checks=CHECKS)
        assert_envelope(case.path, response)
        assert target.process.poll() is None, "the gateway died"

    fuzz()


@pytest.mark.parametrize("label", LABELS)
def test_no_request_without_a_valid_token_gets_past_authentication(
    label: str, target: Target
) -> None:
    @given(case=cases(label, security_headers=True))
    @_budget(label, anonymous=True)
    def fuzz(case: schemathesis.Case) -> None:
        # As generated (a random token, if any), then with no token header at all.
        for drop_token in (False, True):
            if drop_token:
                case.headers = {
                    k: v
                    for k, v in (case.headers or {}).items()
                    if k.lower() != TOKEN_HEADER.lower()
                }
            response = target.call(case, "anonymous")
            case.validate_response(response, checks=CHECKS)
            assert_envelope(case.path, response)
            if case.path.startswith("/slurm/"):
                assert response.status_code == 401, response.text
        assert target.process.poll() is None, "the gateway died"

    fuzz()


@pytest.mark.parametrize("operation", ["job/submit", "job/1"])
def test_every_job_field_at_the_edges_of_numbers_gets_an_answer_not_a_5xx(
    operation: str, target: Target
) -> None:
    # Every field with every edge value, once: what the random runs above may miss.
    with httpx.Client(base_url=target.base_url, headers=target.auth, timeout=30) as http:
        for name in sorted(_JOB_FIELDS):
            for value in _EDGE_VALUES:
                job = {"environment": {"PATH": "/bin"}, "hold": True, name: value}
                body = {"script": "#!/bin/sh\ntrue\n", "job": job}
                if operation != "job/submit":
                    body = job
                response = http.post(f"/slurm/v0.0.38/{operation}", json=body)
                assert response.status_code < 500, (name, value, response.text)
                errors = [e for e in response.json()["errors"] if e["error_number"] != HELD]
                assert bool(errors) == (response.status_code != 200), (name, value, errors)


def test_the_gateway_still_serves_and_logged_no_unhandled_error(target: Target) -> None:
    response = httpx.get(f"{target.base_url}/slurm/v0.0.38/ping", headers=target.auth)
    assert response.status_code == 200, response.text
    assert response.json()["pings"][0]["ping"] == "UP"
    jobs = httpx.get(f"{target.base_url}/slurm/v0.0.38/jobs", headers=target.auth).json()["jobs"]
    # Nothing the fuzzer submitted may run: the only partition is DOWN.
    assert jobs and all(j["job_state"] in ("PENDING", "CANCELLED") for j in jobs)
    assert target.process.poll() is None
    assert "unhandled error" not in target.log.read_text()
