"""slurmrestd's URL space: /slurm/{version}/..., plus the OpenAPI document.

Reads are served from the mirror (reads.py). Changes go to the backend as the requesting
user, then tell the mirror, so that the user's next read shows them. Failures are
exceptions, turned into envelopes in errors.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slurmgate.api import actions, reads
from slurmgate.api.endpoints import begin, job_id, ok, touched
from slurmgate.api.errors import PayloadTooLarge
from slurmgate.api.health import health_routes
from slurmgate.api.push import push_routes
from slurmgate.api.requests import json_body
from slurmgate.api.signals import parse_signal
from slurmgate.api.slurmdb_routes import slurmdb_routes
from slurmgate.api.token_routes import token_routes
from slurmgate.domain import JobSubmission
from slurmgate.web import web_routes


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
            update, warnings = version.parse_update(await json_body(request))
            await backend.update_job(principal, number, update)
            # No per-task results: as slurmctld answers an update of a job that is no array.
            return ok(version.answer(operation, backend.info, warnings=warnings))
        signal = parse_signal(request.query_params.get("signal"))
        await backend.signal_job(principal, number, signal)
    finally:
        # Even a refused change may have changed something (one task of an array, say).
        request.app.state.mirror.wrote(principal.user_name)
    # A signal that reached its job lists nothing: slurmctld lists failures only, unasked.
    return ok(version.answer(operation, backend.info))


async def submit(request: Request) -> Response:
    version, principal, backend = await begin(request, "job_submit")
    submission, warnings = version.parse_submission(await json_body(request))
    # For the audit log, which records their SHA-256, never their text.
    request.state.scripts = [spec.script for spec in submission.jobs if spec.script is not None]
    _check_script_sizes(request, submission)
    try:
        result = await backend.submit(principal, submission)
    finally:
        request.app.state.mirror.wrote(principal.user_name)
    touched(request, result.job_id)
    return ok(version.job_submitted(result, backend.info, warnings=warnings))


async def openapi(request: Request) -> Response:
    return Response(request.app.state.openapi_bytes, media_type="application/json")


def routes() -> list[BaseRoute]:
    slurm = "/slurm/{version}"
    util = "/util/{version}"
    table: list[tuple[str, Endpoint, list[str]]] = [
        (f"{slurm}/diag", reads.diag, ["GET"]),
        (f"{slurm}/ping", reads.ping, ["GET"]),
        (f"{slurm}/jobs", _jobs, ["GET", "DELETE"]),
        (f"{slurm}/jobs/state", reads.jobs_state, ["GET"]),
        (f"{slurm}/jobs/requeue", actions.jobs_requeue, ["POST"]),
        (f"{slurm}/job/submit", submit, ["POST"]),
        (f"{slurm}/job/allocate", actions.job_allocate, ["POST"]),
        (f"{slurm}/job/{{job_id}}", job, ["GET", "POST", "DELETE"]),
        (f"{slurm}/job/{{job_id}}/requeue", actions.job_requeue, ["GET"]),
        (f"{slurm}/nodes", _nodes, ["GET", "POST"]),
        (f"{slurm}/node/{{node_name}}", _node, ["GET", "POST", "DELETE"]),
        (f"{slurm}/new/node", actions.unsupported, ["POST"]),
        (f"{slurm}/partitions", _partitions, ["GET", "POST"]),
        (f"{slurm}/partition/{{partition_name}}", _partition, ["GET", "DELETE"]),
        (f"{slurm}/reservations", _reservations, ["GET", "POST"]),
        (f"{slurm}/reservation", actions.unsupported, ["POST"]),
        (f"{slurm}/reservation/{{reservation_name}}", _reservation, ["GET", "DELETE"]),
        (f"{slurm}/licenses", reads.licenses, ["GET"]),
        (f"{slurm}/shares", actions.shares, ["GET"]),
        (f"{slurm}/reconfigure", actions.reconfigure, ["GET"]),
        (f"{slurm}/resources/{{job_id}}", actions.resources, ["GET"]),
        (f"{slurm}/conf", actions.unsupported, ["GET"]),
        (f"{util}/hostnames", actions.hostnames, ["POST"]),
        (f"{util}/hostlist", actions.hostlist, ["POST"]),
    ]
    found: list[BaseRoute] = []
    for path, endpoint, methods in table:
        # The daemons document most paths of v0.0.39 and later with a trailing slash, the
        # older ones without: both spellings answer, in every version.
        found.append(Route(path, endpoint, methods=methods))
        found.append(Route(path + "/", endpoint, methods=methods))
    return [
        *found,
        *slurmdb_routes(),
        Route("/openapi", openapi, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/openapi/v3", openapi, methods=["GET"]),
        *token_routes(),
        *push_routes(),
        *health_routes(),
        *web_routes(),
    ]


Endpoint = Callable[[Request], Awaitable[Response]]


def _by_method(**endpoints: Endpoint) -> Endpoint:
    """One endpoint for a path whose methods are different operations."""

    async def endpoint(request: Request) -> Response:
        return await endpoints[request.method.lower()](request)

    return endpoint


_jobs = _by_method(get=reads.jobs, delete=actions.jobs_signal)
_nodes = _by_method(get=reads.nodes, post=actions.nodes_update)
_node = _by_method(get=reads.node, post=actions.node_change, delete=actions.node_change)
_partitions = _by_method(get=reads.partitions, post=actions.unsupported)
_partition = _by_method(get=reads.partition, delete=actions.unsupported)
_reservations = _by_method(get=reads.reservations, post=actions.unsupported)
_reservation = _by_method(get=reads.reservation, delete=actions.unsupported)
