"""Server-Sent Events clients for tests, frame by frame: an httpx stream, or ``curl -N`` in a
subprocess, each read by a thread."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

EVENTS = "/slurmgate/v1/events"


@dataclass
class Frame:
    """One SSE frame: an event (``event`` set) or comments alone (a heartbeat)."""

    id: str | None = None
    event: str = ""
    data: str = ""
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data)
        return value

    @property
    def job_id(self) -> int | None:
        return self.json.get("job_id") if self.event.startswith("job.") else None


def parse_frames(lines: Iterable[str]) -> Iterator[Frame]:
    """The frames of a stream's lines (without their line ends), as an SSE client reads them."""
    frame = Frame()
    started = False
    for line in lines:
        if line == "":
            if started:
                yield frame
            frame, started = Frame(), False
            continue
        started = True
        if line.startswith(":"):
            frame.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            frame.id = value
        elif name == "event":
            frame.event = value
        elif name == "data":
            frame.data = f"{frame.data}\n{value}" if frame.data else value
        elif name == "retry":
            frame.retry = int(value)


class _Frames:
    """Frames put by a reader thread (None once the stream ended), taken as they arrive."""

    def __init__(self) -> None:
        self._frames: queue.Queue[Frame | None] = queue.Queue()
        #: Every frame taken so far, in order.
        self.seen: list[Frame] = []
        self.ended = False

    def next(self, timeout: float = 30.0) -> Frame | None:
        """The next frame, None once the stream ended; AssertionError after ``timeout``."""
        if self.ended:
            return None
        try:
            frame = self._frames.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no frame within {timeout}s; seen: {self.summary()}") from None
        if frame is None:
            self.ended = True
            return None
        self.seen.append(frame)
        return frame

    def wait_for(self, wanted: Callable[[Frame], bool], timeout: float = 30.0) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no such frame within {timeout}s; seen: {self.summary()}")
            frame = self.next(left)
            if frame is None:
                raise AssertionError(f"the stream ended first; seen: {self.summary()}")
            if wanted(frame):
                return frame

    def opened(self) -> Frame:
        return self.wait_for(lambda f: f.event == "stream.opened", 15.0)

    def job_events(self, job_id: int) -> list[Frame]:
        return [f for f in self.seen if f.job_id == job_id]

    def summary(self) -> str:
        return ", ".join(f.event or ":" + ";".join(f.comments) for f in self.seen[-30:])


class EventStream(_Frames):
    """``GET /slurmgate/v1/events`` held open by httpx; frames are queued as they arrive."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        params: dict[str, str] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__()
        extra = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self._client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0, read=None))
        self._context = self._client.stream(
            "GET", EVENTS, headers={**headers, **extra}, params=params
        )
        self.response = self._context.__enter__()
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.response.read()

    def _read(self) -> None:
        try:
            for frame in parse_frames(self.response.iter_lines()):
                self._frames.put(frame)
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self._frames.put(None)

    def close(self) -> None:
        # Shut the socket down first: a close alone leaves the reader thread blocked in its
        # recv, and the kernel sends no FIN while the socket is in use (the server would see
        # the client go only at its next write).
        stream = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._context.__exit__(None, None, None)
        self._client.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CurlEventStream(_Frames):
    """``curl -sN`` reading ``GET /slurmgate/v1/events``, as a user would from a shell; its
    standard output is parsed frame by frame. Ended (curl terminated) on exit."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__()
        argv = ["curl", "-sN", "--fail", url]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE)
        #: Every byte curl wrote, for the test to look at as a whole.
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _lines(self) -> Iterator[str]:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.output += raw
            yield raw.decode().removesuffix("\n").removesuffix("\r")

    def _read(self) -> None:
        try:
            for frame in parse_frames(self._lines()):
                self._frames.put(frame)
        finally:
            self._frames.put(None)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)  # it reads to the end of curl's output, then stops
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> CurlEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def types_of(frames: list[Frame]) -> list[str]:
    return [frame.event for frame in frames]


def in_order(found: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` appears in ``found`` in this order (other types may come between)."""
    position = iter(found)
    return all(kind in position for kind in wanted)
