"""slurmgate's own token endpoints, under /slurmgate/v1/ so slurmrestd's clients see nothing new.

``POST /slurmgate/v1/token/refresh`` trades a valid token for a fresh one of the same user;
``POST /slurmgate/v1/token/revoke`` (administrators only) revokes one token by its id, or all
of a user's tokens issued before a time. Both answer in slurmrestd's envelope (``meta``,
``errors``, ``warnings``) of the newest API version.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slurmgate.api.requests import authenticated, read_json
from slurmgate.api.responses import JSONResponse
from slurmgate.api.versions import DEFAULT_VERSION, VERSIONS
from slurmgate.auth.revocation import keep_until, parse_before
from slurmgate.auth.setup import Auth
from slurmgate.backends.base import Backend
from slurmgate.domain import InvalidRequest, PermissionDenied, Principal

PREFIX = "/slurmgate/v1"
#: These bodies hold a number or a name; anything bigger is not one of them.
MAX_BODY_BYTES = 64 * 1024


async def _begin(request: Request, action: str) -> tuple[Principal, Auth]:
    return await authenticated(request, action), request.app.state.auth


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object sent, or {} for an empty body."""
    value = await read_json(request, limit=MAX_BODY_BYTES)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest("The request body must be a JSON object")
    return value


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidRequest(
            f"Unknown field {unknown[0]!r}: expected {', '.join(sorted(allowed))}",
            source=unknown[0],
        )


def _answer(request: Request, **fields: object) -> Response:
    backend: Backend = request.app.state.backend
    return JSONResponse({**fields, **VERSIONS[DEFAULT_VERSION].empty(backend.info)})


async def refresh(request: Request) -> Response:
    principal, auth = await _begin(request, "token_refresh")
    body = await _body(request)
    _only(body, {"lifespan"})
    lifespan = body.get("lifespan")
    if lifespan is not None and (not isinstance(lifespan, int) or isinstance(lifespan, bool)):
        raise InvalidRequest("lifespan must be a number of seconds", source="lifespan")
    # The token's own user: an administrator acting for someone keeps their own identity.
    user = principal.token_user_name or principal.user_name
    issued = auth.issuer.issue(user, lifespan)
    return _answer(request, token=issued.token, expires_at=issued.expires_at)


async def revoke(request: Request) -> Response:
    principal, auth = await _begin(request, "token_revoke")
    if not principal.is_admin:
        raise PermissionDenied(
            f"user {principal.user_name} may not revoke tokens: only administrators "
            "(auth.admins) may"
        )
    body = await _body(request)
    _only(body, {"jti", "username", "before"})
    by = principal.token_user_name or principal.user_name
    now = time.time()
    jti, username = body.get("jti"), body.get("username")
    if (jti is None) == (username is None):
        raise InvalidRequest('Send either "jti" or "username" (with an optional "before")')
    if jti is not None:
        if not isinstance(jti, str) or not jti or "before" in body:
            raise InvalidRequest('"jti" must be a token id, alone', source="jti")
        settings = request.app.state.settings.auth
        expires = keep_until(settings.max_lifespan, settings.leeway, now)
        token = await run_in_threadpool(
            auth.revocations.revoke_token, jti, by=by, expires_at=expires
        )
        return _answer(request, revoked={"jti": token.jti, "revoked_at": token.revoked_at})
    if not isinstance(username, str) or not username.strip():
        raise InvalidRequest('"username" must be a user name', source="username")
    try:
        before = parse_before(body.get("before", "now"), now)
    except ValueError as exc:
        raise InvalidRequest(str(exc), source="before") from None
    user = await run_in_threadpool(auth.revocations.revoke_user, username, before, by=by)
    return _answer(
        request,
        revoked={"username": user.user, "before": user.before, "revoked_at": user.revoked_at},
    )


def token_routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/token/refresh", refresh, methods=["POST"]),
        Route(f"{PREFIX}/token/revoke", revoke, methods=["POST"]),
    ]
