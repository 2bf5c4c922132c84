"""slurmrestd's URL space: /slurm/{version}/..., plus the OpenAPI document.

Reads are served from the mirror (reads.py). Changes go to the backend as the requesting
user, then tell the mirror, so that the user's next read shows them. Failures are
exceptions, turned into envelopes in errors.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slurmgate.api import reads
from slurmgate.api.endpoints import begin, job_id, ok, touched
from slurmgate.api.errors import PayloadTooLarge
from slurmgate.api.requests import read_json
from slurmgate.api.submission import parse_signal
from slurmgate.api.token_routes import token_routes
from slurmgate.domain import InvalidRequest, JobSubmission
from slurmgate.domain import slurm_errno as errno


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


async def job(request: Request) -> Response:
    if request.method == "GET":
        return await reads.job(request)
    operation = "job_update" if request.method == "POST" else "job_cancel"
    version, principal, backend = await begin(request, operation)
    number = job_id(request)
    touched(request, number)
    try:
        if request.method == "POST":
            update, warnings = version.parse_update(await _json_body(request))
            await backend.update_job(principal, number, update)
            return ok(version.empty(backend.info, warnings=warnings))
        signal = parse_signal(request.query_params.get("signal"))
        await backend.signal_job(principal, number, signal)
    finally:
        # Even a refused change may have changed something (one task of an array, say).
        request.app.state.mirror.wrote()
    return ok(version.empty(backend.info))


async def submit(request: Request) -> Response:
    version, principal, backend = await begin(request, "job_submit")
    submission, warnings = version.parse_submission(await _json_body(request))
    # For the audit log, which records their SHA-256, never their text.
    request.state.scripts = [spec.script for spec in submission.jobs if spec.script is not None]
    _check_script_sizes(request, submission)
    try:
        result = await backend.submit(principal, submission)
    finally:
        request.app.state.mirror.wrote()
    touched(request, result.job_id)
    return ok(version.job_submitted(result, backend.info, warnings=warnings))


async def openapi(request: Request) -> Response:
    return Response(request.app.state.openapi_bytes, media_type="application/json")


def routes() -> list[BaseRoute]:
    base = "/slurm/{version}"
    return [
        Route(f"{base}/diag", reads.diag, methods=["GET"]),
        Route(f"{base}/ping", reads.ping, methods=["GET"]),
        Route(f"{base}/jobs", reads.jobs, methods=["GET"]),
        Route(f"{base}/job/submit", submit, methods=["POST"]),
        Route(f"{base}/job/{{job_id}}", job, methods=["GET", "POST", "DELETE"]),
        Route(f"{base}/nodes", reads.nodes, methods=["GET"]),
        Route(f"{base}/node/{{node_name}}", reads.node, methods=["GET"]),
        Route(f"{base}/partitions", reads.partitions, methods=["GET"]),
        Route(f"{base}/partition/{{partition_name}}", reads.partition, methods=["GET"]),
        Route(f"{base}/reservations", reads.reservations, methods=["GET"]),
        Route(f"{base}/reservation/{{reservation_name}}", reads.reservation, methods=["GET"]),
        Route(f"{base}/licenses", reads.licenses, methods=["GET"]),
        Route("/openapi", openapi, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/openapi/v3", openapi, methods=["GET"]),
        *token_routes(),
    ]
