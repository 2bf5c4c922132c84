"""The ASGI application: ``create_app(settings)`` wires settings, auth, backend and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from slurmgate.accounting.cache import CachedAccounting
from slurmgate.api.audit import AuditLog
from slurmgate.api.errors import on_http_error, on_slurmgate_error, on_unexpected_error
from slurmgate.api.middleware import build_middleware
from slurmgate.api.openapi import build_openapi
from slurmgate.api.ratelimit import build_rate_limiter
from slurmgate.api.router import IndexedRouter
from slurmgate.api.routes import routes
from slurmgate.api.versions import VERSIONS
from slurmgate.auth.keys import ensure_key
from slurmgate.auth.setup import build_auth
from slurmgate.backends import create_backend
from slurmgate.backends.base import Backend
from slurmgate.config import Settings
from slurmgate.domain.errors import SlurmgateError
from slurmgate.events.hub import EventHub
from slurmgate.metrics.gateway import GatewayMetrics
from slurmgate.mirror import Mirror, RenderCache
from slurmgate.mirror.pieces import Pieces
from slurmgate.mirror.service import ServiceIdentity


def create_app(settings: Settings, *, backend: Backend | None = None) -> Starlette:
    """Build the gateway. Nothing starts until the ASGI lifespan begins."""
    if settings.backend == "local" and settings.auth.jwt_key is None:
        ensure_key(settings.jwt_key_path)
    auth = build_auth(settings)
    the_backend = backend if backend is not None else create_backend(settings)
    rate_limiter = build_rate_limiter(settings.rate_limit)
    audit = AuditLog(settings.audit.path) if settings.audit.enabled else None

    service = ServiceIdentity(settings.mirror.user or the_backend.service_user, auth.cluster_key)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await the_backend.start()
        # The mirror's event and tasks belong to the serving loop: made here, not before.
        mirror = Mirror(the_backend, settings.mirror, service)
        app.state.mirror = mirror
        app.state.events = EventHub(settings.events, mirror)
        mirror.start()
        app.state.events.start()
        if audit is not None:
            audit.start()
        try:
            yield
        finally:
            await app.state.events.stop()
            await mirror.stop()
            await the_backend.stop()
            auth.close()
            await rate_limiter.close()
            if audit is not None:  # writes every record still queued
                await anyio.to_thread.run_sync(audit.close)

    app = Starlette(
        middleware=build_middleware(settings),
        exception_handlers={
            SlurmgateError: on_slurmgate_error,
            HTTPException: on_http_error,
            Exception: on_unexpected_error,
        },
    )
    # Starlette's router, trying first the route that answered the same path before.
    app.router = IndexedRouter(routes(), lifespan=lifespan)
    app.state.settings = settings
    app.state.backend = the_backend
    # Accounting calls go through here: answers shared between callers (slurmdbd's load).
    app.state.accounting = CachedAccounting(the_backend, settings.accounting, service.principal)
    app.state.verifier = auth.verifier
    app.state.auth = auth
    app.state.rate_limiter = rate_limiter
    app.state.audit = audit
    # The gateway's own counters, kept only when /metrics can be read.
    app.state.metrics = GatewayMetrics(frozenset(VERSIONS)) if settings.metrics.enabled else None
    app.state.responses = RenderCache(settings.mirror.cache_bytes)
    # The records list answers are assembled from, rendered one by one (mirror/pieces.py).
    app.state.pieces = Pieces()
    app.state.openapi_bytes = orjson.dumps(build_openapi())
    return app
