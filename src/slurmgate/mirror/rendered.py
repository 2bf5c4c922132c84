"""Rendered responses, kept for reuse until the state they show changes.

A response is rendered once per state change per key (API version, viewer, query) and
compressed at most once; concurrent requests for the same response wait for one rendering.
Memory is bounded: the least recently used responses are dropped first.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

#: Bodies smaller than this are compressed on the event loop; larger ones in a thread.
COMPRESS_INLINE_BELOW = 64 * 1024
#: Compression level: 6 is zlib's default balance; responses are compressed once, read often.
GZIP_LEVEL = 6
#: Most responses kept, whatever their size (each filter, page and viewer has its own).
MAX_ENTRIES = 4096
#: Distinguishes this process's ETags from an earlier run's, whose counters started alike.
_EPOCH = secrets.token_hex(4)


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
    headers: Headers = ()
    compress: Compressor | None = field(default=None, repr=False)
    _gzip: asyncio.Future[bytes] | None = field(default=None, repr=False)

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

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


class RenderCache:
    """Rendered responses by key, each valid for one ``stamp`` (the state it shows)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[Hashable, tuple[Hashable, Rendered]] = OrderedDict()
        self._pending: dict[Hashable, tuple[Hashable, asyncio.Future[Rendered]]] = {}
        #: Answers served from a kept (or a pending) rendering, and answers rendered anew.
        self.hits = 0
        self.misses = 0

    async def get(
        self,
        key: Hashable,
        stamp: Hashable,
        render: Callable[[], tuple[bytes, Headers]],
        *,
        in_thread: bool,
    ) -> Rendered:
        """The response for ``key`` as of ``stamp``: kept, being rendered, or rendered now."""

        async def build() -> Built:
            body, headers = await asyncio.to_thread(render) if in_thread else render()
            return Built(body, headers)

        return await self.built(key, stamp, build)

    async def built(
        self, key: Hashable, stamp: Hashable, build: Callable[[], Awaitable[Built]]
    ) -> Rendered:
        """As ``get``, the rendering made by ``build`` (which may render off the loop, or
        a slice at a time)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]
        pending = self._pending.get(key)
        if pending is not None and pending[0] == stamp:
            self.hits += 1
            return await asyncio.shield(pending[1])
        self.misses += 1
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._pending[key] = (stamp, future)
        try:
            made = await build()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters raise it from their own await
            raise
        finally:
            if self._pending.get(key, (None, None))[1] is future:
                del self._pending[key]
        rendered = Rendered(made.body, etag_for(key, stamp), made.headers, made.compress)
        future.set_result(rendered)
        self._keep(key, stamp, rendered)
        return rendered

    def _keep(self, key: Hashable, stamp: Hashable, rendered: Rendered) -> None:
        self._entries[key] = (stamp, rendered)
        self._entries.move_to_end(key)
        total = sum(r.size for _, r in self._entries.values())
        while (total > self.budget or len(self._entries) > MAX_ENTRIES) and len(self._entries) > 1:
            _, (_, dropped) = self._entries.popitem(last=False)
            total -= dropped.size
        if total > self.budget:  # one response larger than the whole budget: not kept
            self._entries.pop(key, None)

    @property
    def entries(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return sum(r.size for _, r in self._entries.values())
