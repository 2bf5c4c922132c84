"""Slurm's hostlist expressions: ``n[01-03,7],login`` <-> ``["n01", "n02", "n03", "n7", "login"]``.

A name's trailing digits are its number; the digits' length is kept, so zero padding survives a
round trip. ``expand`` keeps the order it is given (as ``hostlist_create`` does); ``compress``
sorts and removes duplicates first, so the same set of names always gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.slurm_errno import ESLURM_INVALID_NODE_NAME

#: Slurm refuses ranges longer than this (MAX_RANGE in hostlist.c); it also bounds our memory.
MAX_HOSTS = 64 * 1024

_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")
_SEPARATORS = frozenset(", \t\n")


def _invalid(expr: str, why: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid node name specification {expr!r}: {why}",
        error_number=ESLURM_INVALID_NODE_NAME,
        error="Invalid node name specified",
    )


# --- expand -------------------------------------------------------------------------------


def expand(expr: str) -> list[str]:
    """Every host name of ``expr``, in order (duplicates kept)."""
    names: list[str] = []
    for item in _split_top_level(expr):
        names.extend(_expand_item(item, expr))
        if len(names) > MAX_HOSTS:
            raise _invalid(expr, f"more than {MAX_HOSTS} names")
    return names


def _split_top_level(expr: str) -> list[str]:
    """Split at separators outside brackets: "n[1,2],x" -> ["n[1,2]", "x"]."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in expr:
        if char == "[":
            depth += 1
            if depth > 1:
                raise _invalid(expr, "nested '['")
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise _invalid(expr, "']' without '['")
        if depth == 0 and char in _SEPARATORS:
            if current:
                items.append("".join(current))
            current = []
            continue
        current.append(char)
    if depth:
        raise _invalid(expr, "'[' without ']'")
    if current:
        items.append("".join(current))
    return items


def _expand_item(item: str, expr: str) -> list[str]:
    """One name, possibly with several bracket groups ("r[1-2]-n[1-3]" is their product)."""
    start = item.find("[")
    if start < 0:
        return [item]
    end = item.index("]", start)
    prefix, body, rest = item[:start], item[start + 1 : end], item[end + 1 :]
    tails = _expand_item(rest, expr) if "[" in rest else [rest]
    return [f"{prefix}{number}{tail}" for number in _expand_ranges(body, expr) for tail in tails]


def _expand_ranges(body: str, expr: str) -> list[str]:
    numbers: list[str] = []
    for part in body.split(","):
        match = _RANGE.match(part.strip())
        if match is None:
            raise _invalid(expr, f"bad range {part!r}")
        low_text, high_text = match.group(1), match.group(2)
        low = int(low_text)
        high = low if high_text is None else int(high_text)
        if high < low:
            raise _invalid(expr, f"range {part!r} is reversed")
        if high - low >= MAX_HOSTS:
            raise _invalid(expr, f"range {part!r} is too large")
        # The low bound's length sets the padding, as in Slurm ("[08-10]" -> 08, 09, 10).
        width = len(low_text)
        numbers.extend(str(n).zfill(width) for n in range(low, high + 1))
    return numbers


# --- compress -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Name:
    prefix: str
    number: int  # -1: no trailing digits
    digits: str

    @classmethod
    def parse(cls, name: str) -> _Name:
        match = _TRAILING_DIGITS.match(name)
        if match is None:
            return cls(name, -1, "")
        return cls(match.group(1), int(match.group(2)), match.group(2))

    @property
    def widths(self) -> tuple[int, int]:
        """The paddings that print this number as written: "07" only 2, "17" either 1 or 2."""
        if len(self.digits) > 1 and self.digits[0] == "0":
            return len(self.digits), len(self.digits)
        return 1, len(self.digits)


def compress(names: Iterable[str]) -> str:
    """The shortest bracket form of ``names``, sorted by prefix then number, duplicates dropped."""
    parsed = sorted(
        {_Name.parse(name) for name in names if name},
        key=lambda n: (n.prefix, n.number, len(n.digits)),
    )
    groups: list[tuple[str, list[str]]] = []  # (prefix, ["1-3", "7"])
    counts: list[int] = []
    index = 0
    while index < len(parsed):
        first = parsed[index]
        if first.number < 0:
            groups.append((first.prefix, []))
            counts.append(1)
            index += 1
            continue
        # Grow a run of consecutive numbers that one padding width can print.
        low_w, high_w = first.widths
        last = first
        index += 1
        while index < len(parsed):
            candidate = parsed[index]
            c_low, c_high = candidate.widths
            if (
                candidate.prefix != first.prefix
                or candidate.number != last.number + 1
                or max(low_w, c_low) > min(high_w, c_high)
            ):
                break
            low_w, high_w = max(low_w, c_low), min(high_w, c_high)
            last = candidate
            index += 1
        if last is first:
            text = first.digits
        else:
            text = f"{str(first.number).zfill(low_w)}-{str(last.number).zfill(low_w)}"
        size = last.number - first.number + 1
        if groups and groups[-1][1] and groups[-1][0] == first.prefix:
            groups[-1][1].append(text)
            counts[-1] += size
        else:
            groups.append((first.prefix, [text]))
            counts.append(size)
    return ",".join(
        prefix
        if not ranges
        else f"{prefix}[{','.join(ranges)}]"
        if count > 1
        else prefix + ranges[0]
        for (prefix, ranges), count in zip(groups, counts, strict=True)
    )
