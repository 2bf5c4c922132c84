"""Validation of answers against each version's official OpenAPI document.

The document is taken as its daemon published it, corrected only where ``errata`` lists it
as wrong about what the daemon prints (there slurmgate's own declaration stands in).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jsonschema

from slurmgate.api.openapi import build_openapi
from tests.support.documents import (
    DOCUMENTS,
    SPECS,
    Difference,
    body_schema,
    differences,
    official,
    operations,
)
from tests.support.errata import ERRATA

SPECS_DIR = SPECS
SPEC_22_05 = SPECS / "slurmrestd-22.05.8-openapi.json"


@functools.cache
def _ours() -> dict[str, Any]:
    return build_openapi()


def _version(path: str) -> str:
    match = re.match(r"/slurm/(v[0-9.]+)/", path)
    assert match, path
    return match.group(1)


def _template(ops: dict[tuple[str, str], Any], path: str, method: str) -> tuple[str, str]:
    for template, verb in ops:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "/?$"
        if verb == method and re.match(pattern, path):
            return template, verb
    raise AssertionError(f"{method.upper()} {path} is not an operation of the document")


def covered(version: str, difference: Difference) -> bool:
    return any(erratum.covers(version, difference) for erratum in ERRATA)


def corrected(theirs: Any, ours: Any, where: str, version: str) -> Any:
    """``theirs`` with slurmgate's declaration wherever an erratum covers a difference."""
    if theirs is None or ours is None or not isinstance(theirs, dict):
        return (
            ours if any(covered(version, d) for d in differences(theirs, ours, where)) else theirs
        )
    found = list(differences(theirs, ours, where))
    if any(d.where == where and covered(version, d) for d in found):
        return ours
    out = dict(theirs)
    if theirs.get("type") == "array" and isinstance(ours.get("items"), dict):
        out["items"] = corrected(theirs.get("items"), ours["items"], where + "[]", version)
        return out
    props = dict(theirs.get("properties", {}))
    for key, mine in ours.get("properties", {}).items():
        props[key] = corrected(props.get(key), mine, f"{where}.{key}", version)
    props = {k: v for k, v in props.items() if v is not None}
    if props:
        out["properties"] = props
    # "required" lists with nested paths ("nodes/count") name no key: the document's mistake.
    if "required" in out:
        out["required"] = [r for r in out["required"] if "/" not in r and r in props]
    return out


@functools.cache
def answer_schema(version: str, template: str, method: str) -> Any:
    theirs_doc = official(version)
    theirs = operations(theirs_doc, version)[(template, method)]
    ours = operations(_ours(), version)[(template, method)]
    where = f"{method.upper()} {template} response $"
    return corrected(
        body_schema(theirs, theirs_doc, "response"),
        body_schema(ours, _ours(), "response"),
        where,
        version,
    )


def assert_matches_spec(path: str, body: Any, method: str = "get") -> None:
    """Fail with jsonschema's explanation when ``body`` breaks the version's document."""
    version = _version(path)
    assert version in DOCUMENTS, version
    template, verb = _template(operations(official(version), version), path, method.lower())
    schema = answer_schema(version, template, verb)
    if schema is not None:
        jsonschema.Draft4Validator(json_schema(schema)).validate(body)


def json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable`` becomes a "null" type."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: json_schema(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "allOf" in out:
            out = {"anyOf": [{"type": "null"}, {"allOf": out.pop("allOf")}], **out}
    return out


def assert_error_envelope(body: Any, version: str = "v0.0.38") -> None:
    """slurmrestd's error body: an object whose ``errors`` list explains the failure."""
    assert isinstance(body, dict), body
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for entry in errors:
        assert isinstance(entry.get("error_number"), int), entry
        assert isinstance(entry.get("error"), str) and entry["error"], entry
        assert isinstance(entry.get("description"), str), entry
