"""Thousands of event streams held by one process: a raw asyncio protocol per connection that
de-chunks the answer, splits it into SSE frames and notes, for each event, how long after the
mirror saw its change it arrived (the event's ``mirror_time``). No JSON is parsed: 5,000
streams receive some 100,000 events a second, and the client must not be what is measured."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

_MIRROR_TIME = b'"mirror_time":'


@dataclass
class StreamStats:
    opened: bool = False
    ended: bool = False
    events: int = 0
    overflowed: bool = False
    #: Seconds from the mirror seeing each change to its event's arrival.
    delays: list[float] = field(default_factory=list)


class StreamClient(asyncio.Protocol):
    def __init__(self, request: bytes, stats: StreamStats, opened: asyncio.Event) -> None:
        self.request = request
        self.stats = stats
        self.opened_event = opened
        self.transport: asyncio.Transport | None = None
        self._raw = b""
        self._head_done = False
        self._remaining = -1  # bytes left of the current chunk; -1: a size line is next
        self._body = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport's subclasses, but write alike.
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.ended = True
        self.opened_event.set()

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self._raw += data
        if not self._head_done:
            end = self._raw.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self._raw.startswith(b"HTTP/1.1 200"):
                self.stats.ended = True
                self.opened_event.set()
                return
            self._head_done = True
            self._raw = self._raw[end + 4 :]
        self._dechunk()
        self._frames(now)

    def _dechunk(self) -> None:
        raw = self._raw
        while True:
            if self._remaining == -1:  # a chunk's size line
                line_end = raw.find(b"\r\n")
                if line_end < 0:
                    break
                size = int(raw[:line_end].split(b";")[0], 16)
                raw = raw[line_end + 2 :]
                if size == 0:
                    self.stats.ended = True
                    raw = b""
                    break
                self._remaining = size
            elif self._remaining == 0:  # the CRLF after a chunk's data
                if len(raw) < 2:
                    break
                raw, self._remaining = raw[2:], -1
            else:
                if not raw:
                    break
                taken = raw[: self._remaining]
                self._body += taken
                raw = raw[len(taken) :]
                self._remaining -= len(taken)
        self._raw = raw

    def _frames(self, now: float) -> None:
        body = self._body
        start = 0
        while True:
            end = body.find(b"\n\n", start)
            if end < 0:
                break
            frame = body[start:end]
            start = end + 2
            at = frame.find(_MIRROR_TIME)
            if at >= 0:
                stop = frame.find(b"}", at)
                self.stats.delays.append(now - float(frame[at + len(_MIRROR_TIME) : stop]))
                self.stats.events += 1
            elif b"event: stream.opened" in frame:
                self.stats.opened = True
                self.opened_event.set()
            elif b"event: stream.overflow" in frame:
                self.stats.overflowed = True
        self._body = body[start:]


async def open_stream(
    host: str, port: int, path: str, token: str, stats: StreamStats
) -> asyncio.Transport:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-SLURM-USER-TOKEN: {token}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    opened = asyncio.Event()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_connection(
        lambda: StreamClient(request, stats, opened), host, port
    )
    await asyncio.wait_for(opened.wait(), 60)
    return transport
