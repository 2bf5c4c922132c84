"""How each type of the notation is printed, and what it declares in the OpenAPI document.

A codec turns the Python expression of a field's value into the expression of what is printed
(the renderer is generated code: see compiler.py), and gives the field's OpenAPI schema. The
codecs are the same for every version; what a version names its components
(``uint32_no_val`` in v0.0.40, ``uint32_no_val_struct`` from v0.0.42) is the version's data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

Schema = dict[str, Any]


class Infinite:
    """What a view returns for a number Slurm holds as INFINITE ("UNLIMITED")."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "INFINITE"


INFINITE: Final = Infinite()

#: Unset and infinite numbers as v0.0.40 and later print them. Shared by every answer, so they
#: must never be changed in place (answers are serialised, never edited).
UNSET_NUMBER: Final = {"set": False, "infinite": False, "number": 0}
UNSET_FLOAT: Final = {"set": False, "infinite": False, "number": 0.0}
INFINITE_NUMBER: Final = {"set": False, "infinite": True, "number": 0}
INFINITE_FLOAT: Final = {"set": False, "infinite": True, "number": 0.0}


def number(value: int | None | Infinite) -> dict[str, Any]:
    if value is None:
        return UNSET_NUMBER
    if value is INFINITE:
        return INFINITE_NUMBER
    return {"set": True, "infinite": False, "number": value}


def floating(value: float | None | Infinite) -> dict[str, Any]:
    if value is None:
        return UNSET_FLOAT
    if value is INFINITE:
        return INFINITE_FLOAT
    return {"set": True, "infinite": False, "number": value}


def limit(value: int | None | Infinite) -> dict[str, Any]:
    """A limit: unset (None) is no limit, printed as infinite (slurmdbd's INFINITE)."""
    return INFINITE_NUMBER if value is None else number(value)


def limit_float(value: float | None | Infinite) -> dict[str, Any]:
    return INFINITE_FLOAT if value is None else floating(value)


def csv(value: str | None) -> list[str]:
    """A comma-separated list as the list of its items ("" is the empty list)."""
    return [item for item in value.split(",") if item] if value else []


def text(value: object) -> str:
    """A value printed as a string (the old versions print some numbers so)."""
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Codec:
    """One scalar type of the notation."""

    #: The OpenAPI schema, or the name of the version component it refers to.
    schema: Schema
    #: The helper of this module applied to the value, or "" to print the value as it is.
    helper: str = ""
    #: Whether the printed value always has a fixed shape for a non-None value, so the
    #: compiler may inline ``{"set": True, ...}`` where the model never holds None.
    inline_set: bool = False
    #: The name of the version component holding ``schema`` (the no-value numbers).
    component: str = ""


def _no_val(fmt: str, kind: str = "integer") -> Schema:
    return {
        "type": "object",
        "properties": {
            "set": {"type": "boolean"},
            "infinite": {"type": "boolean"},
            "number": {"type": kind, "format": fmt},
        },
    }


SCALARS: dict[str, Codec] = {
    "s": Codec({"type": "string"}),
    "b": Codec({"type": "boolean"}),
    "i": Codec({"type": "integer"}),
    "i32": Codec({"type": "integer", "format": "int32"}),
    "i64": Codec({"type": "integer", "format": "int64"}),
    "n": Codec({"type": "number"}),
    "nd": Codec({"type": "number", "format": "double"}),
    "o": Codec({"type": "object"}),
    # Printed as strings whatever the model holds (v0.0.36-v0.0.38 declare some so).
    "t": Codec({"type": "string"}, helper="text"),
    # A name or a number (22.05's slurmdb plugins: a step id, "batch" or 0).
    "si": Codec({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
    "u16n": Codec(_no_val("int32"), "number", True, "uint16_no_val"),
    "u32n": Codec(_no_val("int32"), "number", True, "uint32_no_val"),
    "u64n": Codec(_no_val("int64"), "number", True, "uint64_no_val"),
    "i32n": Codec(_no_val("int32"), "number", True, "int32_no_val"),
    "i64n": Codec(_no_val("int64"), "number", True, "int64_no_val"),
    "f64n": Codec(_no_val("double", "number"), "floating", True, "float64_no_val"),
    # Limits: None (not set) is printed as infinite, as slurmdbd keeps an unset limit.
    "u32l": Codec(_no_val("int32"), "limit", True, "uint32_no_val"),
    "u64l": Codec(_no_val("int64"), "limit", True, "uint64_no_val"),
    "f64l": Codec(_no_val("double", "number"), "limit_float", True, "float64_no_val"),
    "csv": Codec({"type": "array", "items": {"type": "string"}}, "csv", False, "csv_string"),
    "hostlist": Codec(
        {"type": "array", "items": {"type": "string"}}, "csv", False, "hostlist_string"
    ),
}

HELPERS: dict[str, Callable[..., Any]] = {
    "number": number,
    "floating": floating,
    "limit": limit,
    "limit_float": limit_float,
    "csv": csv,
    "text": text,
}


def scalar(code: str) -> Codec | None:
    """The codec of ``code`` ("u32n", "s=A,B", "s=#enum"), None for a record."""
    return SCALARS.get(code.split("=", 1)[0])
