"""slurmgate's own OpenAPI 3.0 document, built from the schemas the versions declare.

The paths and component names are those of slurmrestd 22.05 (``/slurm/v0.0.38/jobs``,
``v0.0.38_jobs_response``), so clients generated from either document agree; operation ids are
made unique per version (the daemon's v0.0.36 and v0.0.37 share theirs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slurmgate.api import openapi_slurmdb
from slurmgate.api.openapi_slurmgate import (
    NOT_MODIFIED,
    job_list_parameters,
    mirror_headers,
    slurmgate_paths,
    slurmgate_schemas,
)
from slurmgate.api.openapi_slurmgate import TAG as SLURMGATE_TAG
from slurmgate.api.slurmdb_legacy_queries import is_legacy as is_legacy_slurmdb
from slurmgate.api.slurmdb_legacy_queries import query_parameters as legacy_query_parameters
from slurmgate.api.versions import DEFAULT_VERSION, SLURMDB, VERSIONS, ApiVersion

_JSON = "application/json"

# operation -> (method, path, summary); the request and response records are the version's.
_OPERATIONS: dict[str, tuple[str, str, str]] = {
    "diag": ("get", "/diag", "get diagnostics"),
    "ping": ("get", "/ping", "ping test"),
    "jobs": ("get", "/jobs", "get list of jobs"),
    "job_get": ("get", "/job/{job_id}", "get job info"),
    "job_update": ("post", "/job/{job_id}", "update job"),
    "job_cancel": ("delete", "/job/{job_id}", "cancel or signal job"),
    "job_submit": ("post", "/job/submit", "submit new job"),
    "nodes": ("get", "/nodes", "get all node info"),
    "node": ("get", "/node/{node_name}", "get node info"),
    "partitions": ("get", "/partitions", "get all partition info"),
    "partition": ("get", "/partition/{partition_name}", "get partition info"),
    "reservations": ("get", "/reservations", "get all reservation info"),
    "reservation": ("get", "/reservation/{reservation_name}", "get reservation info"),
    "licenses": ("get", "/licenses", "get all Slurm tracked license info"),
    "jobs_signal": ("delete", "/jobs", "send a signal to a list of jobs"),
    "jobs_state": ("get", "/jobs/state", "get list of job states"),
    "job_allocate": ("post", "/job/allocate", "submit new job allocation without any steps"),
    "job_requeue": ("get", "/job/{job_id}/requeue", "requeue a job"),
    "jobs_requeue": ("post", "/jobs/requeue", "requeue jobs"),
    "nodes_update": ("post", "/nodes", "batch update node(s)"),
    "node_update": ("post", "/node/{node_name}", "update node properties"),
    "node_delete": ("delete", "/node/{node_name}", "delete node"),
    "shares": ("get", "/shares", "get fairshare info"),
    "reconfigure": ("get", "/reconfigure", "request slurmctld reconfigure"),
    "resources": ("get", "/resources/{job_id}", "get resource layout of a job"),
    # util: paths under /util/{version} rather than /slurm/{version}
    "hostnames": ("post", "util:/hostnames", "expand a hostlist expression into host names"),
    "hostlist": ("post", "util:/hostlist", "compress host names into a hostlist expression"),
    # slurmdb: paths under /slurmdb/{version}, answered by slurmrestd's slurmdbd plugin
    **openapi_slurmdb.OPERATIONS,
}

_MAX_JOB_ID = 2**32 - 1
#: The signal names DELETE job/{job_id} takes (numbers are taken too).
SIGNALS = "HUP,INT,QUIT,ABRT,KILL,ALRM,TERM,USR1,USR2,URG,CONT,STOP,TSTP,TTIN,TTOU".split(",")

# Listings that take ``?update_time=`` (from v0.0.37 on).
_UPDATE_TIME = frozenset(
    {"jobs", "nodes", "partitions", "partition", "reservations", "reservation"}
)


# Reads answered from slurmgate's mirror, with ETag and freshness headers.
_MIRRORED = frozenset({"diag", "ping", "jobs", "nodes", "partitions", "reservations", "licenses"})


def _ref(version: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{version}_{name}"}


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
                "schema": {"type": "string", "enum": SIGNALS},
            }
        )
    if operation == "jobs":
        params += job_list_parameters()
    if is_legacy_slurmdb(version.name):  # 22.05's slurmdb plugins name their own
        params += legacy_query_parameters(operation, version.name)
    else:
        params += openapi_slurmdb.query_parameters(operation)
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
    method, path, summary = _OPERATIONS[operation]
    if operation in version.spec.paths:  # the version's own name of the path
        prefix = path.rpartition(":")[0]
        path = (
            f"{prefix}:{version.spec.paths[operation]}" if prefix else version.spec.paths[operation]
        )
    request = version.spec.requests.get(operation)
    response = version.spec.responses.get(operation)
    op: dict[str, Any] = {
        "tags": ["slurmdb" if operation.startswith("db_") else "slurm"],
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
    # A listing's failure prints the listing, empty, beside its errors; others the envelope.
    bare = version.spec.responses["errors"]
    failure = version.failure_record(operation) if response else bare
    failed = {"description": "failure; see errors", "content": _content(version.name, failure)}
    if failure != bare:
        # A read's failure prints its (empty) listing, but one refused before the read (an
        # unknown path, a method not allowed) prints the envelope alone.
        either = {"anyOf": [_ref(version.name, failure), _ref(version.name, bare)]}
        failed["content"] = {_JSON: {"schema": either}}
    if method == "get" and operation in _MIRRORED:
        ok["headers"] = mirror_headers(paged=operation == "jobs")
    op["responses"] = {"200": ok, "default": failed if response else {"description": "failure"}}
    # Refused before anything is read (no token, a rate limit): the envelope alone.
    refused = _content(version.name, version.spec.responses["errors"])
    op["responses"]["401"] = {"description": "authentication failed", "content": refused}
    op["responses"]["429"] = {"description": "rate limited; see Retry-After", "content": refused}
    if method == "get" and operation in _MIRRORED:
        op["responses"]["304"] = NOT_MODIFIED
    prefix, _, tail = path.rpartition(":")
    return method, f"/{prefix or 'slurm'}/{version.segment}{tail}", op


def build_openapi(versions: Mapping[str, ApiVersion] | None = None) -> dict[str, Any]:
    """The whole document for ``versions`` (all served versions by default)."""
    served = VERSIONS if versions is None else versions
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    # The slurmdb plugins with tables of their own (dbv0.0.38) besides the versions.
    legacy = [] if versions is not None else [v for v in SLURMDB.values() if v.name not in served]
    for version in [*served.values(), *legacy]:
        schemas.update(version.schemas)
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
        {"name": "slurmdb", "description": "methods that query slurmdbd"},
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
