"""slurmrestd's URL space: /slurm/{version}/..., plus the OpenAPI document.

Each handler does the same four things: pick the version's view, authenticate, call the
backend with domain types, render. Failures are exceptions, turned into envelopes in errors.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slurmgate.api.errors import PayloadTooLarge
from slurmgate.api.requests import authenticated, read_json
from slurmgate.api.responses import JSONResponse
from slurmgate.api.submission import parse_signal
from slurmgate.api.token_routes import token_routes
from slurmgate.api.versions import VERSIONS, ApiVersion
from slurmgate.backends.base import Backend
from slurmgate.domain import InvalidRequest, JobSubmission, NotFound, Principal
from slurmgate.domain import slurm_errno as errno


def _version(request: Request, operation: str) -> ApiVersion:
    name = request.path_params["version"]
    version = VERSIONS.get(name)
    if version is None or operation not in version.operations():
        raise NotFound(
            f"Unable to find path {request.url.path}",
            source=f"{request.method} {request.url.path}",
        )
    return version


async def _begin(request: Request, operation: str) -> tuple[ApiVersion, Principal, Backend]:
    version = _version(request, operation)
    principal = await authenticated(request, operation)
    return version, principal, request.app.state.backend


def _touched(request: Request, *job_ids: int) -> None:
    request.state.job_ids = list(job_ids)


def _update_time(request: Request) -> int:
    text = request.query_params.get("update_time")
    if text is None or text == "":
        return 0
    try:
        return max(int(text), 0)
    except ValueError:
        raise InvalidRequest(
            f"update_time must be a Unix time in seconds, got {text!r}",
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            source="update_time",
        ) from None


def _job_id(request: Request) -> int:
    text = request.path_params["job_id"]
    try:
        job_id = int(text)
    except ValueError:
        job_id = 0
    # isascii: int() and isdigit() also take other scripts' digits ("１" is job 1).
    if job_id <= 0 or job_id >= 2**32 or not (text.isascii() and text.isdigit()):
        raise InvalidRequest(
            f"Invalid job id {text!r}: expected a positive integer",
            error_number=errno.ESLURM_INVALID_JOB_ID,
            error="Invalid job id specified",
            source="job_id",
        )
    return job_id


async def _json_body(request: Request) -> object:
    body = await read_json(
        request,
        limit=request.app.state.settings.limits.max_body_bytes,
        limit_name="limits.max_body_bytes",
    )
    if body is None:
        raise InvalidRequest(
            "Request body is empty: a JSON object is required",
            error_number=errno.ESLURM_REST_FAIL_PARSING,
        )
    return body


def _check_script_sizes(request: Request, submission: JobSubmission) -> None:
    limit = request.app.state.settings.limits.max_script_bytes
    for index, spec in enumerate(submission.jobs):
        size = len(spec.script.encode()) if spec.script is not None else 0
        if size > limit:
            where = f"jobs[{index}].script" if submission.is_heterogeneous else "job.script"
            raise PayloadTooLarge(
                f"Batch script of {size} bytes is larger than {limit} bytes "
                "(limits.max_script_bytes)",
                source=where,
            )


def _ok(content: object) -> Response:
    return JSONResponse(content)


async def diag(request: Request) -> Response:
    version, principal, backend = await _begin(request, "diag")
    return _ok(version.diag(await backend.stats(principal), backend.info))


async def ping(request: Request) -> Response:
    version, principal, backend = await _begin(request, "ping")
    return _ok(version.ping(await backend.ping(principal), backend.info))


async def jobs(request: Request) -> Response:
    version, principal, backend = await _begin(request, "jobs")
    listing = await backend.list_jobs(principal, updated_since=_update_time(request))
    return _ok(version.jobs(listing.jobs, backend.info))


async def job(request: Request) -> Response:
    method = request.method
    operation = {"GET": "job_get", "POST": "job_update", "DELETE": "job_cancel"}[method]
    version, principal, backend = await _begin(request, operation)
    job_id = _job_id(request)
    _touched(request, job_id)
    if method == "GET":
        return _ok(version.jobs(await backend.get_job(principal, job_id), backend.info))
    if method == "POST":
        update, warnings = version.parse_update(await _json_body(request))
        await backend.update_job(principal, job_id, update)
        return _ok(version.empty(backend.info, warnings=warnings))
    signal = parse_signal(request.query_params.get("signal"))
    await backend.signal_job(principal, job_id, signal)
    return _ok(version.empty(backend.info))


async def submit(request: Request) -> Response:
    version, principal, backend = await _begin(request, "job_submit")
    submission, warnings = version.parse_submission(await _json_body(request))
    # For the audit log, which records their SHA-256, never their text.
    request.state.scripts = [spec.script for spec in submission.jobs if spec.script is not None]
    _check_script_sizes(request, submission)
    result = await backend.submit(principal, submission)
    _touched(request, result.job_id)
    return _ok(version.job_submitted(result, backend.info, warnings=warnings))


async def nodes(request: Request) -> Response:
    version, principal, backend = await _begin(request, "nodes")
    found = await backend.list_nodes(principal, updated_since=_update_time(request))
    return _ok(version.nodes(found, backend.info))


async def node(request: Request) -> Response:
    version, principal, backend = await _begin(request, "node")
    found = await backend.get_node(principal, request.path_params["node_name"])
    return _ok(version.nodes([found], backend.info))


async def partitions(request: Request) -> Response:
    version, principal, backend = await _begin(request, "partitions")
    found = await backend.list_partitions(principal, updated_since=_update_time(request))
    return _ok(version.partitions(found, backend.info))


async def partition(request: Request) -> Response:
    version, principal, backend = await _begin(request, "partition")
    found = await backend.get_partition(principal, request.path_params["partition_name"])
    return _ok(version.partitions([found], backend.info))


async def reservations(request: Request) -> Response:
    version, principal, backend = await _begin(request, "reservations")
    found = await backend.list_reservations(principal, updated_since=_update_time(request))
    return _ok(version.reservations(found, backend.info))


async def reservation(request: Request) -> Response:
    version, principal, backend = await _begin(request, "reservation")
    found = await backend.get_reservation(principal, request.path_params["reservation_name"])
    return _ok(version.reservations([found], backend.info))


async def licenses(request: Request) -> Response:
    version, principal, backend = await _begin(request, "licenses")
    return _ok(version.licenses(await backend.list_licenses(principal), backend.info))


async def openapi(request: Request) -> Response:
    return Response(request.app.state.openapi_bytes, media_type="application/json")


def routes() -> list[BaseRoute]:
    base = "/slurm/{version}"
    return [
        Route(f"{base}/diag", diag, methods=["GET"]),
        Route(f"{base}/ping", ping, methods=["GET"]),
        Route(f"{base}/jobs", jobs, methods=["GET"]),
        Route(f"{base}/job/submit", submit, methods=["POST"]),
        Route(f"{base}/job/{{job_id}}", job, methods=["GET", "POST", "DELETE"]),
        Route(f"{base}/nodes", nodes, methods=["GET"]),
        Route(f"{base}/node/{{node_name}}", node, methods=["GET"]),
        Route(f"{base}/partitions", partitions, methods=["GET"]),
        Route(f"{base}/partition/{{partition_name}}", partition, methods=["GET"]),
        Route(f"{base}/reservations", reservations, methods=["GET"]),
        Route(f"{base}/reservation/{{reservation_name}}", reservation, methods=["GET"]),
        Route(f"{base}/licenses", licenses, methods=["GET"]),
        Route("/openapi", openapi, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/openapi/v3", openapi, methods=["GET"]),
        *token_routes(),
    ]
