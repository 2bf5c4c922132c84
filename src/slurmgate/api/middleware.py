"""The middleware around the routes, outermost first, built from the settings.

Middleware runs outside Starlette's exception handlers, so each one renders its own refusals
in slurmrestd's envelope (``send_error``).
"""

from __future__ import annotations

import logging

import anyio
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slurmgate.api.audit import AuditMiddleware
from slurmgate.api.errors import (
    ClientRefused,
    GatewayTimeout,
    HeadersTooLarge,
    RequestTimeout,
    envelope,
)
from slurmgate.api.network import ClientNetworks
from slurmgate.api.ratelimit import AddressRateLimitMiddleware
from slurmgate.config import Settings
from slurmgate.domain.errors import SlurmgateError

log = logging.getLogger("slurmgate.api")

#: Headers a browser client may send cross-origin: slurmrestd's two, plus bearer tokens.
CORS_HEADERS = ["X-SLURM-USER-NAME", "X-SLURM-USER-TOKEN", "Authorization", "Content-Type"]
CORS_METHODS = ["GET", "POST", "DELETE"]
#: Seconds a browser may cache a preflight answer.
CORS_MAX_AGE = 600


def build_middleware(settings: Settings) -> list[Middleware]:
    """Every middleware of the gateway, outermost first."""
    return [
        # -- audit: outermost, so every answer (refusals too) has an X-Request-ID and a log line --
        Middleware(AuditMiddleware),
        # -- network: who the client is and whether it may connect (before anything else) --
        Middleware(
            ClientNetworkMiddleware,
            networks=ClientNetworks(settings.network.allow, settings.network.trusted_proxies),
        ),
        # -- limits (head size): the server stops buffering an oversized head; one that
        # arrived whole is measured here --
        Middleware(HeaderSizeMiddleware, limit=settings.limits.max_header_bytes),
        # -- browsers: CORS outside the time-out, so browsers can read a time-out's answer --
        *_cors(settings),
        # -- rate limit per client address, before authentication (user buckets: routes) --
        *([Middleware(AddressRateLimitMiddleware)] if settings.rate_limit.enabled else []),
        # -- limits (time): innermost, so it times the work itself; body and script sizes are
        # checked by the routes --
        Middleware(RequestTimeoutMiddleware, seconds=settings.limits.request_timeout),
    ]


def _cors(settings: Settings) -> list[Middleware]:
    origins = settings.network.cors_origins
    if not origins:
        return []  # no CORS headers at all: browsers keep their same-origin policy
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            # Browsers hide other response headers from scripts unless named here.
            expose_headers=["Retry-After", "X-Request-ID"],
            # Tokens travel in headers, never in cookies: no credentials mode.
            allow_credentials=False,
            max_age=CORS_MAX_AGE,
        )
    ]


async def send_error(scope: Scope, send: Send, error: SlurmgateError) -> None:
    """Answer ``error`` in the envelope of the version the path names."""
    status, body = envelope(error, scope["app"].state.backend.info, scope.get("path", ""))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ClientNetworkMiddleware:
    """Resolve the client address into ``request.state.client_address``; refuse other networks."""

    def __init__(self, app: ASGIApp, *, networks: ClientNetworks) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        forwarded = [
            value.decode("latin-1")
            for name, value in scope["headers"]
            if name == b"x-forwarded-for"
        ]
        address = self.networks.client_address(peer, forwarded)
        scope.setdefault("state", {})["client_address"] = address
        if not self.networks.allowed(address):
            # info, not warning: a scan from outside must not flood the log (audit has it all).
            log.info(
                "refused %s %s from %s: not in network.allow",
                scope["method"],
                scope["path"],
                address,
            )
            await send_error(
                scope,
                send,
                ClientRefused(
                    f"Client address {address} is not allowed to use this gateway",
                    source="network.allow",
                ),
            )
            return
        await self.app(scope, receive, send)


class HeaderSizeMiddleware:
    """431 for a request line and headers over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _head_size(scope) > self.limit:
            await send_error(
                scope,
                send,
                HeadersTooLarge(
                    f"Request line and headers are larger than {self.limit} bytes "
                    "(limits.max_header_bytes)",
                    source=f"{scope['method']} {scope['path']}",
                ),
            )
            return
        await self.app(scope, receive, send)


def _head_size(scope: Scope) -> int:
    # As on the wire: "METHOD TARGET HTTP/1.1\r\n", then "name: value\r\n" per header.
    target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
    size = len(scope["method"]) + target + 13
    return size + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


class RequestTimeoutMiddleware:
    """Answer a request that is not done within ``seconds``, and free what it held.

    408 when the client was still sending its body, 504 when the gateway was still working.
    A response already under way is cut off instead: its status line is gone.
    """

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        expects_body = _expects_body(scope)
        body_received = False
        response_started = False

        async def tracked_receive() -> Message:
            nonlocal body_received
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body_received = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        with anyio.move_on_after(self.seconds) as deadline:
            await self.app(scope, tracked_receive, tracked_send)
        if not deadline.cancelled_caught:
            return
        where = f"{scope['method']} {scope['path']}"
        log.warning("%s did not finish within %ss (limits.request_timeout)", where, self.seconds)
        if response_started:
            return  # the server closes a connection whose response is incomplete
        error: SlurmgateError
        if expects_body and not body_received:
            error = RequestTimeout(
                f"The request body did not arrive within {self.seconds:g} s "
                "(limits.request_timeout)",
                source=where,
            )
        else:
            error = GatewayTimeout(
                f"The request did not complete within {self.seconds:g} s (limits.request_timeout)",
                source=where,
            )
        await send_error(scope, send, error)


def _expects_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False
