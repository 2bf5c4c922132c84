"""``GET /slurmgate/v1/events``: job and node changes as Server-Sent Events (see docs/events.md).

Authenticated, rate-limited and audited like every request; the audit log has one line when
the stream opens (action ``events``) and one when it closes (``events_close``, its latency the
stream's length). Once open, the stream is exempt from ``limits.request_timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from slurmgate.api.audit import AuditLog, audit_entry
from slurmgate.api.errors import ServerBusy
from slurmgate.api.requests import authenticated
from slurmgate.api.streaming import abort_of, begin_streaming, chunks_of
from slurmgate.domain import InvalidRequest
from slurmgate.domain import slurm_errno as errno
from slurmgate.events.filters import TYPES, Filters
from slurmgate.events.hub import EventHub
from slurmgate.events.subscription import Subscription

#: Seconds a cut-off client has to take its last event before its connection is dropped.
CUTOFF_GRACE = 5.0
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    # nginx would otherwise hold the events back to fill its buffer.
    (b"x-accel-buffering", b"no"),
    (b"connection", b"close"),
]


def _bad(parameter: str, why: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid {parameter}: {why}",
        error_number=errno.ESLURM_REST_INVALID_QUERY,
        error="Query empty or not RFC7320 compliant",
        source=parameter,
    )


def _words(query: QueryParams, name: str) -> list[str]:
    return [
        word.strip() for value in query.getlist(name) for word in value.split(",") if word.strip()
    ]


def parse_filters(query: QueryParams) -> Filters:
    """The stream's filters: ``types``, ``job_ids``, ``users``, ``states`` (comma-separated)."""
    types = {word.lower() for word in _words(query, "types")}
    if types - TYPES:
        unknown = sorted(types - TYPES)[0]
        raise _bad("types", f"{unknown!r} is neither job, node nor an event type (job.started)")
    job_ids = set()
    for word in _words(query, "job_ids"):
        if not (word.isascii() and word.isdigit()) or not 0 < int(word) < 2**32:
            raise _bad("job_ids", f"{word!r} is not a job id")
        job_ids.add(int(word))
    states = {word.upper() for word in _words(query, "states")}
    for state in states:
        if not state.replace("_", "").isalnum() or not state.isascii():
            raise _bad("states", f"{state!r} is not a state name")
    return Filters(frozenset(types), frozenset(job_ids), frozenset(_words(query, "users")),
                   frozenset(states))  # fmt: skip


async def events(request: Request) -> Response:
    principal = await authenticated(request, "events")
    filters = parse_filters(request.query_params)
    last_event_id = request.headers.get("last-event-id") or request.query_params.get(
        "last_event_id"
    )
    hub: EventHub = request.app.state.events
    rules = await request.app.state.mirror.access()
    if not hub.acquire():
        raise ServerBusy(
            f"The gateway serves its maximum of {hub.settings.max_streams} streams "
            "(events.max_streams): retry later",
            source="events.max_streams",
        )
    try:
        subscription = await hub.subscribe(principal.user_name, filters, last_event_id, rules)
    except BaseException:
        hub.release()
        raise
    return EventStream(hub, subscription)


class EventStream(Response):
    """The stream itself: its writer waits for events, heartbeats or the end."""

    def __init__(self, hub: EventHub, subscription: Subscription) -> None:
        super().__init__(media_type="text/event-stream")
        self.hub = hub
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        begin_streaming(scope)
        state = scope["state"]
        subscription = self.subscription
        subscription.on_overflow = self._cutoff_timer(scope)
        subscription.direct = chunks_of(scope)
        watcher = asyncio.ensure_future(self._watch(receive))
        try:
            _audit_opening(scope)
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            await self._write(send)
        finally:
            watcher.cancel()
            subscription.close()
            self.hub.unsubscribe(subscription)
            self.hub.release()
            state["action"] = "events_close"

    async def _write(self, send: Send) -> None:
        subscription = self.subscription
        while True:
            await subscription.wait()
            if subscription.closed:
                return
            if subscription.overflowed:
                notice = self.hub.overflow_notice(subscription)
                await send({"type": "http.response.body", "body": notice, "more_body": False})
                return
            piece = subscription.take()
            if piece:
                await send({"type": "http.response.body", "body": piece, "more_body": True})

    async def _watch(self, receive: Receive) -> None:
        with contextlib.suppress(Exception):
            while (await receive())["type"] != "http.disconnect":
                pass
        self.subscription.close()

    def _cutoff_timer(self, scope: Scope) -> Callable[[], None]:
        """What a cut-off does: wake the writer, and drop the connection if its last words
        are not taken within ``CUTOFF_GRACE`` (a client that reads nothing holds its writer
        in a write)."""
        abort = abort_of(scope)
        task = asyncio.current_task()

        def drop() -> None:
            if self.subscription.closed:
                return
            if abort is not None:
                abort()
            elif task is not None:  # another ASGI server: ending the request closes it
                task.cancel()

        def cut() -> None:
            self.subscription.wake()
            asyncio.get_running_loop().call_later(CUTOFF_GRACE, drop)

        return cut


def _audit_opening(scope: Scope) -> None:
    """The line of the stream's opening; the middleware writes the closing one."""
    audit: AuditLog | None = getattr(scope["app"].state, "audit", None)
    if audit is not None:
        audit.record(audit_entry(scope, scope["state"], time.time(), time.perf_counter(), 200))
