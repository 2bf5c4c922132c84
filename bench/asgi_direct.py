"""Requests handed straight to slurmgate's ASGI app, with no HTTP server and no client: what
the in-process benchmarks use to measure the app alone."""

from __future__ import annotations

from starlette.types import ASGIApp, Message


class DirectClient:
    """Calls ``app`` as uvicorn would, each request with ``headers``; keeps the statuses."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self._app = app
        self._headers = headers
        self.statuses: list[int] = []

    async def request(self, method: str, path: str, body: bytes = b"") -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": self._headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 6820),
        }

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        await self._app(scope, receive, self._send)

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.statuses.append(message["status"])
