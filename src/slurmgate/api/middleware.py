"""The middleware around the routes, built from the settings.

``GatewayMiddleware`` does what every request needs, in one layer with one ``send`` wrapper,
in this order: it names the request (``X-Request-ID``) and records it for the audit log
(audit.py); resolves the client's address and refuses other networks (network.py); refuses a
request line and headers over ``limits.max_header_bytes``; and answers a request that is not
done within ``limits.request_timeout``. CORS and the address rate limit, when configured, sit
between the checks and the time-out, which then gets a layer of its own: CORS outside it so
that browsers can read a time-out's answer.

Middleware runs outside Starlette's exception handlers, so each refusal is rendered here in
slurmrestd's envelope (``send_error``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slurmgate.api.audit import AuditLog, audit_entry, new_request_id
from slurmgate.api.deadlines import Deadlines
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
from slurmgate.metrics.gateway import GatewayMetrics

log = logging.getLogger("slurmgate.api")

#: Headers a browser client may send cross-origin: slurmrestd's two, plus bearer tokens.
CORS_HEADERS = ["X-SLURM-USER-NAME", "X-SLURM-USER-TOKEN", "Authorization", "Content-Type"]
CORS_METHODS = ["GET", "POST", "DELETE"]
#: Seconds a browser may cache a preflight answer.
CORS_MAX_AGE = 600
#: Peers whose resolved address is remembered; past this many the memory starts over.
ADDRESS_CACHE_SIZE = 4096


def build_middleware(settings: Settings) -> list[Middleware]:
    """Every middleware of the gateway, outermost first."""
    between = [
        *_cors(settings),
        # -- rate limit per client address, before authentication (user buckets: routes) --
        *([Middleware(AddressRateLimitMiddleware)] if settings.rate_limit.enabled else []),
    ]
    timeout = settings.limits.request_timeout
    return [
        Middleware(
            GatewayMiddleware,
            networks=ClientNetworks(settings.network.allow, settings.network.trusted_proxies),
            max_header_bytes=settings.limits.max_header_bytes,
            # Body and script sizes are checked by the routes.
            request_timeout=None if between else timeout,
        ),
        *between,
        *([Middleware(RequestTimeoutMiddleware, seconds=timeout)] if between else []),
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


class Exchange:
    """One request as the middleware sees it: what was answered, what was received.

    Its ``send`` and ``receive`` wrap the server's, adding ``X-Request-ID`` to the answer.
    """

    __slots__ = (
        "body_received",
        "expects_body",
        "request_id",
        "server_receive",
        "server_send",
        "status",
    )

    def __init__(
        self, send: Send, receive: Receive, request_id: bytes | None, expects_body: bool
    ) -> None:
        self.server_send = send
        self.server_receive = receive
        self.request_id = request_id
        self.expects_body = expects_body
        self.body_received = False
        #: The answer's status once its start was sent.
        self.status: int | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            if self.request_id is not None:
                # A copy: the response may reuse its header list.
                headers = [*message.get("headers", ()), (b"x-request-id", self.request_id)]
                message = {**message, "headers": headers}
        await self.server_send(message)

    async def receive(self) -> Message:
        message = await self.server_receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            self.body_received = True
        return message


class GatewayMiddleware:
    """Request id and audit, client network, head size and (unless None) the time-out."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        networks: ClientNetworks,
        max_header_bytes: int,
        request_timeout: float | None,
    ) -> None:
        self.app = app
        self.networks = networks
        self.max_header_bytes = max_header_bytes
        self.deadlines = None if request_timeout is None else Deadlines(request_timeout)
        # Resolving and checking an address costs more than the rest of this layer: a peer
        # without X-Forwarded-For is resolved once.
        self._peers: dict[str | None, tuple[str, bool]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # One pass over the headers for everything this layer reads in them.
        request_id: bytes | None = None
        forwarded: list[str] | None = None
        expects_body: bool | None = None
        head_size = 0
        for name, value in scope["headers"]:
            head_size += len(name) + len(value) + 4
            if name == b"x-request-id":
                if request_id is None:
                    request_id = value
            elif name == b"x-forwarded-for":
                if forwarded is None:
                    forwarded = []
                forwarded.append(value.decode("latin-1"))
            elif expects_body is None:
                if name == b"content-length":
                    expects_body = value.strip() not in (b"", b"0")
                elif name == b"transfer-encoding":
                    expects_body = True
        named = new_request_id(request_id)
        exchange = Exchange(send, receive, named, bool(expects_body))
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = named.decode()
        # An app not made by create_app (a test's) has no log: it still gets request ids.
        app_state = scope["app"].state
        audit: AuditLog | None = getattr(app_state, "audit", None)
        metrics: GatewayMetrics | None = getattr(app_state, "metrics", None)
        if audit is None and metrics is None:
            await self._checked(scope, exchange, head_size, forwarded)
            return
        started = time.time()
        clock = time.perf_counter()
        try:
            await self._checked(scope, exchange, head_size, forwarded)
        except BaseException:
            exchange.status = exchange.status or 500  # Starlette's outermost handler answers 500
            raise
        finally:
            if audit is not None:
                audit.record(audit_entry(scope, state, started, clock, exchange.status))
            if metrics is not None:
                metrics.observe(scope, exchange.status, time.perf_counter() - clock)

    async def _checked(
        self, scope: Scope, exchange: Exchange, head_size: int, forwarded: list[str] | None
    ) -> None:
        address, allowed = self._client(scope, forwarded)
        scope["state"]["client_address"] = address
        if not allowed:
            scope["state"]["refused"] = "network"
            # info, not warning: a scan from outside must not flood the log (audit has it all).
            log.info(
                "refused %s %s from %s: not in network.allow",
                scope["method"],
                scope["path"],
                address,
            )
            error: SlurmgateError = ClientRefused(
                f"Client address {address} is not allowed to use this gateway",
                source="network.allow",
            )
            await send_error(scope, exchange.send, error)
            return
        # As on the wire: "METHOD TARGET HTTP/1.1\r\n", then "name: value\r\n" per header.
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
        if head_size + len(scope["method"]) + target + 13 > self.max_header_bytes:
            error = HeadersTooLarge(
                f"Request line and headers are larger than {self.max_header_bytes} bytes "
                "(limits.max_header_bytes)",
                source=f"{scope['method']} {scope['path']}",
            )
            await send_error(scope, exchange.send, error)
            return
        if self.deadlines is None:
            await self.app(scope, exchange.server_receive, exchange.send)
        else:
            await run_timed(self.app, self.deadlines, scope, exchange)

    def _client(self, scope: Scope, forwarded: list[str] | None) -> tuple[str, bool]:
        client = scope.get("client")
        peer = client[0] if client else None
        if forwarded is None:
            known = self._peers.get(peer)
            if known is not None:
                return known
        address = self.networks.client_address(peer, forwarded or ())
        resolved = (address, self.networks.allowed(address))
        if forwarded is None:
            if len(self._peers) >= ADDRESS_CACHE_SIZE:
                self._peers.clear()
            self._peers[peer] = resolved
        return resolved


class RequestTimeoutMiddleware:
    """The time-out alone, for when other middleware sits between it and the checks."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.deadlines = Deadlines(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(send, receive, None, _expects_body(scope))
        await run_timed(self.app, self.deadlines, scope, exchange)


async def run_timed(app: ASGIApp, deadlines: Deadlines, scope: Scope, exchange: Exchange) -> None:
    """Run ``app``; answer a request not done in time, and free what it held.

    408 when the client was still sending its body, 504 when the gateway was still working.
    A response already under way is cut off instead: its status line is gone.
    """
    receive = exchange.receive if exchange.expects_body else exchange.server_receive
    deadline = deadlines.begin()
    scope[_DEADLINE] = (deadlines, deadline)
    try:
        await app(scope, receive, exchange.send)
    except asyncio.CancelledError:
        if not deadlines.end(deadline):
            raise
    else:
        return
    finally:
        deadlines.end(deadline)
    seconds = deadlines.seconds
    where = f"{scope['method']} {scope['path']}"
    log.warning("%s did not finish within %ss (limits.request_timeout)", where, seconds)
    if exchange.status is not None:
        return  # the server closes a connection whose response is incomplete
    error: SlurmgateError
    if exchange.expects_body and not exchange.body_received:
        error = RequestTimeout(
            f"The request body did not arrive within {seconds:g} s (limits.request_timeout)",
            source=where,
        )
    else:
        error = GatewayTimeout(
            f"The request did not complete within {seconds:g} s (limits.request_timeout)",
            source=where,
        )
    await send_error(scope, exchange.send, error)


#: Where a request's deadline is kept in its scope, for ``release_deadline``.
_DEADLINE = "slurmgate.deadline"


def release_deadline(scope: Scope) -> None:
    """Exempt the request from ``limits.request_timeout`` from now on: an event stream or a
    followed output is meant to last; its head was read and checked within the time-out."""
    held = scope.pop(_DEADLINE, None)
    if held is not None:
        deadlines, deadline = held
        deadlines.end(deadline)


def _expects_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False
