"""List answers assembled from records rendered one by one: rendering costs what changed.

A list answer (``GET jobs``, ``GET nodes``) is its envelope (meta, errors, warnings, times)
around its records' JSON. Each record is rendered once per change of it (its stamp: see
stamps.py), per API version, into a piece kept by the record's key; every answer that shows it
(the whole list, a filtered one, a page, one user's share under PrivateData) joins the same
bytes, with commas between them and the envelope around them: exactly what rendering the
whole answer at once prints. The join is a copy made in a thread, which CPython makes without
holding the GIL; the answer is then written to each client in one call, which the event loop
completes without Python (a body sent in parts would need a turn of the loop, and so the GIL,
per part: slow while a thread converts a load).

gzip is made from segments: consecutive records, about ``SEGMENT_RECORDS`` of them, whose
boundaries follow the records' keys (a segment holds the same records whatever came or went
around it). Each segment is compressed on its own as raw deflate ending in a sync flush
(byte-aligned, not final). Such streams concatenate into one valid deflate stream; the head
and the tail compressed the same way (the tail as the final block), a gzip header and the CRC
of the whole body complete it. A segment is compressed again only when one of its records
changed. It costs a little ratio: no back-reference crosses a segment.

Memory: pieces of records gone from the table are dropped with the table's next generation;
compressed segments when no compressed answer of the last two generations that had one used
them; a version nobody has read for ``IDLE_STORE`` seconds is dropped whole.
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slurmgate.mirror.rendered import GZIP_LEVEL, Built, Headers
from slurmgate.mirror.tables import Stamps, Table

#: Records rendered on the event loop per turn, when they must be rendered there (live
#: records): other requests are served between two slices.
SLICE = 200
#: Kept pieces looked up per turn of the loop, likewise.
LOOKUPS_PER_TURN = 5_000
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
    """Segments compressed for the answers of the latest generation that was compressed, and
    of the one compressed before it (until the newer answers have taken what they still use).

    Generations nobody asked for compressed do not count: while a client's own writes make a
    new generation for each of its reads, several may pass between two compressed answers, and
    the segments that did not change must still be found."""

    def __init__(self) -> None:
        super().__init__()
        self.older: dict[SegmentKey, bytes] = {}
        #: Whether an answer was compressed since the last rotation.
        self.used = False

    def find(self, key: SegmentKey) -> bytes | None:
        found = self.get(key)
        return self.older.get(key) if found is None else found

    def add(self, made: dict[SegmentKey, bytes]) -> None:
        self.update(made)
        self.used = True

    def rotate(self) -> None:
        """A new generation: what no compressed answer took since the last rotation goes."""
        if not self.used:
            return
        self.older = dict(self)
        self.clear()
        self.used = False


class PieceStore:
    """One resource's records rendered for one API version: each record's JSON by its key,
    with the stamp it was rendered for; and segments of them compressed."""

    def __init__(self) -> None:
        self.pieces: dict[Hashable, Piece] = {}
        self.compressed = _Kept()
        self.generation = 0
        self.used = time.monotonic()

    def follow(self, table: Table[Any]) -> None:
        """Drop what a newer ``table`` no longer shows: pieces of records gone; compressed
        segments no answer of the previous generation used (at the next generation)."""
        if table.generation <= self.generation:
            return
        self.generation = table.generation
        for key in self.pieces.keys() - (table.stamps or {}).keys():
            del self.pieces[key]
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
        """Bytes kept."""
        kept = (self.compressed, self.compressed.older)
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
        """Bytes of pieces and compressed segments kept (counts them all: not per request)."""
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
    ``SLICE`` at a time when many must be; others in a thread. A big answer's pieces are
    joined in a thread."""
    store.follow(table)
    stamps = table.stamps
    if stamps is None:
        raise ValueError("a table without stamps cannot be assembled from pieces")
    big = len(table.items) >= INLINE_BELOW
    if live:
        records, headers = choose()
        gathered = await _gather_on_loop(store, records, stamps, key, render)
    elif big:

        def work() -> tuple[_Gathered, Headers]:
            records, headers = choose()
            return _gather(store.pieces, records, stamps, key, render), headers

        gathered, headers = await asyncio.to_thread(work)
    else:
        records, headers = choose()
        gathered = _gather(store.pieces, records, stamps, key, render)
    store.keep(gathered.rendered)
    gathered.rendered = {}
    if big:
        body = await asyncio.to_thread(_join, envelope, gathered.parts)
    else:
        body = _join(envelope, gathered.parts)

    async def compress() -> bytes:
        compressed = store.compressed
        packed, made = await asyncio.to_thread(_gzipped, compressed, envelope, gathered, body)
        compressed.add(made)
        return packed

    return Built(body, headers, compress)


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
            piece = rendered[k] = (stamp, _exact(render(record)))
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
            piece = rendered[k] = (stamp, _exact(render(record)))
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


def _exact(data: bytes) -> bytes:
    """A copy of ``data`` of its own size: orjson's bytes keep the buffer they grew in (a
    job's 2 KB of JSON held 8 KB), which a kept piece would hold for as long as it is kept."""
    return bytes(memoryview(data))


def _join(envelope: tuple[bytes, bytes], parts: list[bytes]) -> bytes:
    head, tail = envelope
    if not parts:
        return head + tail
    # head, part, ",", part, ..., part, tail: laid out by slice assignments, without a Python
    # step per record; the join itself copies without holding the GIL.
    out = [b","] * (2 * len(parts) + 1)
    out[0], out[-1] = head, tail
    out[1:-1:2] = parts
    return b"".join(out)


def _ends_segment(key: Hashable) -> bool:
    """Whether a segment ends after this record (about one in ``SEGMENT_RECORDS``, by a hash
    of its key: the same record ends one in every answer)."""
    return ((hash(key) * 0x9E3779B1) & 0xFFFFFFFF) < (1 << 32) // SEGMENT_RECORDS


def _deflate(data: bytes, *, final: bool) -> bytes:
    """``data`` as raw deflate that another such stream may follow (a sync flush), or that
    ends the stream (``final``)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
    )


def _gzipped(
    kept: _Kept, envelope: tuple[bytes, bytes], gathered: _Gathered, body: bytes
) -> tuple[bytes, dict[SegmentKey, bytes]]:
    """The answer compressed with gzip from its segments (kept, or compressed now), and the
    compressed segments the current generation did not hold yet."""
    head, tail = envelope
    listed, parts = gathered.listed, gathered.parts
    out = [GZIP_HEADER, _deflate(head, final=False)]
    made: dict[SegmentKey, bytes] = {}
    begin, last = 0, len(listed) - 1
    for i, (k, _) in enumerate(listed):
        if i != last and not _ends_segment(k):
            continue
        segment_key = (begin == 0, tuple(listed[begin : i + 1]))
        packed = made.get(segment_key) or kept.find(segment_key)
        if packed is None:
            chosen = parts[begin : i + 1]
            # After the list's first segment, a comma before each record.
            packed = _deflate(b",".join([b"", *chosen] if begin else chosen), final=False)
        if segment_key not in kept:
            made[segment_key] = packed
        out.append(packed)
        begin = i + 1
    out.append(_deflate(tail, final=True))
    out.append(struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF))
    return b"".join(out), made
