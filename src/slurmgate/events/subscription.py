"""One open event stream: the events waiting to be written to its client, bounded.

The hub appends events as the mirror sees them; the stream's writer takes them in batches and
writes each batch in one piece. A client that does not read lets its batches wait in its
socket, its writer waits with them, and its queue grows: past the bound it is cut off (the
queue is emptied, the writer sends a last ``stream.overflow`` event and ends the stream).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable

from slurmgate.events.filters import Filters
from slurmgate.events.model import Event, frame

#: Most events written in one piece: a slow client's socket buffer holds at most this much more.
MAX_BATCH = 256
HEARTBEAT = b": heartbeat\n\n"


class Subscription:
    __slots__ = (
        "bound",
        "closed",
        "filters",
        "heartbeat_due",
        "last_seq",
        "last_sent",
        "on_overflow",
        "opened_at",
        "overflowed",
        "queue",
        "replay",
        "user",
        "_first",
        "_waiter",
    )

    def __init__(self, user: str, filters: Filters, bound: int) -> None:
        self.user = user
        self.filters = filters
        self.bound = bound
        self.queue: deque[Event] = deque()
        #: Events of a resumed stream that it missed, sent before the live ones (not bounded:
        #: they are at most the hub's window, already in memory).
        self.replay: deque[Event] = deque()
        #: Frames to send before any event (the stream's opening, a missed-events notice).
        self._first: list[bytes] = []
        self.overflowed = False
        self.closed = False
        self.heartbeat_due = False
        #: The last event taken for writing: where a resumed stream would go on.
        self.last_seq = 0
        self.opened_at = time.monotonic()
        self.last_sent = self.opened_at
        self._waiter: asyncio.Future[None] | None = None
        #: Called once when the queue overflows: the writer may be stuck in a write to a
        #: client that reads nothing, and must not be waited for forever.
        self.on_overflow: Callable[[], None] | None = None

    # -- the hub's side ------------------------------------------------------------------------

    def say_first(self, data: bytes) -> None:
        self._first.append(data)

    def offer(self, events: Iterable[Event]) -> bool:
        """Queue ``events``; False when that made the queue overflow (the hub then drops the
        stream, whose writer ends it)."""
        if self.overflowed or self.closed:
            return True
        self.queue.extend(events)
        if len(self.queue) > self.bound:
            self.overflowed = True
            self.queue.clear()
            self.replay.clear()
            if self.on_overflow is not None:
                self.on_overflow()
            return False
        return True

    @property
    def waiting(self) -> bool:
        """Whether the writer waits for something to do (and needs waking)."""
        return self._waiter is not None and not self._waiter.done()

    def wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def close(self) -> None:
        self.closed = True
        self.wake()

    # -- the writer's side ---------------------------------------------------------------------

    def _has_work(self) -> bool:
        return bool(
            self.closed
            or self.overflowed
            or self._first
            or self.replay
            or self.queue
            or self.heartbeat_due
        )

    async def wait(self) -> None:
        if self._has_work():
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def take(self) -> bytes:
        """The next piece to write: waiting frames, up to ``MAX_BATCH`` events, or a heartbeat."""
        parts = self._first
        self._first = []
        for source in (self.replay, self.queue):
            while source and len(parts) < MAX_BATCH:
                event = source.popleft()
                parts.append(event.frame)
                self.last_seq = event.seq
        if not parts and self.heartbeat_due:
            parts.append(HEARTBEAT)
        self.heartbeat_due = False
        self.last_sent = time.monotonic()
        return b"".join(parts)

    def overflow_notice(self, event_id: str) -> bytes:
        data = {
            "type": "stream.overflow",
            "last_event_id": event_id,
            "message": f"more than {self.bound} events waited to be sent to this client "
            "(events.queue_bound): it is disconnected. Reconnect with Last-Event-ID to go on "
            "from the last event received.",
        }
        return frame(None, "stream.overflow", data)
