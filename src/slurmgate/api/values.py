"""Scalar values of v0.0.36-v0.0.38 request bodies, converted as slurmrestd 22.05 converts them.

Numbers read as strings and back, time limits in Slurm's time formats, memory with units,
times as Unix seconds or relative ("now+1hour"). Every failure is an ``InvalidRequest`` naming
the field's path, with ESLURM_REST_FAIL_PARSING.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slurmgate.domain import InvalidRequest
from slurmgate.domain import slurm_errno as errno

Converter = Callable[[object, str], Any]

FAIL_PARSING = "Failure during parsing"


def fail(path: str, message: str) -> InvalidRequest:
    """The error for one bad field; jobs.c fails the request with ESLURM_REST_FAIL_PARSING."""
    return InvalidRequest(
        f"{path}: {message}",
        error_number=errno.ESLURM_REST_FAIL_PARSING,
        error=FAIL_PARSING,
        source=path,
    )


def shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else json.dumps(value)


# Scalars convert as data_get_*_converted() does: numbers read as strings and back, into
# int64 (what the daemon converts to, and what the store holds). Digits are ASCII only:
# Python's int() and \d also read other scripts' digits ("１", "²"), which Slurm does not.

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Largest count or duration a uint32 field holds below Slurm's NO_VAL and INFINITE.
UINT32_MAX = 0xFFFFFFFD


def bounded(number: int, path: str, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    if not low <= number <= high:
        raise fail(path, f"{number} is out of range ({low} to {high})")
    return number


def as_str(value: object, path: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise fail(path, f"expected a string, got {shown(value)}")


def as_int(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return bounded(value, path)
    if isinstance(value, float) and value.is_integer():
        return bounded(int(value), path)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return bounded(int(value), path)
    raise fail(path, f"expected an integer, got {shown(value)}")


def as_bool(value: object, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return _BOOLEANS[value.strip().lower()]
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise fail(path, f"expected a boolean, got {shown(value)}")


_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def as_strings(value: object, path: str) -> list[str]:
    if not isinstance(value, list):
        raise fail(path, f"expected an array of strings, got {shown(value)}")
    return [as_str(v, f"{path}[{i}]") for i, v in enumerate(value)]


def as_environment(value: object, path: str) -> dict[str, str]:
    """A dictionary of variables; numbers and booleans read as strings (_parse_env)."""
    if not isinstance(value, dict):
        raise fail(path, f"expected an object of NAME: value, got {shown(value)}")
    env: dict[str, str] = {}
    for name, item in value.items():
        if item is None or isinstance(item, dict | list):
            raise fail(f"{path}.{name}", f"expected a string, got {shown(item)}")
        env[str(name)] = as_str(item, f"{path}.{name}")
    return env


_TIME = re.compile(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", re.ASCII)


def _time_seconds(text: str) -> int | None:
    """Slurm's time string ("M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S") in seconds."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    days, first, second, third = (int(g) if g else None for g in match.groups())
    assert first is not None  # noqa: S101 - the pattern requires it
    if days is not None:  # D-H[:M[:S]]
        return ((days * 24 + first) * 60 + (second or 0)) * 60 + (third or 0)
    if third is not None:  # H:M:S
        return (first * 60 + (second or 0)) * 60 + third
    return first * 60 + (second or 0)  # M[:S]


def as_minutes(value: object, path: str) -> int | None:
    """A time limit in minutes; 0, -1, "UNLIMITED" mean unlimited (None), as time_str2mins."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        minutes = as_int(value, path)
    else:
        text = as_str(value, path).strip()
        if text.upper() in ("UNLIMITED", "INFINITE", "-1"):
            return None
        seconds = _time_seconds(text)
        if seconds is None:
            raise fail(path, f"expected an integer (minutes) or a time string, got {shown(value)}")
        minutes = (seconds + 59) // 60
    if minutes == -1 or minutes == 0:
        return None
    if minutes < 0:
        raise fail(path, f"expected a positive number of minutes, got {minutes}")
    return bounded(minutes, path, 1, UINT32_MAX)  # minutes are uint32 in Slurm


def as_seconds(value: object, path: str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return bounded(as_int(value, path), path, 0, UINT32_MAX)
    seconds = _time_seconds(as_str(value, path))
    if seconds is None:
        raise fail(path, f"expected a number of seconds or a time string, got {shown(value)}")
    return bounded(seconds, path, 0, UINT32_MAX)


_MEMORY = re.compile(r"(\d+)\s*([KMGT]?)B?", re.IGNORECASE | re.ASCII)
_MEMORY_SCALE = {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024 * 1024}


def as_memory(value: object, path: str) -> int:
    """MiB, from a number or "512M", "4G", ... (str_to_mbytes)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return as_int(value, path)
    match = _MEMORY.fullmatch(as_str(value, path).strip())
    if not match:
        raise fail(path, f'expected a memory size in MiB or like "4G", got {shown(value)}')
    mebibytes = int(match.group(1)) * _MEMORY_SCALE[match.group(2).upper()]
    return bounded(math.ceil(mebibytes), path)


_UNITS = {"": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
          "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800,
          "weeks": 604800}  # fmt: skip


def as_time(value: object, path: str) -> int:
    """Unix seconds from a number, "now[+N[units]]" or an ISO date and time (parse_time)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return as_int(value, path)
    text = as_str(value, path).strip()
    if text.isascii() and text.isdigit():
        return bounded(int(text), path)
    relative = re.fullmatch(r"now(?:\+([0-9]+)([a-z]*))?", text.lower())
    if relative and relative.group(2) in _UNITS | {None: 1}:
        count = int(relative.group(1) or 0)
        return bounded(int(time.time()) + count * _UNITS[relative.group(2) or ""], path)
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        raise fail(
            path, f'expected a Unix time, "now+N<units>" or an ISO time, got {shown(value)}'
        ) from None
