"""Connection limits uvicorn lacks, as a subclass of its h11 protocol.

uvicorn times a connection out only between two requests. This protocol also closes a
connection that never sends anything (``idle_timeout``), answers 408 to a client whose request
line and headers take longer than ``header_timeout`` (a client trickling bytes holds a
connection forever otherwise), 431 to headers over ``max_header_bytes`` (h11 buffers no more),
and 503 to connections beyond ``max_connections``, each in slurmrestd's envelope. h11 rather
than httptools, which has no limit on header size.
"""

from __future__ import annotations

import asyncio
import http
import sys
from collections.abc import Callable
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from slurmgate.api.errors import HeadersTooLarge, RequestTimeout, ServerBusy
from slurmgate.config import LimitSettings
from slurmgate.domain.errors import SlurmgateError

#: Renders an error for a request path: (status, JSON body).
Renderer = Callable[[SlurmgateError, str], tuple[int, bytes]]


def gateway_protocol(limits: LimitSettings, render: Renderer) -> type[H11Protocol]:
    """The protocol class to give uvicorn's ``http`` setting."""

    class Protocol(GatewayProtocol):
        @staticmethod
        def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
            return render(error, path)

    Protocol.limits = limits
    return Protocol


class GatewayProtocol(H11Protocol):
    limits: ClassVar[LimitSettings] = LimitSettings()

    @staticmethod
    def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
        raise NotImplementedError  # gateway_protocol() gives every subclass its renderer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fractions of a second too: uvicorn declares int but schedules with call_later.
        self.timeout_keep_alive = self.limits.idle_timeout  # type: ignore[assignment]
        self._timer: asyncio.TimerHandle | None = None
        self._reading_head = False
        self._over_limit = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Counted before this one's request is read: a full gateway refuses it politely.
        self._over_limit = len(self.connections) > self.limits.max_connections
        self._arm(self.limits.idle_timeout, self._close_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and not self._reading_head:
            self._reading_head = True
            self._arm(self.limits.header_timeout, self._head_too_slow)
        if self._over_limit:
            self._refuse_busy(data)
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._reading_head = False
            self._disarm()

    def send_400_response(self, msg: str) -> None:
        # Called while h11's error is being handled: its hint tells an oversized head apart.
        exc = sys.exc_info()[1]
        if isinstance(exc, h11.RemoteProtocolError) and exc.error_status_hint == 431:
            self._reply_and_close(
                HeadersTooLarge(
                    "Request line and headers are larger than "
                    f"{self.limits.max_header_bytes} bytes (limits.max_header_bytes)"
                ),
                "",
            )
            return
        super().send_400_response(msg)

    def _refuse_busy(self, data: bytes) -> None:
        """Read the request head only, then answer 503 and close."""
        self.conn.receive_data(data)
        try:
            event = self.conn.next_event()
        except h11.RemoteProtocolError:
            self.transport.close()
            return
        if isinstance(event, h11.Request):
            self._reply_and_close(
                ServerBusy(
                    f"The gateway is serving its maximum of {self.limits.max_connections} "
                    "connections (limits.max_connections): retry later"
                ),
                event.target.decode("ascii", "replace").partition("?")[0],
            )

    def _head_too_slow(self) -> None:
        self._timer = None
        self._reply_and_close(
            RequestTimeout(
                "Request line and headers did not arrive within "
                f"{self.limits.header_timeout:g} s (limits.header_timeout)"
            ),
            "",
        )

    def _close_idle(self) -> None:
        self._timer = None
        if not self._reading_head and not self.transport.is_closing():
            self.transport.close()

    def _reply_and_close(self, error: SlurmgateError, path: str) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        status, body = self.render(error, path)
        head = (
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()

    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
