"""What every slurmrestd endpoint does first: pick the version's view, authenticate; and the
path and query values several endpoints read."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.requests import authenticated
from slurmgate.api.responses import JSONResponse
from slurmgate.api.versions import VERSIONS, ApiVersion
from slurmgate.backends.base import Backend
from slurmgate.domain import InvalidRequest, NotFound, Principal
from slurmgate.domain import slurm_errno as errno


def version_of(request: Request, operation: str) -> ApiVersion:
    name = request.path_params["version"]
    version = VERSIONS.get(name)
    if version is None or operation not in version.operations():
        raise NotFound(
            f"Unable to find path {request.url.path}",
            source=f"{request.method} {request.url.path}",
        )
    return version


async def begin(request: Request, operation: str) -> tuple[ApiVersion, Principal, Backend]:
    version = version_of(request, operation)
    principal = await authenticated(request, operation)
    return version, principal, request.app.state.backend


def touched(request: Request, *job_ids: int) -> None:
    """Record the jobs a request concerned, for the audit log."""
    request.state.job_ids = list(job_ids)


#: The latest time a query may name: Slurm's times are 64-bit, and so are the store's.
MAX_TIME = 2**63 - 1


def update_time(request: Request) -> int:
    if not request.scope["query_string"]:  # most reads: no parsing of an empty query
        return 0
    text = request.query_params.get("update_time")
    if text is None or text == "":
        return 0
    try:
        since = max(int(text), 0)
        if since > MAX_TIME:
            raise ValueError(text)
        return since
    except ValueError:
        raise InvalidRequest(
            f"update_time must be a Unix time in seconds, got {text!r}",
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            source="update_time",
        ) from None


def job_id(request: Request) -> int:
    text = request.path_params["job_id"]
    try:
        number = int(text)
    except ValueError:
        number = 0
    # isascii: int() and isdigit() also take other scripts' digits ("１" is job 1).
    if number <= 0 or number >= 2**32 or not (text.isascii() and text.isdigit()):
        raise InvalidRequest(
            f"Invalid job id {text!r}: expected a positive integer",
            error_number=errno.ESLURM_INVALID_JOB_ID,
            error="Invalid job id specified",
            source="job_id",
        )
    return number


def ok(content: object) -> Response:
    return JSONResponse(content)
