"""One open event stream, and the log its group of streams shares.

Streams of the same user with the same filters see the same events: those go once into their
group's ``Log``, and each stream keeps only its place in it. Handing a batch of events to
thousands of streams is then one append per group, not one per stream, and the writing is done
later, a chunk of streams at a time (hub.py). A stream whose client does not read falls behind
in the log; one more than ``events.queue_bound`` events behind is cut off: the hub marks it
overflowed, and its writer sends a last ``stream.overflow`` event and ends the stream.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from slurmgate.events.filters import Filters
from slurmgate.events.model import Event, frame

#: Most events written in one piece: a slow client's socket buffer holds at most this much more.
MAX_BATCH = 256
HEARTBEAT = b": heartbeat\n\n"


class DirectWriter(Protocol):
    """Writes a piece of the stream straight to its connection (the server lends one)."""

    def writable(self) -> bool: ...

    def write(self, data: bytes) -> None: ...


class Log:
    """The events of one group of streams, by position; the oldest are dropped as the group's
    slowest stream (or the bound) allows."""

    __slots__ = ("events", "offset")

    def __init__(self) -> None:
        self.events: list[Event] = []
        #: The position of ``events[0]``.
        self.offset = 0

    @property
    def end(self) -> int:
        return self.offset + len(self.events)

    def drop_before(self, position: int) -> None:
        if position > self.offset:
            del self.events[: position - self.offset]
            self.offset = position


class Subscription:
    __slots__ = (
        "bound",
        "closed",
        "cursor",
        "direct",
        "filters",
        "heartbeat_due",
        "last_seq",
        "last_sent",
        "log",
        "on_overflow",
        "opened_at",
        "overflowed",
        "replay",
        "user",
        "_first",
        "_waiter",
    )

    def __init__(self, user: str, filters: Filters, bound: int, log: Log) -> None:
        self.user = user
        self.filters = filters
        self.bound = bound
        #: The group's log, and this stream's place in it: it has sent what comes before.
        self.log = log
        self.cursor = log.end
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
        #: Called once when cut off: the writer may be stuck in a write to a client that reads
        #: nothing, and must not be waited for forever.
        self.on_overflow: Callable[[], None] | None = None
        #: Where the hub writes to an idle stream itself, saving its writer a wake-up.
        self.direct: DirectWriter | None = None

    # -- the hub's side ------------------------------------------------------------------------

    def say_first(self, data: bytes) -> None:
        self._first.append(data)

    @property
    def behind(self) -> int:
        """Events of the log not yet taken for writing."""
        return self.log.end - self.cursor

    def cut(self) -> None:
        """Too far behind: no more events; its writer says so and ends the stream."""
        self.overflowed = True
        self.replay.clear()
        if self.on_overflow is not None:
            self.on_overflow()

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

    @property
    def pending(self) -> bool:
        """Whether frames wait to be written."""
        return bool(self._first or self.replay or self.heartbeat_due or self.behind > 0)

    def write_directly(self) -> bool:
        """Write what waits straight to the connection, if its writer is idle and the client
        keeps up; False when the writer must do it (and be woken)."""
        direct = self.direct
        if direct is None or not self.waiting or self.overflowed or self.closed:
            return False
        if not direct.writable():
            return False
        piece = self.take()
        if piece:
            direct.write(piece)
        return True

    # -- the writer's side ---------------------------------------------------------------------

    async def wait(self) -> None:
        if self.closed or self.overflowed or self.pending:
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
        replay = self.replay
        while replay and len(parts) < MAX_BATCH:
            event = replay.popleft()
            parts.append(event.frame)
            self.last_seq = event.seq
        log = self.log
        if len(parts) < MAX_BATCH and self.cursor < log.end and not self.overflowed:
            start = max(self.cursor - log.offset, 0)
            taken = log.events[start : start + MAX_BATCH - len(parts)]
            if taken:
                parts.extend(event.frame for event in taken)
                self.last_seq = taken[-1].seq
                self.cursor = log.offset + start + len(taken)
        if not parts and self.heartbeat_due:
            parts.append(HEARTBEAT)
        self.heartbeat_due = False
        if not parts:
            return b""
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
