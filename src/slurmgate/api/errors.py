"""Every failure becomes slurmrestd's error envelope, mapped to HTTP once, by class."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.responses import JSONResponse
from slurmgate.api.versions import DEFAULT_VERSION, SLURMDB, VERSIONS, ApiVersion
from slurmgate.backends.base import Backend, ClusterInfo
from slurmgate.domain.errors import (
    AuthError,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    NotSupported,
    PermissionDenied,
    SlurmgateError,
    TooManyRequests,
    UnprocessableRequest,
)

log = logging.getLogger("slurmgate.api")


class MethodNotAllowed(InvalidRequest):
    default_error_number = 9007  # ESLURM_REST_UNKNOWN_URL_METHOD
    default_error_name = "Unknown URL method"


class UnsupportedMediaType(InvalidRequest):
    default_error_name = "Unsupported media type"


class PayloadTooLarge(InvalidRequest):
    default_error_number = 9205  # ESLURM_DATA_TOO_LARGE
    default_error_name = "Data too large"


class HeadersTooLarge(InvalidRequest):
    default_error_number = 9205  # ESLURM_DATA_TOO_LARGE
    default_error_name = "Request headers too large"


class RequestTimeout(InvalidRequest):
    """The client took too long to send its request."""

    default_error_number = 5004  # SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT
    default_error_name = "Socket timed out on send/recv operation"


class ClientRefused(PermissionDenied):
    """The client's network is not allowed to use the gateway."""

    default_error_name = "Client address not allowed"


class ServerBusy(SlurmgateError):
    """Every connection slot is taken."""

    default_error_number = 11  # EAGAIN
    default_error_name = "Resource temporarily unavailable"


class GatewayTimeout(SlurmgateError):
    """The gateway did not answer within the request time-out."""

    default_error_number = 5004  # SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT
    default_error_name = "Socket timed out on send/recv operation"


# Most specific first: the first class in an error's MRO found here decides its status.
HTTP_STATUS: dict[type[SlurmgateError], int] = {
    MethodNotAllowed: 405,
    UnsupportedMediaType: 415,
    PayloadTooLarge: 413,
    HeadersTooLarge: 431,
    RequestTimeout: 408,
    UnprocessableRequest: 422,
    InvalidRequest: 400,
    AuthError: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyRequests: 429,
    NotSupported: 501,
    BackendUnavailable: 502,
    ServerBusy: 503,
    GatewayTimeout: 504,
    SlurmgateError: 500,
}


def http_status(error: SlurmgateError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def version_of(path: str) -> ApiVersion:
    """The API version a path addresses (``/slurm/v0.0.37/...``), else the default one.

    For errors raised before routing, when no path parameter is known yet.
    """
    parts = path.split("/", 3)
    name = parts[2] if len(parts) > 2 and parts[1] in ("slurm", "slurmdb") else ""
    if parts[1:2] == ["slurmdb"] and name in SLURMDB:  # the slurmdb plugin's own envelope
        return SLURMDB[name]
    return VERSIONS.get(name, VERSIONS[DEFAULT_VERSION])


def envelope(error: SlurmgateError, info: ClusterInfo, path: str = "") -> tuple[int, bytes]:
    """Status and body of ``error`` for code below Starlette (the connection, middleware)."""
    body = orjson.dumps(version_of(path).errors([error], info))
    return http_status(error), body


#: Refused before any read was attempted: no list.
_BEFORE_READING = (AuthError, TooManyRequests, ClientRefused, MethodNotAllowed)


def error_response(
    request: Request, error: SlurmgateError, headers: Mapping[str, str] | None = None
) -> Response:
    """Render ``error`` in the envelope of the API version the request addressed."""
    version = version_of(request.url.path)
    backend: Backend = request.app.state.backend
    headers = dict(headers or {})
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    # A read that failed answers with its (empty) listing, as slurmrestd's do, and so do the
    # changes the version names (version.errors); one refused before reading anything answers
    # with the errors alone.
    operation = getattr(request.state, "action", "")
    if isinstance(error, _BEFORE_READING) or "version" not in request.path_params:
        operation = ""
    if not operation and request.url.path.startswith("/slurmdb/"):
        operation = "db_"  # the slurmdb plugin's envelope, with no listing
    body = version.errors([error], backend.info, operation)
    return JSONResponse(body, status_code=http_status(error), headers=headers)


async def on_slurmgate_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SlurmgateError)  # noqa: S101 - registered for this class only
    return error_response(request, exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own routing failures (unknown path, wrong method) in the same envelope."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this class only
    where = f"{request.method} {request.url.path}"
    error: SlurmgateError
    if exc.status_code == 404:
        error = NotFound(f"Unable to find path {request.url.path}", source=where)
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"Method {request.method} is not allowed here", source=where)
    else:
        error = InvalidRequest(str(exc.detail), source=where)
    # Starlette's 405 names the allowed methods in Allow, which RFC 9110 requires.
    return error_response(request, error, exc.headers)


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug: log it with its traceback, answer 500 in the envelope, reveal nothing."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, SlurmgateError("Internal error; see the gateway's log"))
