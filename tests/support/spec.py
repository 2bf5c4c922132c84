"""Validation of live responses against the official slurmrestd OpenAPI documents."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema

#: The reference documents, kept in the repository as test data (their README says whence).
SPECS_DIR = Path(__file__).resolve().parents[1] / "data" / "specs"
SPEC_22_05 = SPECS_DIR / "slurmrestd-22.05.8-openapi.json"


@functools.cache
def load_spec(path: Path = SPEC_22_05) -> dict[str, Any]:
    return json.loads(path.read_text())


def _template_for(spec: dict[str, Any], path: str) -> str:
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not a path of the official document")


def response_schema(path: str, method: str = "get") -> dict[str, Any] | None:
    """The 200 response schema the official document gives for ``path``, if it gives one."""
    spec = load_spec()
    operation = spec["paths"][_template_for(spec, path)][method.lower()]
    content = operation["responses"]["200"].get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


def assert_matches_spec(path: str, body: Any, method: str = "get") -> None:
    """Fail with jsonschema's explanation when ``body`` breaks the official 200 schema."""
    schema = response_schema(path, method)
    if schema is None:
        return
    spec = load_spec()
    root = {"allOf": [schema], "components": spec["components"]}
    jsonschema.Draft4Validator(root).validate(body)


def assert_error_envelope(body: Any, version: str = "v0.0.38") -> None:
    """slurmrestd's error body: an object whose ``errors`` list explains the failure."""
    assert isinstance(body, dict), body
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for entry in errors:
        number_key = "error_number" if version == "v0.0.38" else "errno"
        assert isinstance(entry.get(number_key), int), entry
        assert isinstance(entry.get("error"), str) and entry["error"], entry
        assert isinstance(entry.get("description"), str), entry
