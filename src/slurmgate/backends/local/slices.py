"""Going through every job of a large table without holding up the event loop.

A pass over 100,000 jobs takes tens of milliseconds of Python; made in one go, it would
delay every request arriving meanwhile by as much. Work that must see every job (a
scheduling pass, the purge of old jobs, sdiag's counts) goes ``SLICE`` jobs at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

T = TypeVar("T")

#: Items handled between two turns of the event loop: a few milliseconds' work.
SLICE = 5000


async def slices(items: Sequence[T]) -> AsyncIterator[Sequence[T]]:
    """``items`` ``SLICE`` at a time, the event loop turning between slices. Take a copy of
    a table that may change meanwhile (``list(table.values())``)."""
    for start in range(0, len(items), SLICE):
        if start:
            await asyncio.sleep(0)
        yield items[start : start + SLICE]
