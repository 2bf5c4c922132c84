"""What every endpoint does with a request before its own work: authenticate it, read its body."""

from __future__ import annotations

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.types import Scope

from slurmgate.api.errors import PayloadTooLarge, UnsupportedMediaType
from slurmgate.auth.authenticate import authenticate
from slurmgate.domain import InvalidRequest, Principal
from slurmgate.domain import slurm_errno as errno


async def authenticated(request: Request, action: str) -> Principal:
    """The caller, authenticated and within its rate limits; recorded for the audit log."""
    # request.state carries what the audit log reports: the action, then who asked.
    request.state.action = action
    principal = authenticate(header_values(request.scope), request.app.state.verifier)
    request.state.principal = principal
    await request.app.state.rate_limiter.check_user(principal, action)
    return principal


def header_values(scope: Scope) -> dict[str, str]:
    """The request's headers by (lower-case) name, the first of each, made once per request:
    Starlette's Headers looks each name up by a pass over them all."""
    found: dict[str, str] | None = scope.get(_HEADER_VALUES)
    if found is None:
        found = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in reversed(scope["headers"])
        }
        scope[_HEADER_VALUES] = found
    return found


_HEADER_VALUES = "slurmgate.header_values"


async def read_json(request: Request, *, limit: int, limit_name: str = "") -> object | None:
    """The JSON body, or None when it is empty; at most ``limit`` bytes are read."""
    headers = request.headers
    content_type = headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", "", "*/*"):
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} is not supported: send application/json"
        )
    length = headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_large(limit, limit_name)
    # The server's messages, read here rather than through Request.stream(), whose async
    # generator costs microseconds per request for a body that nearly always is one message.
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, limit_name)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if not body.strip():
        return None
    try:
        value: object = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            f"Unable to parse the request body as JSON: {exc}",
            error_number=errno.ESLURM_REST_FAIL_PARSING,
            error="Rest failed to parse query",
        ) from None
    return value


async def json_body(request: Request) -> object:
    """The request's JSON body, which must be there, within ``limits.max_body_bytes``."""
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


def _too_large(limit: int, limit_name: str) -> PayloadTooLarge:
    suffix = f" ({limit_name})" if limit_name else ""
    return PayloadTooLarge(f"Request body larger than {limit} bytes{suffix}")
