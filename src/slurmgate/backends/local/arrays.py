"""Job array index expressions (``--array``): ``0-15:2``, ``1,3,5-7``, ``0-15%4``, ``7``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from slurmgate.domain.errors import InvalidRequest
from slurmgate.domain.slurm_errno import ESLURM_INVALID_ARRAY

_ELEMENT = re.compile(r"^(\d+)(?:-(\d+)(?::(\d+))?)?$")


@dataclass(frozen=True)
class ArraySpec:
    task_ids: tuple[int, ...]
    #: At most this many tasks run at once; 0 = no limit.
    max_running: int


def _invalid(text: str, why: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid job array specification {text!r}: {why}",
        error_number=ESLURM_INVALID_ARRAY,
        error="Invalid job array specification",
    )


def parse_array(text: str, max_array_size: int) -> ArraySpec:
    """Task ids (sorted, unique) and the throttle of ``text``; every id < ``max_array_size``."""
    body, percent, throttle = text.strip().partition("%")
    max_running = 0
    if percent:
        if not throttle.isdigit():
            raise _invalid(text, f"throttle {throttle!r} is not a non-negative number")
        max_running = int(throttle)
    if not body:
        raise _invalid(text, "no task ids")
    ids: set[int] = set()
    for element in body.split(","):
        match = _ELEMENT.match(element)
        if match is None:
            raise _invalid(text, f"{element!r} is not an id, a range or a stepped range")
        low = int(match.group(1))
        high = low if match.group(2) is None else int(match.group(2))
        step = 1 if match.group(3) is None else int(match.group(3))
        if high < low:
            raise _invalid(text, f"range {element!r} is reversed")
        if step < 1:
            raise _invalid(text, f"step of {element!r} must be at least 1")
        if high >= max_array_size:
            raise _invalid(text, f"task id {high} is not below MaxArraySize={max_array_size}")
        ids.update(range(low, high + 1, step))
    return ArraySpec(tuple(sorted(ids)), max_running)


def format_task_ids(ids: Iterable[int], max_running: int = 0) -> str:
    """Slurm's ``array_task_str``: "0-3,5", "0-14:2" for an evenly stepped set, then "%N"."""
    ordered = sorted(set(ids))
    if not ordered:
        text = ""
    elif len(ordered) > 2 and _even_step(ordered) > 1:
        # Slurm prints a set with one common step > 1 as a stepped range (job_info.c).
        text = f"{ordered[0]}-{ordered[-1]}:{_even_step(ordered)}"
    else:
        text = ",".join(_ranges(ordered))
    return f"{text}%{max_running}" if max_running > 0 else text


def _even_step(ordered: list[int]) -> int:
    step = ordered[1] - ordered[0]
    if all(b - a == step for a, b in zip(ordered, ordered[1:], strict=False)):
        return step
    return 0


def _ranges(ordered: list[int]) -> Iterable[str]:
    start = previous = ordered[0]
    for value in ordered[1:]:
        if value != previous + 1:
            yield str(start) if start == previous else f"{start}-{previous}"
            start = value
        previous = value
    yield str(start) if start == previous else f"{start}-{previous}"
