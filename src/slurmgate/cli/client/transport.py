"""HTTP to the server with the standard library: JSON requests, and streams read line by line.

The URL is ``http://host[:port][/prefix]``, ``https://...``, or ``unix:/path/to/socket`` (how
slurmrestd and slurmgate often listen). Every request carries the token as slurmrestd reads
it (``X-SLURM-USER-TOKEN``, with ``X-SLURM-USER-NAME`` when the user is known).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from slurmgate import __version__
from slurmgate.cli.client.errors import ServerError, Unreachable, UsageError, describe_error
from slurmgate.cli.client.settings import ClientSettings

Query = Mapping[str, str | int | list[str]]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    #: Set for a stream: the open response, and its connection (closed with ``close``).
    stream: http.client.HTTPResponse | None = field(default=None, repr=False)
    connection: http.client.HTTPConnection | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        if self.connection is not None:
            self.connection.close()

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def errors(self) -> list[str]:
        """The envelope's errors, or the body's text when it is no envelope."""
        data = self.json()
        if isinstance(data, dict) and isinstance(data.get("errors"), list) and data["errors"]:
            return [describe_error(entry) for entry in data["errors"]]
        text = self.body.decode("utf-8", "replace").strip()
        return [text[:300]] if text and not isinstance(data, dict) else []

    def warnings(self) -> list[str]:
        data = self.json()
        found = data.get("warnings") if isinstance(data, dict) else None
        return [describe_error(w) for w in found] if isinstance(found, list) else []


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class Transport:
    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.url = settings.url
        if settings.url.startswith("unix:"):
            self._unix: str | None = settings.url.removeprefix("unix:").removeprefix("//")
            self._scheme, self._netloc, self._prefix = "http", "localhost", ""
        else:
            parts = urlsplit(settings.url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise UsageError(
                    f"invalid server URL {settings.url!r}: expected http://HOST:PORT, "
                    "https://HOST:PORT or unix:/PATH"
                )
            self._unix = None
            self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path
        self._connection: http.client.HTTPConnection | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"slurmgate-client/{__version__}"}
        if self.settings.token:
            headers["X-SLURM-USER-TOKEN"] = self.settings.token
            if self.settings.user:
                headers["X-SLURM-USER-NAME"] = self.settings.user
        return headers

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        if self._unix is not None:
            return _UnixConnection(self._unix, timeout)
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._netloc, timeout=timeout, context=self._tls_context()
            )
        return http.client.HTTPConnection(self._netloc, timeout=timeout)

    def _tls_context(self) -> ssl.SSLContext:
        settings = self.settings
        try:
            context = ssl.create_default_context(
                cafile=str(settings.ca_file) if settings.ca_file else None
            )
            if settings.cert is not None:
                context.load_cert_chain(settings.cert, settings.key)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load the TLS files (ca_file, cert, key): {exc}") from None
        return context

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> Reply:
        """Send one request; a stream's reply is left open (and has no time limit)."""
        target = self._prefix + path + (f"?{urlencode(query, doseq=True)}" if query else "")
        sent = {**self.headers(), **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        # A stream gets a connection of its own, closed with it; requests share one, which
        # the server may have closed since the last: then a read is sent again, once. A change
        # is never sent twice: it goes on a fresh connection.
        if method != "GET" and not stream:
            self.close()
        reused = not stream and self._connection is not None
        connection = self._connect(None) if stream else self._shared()
        try:
            connection.request(method, target, body=payload, headers=sent)
            response = connection.getresponse()
            headers_read = {k.lower(): v for k, v in response.getheaders()}
            if stream and response.status < 300:
                return Reply(response.status, headers_read, stream=response, connection=connection)
            answer = Reply(response.status, headers_read, response.read())
            if stream:
                connection.close()
            return answer
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            self._connection = None
            if reused and isinstance(exc, ConnectionError):
                return self.request(method, path, query=query, body=body, headers=headers)
            raise Unreachable(f"cannot reach the server at {self.url}: {_reason(exc)}") from None

    def _shared(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = self._connect(self.settings.timeout)
        return self._connection

    def call(self, method: str, path: str, what: str, **kwargs: Any) -> Reply:
        """``request``, raising ServerError for an answer that is no success."""
        reply = self.request(method, path, **kwargs)
        if reply.status >= 300:
            if reply.status == 401 and not self.settings.token:
                what += " (no token given: set SLURM_JWT, or use --token)"
            raise ServerError(reply.status, reply.errors(), what)
        return reply

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time"
    return str(exc) or type(exc).__name__
