"""What every long-lived answer (an event stream, a followed job output) shares.

Such an answer is exempt from ``limits.request_timeout`` once it begins; it marks its scope so
that a stop of the gateway ends it at once instead of waiting for it (cli/connection.py); and
``slurmgate serve`` lends it a way to drop its connection (``ABORT``), for a client that reads
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from starlette.types import Scope

from slurmgate.api.middleware import release_deadline

#: The scope extension through which a long-lived answer drops its connection at once,
#: unsent bytes and all.
ABORT = "slurmgate.abort"
#: Set in its scope by a long-lived answer: a stop of the gateway ends it at once.
STREAMING = "slurmgate.streaming"
#: The scope extension through which a long-lived answer writes pieces of its body straight
#: to the connection (see ``ChunkWriter``).
CHUNKS = "slurmgate.chunks"


class ChunkWriter(Protocol):
    def writable(self) -> bool:
        """Whether ``write`` may be used now: mid-answer, chunked, the client keeping up."""

    def write(self, data: bytes) -> None: ...


def begin_streaming(scope: Scope) -> None:
    release_deadline(scope)
    scope[STREAMING] = True
    # For the metrics: a stream's length is no request latency.
    scope.setdefault("state", {})["streaming"] = True


def chunks_of(scope: Scope) -> ChunkWriter | None:
    """The connection's direct writer, where the server lends one (``slurmgate serve``)."""
    writer: ChunkWriter | None = (scope.get("extensions") or {}).get(CHUNKS)
    return writer


def abort_of(scope: Scope) -> Callable[[], None] | None:
    """The connection's abort, where the server lends one (``slurmgate serve`` does)."""
    extensions = scope.get("extensions") or {}
    abort: Callable[[], None] | None = extensions.get(ABORT)
    return abort
