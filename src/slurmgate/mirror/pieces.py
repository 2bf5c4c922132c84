"""List answers assembled from records rendered one by one: rendering costs what changed.

A list answer (``GET jobs``, ``GET nodes``) is its envelope (meta, errors, warnings, times)
around its records' JSON. Each record is rendered once per change of it (its stamp: see
stamps.py), per API version, into a piece kept by the record's key; every answer that shows it
(the whole list, a filtered one, a page, one user's share under PrivateData) uses the same
bytes, with commas between them and the envelope around them: exactly what rendering the
whole answer at once prints.

The pieces are not joined into one body per answer: consecutive records make up segments of
about ``SEGMENT_RECORDS``, whose boundaries follow the records' keys (a segment holds the same
records whatever came or went around it), and an answer is its head, its segments and its
tail, sent one after the other. A change makes one new segment, not a new copy of the whole
list, so a few answers of a 40 MB list being sent at once share most of their memory.

gzip is made the same way: each segment is compressed on its own as raw deflate ending in a
sync flush (byte-aligned, not final). Such streams concatenate into one valid deflate stream;
the head and the tail compressed the same way (the tail as the final block), a gzip header and
the CRC of the whole body complete it. A segment is compressed again only when one of its
records changed. It costs a little ratio: no back-reference crosses a segment.

Memory: pieces of records gone from the table are dropped with the table's next generation;
segments (plain and compressed) that no answer of the previous generation used, likewise; a
version nobody has read for ``IDLE_STORE`` seconds is dropped whole.
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slurmgate.mirror.rendered import GZIP_LEVEL, Built, Headers, Parts
from slurmgate.mirror.tables import Stamps, Table

#: Records rendered on the event loop per turn, when they must be rendered there (live
#: records): other requests are served between two slices.
SLICE = 200
#: Kept pieces looked up per turn of the loop, likewise.
LOOKUPS_PER_TURN = 20_000
#: Below this many records an answer is assembled on the event loop, not in a thread.
INLINE_BELOW = 500
#: About one record in this many ends a segment (a job is about 2 KB in JSON).
SEGMENT_RECORDS = 256
#: A store nobody used for this many seconds is dropped (a version nobody reads any more).
IDLE_STORE = 600.0
#: gzip's header: no name, no time (as ``gzip.compress(mtime=0)``), OS unknown.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"

Piece = tuple[int, bytes]
#: One record listed in an answer: its key and its stamp.
Listed = tuple[Hashable, int]
#: A segment: whether it begins the list (no comma before it), and the records it holds.
SegmentKey = tuple[bool, tuple[Listed, ...]]


class _Kept(dict[SegmentKey, bytes]):
    """Segments of the current generation, and of the one before (until this one's answers
    have taken what they still use)."""

    def __init__(self) -> None:
        super().__init__()
        self.older: dict[SegmentKey, bytes] = {}

    def find(self, key: SegmentKey) -> bytes | None:
        found = self.get(key)
        return self.older.get(key) if found is None else found

    def rotate(self) -> None:
        self.older = dict(self)
        self.clear()


class PieceStore:
    """One resource's records rendered for one API version: each record's JSON by its key,
    with the stamp it was rendered for; segments of them, plain and compressed."""

    def __init__(self) -> None:
        self.pieces: dict[Hashable, Piece] = {}
        self.segments = _Kept()
        self.compressed = _Kept()
        self.generation = 0
        self.used = time.monotonic()

    def follow(self, table: Table[Any]) -> None:
        """Drop what a newer ``table`` no longer shows: pieces of records gone; segments no
        answer of the previous generation used (at the next generation)."""
        if table.generation <= self.generation:
            return
        self.generation = table.generation
        stamps = table.stamps or {}
        for key in [key for key in self.pieces if key not in stamps]:
            del self.pieces[key]
        self.segments.rotate()
        self.compressed.rotate()

    def keep(self, rendered: dict[Hashable, Piece]) -> None:
        pieces = self.pieces
        for key, piece in rendered.items():
            kept = pieces.get(key)
            # A request still answering from an older table must not undo a newer piece.
            if kept is None or kept[0] <= piece[0]:
                pieces[key] = piece

    @property
    def size(self) -> int:
        """Bytes kept (segments share nothing with pieces: both count)."""
        kept = [self.segments, self.segments.older, self.compressed, self.compressed.older]
        return sum(len(piece) for _, piece in self.pieces.values()) + sum(
            len(segment) for store in kept for segment in store.values()
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
        """Bytes of pieces and segments kept (counts them all: for metrics, not per request)."""
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


@dataclass
class _Gathered:
    """An answer's records: each one's key and stamp, and its JSON."""

    listed: list[Listed] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)
    #: Pieces rendered now, to be kept (by the event loop: only the loop changes a store).
    rendered: dict[Hashable, Piece] = field(default_factory=dict)


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
    ``SLICE`` at a time when many must be; others in a thread. Segments are made in a thread
    when the answer is big."""
    store.follow(table)
    stamps = table.stamps
    if stamps is None:
        raise ValueError("a table without stamps cannot be assembled from pieces")
    big = len(table.items) >= INLINE_BELOW
    if live:
        records, headers = choose()
        gathered = await _gather_on_loop(store, records, stamps, key, render)
        segments = (
            await asyncio.to_thread(_segment, store.segments, gathered)
            if big
            else _segment(store.segments, gathered)
        )
    elif big:

        def work() -> tuple[_Gathered, _Segments, Headers]:
            records, headers = choose()
            gathered = _gather(store.pieces, records, stamps, key, render)
            return gathered, _segment(store.segments, gathered), headers

        gathered, segments, headers = await asyncio.to_thread(work)
    else:
        records, headers = choose()
        gathered = _gather(store.pieces, records, stamps, key, render)
        segments = _segment(store.segments, gathered)
    store.keep(gathered.rendered)
    store.segments.update(segments.made)
    head, tail = envelope
    parts = (head, *segments.texts, tail)

    async def compress() -> Parts:
        compressed = store.compressed
        packed, new = await asyncio.to_thread(_gzipped, compressed, envelope, segments.keys, parts)
        compressed.update(new)
        return packed

    return Built(parts, headers, compress)


def _gather(
    pieces: dict[Hashable, Piece],
    records: Sequence[Any],
    stamps: Stamps,
    key: Callable[[Any], Hashable],
    render: Callable[[Any], bytes],
) -> _Gathered:
    """Each record's piece: kept, or rendered now."""
    found = _Gathered()
    listed, parts, rendered = found.listed, found.parts, found.rendered
    for record in records:
        k = key(record)
        stamp = stamps[k]
        piece = pieces.get(k)
        if piece is None or piece[0] != stamp:
            piece = rendered[k] = (stamp, render(record))
        listed.append((k, stamp))
        parts.append(piece[1])
    return found


async def _gather_on_loop(
    store: PieceStore,
    records: Sequence[Any],
    stamps: Stamps,
    key: Callable[[Any], Hashable],
    render: Callable[[Any], bytes],
) -> _Gathered:
    found = _Gathered()
    listed, parts, rendered = found.listed, found.parts, found.rendered
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
            rendered.clear()
            made = looked = 0
            await asyncio.sleep(0)
    return found


def _ends_segment(key: Hashable) -> bool:
    """Whether a segment ends after this record (about one in ``SEGMENT_RECORDS``, by a hash
    of its key: the same record ends one in every answer)."""
    return ((hash(key) * 0x9E3779B1) & 0xFFFFFFFF) < (1 << 32) // SEGMENT_RECORDS


@dataclass
class _Segments:
    """An answer's segments: their keys and texts, and those the current generation did not
    hold yet (made now, or taken from the previous generation's)."""

    keys: list[SegmentKey] = field(default_factory=list)
    texts: list[bytes] = field(default_factory=list)
    made: dict[SegmentKey, bytes] = field(default_factory=dict)


def _segment(kept: _Kept, gathered: _Gathered) -> _Segments:
    listed, parts = gathered.listed, gathered.parts
    found = _Segments()
    made = found.made
    begin, last = 0, len(listed) - 1
    for i, (k, _) in enumerate(listed):
        if i != last and not _ends_segment(k):
            continue
        segment_key = (begin == 0, tuple(listed[begin : i + 1]))
        text = kept.get(segment_key) or made.get(segment_key)
        if text is None:
            text = kept.older.get(segment_key)
            if text is None:
                chosen = parts[begin : i + 1]
                # After the list's first segment, a comma before each record.
                text = b",".join([b"", *chosen] if begin else chosen)
            made[segment_key] = text
        found.keys.append(segment_key)
        found.texts.append(text)
        begin = i + 1
    return found


def _deflate(data: bytes, *, final: bool) -> bytes:
    """``data`` as raw deflate that another such stream may follow (a sync flush), or that
    ends the stream (``final``)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
    )


def _gzipped(
    kept: _Kept, envelope: tuple[bytes, bytes], segments: list[SegmentKey], parts: Parts
) -> tuple[Parts, dict[SegmentKey, bytes]]:
    """The answer compressed with gzip from its segments (kept, or compressed now), and the
    compressed segments this generation did not hold yet. ``parts``: head, segments, tail."""
    head, tail = envelope
    out = [GZIP_HEADER, _deflate(head, final=False)]
    made: dict[SegmentKey, bytes] = {}
    for segment_key, plain in zip(segments, parts[1:-1], strict=True):
        packed = made.get(segment_key) or kept.find(segment_key)
        if packed is None:
            packed = _deflate(plain, final=False)
        if segment_key not in kept:
            made[segment_key] = packed
        out.append(packed)
    out.append(_deflate(tail, final=True))
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    length = sum(len(part) for part in parts)
    out.append(struct.pack("<II", crc, length & 0xFFFFFFFF))
    return tuple(out), made
