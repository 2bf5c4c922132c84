"""Rendered responses, kept for reuse until the state they show changes.

A response is rendered once per state change per key (API version, viewer, query) and
compressed at most once; concurrent requests for the same response wait for one rendering.
While a large response is made anew, readers whose freshness bound the previous rendering
still meets are answered with it, so that nobody waits for the work a change costs. Memory is
bounded: the least recently used responses are dropped first.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import itertools
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

#: Bodies smaller than this are compressed on the event loop; larger ones in a thread.
COMPRESS_INLINE_BELOW = 64 * 1024
#: Compression level: 6 is zlib's default balance; responses are compressed once, read often.
GZIP_LEVEL = 6
#: Most responses kept, whatever their size (each filter, page and viewer has its own).
MAX_ENTRIES = 4096
#: Responses at least this large are answered from their previous rendering while the new one
#: is made (within the reader's freshness bound); smaller ones take milliseconds to make, and
#: readers wait for them.
STALE_FROM = 1024 * 1024
#: Distinguishes this process's ETags from an earlier run's, whose counters started alike.
_EPOCH = secrets.token_hex(4)

log = logging.getLogger("slurmgate.mirror")


#: Response headers that belong to a rendered body (a page's next cursor, say).
Headers = tuple[tuple[str, str], ...]


#: Compresses a rendered body with gzip (its pieces' kept compressions, say: pieces.py).
Compressor = Callable[[], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class Built:
    """What a rendering produces: the body, its headers, and how to compress it if not as a
    whole."""

    body: bytes
    headers: Headers = ()
    compress: Compressor | None = None


@dataclass(slots=True, eq=False)
class Rendered:
    body: bytes
    etag: str
    #: When the state it shows was last known current (monotonic clock).
    current_at: float
    headers: Headers = ()
    compress: Compressor | None = field(default=None, repr=False)
    _gzip: asyncio.Future[bytes] | None = field(default=None, repr=False)

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

    @property
    def age(self) -> float:
        """Seconds since the state it shows was last known current."""
        return max(time.monotonic() - self.current_at, 0.0)

    @property
    def compressed(self) -> bool:
        """Whether a reader asked for it compressed (and it was)."""
        return self._gzip is not None and self._gzip.done() and not self._gzip.cancelled()

    @property
    def size(self) -> int:
        compressed = self._gzip
        extra = len(compressed.result()) if compressed and compressed.done() else 0
        return len(self.body) + extra

    async def gzipped(self) -> bytes:
        """The body compressed with gzip, compressed on first use only."""
        if self._gzip is None:
            self._gzip = asyncio.get_running_loop().create_future()
            try:
                if self.compress is not None:
                    compressed = await self.compress()
                elif len(self.body) < COMPRESS_INLINE_BELOW:
                    compressed = _compress(self.body)
                else:
                    compressed = await asyncio.to_thread(_compress, self.body)
            except BaseException as exc:
                self._gzip.set_exception(exc)
                self._gzip.exception()  # retrieved here; waiters get it from their await
                self._gzip = None
                raise
            self._gzip.set_result(compressed)
        return await asyncio.shield(self._gzip)


def _compress(body: bytes) -> bytes:
    # mtime=0: the same body always compresses to the same bytes.
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def etag_for(key: Hashable, stamp: Hashable) -> str:
    digest = hashlib.blake2b(repr((_EPOCH, key, stamp)).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


@dataclass(slots=True)
class _Entry:
    stamp: Hashable
    #: Which rendering began first: a slow one must not replace a newer one.
    order: int
    rendered: Rendered


class RenderCache:
    """Rendered responses by key, each valid for one ``stamp`` (the state it shows)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._pending: dict[Hashable, tuple[Hashable, asyncio.Future[Rendered]]] = {}
        self._order = itertools.count()
        #: Renderings made while their readers were answered with the previous one.
        self._behind: set[asyncio.Task[None]] = set()
        #: Answers served from a kept (or a pending) rendering, answers rendered anew, and
        #: answers served from the previous rendering while the new one was made.
        self.hits = 0
        self.misses = 0
        self.stale = 0

    async def get(
        self,
        key: Hashable,
        stamp: Hashable,
        render: Callable[[], tuple[bytes, Headers]],
        *,
        in_thread: bool,
        current_at: float = 0.0,
        oldest: float | None = None,
    ) -> Rendered:
        """The response for ``key`` as of ``stamp``: kept, being rendered, or rendered now."""

        async def build() -> Built:
            body, headers = await asyncio.to_thread(render) if in_thread else render()
            return Built(body, headers)

        return await self.built(key, stamp, build, current_at=current_at, oldest=oldest)

    async def built(
        self,
        key: Hashable,
        stamp: Hashable,
        build: Callable[[], Awaitable[Built]],
        *,
        current_at: float = 0.0,
        oldest: float | None = None,
    ) -> Rendered:
        """As ``get``, the rendering made by ``build`` (which may render off the loop, or
        a slice at a time).

        ``current_at``: when the state ``stamp`` names was last known current (monotonic).
        ``oldest``: a large response's previous rendering may be answered while this one is
        made if the state it shows was current at or after this time; None: never."""
        entry = self._entries.get(key)
        if entry is not None and entry.stamp == stamp:
            self._entries.move_to_end(key)
            self.hits += 1
            rendered = entry.rendered
            rendered.current_at = max(rendered.current_at, current_at)
            return rendered
        previous = entry.rendered if entry is not None else None
        if previous is not None and not _may_stand_in(previous, oldest):
            previous = None
        pending = self._pending.get(key)
        if pending is not None and pending[0] == stamp:
            if previous is not None:
                self.stale += 1
                return previous
            self.hits += 1
            return await asyncio.shield(pending[1])
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._pending[key] = (stamp, future)
        making = self._make(key, stamp, build, current_at, future, ahead=previous is not None)
        if previous is None:
            self.misses += 1
            return await making
        self.stale += 1
        task = asyncio.ensure_future(_logged(making, key))
        self._behind.add(task)  # held: the loop keeps only weak references to tasks
        task.add_done_callback(self._behind.discard)
        return previous

    async def _make(
        self,
        key: Hashable,
        stamp: Hashable,
        build: Callable[[], Awaitable[Built]],
        current_at: float,
        future: asyncio.Future[Rendered],
        *,
        ahead: bool,
    ) -> Rendered:
        """Renders, settles ``future`` and keeps the rendering. ``ahead``: the previous
        rendering stands in meanwhile; if it was read compressed, this one is compressed
        before it replaces it, so that compressed readers do not wait for it either."""
        order = next(self._order)
        try:
            made = await build()
            rendered = Rendered(
                made.body, etag_for(key, stamp), current_at, made.headers, made.compress
            )
            entry = self._entries.get(key)
            if ahead and entry is not None and entry.rendered.compressed:
                await rendered.gzipped()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters raise it from their own await
            raise
        finally:
            if self._pending.get(key, (None, future))[1] is future:
                del self._pending[key]
        future.set_result(rendered)
        self._keep(key, _Entry(stamp, order, rendered))
        return rendered

    def _keep(self, key: Hashable, entry: _Entry) -> None:
        kept = self._entries.get(key)
        if kept is not None and kept.order > entry.order:
            return  # a rendering begun later was done first: it shows a newer state
        self._entries[key] = entry
        self._entries.move_to_end(key)
        total = sum(e.rendered.size for e in self._entries.values())
        while (total > self.budget or len(self._entries) > MAX_ENTRIES) and len(self._entries) > 1:
            _, dropped = self._entries.popitem(last=False)
            total -= dropped.rendered.size
        if total > self.budget:  # one response larger than the whole budget: not kept
            self._entries.pop(key, None)

    @property
    def entries(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return sum(e.rendered.size for e in self._entries.values())


def _may_stand_in(previous: Rendered, oldest: float | None) -> bool:
    """Whether ``previous`` may answer while its key is rendered anew."""
    return oldest is not None and len(previous.body) >= STALE_FROM and previous.current_at >= oldest


async def _logged(making: Awaitable[Rendered], key: Hashable) -> None:
    """A rendering nobody waits for: its failure is logged (a reader that needs it gets the
    error from its own rendering)."""
    try:
        await making
    except Exception:
        log.exception("rendering %r failed", key)
