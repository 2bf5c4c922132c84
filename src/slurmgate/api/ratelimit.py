"""Rate limits per client address, per user, and for submissions, with the ``limits`` library.

The strategy is ``limits``' moving window: it counts the hits of the last window exactly, so a
client never gets twice its allowance by straddling a window boundary (the fixed window's
flaw), and the time until the oldest hit leaves the window is exact, which is what
``Retry-After`` reports. Its cost, one timestamp per allowed hit, is small at the rates a gateway
allows. Redis runs the same algorithm in one Lua script per hit, so replicas sharing a Redis
share every bucket; it is reached through ``limits.aio``, so the event loop never waits on it.

In memory, the windows live in ``LoopMemoryStorage`` (``ratelimit_memory``), which costs a
few microseconds per hit where ``limits``' own memory storages cost far more (see there).

The address bucket is checked by ``AddressRateLimitMiddleware`` before anything else reads the
request (unauthenticated and unknown requests count too); the user buckets right after
authentication (``check_user`` in ``routes._begin``). A request refused by one bucket is not
counted by the buckets after it.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.types import ASGIApp, Receive, Scope, Send

from slurmgate.api.errors import envelope
from slurmgate.api.ratelimit_memory import LoopMemoryStorage
from slurmgate.config import RateLimitSettings
from slurmgate.domain import Principal
from slurmgate.domain.errors import BackendUnavailable, TooManyRequests

log = logging.getLogger("slurmgate.ratelimit")

#: Operations (``routes._begin``) that also count against ``submit_per_user``.
SUBMIT_OPERATIONS = frozenset({"job_submit"})
#: Seconds between two warnings about an unreachable storage: one per incident, not per request.
STORAGE_WARNING_INTERVAL = 60.0
#: Which setting each bucket comes from, named in the refusal's ``source``.
_SETTING = {"address": "per_address", "user": "per_user", "submit": "submit_per_user"}


class RateLimiter(Protocol):
    """What the routes and the middleware ask of a rate limiter."""

    async def check_address(self, address: str) -> None: ...

    async def check_user(self, principal: Principal, operation: str) -> None: ...

    async def close(self) -> None: ...


class NoRateLimit:
    """``rate_limit.enabled = false``: every check passes at the cost of one await."""

    async def check_address(self, address: str) -> None:
        return None

    async def check_user(self, principal: Principal, operation: str) -> None:
        return None

    async def close(self) -> None:
        return None


class BucketRateLimiter:
    """The buckets of ``[rate_limit]`` in one storage (memory, or a Redis shared by replicas)."""

    def __init__(self, settings: RateLimitSettings) -> None:
        # The settings validated these strings already.
        self.per_user = parse_many(settings.per_user)
        self.per_address = parse_many(settings.per_address)
        self.submit_per_user = parse_many(settings.submit_per_user)
        self.fail_open = settings.on_storage_error == "allow"
        self._strategy, self._pool = _strategy(settings)
        self._warned_at = -math.inf

    async def check_address(self, address: str) -> None:
        await self._hit(self.per_address, "address", address)

    async def check_user(self, principal: Principal, operation: str) -> None:
        await self._hit(self.per_user, "user", principal.user_name)
        if operation in SUBMIT_OPERATIONS:
            await self._hit(self.submit_per_user, "submit", principal.user_name)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def _hit(self, items: list[RateLimitItem], bucket: str, who: str) -> None:
        for item in items:
            try:
                if await self._strategy.hit(item, bucket, who):
                    continue
                stats = await self._strategy.get_window_stats(item, bucket, who)
            except StorageError as exc:
                self._storage_failed(exc.storage_error)
                return
            # Whole seconds, rounded up: retrying earlier would only be refused again.
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyRequests(
                f"Rate limit exceeded: {item} per {bucket} for {who}; retry in {retry_after} s",
                retry_after=retry_after,
                source=f"rate_limit.{_SETTING[bucket]}",
            )

    def _storage_failed(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= STORAGE_WARNING_INTERVAL:
            self._warned_at = now
            log.warning(
                "rate limit storage unavailable (%s: %s); requests are %s until it answers",
                type(error).__name__,
                error,
                "allowed" if self.fail_open else "refused",
            )
        if not self.fail_open:
            raise BackendUnavailable(
                "The rate limit storage is unavailable", source="rate_limit.storage"
            )


def build_rate_limiter(settings: RateLimitSettings) -> RateLimiter:
    return BucketRateLimiter(settings) if settings.enabled else NoRateLimit()


class _Pool(Protocol):
    async def aclose(self) -> None: ...


def _strategy(settings: RateLimitSettings) -> tuple[MovingWindowRateLimiter, _Pool | None]:
    uri = settings.storage
    if uri.startswith("memory://"):
        return MovingWindowRateLimiter(LoopMemoryStorage()), None
    import redis.asyncio  # only with a Redis storage

    timeout = settings.storage_timeout
    # Our own pool, so that shutdown can close its connections (limits has no close()).
    pool = redis.asyncio.ConnectionPool.from_url(
        uri, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    storage = RedisStorage(
        # limits picks its asyncio storages by an "async+" scheme.
        "async+" + uri,
        wrap_exceptions=True,
        implementation="redispy",
        connection_pool=pool,  # type: ignore[arg-type]
    )
    return MovingWindowRateLimiter(storage), pool


class AddressRateLimitMiddleware:
    """Count every request against its client address before it reaches authentication.

    The address is ``request.state.client_address`` when the network middleware resolved one
    (trusted proxies' ``X-Forwarded-For``), else the connection's peer. Connections on the unix
    socket have no address; only their user buckets apply.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope.get("state", {}).get("client_address")
        if address is None:
            client = scope.get("client")
            address = client[0] if client else None
        if address and address != "unix":
            limiter: RateLimiter = scope["app"].state.rate_limiter
            try:
                await limiter.check_address(address)
            except (TooManyRequests, BackendUnavailable) as error:
                await _refuse(scope, send, error)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, error: TooManyRequests | BackendUnavailable) -> None:
    status, body = envelope(error, scope["app"].state.backend.info, scope.get("path", ""))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if isinstance(error, TooManyRequests):
        headers.append((b"retry-after", str(max(1, math.ceil(error.retry_after))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
