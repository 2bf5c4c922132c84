"""Accounting records to JSON and back, for the embedded cluster's store.

The records are frozen dataclasses of plain values, tuples, enums and other such records;
``decode`` rebuilds them from their type hints, dropping keys a newer slurmgate wrote.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from typing import Any, TypeVar, get_type_hints

import orjson

T = TypeVar("T")


def encode(record: object) -> bytes:
    return orjson.dumps(record)


def decode(cls: type[T], data: bytes | str) -> T:
    value: T = _build(cls, orjson.loads(data))
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _build(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _build(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_build(item, v) for v in value)
    if origin is dict:
        item = typing.get_args(kind)[1]
        return {k: _build(item, v) for k, v in value.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _build(hints[k], v) for k, v in value.items() if k in names})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value
