"""List answers assembled from records rendered one by one: rendering costs what changed.

A list answer (``GET jobs``, ``GET nodes``) is its envelope (meta, errors, warnings, times)
around its records' JSON. Each record is rendered once per change of it (its stamp: see
stamps.py), per API version, into a piece kept by the record's key; every answer that shows it
(the whole list, a filtered one, a page, one user's share under PrivateData) joins the same
bytes, with commas between them and the envelope around them: exactly what rendering the
whole answer at once prints. Pieces of records gone from the table are dropped with the
table's next generation, and a version nobody has read for ``IDLE_STORE`` seconds is dropped
whole.

gzip is assembled the same way: records are grouped into chunks of about ``CHUNK_RECORDS``,
whose boundaries follow the records' keys (so a chunk holds the same records whatever came or
went around it), and each chunk is compressed on its own as raw deflate ending in a sync flush
(byte-aligned, not final). Such streams concatenate into one valid deflate stream; the
envelope's head and tail, compressed the same way (the tail as the final block), a gzip header
and the CRC of the whole body complete it. A chunk is compressed again only when one of its
records changed. It costs some ratio (no back-reference crosses a chunk): a few percent.
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from slurmgate.mirror.rendered import GZIP_LEVEL, Built, Headers
from slurmgate.mirror.tables import Stamps, Table

#: Records rendered on the event loop per turn, when they must be rendered there (live
#: records): other requests are served between two slices.
SLICE = 200
#: Kept pieces looked up per turn of the loop, likewise.
LOOKUPS_PER_TURN = 20_000
#: Below this many records an answer is assembled on the event loop, not in a thread.
INLINE_BELOW = 500
#: A store nobody used for this many seconds is dropped (a version nobody reads any more).
IDLE_STORE = 600.0
#: About one record in this many ends a chunk of the compressed answer.
CHUNK_RECORDS = 32
#: gzip's header: no name, no time (as ``gzip.compress(mtime=0)``), OS unknown.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"

Piece = tuple[int, bytes]
#: One record listed in an answer: its key and its stamp.
Listed = tuple[Hashable, int]


class PieceStore:
    """One resource's records rendered for one API version: each record's JSON by its key,
    with the stamp it was rendered for; and the compressed chunks of the last answers."""

    def __init__(self) -> None:
        self.pieces: dict[Hashable, Piece] = {}
        self.chunks: dict[Hashable, bytes] = {}
        self.older_chunks: dict[Hashable, bytes] = {}
        self.generation = 0
        self.used = time.monotonic()

    def follow(self, table: Table[Any]) -> None:
        """Drop what a newer ``table`` no longer shows: pieces of records gone, chunks no
        answer of the previous generation used."""
        if table.generation <= self.generation:
            return
        self.generation = table.generation
        stamps = table.stamps or {}
        for key in [key for key in self.pieces if key not in stamps]:
            del self.pieces[key]
        self.older_chunks, self.chunks = self.chunks, {}

    def keep(self, rendered: dict[Hashable, Piece]) -> None:
        pieces = self.pieces
        for key, piece in rendered.items():
            kept = pieces.get(key)
            # A request still answering from an older table must not undo a newer piece.
            if kept is None or kept[0] <= piece[0]:
                pieces[key] = piece

    @property
    def size(self) -> int:
        return sum(len(piece) for _, piece in self.pieces.values()) + sum(
            len(chunk) for chunk in self.chunks.values()
        )


class Pieces:
    """Every resource's and version's ``PieceStore``."""

    def __init__(self) -> None:
        self._stores: dict[Hashable, PieceStore] = {}
        self._swept = time.monotonic()

    def store(self, key: Hashable) -> PieceStore:
        now = time.monotonic()
        found = self._stores.get(key)
        if found is None:
            found = self._stores[key] = PieceStore()
        found.used = now
        if now - self._swept > IDLE_STORE:
            self._swept = now
            for idle in [k for k, s in self._stores.items() if now - s.used > IDLE_STORE]:
                del self._stores[idle]
        return found

    @property
    def size(self) -> int:
        """Bytes of pieces and chunks kept (counts them all: for metrics, not per request)."""
        return sum(store.size for store in self._stores.values())


def split_envelope(answer: bytes, listing: str) -> tuple[bytes, bytes]:
    """An answer rendered with an empty list, cut where the records go (between the
    brackets of ``"<listing>":[]``)."""
    marker = b'"' + listing.encode() + b'":[]'
    # A quote inside a JSON string is escaped, so this text can only be the key itself.
    at = answer.index(marker) + len(marker) - 1
    return answer[:at], answer[at:]


#: Chooses an answer's records (and its headers: a page's next cursor).
Choose = Callable[[], tuple[Sequence[Any], Headers]]


async def assemble(
    store: PieceStore,
    table: Table[Any],
    choose: Choose,
    key: Callable[[Any], Hashable],
    render: Callable[[Any], bytes],
    envelope: tuple[bytes, bytes],
    *,
    live: bool,
) -> Built:
    """The answer showing the records ``choose`` picks of ``table``: kept pieces where their
    stamps still hold, the others rendered (and kept) now.

    Live records are chosen and rendered on the event loop (they change once it moves on),
    ``SLICE`` at a time when many must be; others in a thread. The bytes are joined in a
    thread when they are many."""
    store.follow(table)
    stamps = table.stamps
    if stamps is None:
        raise ValueError("a table without stamps cannot be assembled from pieces")
    if live:
        records, headers = choose()
        listed, parts, rendered = await _gather_on_loop(store, records, stamps, key, render)
    elif len(table.items) < INLINE_BELOW:
        records, headers = choose()
        listed, parts, rendered = _gather(store.pieces, records, stamps, key, render)
    else:

        def work() -> tuple[list[Listed], list[bytes], dict[Hashable, Piece], Headers]:
            records, headers = choose()
            return *_gather(store.pieces, records, stamps, key, render), headers

        listed, parts, rendered, headers = await asyncio.to_thread(work)
    store.keep(rendered)
    head, tail = envelope
    if len(parts) < INLINE_BELOW:
        body = _join(head, parts, tail)
    else:
        body = await asyncio.to_thread(_join, head, parts, tail)

    async def compress() -> bytes:
        chunks, older = store.chunks, store.older_chunks
        compressed, made = await asyncio.to_thread(
            _gzipped, chunks, older, envelope, listed, parts, body
        )
        if store.chunks is chunks:  # else a newer generation started: these are old
            store.chunks.update(made)
        return compressed

    return Built(body, headers, compress)


def _gather(
    pieces: dict[Hashable, Piece],
    records: Sequence[Any],
    stamps: Stamps,
    key: Callable[[Any], Hashable],
    render: Callable[[Any], bytes],
) -> tuple[list[Listed], list[bytes], dict[Hashable, Piece]]:
    """Each record's piece: kept, or rendered now (returned apart, to be kept by the loop:
    only the loop changes a store)."""
    listed: list[Listed] = []
    parts: list[bytes] = []
    rendered: dict[Hashable, Piece] = {}
    for record in records:
        k = key(record)
        stamp = stamps[k]
        piece = pieces.get(k)
        if piece is None or piece[0] != stamp:
            piece = rendered[k] = (stamp, render(record))
        listed.append((k, stamp))
        parts.append(piece[1])
    return listed, parts, rendered


async def _gather_on_loop(
    store: PieceStore,
    records: Sequence[Any],
    stamps: Stamps,
    key: Callable[[Any], Hashable],
    render: Callable[[Any], bytes],
) -> tuple[list[Listed], list[bytes], dict[Hashable, Piece]]:
    listed: list[Listed] = []
    parts: list[bytes] = []
    rendered: dict[Hashable, Piece] = {}
    pieces = store.pieces
    made = looked = 0
    for record in records:
        k = key(record)
        stamp = stamps[k]
        piece = pieces.get(k)
        if piece is None or piece[0] != stamp:
            piece = rendered[k] = (stamp, render(record))
            made += 1
        listed.append((k, stamp))
        parts.append(piece[1])
        looked += 1
        if made >= SLICE or looked >= LOOKUPS_PER_TURN:
            # Pieces made so far are kept now: a request for another view needs them too.
            store.keep(rendered)
            rendered = {}
            made = looked = 0
            await asyncio.sleep(0)
    return listed, parts, rendered


def _join(head: bytes, parts: list[bytes], tail: bytes) -> bytes:
    out = [head]
    for i, part in enumerate(parts):
        if i:
            out.append(b",")
        out.append(part)
    out.append(tail)
    return b"".join(out)


def _ends_chunk(key: Hashable) -> bool:
    """Whether a chunk of the compressed answer ends after this record (about one in
    ``CHUNK_RECORDS``, by a hash of the key: the same record ends one in every answer)."""
    return ((hash(key) * 0x9E3779B1) & 0xFFFFFFFF) < (1 << 32) // CHUNK_RECORDS


def _deflate(data: bytes, *, final: bool) -> bytes:
    """``data`` as raw deflate that another such stream may follow (a sync flush), or that
    ends the stream (``final``)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
    )


def _gzipped(
    chunks: dict[Hashable, bytes],
    older: dict[Hashable, bytes],
    envelope: tuple[bytes, bytes],
    listed: list[Listed],
    parts: list[bytes],
    body: bytes,
) -> tuple[bytes, dict[Hashable, bytes]]:
    """The answer compressed with gzip from its chunks (kept, or compressed now), and the
    chunks this generation did not hold yet."""
    head, tail = envelope
    out = [GZIP_HEADER, _deflate(head, final=False)]
    made: dict[Hashable, bytes] = {}
    begin, last = 0, len(parts) - 1
    for i, (k, _) in enumerate(listed):
        if i != last and not _ends_chunk(k):
            continue
        chunk_key = (begin == 0, tuple(listed[begin : i + 1]))
        data = chunks.get(chunk_key)
        if data is None:
            data = older.get(chunk_key)
            if data is None:
                text = b",".join(parts[begin : i + 1])
                data = _deflate(b"," + text if begin else text, final=False)
            made[chunk_key] = data
        out.append(data)
        begin = i + 1
    out.append(_deflate(tail, final=True))
    out.append(struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF))
    return b"".join(out), made
