"""Connection limits uvicorn lacks, as a subclass of its httptools protocol.

uvicorn times a connection out only between two requests. This protocol also closes a
connection that never sends anything (``idle_timeout``), answers 408 to a client whose request
line and headers take longer than ``header_timeout`` (a client trickling bytes holds a
connection forever otherwise), 431 to a head still incomplete after ``max_header_bytes``
(httptools would buffer it without bound), 503 to connections beyond ``max_connections``, and
400 to what is not HTTP, each in slurmrestd's envelope. A complete head over the limit is
measured exactly by the gateway middleware, where it is audited like any other refusal.

httptools (llhttp, in C) parses for a fraction of h11's cost, but reports no byte offsets: the
bytes of a head are counted by whole reads. A head that begins in the middle of a read (a
request pipelined after another's body) is counted from the next read, so at most one read
more than the limit is ever buffered.

A large body leaves a slice at a time (``_Pacer``): the kernel copies into a loopback socket
for as long as its reader keeps draining it, so one write of a 200 MB list held the event
loop for tens of milliseconds, and every other connection with it.
"""

from __future__ import annotations

import asyncio
import http
import logging
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from slurmgate.api.errors import HeadersTooLarge, RequestTimeout, ServerBusy
from slurmgate.api.streaming import ABORT, CHUNKS, STREAMING
from slurmgate.cli.clock import ConnectionClock
from slurmgate.config import LimitSettings
from slurmgate.domain.errors import InvalidRequest, SlurmgateError

log = logging.getLogger("slurmgate.api")

#: Renders an error for a request path: (status, JSON body).
Renderer = Callable[[SlurmgateError, str], tuple[int, bytes]]

#: Most bytes handed to the kernel at once: a write system call copies a MiB in a fraction of
#: a millisecond; larger bodies leave a slice per turn of the event loop.
SLICE = 1024 * 1024


def gateway_protocol(limits: LimitSettings, render: Renderer) -> type[HttpToolsProtocol]:
    """The protocol class to give uvicorn's ``http`` setting."""

    class Protocol(GatewayProtocol):
        @staticmethod
        def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
            return render(error, path)

    Protocol.limits = limits
    return Protocol


class _Answered(Exception):
    """Raised from a parser callback once the connection is answered: parse no further."""


class GatewayProtocol(HttpToolsProtocol):
    limits: ClassVar[LimitSettings] = LimitSettings()

    @staticmethod
    def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
        raise NotImplementedError  # gateway_protocol() gives every subclass its renderer

    #: The connections' time-outs, on the serving loop (made by the first connection).
    clock: ClassVar[ConnectionClock | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: When ``expire`` is due (loop time): the head's deadline while one is read, else
        #: the end of an idle wait; None while a request is served.
        self.due: float | None = None
        self._over_limit = False
        self._in_head = False
        self._in_body = False
        self._head_bytes = 0
        # Bytes a head beginning in the read being parsed would have so far: the whole read
        # when it starts between two messages, nothing once a message began in it.
        self._read_size = 0
        self._pacer: _Pacer | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._pacer = _Pacer(transport, self.loop)
        # Counted before this one's request is read: a full gateway refuses it politely.
        self._over_limit = len(self.connections) > self.limits.max_connections
        self.due = self.loop.time() + self.limits.idle_timeout
        self._clock().watch(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._clock().forget(self)
        if self._pacer is not None:
            self._pacer.drop()
        super().connection_lost(exc)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._pacer is not None:
            self._pacer.drained()

    def expire(self) -> None:
        """Past due: answer a head too slow to arrive, or end an idle wait."""
        if self._in_head:
            self._reply_and_close(
                RequestTimeout(
                    "Request line and headers did not arrive within "
                    f"{self.limits.header_timeout:g} s (limits.header_timeout)"
                ),
                "",
            )
        elif not self.transport.is_closing():
            self._paced().close()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            self._read_size = 0
        else:
            self._read_size = 0 if self._in_body else len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse_upgrade()
            return
        except httptools.HttpParserError as exc:
            if not self.transport.is_closing():  # else a callback answered already
                log.info("invalid HTTP request from %s: %s", self._peer(), exc)
                self._reply_and_close(InvalidRequest(f"Invalid HTTP request: {exc}"), "")
            return
        if self._in_head and self._head_bytes > self.limits.max_header_bytes:
            self._reply_and_close(
                HeadersTooLarge(
                    "Request line and headers are larger than "
                    f"{self.limits.max_header_bytes} bytes (limits.max_header_bytes)"
                ),
                "",
            )

    # -- parser callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes, self._read_size = self._read_size, 0
        self.due = self.loop.time() + self.limits.header_timeout

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._in_body = True
        self.due = None
        if self._over_limit:
            self._refuse_busy()
            raise _Answered
        super().on_headers_complete()
        cycle = self.cycle  # the request's, made just now (it has not run yet)
        extensions: dict[str, Any] = cycle.scope.setdefault("extensions", {})
        extensions[ABORT] = self.transport.abort
        extensions[CHUNKS] = _ChunkWriter(cycle, self.flow)
        writer = _OneWrite(cycle, self._paced())
        cycle.transport = writer  # type: ignore[assignment]
        cycle.on_response = writer.response_complete

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        # uvicorn's, but the idle wait that follows is timed by the clock, not a timer.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self.due = self.loop.time() + self.limits.idle_timeout

    def shutdown(self) -> None:
        """A stop: as uvicorn's, but an event stream or followed output, which would hold the
        stop for its whole grace period, ends now (its client reconnects elsewhere)."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and cycle.scope.get(STREAMING):
            self.transport.close()
            return
        if cycle is None or cycle.response_complete:
            self._paced().close()  # once the body still being sent is out
            return
        super().shutdown()

    # -- refusals ------------------------------------------------------------------------

    def _refuse_busy(self) -> None:
        try:
            path = httptools.parse_url(self.url).path.decode("ascii", "replace")
        except httptools.HttpParserInvalidURLError:
            path = ""
        self._reply_and_close(
            ServerBusy(
                f"The gateway is serving its maximum of {self.limits.max_connections} "
                "connections (limits.max_connections): retry later"
            ),
            path,
        )

    def _refuse_upgrade(self) -> None:
        """After a request asking for another protocol: answer it in HTTP, then close.

        llhttp stops at the switch and cannot resume, so nothing after it can be read.
        """
        log.debug("unsupported protocol upgrade from %s", self._peer())
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            self.transport.close()
        else:
            cycle.keep_alive = False

    def _reply_and_close(self, error: SlurmgateError, path: str) -> None:
        self.due = None
        if self.transport.is_closing():
            return
        status, body = self.render(error, path)
        head = (
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        paced = self._paced()  # after what the connection is still sending
        paced.write(head.encode("ascii") + body)
        paced.close()

    def _peer(self) -> str:
        return self.client[0] if self.client else "unix"

    def _paced(self) -> _Pacer:
        if self._pacer is None:  # not connected yet: nothing to write
            raise RuntimeError("no connection to write to")
        return self._pacer

    def _clock(self) -> ConnectionClock:
        cls = type(self)
        if cls.clock is None or cls.clock.loop is not self.loop:
            limits = self.limits
            # A quarter of the shortest time-out, so none fires much late; never busier
            # than 20 looks a second, never lazier than one.
            tick = min(max(min(limits.idle_timeout, limits.header_timeout) / 4, 0.05), 1.0)
            cls.clock = ConnectionClock(self.loop, tick)
        return cls.clock


class _ChunkWriter:
    """Lent to a long-lived answer (``CHUNKS``): a piece of its body written straight to the
    connection as one HTTP chunk. An event for thousands of streams costs one write each this
    way, where uvicorn's ASGI ``send`` would cost a task switch and a dozen calls each. Only in
    the middle of a chunked answer, and only while the client keeps up (uvicorn's flow control
    has not paused writing): otherwise the answer uses ``send``, which waits.

    It refers to its request weakly, as ``_OneWrite`` does: the request refers to both, and
    a reference cycle per request would leave every request's objects to the cyclic garbage
    collector, whose collections then take tens of milliseconds of the event loop."""

    __slots__ = ("_cycle", "_flow")

    def __init__(self, cycle: RequestResponseCycle, flow: Any) -> None:
        self._cycle = weakref.ref(cycle)
        self._flow = flow

    def writable(self) -> bool:
        cycle = self._cycle()
        return bool(
            cycle is not None
            and cycle.response_started
            and cycle.chunked_encoding
            and not cycle.response_complete
            and not cycle.disconnected
            and not self._flow.write_paused
        )

    def write(self, data: bytes) -> None:
        cycle = self._cycle()
        if cycle is not None:  # else the request is over, and its connection with it
            cycle.transport.write(b"%x\r\n%b\r\n" % (len(data), data))


class _OneWrite:
    """Where a response is written: its head waits for the body's first bytes, so that both
    leave in one system call where uvicorn makes two (one per ASGI message)."""

    __slots__ = ("_cycle", "_head_seen", "_held", "_on_response", "_transport")

    def __init__(self, cycle: RequestResponseCycle, transport: _Pacer) -> None:
        self._cycle = weakref.ref(cycle)  # see _ChunkWriter
        self._transport = transport
        self._on_response = cycle.on_response
        self._held: bytes | None = None
        self._head_seen = False

    def write(self, data: bytes) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.writelines((held, data))
        elif not self._head_seen and _started(self._cycle()):
            # The first write once the response started is its head ("100 Continue" precedes).
            self._head_seen = True
            self._held = data
        else:
            self._transport.write(data)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def response_complete(self) -> None:
        self._flush()  # a response without body bytes (HEAD, 204) has its head still held
        self._on_response()

    def _flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held)


def _started(cycle: RequestResponseCycle | None) -> bool:
    return cycle is not None and cycle.response_started


class _Pacer:
    """A connection's writes, a large body a ``SLICE`` at a time, in order.

    While a body is sent, the transport's write-buffer limits are zero, so that it tells the
    protocol (``drained``) as soon as what it holds is out; a slice the kernel took whole is
    followed by the next on the next turn of the loop, after the other connections' events.
    Bytes wait here, never copied (views of the body); ``close`` waits for them too.
    """

    __slots__ = ("_backlog", "_closing", "_loop", "_scheduled", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._backlog: deque[memoryview] = deque()
        self._scheduled = False
        self._closing = False

    def write(self, data: bytes) -> None:
        self.writelines((data,))

    def writelines(self, pieces: Iterable[bytes]) -> None:
        pieces = tuple(pieces)
        if not self._backlog and sum(map(len, pieces)) <= SLICE:
            self._transport.writelines(pieces)
            return
        waiting = bool(self._backlog)  # for the transport to drain, or for the next turn
        if not waiting:
            self._transport.set_write_buffer_limits(high=0, low=0)
        self._backlog.extend(memoryview(piece) for piece in pieces if piece)
        if not waiting:
            self._next()

    def close(self) -> None:
        if self._backlog:
            self._closing = True
        else:
            self._transport.close()

    def is_closing(self) -> bool:
        return self._closing or self._transport.is_closing()

    def drained(self) -> None:
        """The transport sent all it held."""
        if self._backlog and not self._scheduled:
            self._next()

    def drop(self) -> None:
        """The connection is gone: nothing more to send."""
        self._backlog.clear()

    def _later(self) -> None:
        self._scheduled = False
        self._next()

    def _next(self) -> None:
        transport = self._transport
        if transport.is_closing():
            self._backlog.clear()
            return
        if transport.get_write_buffer_size():
            return  # drained() follows
        backlog, pieces, room = self._backlog, [], SLICE
        while backlog and room:
            piece = backlog[0]
            if len(piece) <= room:
                pieces.append(backlog.popleft())
                room -= len(piece)
            else:
                pieces.append(piece[:room])
                backlog[0] = piece[room:]
                room = 0
        transport.writelines(pieces)
        if backlog:
            if not transport.get_write_buffer_size() and not self._scheduled:
                self._scheduled = True
                self._loop.call_soon(self._later)
            return
        transport.set_write_buffer_limits()  # the defaults again
        if self._closing:
            transport.close()
