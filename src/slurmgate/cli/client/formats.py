"""Times, durations and tables printed as Slurm's own commands print them."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence


def duration(seconds: int | None) -> str:
    """squeue's TIME: ``M:SS``, ``H:MM:SS``, ``D-HH:MM:SS``."""
    if seconds is None:
        return "UNLIMITED"
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def limit(minutes: int | None) -> str:
    """A time limit given in minutes, as sinfo prints it."""
    return "infinite" if minutes is None else duration(minutes * 60)


def timestamp(seconds: int | None) -> str:
    """sacct's times: ``2026-12-03T10:04:05``, ``Unknown`` when not yet."""
    if not seconds:
        return "Unknown"
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(seconds))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    paint: Callable[[int, str, str], str] | None = None,
) -> str:
    """Columns as wide as their widest cell, the last one unpadded; ``paint(column, cell,
    padded)`` may colour a cell after its width is counted."""
    widths = [max([len(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = []
    for number, row in enumerate([list(headers), *rows]):
        cells = []
        for i, cell in enumerate(row):
            padded = cell if i == len(row) - 1 else cell + " " * (widths[i] - _width(cell))
            cells.append(paint(i, cell, padded) if paint and number else padded)
        lines.append(" ".join(cells).rstrip())
    return "\n".join(lines)
