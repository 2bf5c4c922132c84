"""Every version's answers, held to its official document and to slurmgate's own.

Each sample of the domain, rendered by each version, validates against the version's official
document (corrected only where tests/support/errata.py lists it as wrong about its daemon),
and carries exactly the keys slurmgate's own document declares for it.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson
import pytest

from slurmgate.api.openapi import build_openapi
from slurmgate.api.versions import VERSIONS, Version
from slurmgate.domain import InvalidRequest, NotFound, SubmitResult
from tests.support.documents import body_schema, operations
from tests.support.samples import INFO, JOBS, LICENSE, NODES, PARTITIONS, PINGS, RESERVATION, STATS
from tests.support.spec import assert_matches_spec

NAMES = sorted(VERSIONS)
OURS = build_openapi()


def wire(body: object) -> Any:
    """``body`` as a client receives it."""
    return orjson.loads(orjson.dumps(body))


def assert_exact_keys(body: Any, schema: Any, where: str = "$") -> None:
    """Every declared key is present (but those the table marks optional), nothing else, all
    the way down; free-form objects (keyed by id) are not looked into."""
    if schema is None or body is None:
        return
    if schema.get("type") == "array":
        for item in body:
            assert_exact_keys(item, schema["items"], where + "[]")
    elif "properties" in schema and schema.get("type", "object") == "object":
        declared = set(schema["properties"])
        optional = set(schema.get("x-slurmgate-optional", ()))
        assert declared - optional <= set(body) <= declared, (where, set(body) ^ declared)
        for key in body:
            assert_exact_keys(body[key], schema["properties"][key], f"{where}.{key}")


def check(version: Version, operation: str, path: str, body: object, method: str = "get") -> Any:
    """``body`` validated against the official document and slurmgate's own, as sent."""
    sent = wire(body)
    assert_matches_spec(f"/slurm/{version.name}/{path}", sent, method)
    template = next(
        t
        for (t, m) in operations(OURS, version.name)
        if m == method and t.startswith("/slurm/") and t.endswith(path)
    )
    ours = operations(OURS, version.name)[(template, method)]
    assert_exact_keys(sent, body_schema(ours, OURS, "response"))
    return sent


def served(name: str, operation: str) -> Version:
    version = VERSIONS[name]
    if operation not in version.operations():
        pytest.skip(f"{name} has no {operation}")
    return version


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(JOBS))
def test_jobs_match_the_documents(name: str, kind: str) -> None:
    version = served(name, "jobs")
    body = check(version, "jobs", "jobs", version.jobs([JOBS[kind]], INFO))
    assert body["jobs"][0]["name"] == "test_job"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(NODES))
def test_nodes_match_the_documents(name: str, kind: str) -> None:
    version = served(name, "nodes")
    body = check(version, "nodes", "nodes", version.nodes([NODES[kind]], INFO))
    assert body["nodes"][0]["name"] == NODES[kind].name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", sorted(PARTITIONS))
def test_partitions_match_the_documents(name: str, kind: str) -> None:
    version = served(name, "partitions")
    check(version, "partitions", "partitions", version.partitions([PARTITIONS[kind]], INFO))


@pytest.mark.parametrize("name", NAMES)
def test_diag_ping_and_submit_match_the_documents(name: str) -> None:
    version = VERSIONS[name]
    check(version, "diag", "diag", version.diag(STATS, INFO))
    check(version, "ping", "ping", version.ping(PINGS, INFO))
    submitted = version.job_submitted(SubmitResult(job_id=42), INFO)
    check(version, "job_submit", "job/submit", submitted, "post")


@pytest.mark.parametrize("name", NAMES)
def test_reservations_match_the_documents(name: str) -> None:
    version = served(name, "reservations")
    body = check(version, "reservations", "reservations", version.reservations([RESERVATION], INFO))
    assert body["reservations"][0]["name"] == "maint"


@pytest.mark.parametrize("name", NAMES)
def test_licenses_match_the_documents(name: str) -> None:
    version = served(name, "licenses")
    check(version, "licenses", "licenses", version.licenses([LICENSE], INFO))


@pytest.mark.parametrize("name", NAMES)
def test_errors_keep_the_envelope_of_the_version(name: str) -> None:
    version = VERSIONS[name]
    error = InvalidRequest("job.time_limit: bad", error_number=9001, source="job.time_limit")
    body = wire(version.errors([error, NotFound("no such job")], INFO, "jobs"))
    entry = body["errors"][0]
    assert entry["error_number"] == 9001
    assert entry["description"] == "job.time_limit: bad"
    assert entry["source"] == "job.time_limit"
    assert body["errors"][1]["error_number"] == 9003
    assert_matches_spec(f"/slurm/{name}/jobs", body)


@pytest.mark.parametrize("name", NAMES)
def test_empty_success_body_has_meta_and_no_errors(name: str) -> None:
    body = wire(VERSIONS[name].empty(INFO))
    assert body["errors"] == [] and body["warnings"] == []
    assert "meta" in body


def test_the_check_itself_rejects_a_wrong_type() -> None:
    with pytest.raises(jsonschema.ValidationError):
        assert_matches_spec("/slurm/v0.0.38/jobs", {"jobs": [{"job_id": "one"}]})
