"""Bugs that fuzzing (tests/security/test_fuzz.py) found, one test per case, in-process."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import orjson
import pytest

from slurmgate.api.openapi import build_openapi
from slurmgate.api.submission import parse_signal, parse_submission, parse_update
from slurmgate.api.versions import VERSIONS
from slurmgate.app import create_app
from slurmgate.auth.keys import load_key
from slurmgate.auth.tokens import mint
from slurmgate.backends.base import ClusterInfo
from slurmgate.config import Settings
from slurmgate.domain import InvalidRequest, NotFound, Partition
from tests.support.cluster import current_user
from tests.support.spec import json_schema

DOCUMENT = build_openapi()
INFO = ClusterInfo(cluster_name="lab", slurm_version=(22, 5, 8))


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app without its lifespan: these requests are answered before any backend call."""
    app = create_app(Settings(state_dir=tmp_path))
    key = load_key(tmp_path / "jwt_hs256.key")
    token = mint(key, current_user(), lifespan=300, now=int(time.time()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", headers={"X-SLURM-USER-TOKEN": token}
    ) as http:
        yield http


async def test_a_method_not_allowed_names_the_allowed_ones_in_allow(
    client: httpx.AsyncClient,
) -> None:
    # schemathesis ST204: TRACE answered 405 without the Allow header RFC 9110 requires.
    response = await client.request("TRACE", "/slurm/v0.0.38/job/submit")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json()["errors"][0]["error_number"] == 9007


@pytest.mark.parametrize("job_id", ["１", "٣", "1２"])
async def test_a_job_id_in_non_ascii_digits_is_invalid(
    client: httpx.AsyncClient, job_id: str
) -> None:
    # int() and str.isdigit() read "１" (fullwidth) as 1: GET /job/１ answered for job 1.
    response = await client.get(f"/slurm/v0.0.38/job/{job_id}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["error_number"] == 2017  # ESLURM_INVALID_JOB_ID


def test_a_default_partition_listing_default_itself_is_flagged_once() -> None:
    # The local backend lists DEFAULT in the flags and sets is_default: both were printed.
    part = Partition(name="debug", nodes="n1", is_default=True, flags=["DEFAULT"])
    for name in ("v0.0.36", "v0.0.37", "v0.0.38"):  # the newer versions: test_views_dp_cluster
        rows: Any = VERSIONS[name].partitions([part], INFO)["partitions"]
        assert rows[0]["flags"] == ["default"], name


@pytest.mark.parametrize("path", ["/openapi", "/openapi.json", "/openapi/v3"])
def test_the_document_says_it_is_served_without_a_token(path: str) -> None:
    # schemathesis ST401: the global security requirement applied to the document itself.
    assert DOCUMENT["paths"][path]["get"]["security"] == []


def test_the_document_says_the_user_name_header_is_optional() -> None:
    # schemathesis ST203: a token alone is accepted, but the document required both headers.
    assert {"token": []} in DOCUMENT["security"]


def test_the_document_declares_job_ids_as_the_routes_read_them() -> None:
    params = {
        version: next(
            p
            for p in DOCUMENT["paths"][f"/slurm/{version}/job/{{job_id}}"]["get"]["parameters"]
            if p["name"] == "job_id"
        )["schema"]
        for version in VERSIONS
    }
    assert params["v0.0.36"]["minimum"] == 1 and params["v0.0.36"]["maximum"] == 2**32 - 1
    assert params["v0.0.38"]["pattern"] == "^[0-9]{1,10}$"


def _failure_schemas() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            content = op.get("responses", {}).get("default", {}).get("content", {})
            if "application/json" in content:
                # slurm_v0_0_45_jobs_state -> jobs_state
                operation = "_".join(op.get("operationId", "").split("_")[4:])
                where = f"{method.upper()} {path}"
                found.append((where, operation, content["application/json"]["schema"]))
    return found


@pytest.mark.parametrize(("where", "operation", "schema"), _failure_schemas())
def test_every_failure_schema_accepts_the_error_envelope(
    where: str, operation: str, schema: dict[str, Any]
) -> None:
    # schemathesis ST108: POST /slurmgate/v1/token/refresh declared its success schema (token
    # required) for failures, so every 400 it sent violated the document.
    parts = where.split("/")
    version = VERSIONS.get(parts[2] if len(parts) > 2 else "", VERSIONS["v0.0.38"])
    for error in (InvalidRequest("bad body"), NotFound("no such job")):
        body = orjson.loads(orjson.dumps(version.errors([error], INFO, operation)))
        root = {**schema, "components": DOCUMENT["components"]}
        jsonschema.Draft4Validator(json_schema(root)).validate(body)


def _submitted(job: dict[str, Any]) -> InvalidRequest:
    body = {"script": "#!/bin/sh\ntrue\n", "job": {"environment": {}, **job}}
    with pytest.raises(InvalidRequest) as caught:
        parse_submission(body, "v0.0.38")
    return caught.value


@pytest.mark.parametrize(
    "job",
    [
        # Accepted unbounded, then the store could not hold them: 500 from the local backend.
        {"begin_time": "now+99999999999999999weeks"},
        {"begin_time": 2**64},
        {"nodes": [1, 2**70]},
        {"nodes": "1-99999999999999999999"},
        {"tasks": 2**64},
        {"memory_per_node": "99999999999999999999T"},
        {"time_limit": "99999999999999-00:00:00"},
        {"time_limit": 2**32},
        {"delay_boot": "99999999999999999-00"},
    ],
    ids=lambda job: next(iter(job)),
)
def test_numbers_beyond_what_slurm_and_the_store_hold_are_refused(job: dict[str, Any]) -> None:
    error = _submitted(job)
    assert error.error_number == 9001 and "out of range" in error.description
    assert error.source.startswith(f"job.{next(iter(job))}")


@pytest.mark.parametrize(
    "job",
    [
        {"begin_time": "²"},  # str.isdigit() is true, int() raises ValueError: it was a 500
        {"time_limit": "１２"},  # fullwidth digits were read as 12
        {"memory_per_node": "１G"},
        {"tasks": "٣"},
        {"nodes": "１-２"},
    ],
    ids=lambda job: next(iter(job)),
)
def test_numbers_in_non_ascii_digits_are_refused(job: dict[str, Any]) -> None:
    assert _submitted(job).source == f"job.{next(iter(job))}"


@pytest.mark.parametrize("text", ["²", "１", "٩"])
def test_a_signal_in_non_ascii_digits_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_signal(text)


def test_an_update_beyond_the_uint32_time_limit_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="out of range"):
        parse_update({"time_limit": 2**40}, "v0.0.38")


async def test_a_dependency_on_a_job_id_beyond_uint32_is_refused(tmp_path: Path) -> None:
    app = create_app(Settings(state_dir=tmp_path))
    key = load_key(tmp_path / "jwt_hs256.key")
    token = mint(key, current_user(), lifespan=300, now=int(time.time()))
    job = {"environment": {}, "hold": True, "dependency": f"afterok:{2**64}"}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),  # this one needs the backend running
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as http,
    ):
        response = await http.post(
            "/slurm/v0.0.38/job/submit",
            json={"script": "#!/bin/sh\ntrue\n", "job": job},
            headers={"X-SLURM-USER-TOKEN": token},
        )
    assert response.status_code == 400, response.text
