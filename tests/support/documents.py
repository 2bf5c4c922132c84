"""The official OpenAPI documents of each version, and how slurmgate's compare with them.

Each version is checked against the document its own daemon published (tests/data/specs). The
comparison walks the resolved schema of every operation both serve and reports each place
where they differ; ``tests.support.errata`` lists the places where the official document is
wrong about what the daemon prints, which slurmgate follows instead.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parents[1] / "data" / "specs"

#: The document each version is checked against: the one its daemon serves.
DOCUMENTS = {
    "v0.0.36": "slurmrestd-22.05.8-openapi.json",
    "v0.0.37": "slurmrestd-22.05.8-openapi.json",
    "v0.0.38": "slurmrestd-22.05.8-openapi.json",
    "v0.0.40": "slurmrestd-24.11.5-openapi.json",
    "v0.0.41": "slurmrestd-24.11.5-openapi.json",
    "v0.0.42": "slurmrestd-26.05.5-openapi.json",
    "v0.0.43": "slurmrestd-26.05.5-openapi.json",
    "v0.0.44": "slurmrestd-26.05.5-openapi.json",
    "v0.0.45": "slurmrestd-26.05.5-openapi.json",
}
METHODS = ("get", "post", "delete", "put", "patch")


@functools.cache
def document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SPECS / name).read_text())
    return loaded


def official(version: str) -> dict[str, Any]:
    return document(DOCUMENTS[version])


def operations(doc: dict[str, Any], version: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(path without a trailing slash, method) -> operation, for ``version``'s paths."""
    found = {}
    for path, item in doc["paths"].items():
        if f"/{version}/" not in path:
            continue
        for method in METHODS:
            if method in item:
                found[(path.rstrip("/"), method)] = item[method]
    return found


def resolve(schema: Any, doc: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``schema`` with its references replaced by what they name (a cycle stays a reference)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return {"$ref": name}
            target = doc["components"]["schemas"].get(name)
            if target is None:  # a dangling reference: reported as a type of its own
                return {"type": f"(missing component {name})"}
            merged = {**resolve(target, doc, (*seen, name))}
            for key, value in schema.items():  # a description or nullable beside the $ref
                if key != "$ref":
                    merged[key] = value
            return merged
        if "allOf" in schema and len(schema["allOf"]) == 1:
            inner = resolve(schema["allOf"][0], doc, seen)
            return {**inner, **{k: v for k, v in schema.items() if k != "allOf"}}
        return {k: resolve(v, doc, seen) for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolve(v, doc, seen) for v in schema]
    return schema


def body_schema(operation: dict[str, Any], doc: dict[str, Any], which: str) -> Any:
    """The resolved JSON schema of the request body ("request") or the 200 answer."""
    if which == "request":
        content = operation.get("requestBody", {}).get("content", {})
    else:
        content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return None if schema is None else resolve(schema, doc)


@dataclass(frozen=True)
class Difference:
    #: Where: "GET /slurm/v0.0.38/jobs response $.jobs[].job_id".
    where: str
    #: "type", "missing" (declared by the document only), "extra" (by slurmgate only),
    #: "enum", "nullable".
    kind: str
    official: object
    ours: object

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} (official {self.official!r}, slurmgate {self.ours!r})"


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "object" if "properties" in schema else "any")
    return "integer" if kind == "number" and schema.get("format", "").startswith("int") else kind


def differences(theirs: Any, ours: Any, where: str) -> Iterator[Difference]:
    """Every place where two resolved schemas disagree about a key, a type or an enum."""
    if theirs is None or ours is None:
        if (theirs is None) != (ours is None):
            yield Difference(where, "missing" if ours is None else "extra", theirs, ours)
        return
    if "$ref" in theirs or "$ref" in ours:  # a cycle: compared where it was first seen
        return
    kind_theirs, kind_ours = _kind(theirs), _kind(ours)
    if kind_theirs != kind_ours and "any" not in (kind_theirs, kind_ours):
        yield Difference(where, "type", kind_theirs, kind_ours)
        return
    if bool(theirs.get("nullable")) != bool(ours.get("nullable")):
        yield Difference(where, "nullable", theirs.get("nullable"), ours.get("nullable"))
    if "enum" in theirs and sorted(map(str, theirs["enum"])) != sorted(
        map(str, ours.get("enum", theirs["enum"]))
    ):
        yield Difference(where, "enum", theirs["enum"], ours.get("enum"))
    if kind_theirs == "array":
        yield from differences(theirs.get("items"), ours.get("items"), where + "[]")
        return
    props_theirs = theirs.get("properties", {})
    props_ours = ours.get("properties", {})
    for key in props_theirs.keys() | props_ours.keys():
        yield from differences(props_theirs.get(key), props_ours.get(key), f"{where}.{key}")


Operations = dict[tuple[str, str], Any]


def body_differences(
    theirs_doc: dict[str, Any], theirs: Operations, ours_doc: dict[str, Any], ours: Operations
) -> list[Difference]:
    """Where the request and answer bodies of the operations both documents have disagree."""
    found: list[Difference] = []
    for key in sorted(theirs.keys() & ours.keys()):
        path, method = key
        for which in ("request", "response"):
            found += differences(
                body_schema(theirs[key], theirs_doc, which),
                body_schema(ours[key], ours_doc, which),
                f"{method.upper()} {path} {which} $",
            )
    return found


@dataclass(frozen=True)
class Erratum:
    """A place where the official document is wrong about the daemon, and slurmgate is not."""

    versions: str  # glob over version names
    pattern: str  # glob over Difference.where ("GET /slurm/*/jobs response $.jobs[].*")
    kind: str  # Difference.kind, or "*"
    reason: str

    def covers(self, version: str, difference: Difference) -> bool:
        return (
            fnmatch.fnmatchcase(version, self.versions)
            and (self.kind in ("*", difference.kind))
            and fnmatch.fnmatchcase(difference.where, self.pattern)
        )
