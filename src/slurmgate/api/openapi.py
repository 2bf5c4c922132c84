"""slurmgate's own OpenAPI 3.0 document, built from the schemas the versions declare.

The paths and component names are those of slurmrestd 22.05 (``/slurm/v0.0.38/jobs``,
``v0.0.38_jobs_response``), so clients generated from either document agree; operation ids are
made unique per version (the daemon's v0.0.36 and v0.0.37 share theirs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slurmgate.api.openapi_slurmgate import (
    NOT_MODIFIED,
    job_list_parameters,
    mirror_headers,
    slurmgate_paths,
    slurmgate_schemas,
)
from slurmgate.api.openapi_slurmgate import TAG as SLURMGATE_TAG
from slurmgate.api.versions import DEFAULT_VERSION, VERSIONS, ApiVersion

_JSON = "application/json"

# operation -> (method, path, summary, request schema, response schema)
_OPERATIONS: dict[str, tuple[str, str, str, str | None, str | None]] = {
    "diag": ("get", "/diag", "get diagnostics", None, "diag"),
    "ping": ("get", "/ping", "ping test", None, "pings"),
    "jobs": ("get", "/jobs", "get list of jobs", None, "jobs_response"),
    "job_get": ("get", "/job/{job_id}", "get job info", None, "jobs_response"),
    "job_update": ("post", "/job/{job_id}", "update job", "job_properties", None),
    "job_cancel": ("delete", "/job/{job_id}", "cancel or signal job", None, None),
    "job_submit": (
        "post",
        "/job/submit",
        "submit new job",
        "job_submission",
        "job_submission_response",
    ),
    "nodes": ("get", "/nodes", "get all node info", None, "nodes_response"),
    "node": ("get", "/node/{node_name}", "get node info", None, "nodes_response"),
    "partitions": ("get", "/partitions", "get all partition info", None, "partitions_response"),
    "partition": (
        "get",
        "/partition/{partition_name}",
        "get partition info",
        None,
        "partitions_response",
    ),
    "reservations": (
        "get",
        "/reservations",
        "get all reservation info",
        None,
        "reservations_response",
    ),
    "reservation": (
        "get",
        "/reservation/{reservation_name}",
        "get reservation info",
        None,
        "reservations_response",
    ),
    "licenses": ("get", "/licenses", "get all Slurm tracked license info", None, "licenses"),
}

_MAX_JOB_ID = 2**32 - 1

# Listings that take ``?update_time=`` (from v0.0.37 on).
_UPDATE_TIME = frozenset(
    {"jobs", "nodes", "partitions", "partition", "reservations", "reservation"}
)


# Reads answered from slurmgate's mirror, with ETag and freshness headers.
_MIRRORED = frozenset({"diag", "ping", "jobs", "nodes", "partitions", "reservations", "licenses"})


def _ref(version: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{version}_{name}"}


def _resolve(schema: Any, version: str) -> Any:
    """A copy of ``schema`` whose short references point into the version's components."""
    if isinstance(schema, dict):
        if set(schema) == {"$ref"}:
            return _ref(version, schema["$ref"])
        return {k: _resolve(v, version) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(v, version) for v in schema]
    return schema


def _content(version: str, name: str) -> dict[str, Any]:
    return {_JSON: {"schema": _ref(version, name)}}


def _parameters(version: ApiVersion, operation: str, path: str) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for segment in path.split("/"):
        if segment.startswith("{"):
            name = segment[1:-1]
            kind: dict[str, Any] = {"type": "string"}
            if name == "job_id":
                # Slurm job ids are 32-bit and never 0; v0.0.36 declares them as integers.
                kind = (
                    {"type": "integer", "format": "int64", "minimum": 1, "maximum": _MAX_JOB_ID}
                    if version.name == "v0.0.36"
                    else {"type": "string", "pattern": "^[0-9]{1,10}$"}
                )
            params.append({"name": name, "in": "path", "required": True, "schema": kind})
    if operation == "job_cancel":
        params.append(
            {
                "name": "signal",
                "in": "query",
                "description": "signal to send to job (name or number); default KILL",
                "required": False,
                "schema": _ref(version.name, "signal"),
            }
        )
    if operation == "jobs":
        params += job_list_parameters()
    if operation in _UPDATE_TIME and version.name != "v0.0.36":
        params.append(
            {
                "name": "update_time",
                "in": "query",
                "description": "only return records changed since this Unix time",
                "required": False,
                "schema": {"type": "integer", "format": "int64"},
            }
        )
    return params


def _operation(version: ApiVersion, operation: str) -> tuple[str, str, dict[str, Any]]:
    method, path, summary, request, response = _OPERATIONS[operation]
    op: dict[str, Any] = {
        "tags": ["slurm"],
        "operationId": f"slurm_{version.name.replace('.', '_')}_{operation}",
        "summary": summary,
    }
    if version.deprecated:
        op["deprecated"] = True
    params = _parameters(version, operation, path)
    if params:
        op["parameters"] = params
    if request:
        op["requestBody"] = {"required": True, "content": _content(version.name, request)}
    ok: dict[str, Any] = {"description": "success"}
    if response:
        ok["content"] = _content(version.name, response)
    # Failures keep the envelope of the operation's response (with ``errors`` filled in).
    failed = {"description": "failure; see errors", "content": ok.get("content", {})}
    if method == "get" and operation in _MIRRORED:
        ok["headers"] = mirror_headers(paged=operation == "jobs")
    op["responses"] = {"200": ok, "default": failed if response else {"description": "failure"}}
    if method == "get" and operation in _MIRRORED:
        op["responses"]["304"] = NOT_MODIFIED
    return method, f"/slurm/{version.name}{path}", op


def build_openapi(versions: Mapping[str, ApiVersion] | None = None) -> dict[str, Any]:
    """The whole document for ``versions`` (all served versions by default)."""
    served = VERSIONS if versions is None else versions
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for version in served.values():
        for name, schema in version.schemas.items():
            schemas[f"{version.name}_{name}"] = _resolve(schema, version.name)
        for operation in sorted(version.operations()):
            method, path, op = _operation(version, operation)
            paths.setdefault(path, {})[method] = op
    for path in ("/openapi", "/openapi.json", "/openapi/v3"):
        paths[path] = {
            "get": {
                "tags": ["openapi"],
                "summary": "Retrieve OpenAPI Specification",
                "security": [],  # served to anyone: clients need it before they have a token
                "responses": {"200": {"description": "OpenAPI Specification"}},
            }
        }
    tags = [
        {"name": "slurm", "description": "methods that query slurmctld"},
        {"name": "openapi", "description": "methods that query for OpenAPI specifications"},
    ]
    if served:
        # slurmgate's own paths answer in the envelope errors use outside /slurm/.
        envelope = DEFAULT_VERSION if DEFAULT_VERSION in served else max(served)
        schemas.update(slurmgate_schemas(envelope))
        paths.update(slurmgate_paths())
        tags.append(SLURMGATE_TAG)
    return {
        "openapi": "3.0.2",
        "info": {
            "title": "Slurm Rest API",
            "description": "API to access and control Slurm (served by slurmgate).",
            "license": {
                "name": "Apache 2.0",
                "url": "https://www.apache.org/licenses/LICENSE-2.0.html",
            },
            "version": max(served) if served else "",
        },
        "servers": [{"url": "/"}],
        # The token alone names its user; X-SLURM-USER-NAME is needed only to act for another.
        "security": [{"token": []}, {"user": [], "token": []}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "user": {"type": "apiKey", "name": "X-SLURM-USER-NAME", "in": "header"},
                "token": {"type": "apiKey", "name": "X-SLURM-USER-TOKEN", "in": "header"},
            },
            "schemas": schemas,
        },
    }
