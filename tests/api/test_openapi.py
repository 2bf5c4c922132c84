"""slurmgate's generated OpenAPI document against the official slurmrestd 22.05.8 one."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from slurmgate.api.openapi import build_openapi
from slurmgate.api.versions import VERSIONS
from tests.support.spec import SPEC_22_05

OFFICIAL: dict[str, Any] = json.loads(SPEC_22_05.read_text())
OURS = build_openapi()
METHODS = {"get", "post", "delete", "put", "patch"}


def slurm_operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in doc["paths"].items()
        if path.startswith("/slurm/")
        for method in item
        if method in METHODS
    }


def kind(schema: dict[str, Any]) -> object:
    """What a property is, for comparison: its type, or what it refers to."""
    if "$ref" in schema:
        return ("ref", schema["$ref"])
    if schema.get("type") == "array":
        return ("array", kind(schema["items"]))
    return schema.get("type")


def test_the_same_slurm_paths_and_methods_are_served() -> None:
    assert slurm_operations(OURS) == slurm_operations(OFFICIAL)


def test_the_openapi_document_paths_are_listed() -> None:
    assert {"/openapi", "/openapi.json", "/openapi/v3"} <= set(OURS["paths"])


def test_every_official_schema_exists() -> None:
    missing = set(OFFICIAL["components"]["schemas"]) - set(OURS["components"]["schemas"])
    assert not missing


@pytest.mark.parametrize("name", sorted(OFFICIAL["components"]["schemas"]))
def test_every_official_property_has_the_same_type(name: str) -> None:
    theirs = OFFICIAL["components"]["schemas"][name]
    ours = OURS["components"]["schemas"][name]
    if "type" in theirs or "$ref" in theirs:  # job_submission gives none; ours says object
        assert kind(ours) == kind(theirs)
    if "enum" in theirs:
        assert ours["enum"] == theirs["enum"]
    _compare_properties(theirs, ours, name)


def _compare_properties(theirs: dict[str, Any], ours: dict[str, Any], where: str) -> None:
    for prop, schema in theirs.get("properties", {}).items():
        assert prop in ours.get("properties", {}), f"{where}.{prop} missing"
        mine = ours["properties"][prop]
        assert kind(mine) == kind(schema), f"{where}.{prop}"
        if "enum" in schema:
            assert mine["enum"] == schema["enum"], f"{where}.{prop}"
        if schema.get("type") == "object":  # inline objects (statistics, meta.Slurm, ...)
            _compare_properties(schema, mine, f"{where}.{prop}")


def test_request_schemas_keep_the_official_requirements() -> None:
    schemas = OURS["components"]["schemas"]
    for version in VERSIONS:
        assert schemas[f"{version}_job_properties"]["required"] == ["environment"]
        assert schemas[f"{version}_job_submission"]["required"] == ["script"]


@pytest.mark.parametrize(("path", "method"), sorted(slurm_operations(OFFICIAL)))
def test_operations_take_the_official_parameters(path: str, method: str) -> None:
    """The official parameters, plus slurmgate's own (optional, and described as such)."""

    def params(doc: dict[str, Any], *, own: bool) -> dict[tuple[str, str], object]:
        listed = doc["paths"][path][method].get("parameters", [])
        return {
            (p["name"], p["in"]): kind(p["schema"])
            for p in listed
            if p.get("description", "").startswith("slurmgate:") == own
        }

    assert params(OURS, own=False) == params(OFFICIAL, own=False)
    extras = params(OURS, own=True)
    assert not extras.keys() & params(OFFICIAL, own=False).keys()
    if path.endswith("/jobs"):
        names = {name for name, _ in extras}
        assert names == {
            "users",
            "accounts",
            "partitions",
            "states",
            "job_ids",
            "name",
            "limit",
            "cursor",
        }


@pytest.mark.parametrize(("path", "method"), sorted(slurm_operations(OFFICIAL)))
def test_operations_use_the_official_request_and_response_schemas(path: str, method: str) -> None:
    def schemas(doc: dict[str, Any]) -> tuple[object, object]:
        op = doc["paths"][path][method]
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        ok = op["responses"]["200"].get("content", {}).get("application/json", {})
        return body.get("schema"), ok.get("schema")

    assert schemas(OURS) == schemas(OFFICIAL)


def test_every_reference_resolves() -> None:
    names = set(OURS["components"]["schemas"])
    text = orjson.dumps(OURS).decode()
    refs = {part.split('"')[0] for part in text.split('"$ref":"#/components/schemas/')[1:]}
    assert refs and refs <= names


def test_operation_ids_are_unique() -> None:
    ids = [
        op["operationId"]
        for item in OURS["paths"].values()
        for method, op in item.items()
        if method in METHODS and "operationId" in op
    ]
    assert len(ids) == len(set(ids))


def test_only_the_served_versions_are_described() -> None:
    doc = build_openapi({"v0.0.38": VERSIONS["v0.0.38"]})
    assert all(not p.startswith("/slurm/v0.0.3") or "v0.0.38" in p for p in doc["paths"])
    assert doc["info"]["version"] == "v0.0.38"
