"""Server-Sent Events read from an open reply, frame by frame, on a thread of their own (so
that the reader can redraw a terminal's line while no event comes)."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
from dataclasses import dataclass
from typing import Any

from slurmgate.cli.client.transport import Reply


@dataclass(frozen=True)
class Frame:
    event: str
    data: dict[str, Any]
    id: str | None


class EventReader:
    """Frames from ``stream`` into ``frames``; None there once the stream has ended."""

    def __init__(self, reply: Reply) -> None:
        if reply.stream is None:
            raise ValueError("an event stream needs a reply left open")
        self.reply = reply
        self.stream = reply.stream
        self.frames: queue.Queue[Frame | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, name="events", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, event_id = "", None
        data: list[str] = []
        try:
            while True:
                line = self.stream.readline()
                if not line:
                    break
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if not text:
                    if event and data:
                        self.frames.put(Frame(event, _json("\n".join(data)), event_id))
                    event, data = "", []
                    continue
                field, _, value = text.partition(":")
                value = value.removeprefix(" ")
                if field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
                elif field == "id":
                    event_id = value
        except (OSError, ValueError, http.client.HTTPException):
            pass  # a closed or broken stream ends like one the server closed
        finally:
            self.frames.put(None)

    def close(self) -> None:
        """End the stream; the reading thread, blocked in a read, wakes at once."""
        raw = getattr(self.stream.fp, "raw", None)
        sock = getattr(raw, "_sock", None)  # SocketIO's socket: shut down, a read returns
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self.reply.close()


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
