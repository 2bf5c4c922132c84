"""The audit log: one JSON line per request, and the request id every answer carries.

The outermost middleware (``middleware.GatewayMiddleware``) names each request
(``new_request_id``: the client's own ``X-Request-ID`` when it is a sane token), times it, and
once the answer is sent hands one record (``audit_entry``) to ``AuditLog``. A thread formats
and writes the records, so the event loop never waits for the disk, and scripts are hashed
there too. What the record says about the request comes from ``request.state``, set along the
way: ``client_address`` (the middleware), ``action`` and ``principal``
(``requests.authenticated``), ``job_ids`` and ``scripts`` (the routes).

Nothing secret is written: no header (tokens travel in headers), no body, no script (only its
SHA-256), and of the query string only the keys, plus the values of ``KEPT_QUERY_VALUES``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import random
import re
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson
from starlette.types import Scope

from slurmgate.domain.errors import ConfigError

log = logging.getLogger("slurmgate.audit")

#: Query parameters of slurmrestd's API whose values are kept: they say what was done and can
#: hold no secret. Every other parameter is written as its key alone.
KEPT_QUERY_VALUES = frozenset({"update_time", "signal"})
#: An incoming X-Request-ID is echoed only if it looks like an id: no spaces, quotes or
#: control characters that could forge log lines or headers, and not too long.
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")
#: Records waiting for the writer; beyond this many, records are dropped (and counted) rather
#: than let a stuck disk grow the gateway's memory or stall its requests.
QUEUE_SIZE = 100_000
#: Seconds the writer lets records gather between two writes: one wake-up and one write per
#: batch instead of per request, which the event loop would feel through the GIL.
WRITE_INTERVAL = 0.05
#: The client address of a connection without one (the unix socket).
UNIX_CLIENT = "unix"

_STOP = object()


class AuditLog:
    """JSON lines appended to a file (created 0600) or standard output, by a writer thread."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._queue: queue.Queue[object] = queue.Queue(QUEUE_SIZE)
        self._dropped = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Opened now, so that a bad path stops the gateway at start-up with one clear line.
        self._fd = _open(path)

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._write_forever, name="slurmgate-audit", daemon=True
                )
                self._thread.start()

    def record(self, entry: dict[str, Any]) -> None:
        """Queue one request's record; never blocks."""
        if self._thread is None:
            self.start()
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            with self._lock:  # reported in the log itself once the writer catches up
                self._dropped += 1

    def close(self) -> None:
        """Write every queued record, then stop the writer and close the file."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _write_forever(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:  # take whatever else is waiting: one write for many lines
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            lines = []
            for entry in batch:
                if isinstance(entry, dict):
                    try:
                        lines.append(format_line(entry))
                    except Exception:  # one bad record must not stop the writer
                        log.exception("cannot format audit record %s", entry.get("request_id"))
            with self._lock:
                dropped, self._dropped = self._dropped, 0
            if dropped:
                lines.append(_dropped_line(dropped))
            self._write(b"".join(lines))
            if any(e is _STOP for e in batch):
                return
            time.sleep(WRITE_INTERVAL)

    def _write(self, data: bytes) -> None:
        fd = self._fd if self._fd is not None else sys.stdout.fileno()
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            log.error("cannot write the audit log %s: %s", self.path or "(stdout)", exc)


def _open(path: Path | None) -> int | None:
    if path is None:
        return None
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    try:
        return os.open(path, flags, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot open audit.path {path}: {exc.strerror}") from None


def format_line(entry: dict[str, Any]) -> bytes:
    """One record as a JSON line; runs in the writer thread (it hashes the scripts)."""
    started = datetime.fromtimestamp(entry["time"], UTC)
    scripts: list[str] | None = entry.get("scripts")
    line = {
        "time": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request_id": entry["request_id"],
        "client": entry["client"],
        "user": entry["user"],
        "token_user": entry["token_user"],
        "method": entry["method"],
        "path": entry["path"],
        "status": entry["status"],
        "latency_ms": entry["latency_ms"],
        "action": entry["action"],
        "job_ids": entry["job_ids"],
        "script_sha256": (
            None
            if scripts is None
            else [hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest() for s in scripts]
        ),
    }
    return orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)


def _dropped_line(count: int) -> bytes:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return orjson.dumps(
        {"time": stamp, "audit_records_dropped": count}, option=orjson.OPT_APPEND_NEWLINE
    )


def audited_path(scope: Scope) -> str:
    """The path, and of the query string the keys and only the harmless values."""
    path: str = scope.get("raw_path", b"").decode("latin-1").partition("?")[0] or scope["path"]
    query: bytes = scope.get("query_string", b"")
    if not query:
        return path
    parts = []
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key in KEPT_QUERY_VALUES:
            parts.append(f"{quote(key, safe='')}={quote(value, safe='')}")
        else:
            parts.append(quote(key, safe=""))
    return f"{path}?{'&'.join(parts)}"


def new_request_id(offered: bytes | None) -> bytes:
    """The client's X-Request-ID (``offered``) when it is a sane token, else a new random one."""
    if offered is not None and SANE_REQUEST_ID.fullmatch(offered):
        return bytes(offered)
    # An id must be unique, not secret: Python's PRNG (seeded from the OS, reseeded after fork)
    # costs well under a microsecond, where os.urandom can cost tens on a virtual machine.
    return b"%032x" % random.getrandbits(128)  # noqa: S311


def audit_entry(
    scope: Scope, state: dict[str, Any], started: float, clock: float, status: int | None
) -> dict[str, Any]:
    principal = state.get("principal")
    client = scope.get("client")
    token_user = getattr(principal, "token_user_name", "") or None
    return {
        "time": started,
        "request_id": state["request_id"],
        "client": state.get("client_address")
        or (client[0] if client and client[0] else UNIX_CLIENT),
        "user": principal.user_name if principal is not None else None,
        # Set only when an administrator acted for another user (X-SLURM-USER-NAME).
        "token_user": token_user,
        "method": scope["method"],
        "path": audited_path(scope),
        "status": status,
        "latency_ms": round((time.perf_counter() - clock) * 1000, 3),
        "action": state.get("action"),
        "job_ids": list(state.get("job_ids", ())),
        "scripts": state.get("scripts"),
    }
