"""One timer for the time-outs of every connection, where there were two per request.

A uvloop timer costs microseconds to arm and as much to cancel, and a connection needed two
per request: one for the request head (``header_timeout``), one for the wait that follows the
answer (``idle_timeout``, uvicorn's keep-alive timer). Here a connection only notes when it is
due, a float; one timer per event loop looks over the connections every ``tick`` seconds and
expires those past due. A time-out fires up to one tick late.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Timed(Protocol):
    #: Loop time at which ``expire`` is due; None: nothing is.
    due: float | None

    def expire(self) -> None: ...


class ConnectionClock:
    """Expires the connections it watches once they are past due."""

    def __init__(self, loop: asyncio.AbstractEventLoop, tick: float) -> None:
        self.loop = loop
        self.tick = tick
        self._watched: set[Timed] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, connection: Timed) -> None:
        self._watched.add(connection)
        if self._timer is None:
            self._timer = self.loop.call_later(self.tick, self._check)

    def forget(self, connection: Timed) -> None:
        self._watched.discard(connection)

    def _check(self) -> None:
        now = self.loop.time()
        for connection in [c for c in self._watched if c.due is not None and c.due <= now]:
            connection.due = None
            connection.expire()
        # Stops while no connection is open; the next one starts it again.
        self._timer = self.loop.call_later(self.tick, self._check) if self._watched else None
