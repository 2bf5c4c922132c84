"""Values of request bodies of v0.0.40 and later, read as their record's fields declare them.

What slurmrestd's data_parser does, and so slurmgate: a key the record does not know is
ignored with a warning; a value of another JSON type that converts ("2" for an integer, an
object for the environment) is converted with a warning; one that does not fails the request
with ESLURM_DATA_CONV_FAILED, naming the field by its JSON path ("#/job/time_limit/"). The
fields are read in their record's order, the unknown keys after them, and the warnings worded,
as the daemons do.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slurmgate.api.versions.codecs import INFINITE, scalar
from slurmgate.api.versions.notation import Field, Record
from slurmgate.domain import InvalidRequest

#: ESLURM_DATA_CONV_FAILED
DATA_CONV_FAILED = 9202


def conversion_error(path: str, message: str) -> InvalidRequest:
    return InvalidRequest(
        message, error_number=DATA_CONV_FAILED, error="Unable to convert Data type", source=path
    )


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


#: data_type_to_string(): Slurm's names of the JSON types.
_SLURM_TYPES = {
    "null": "null",
    "array": "list",
    "object": "dictionary",
    "integer": "64 bit integer",
    "string": "string",
    "number": "floating point number",
    "boolean": "boolean",
}


@dataclass
class Reading:
    """One body being read: its warnings, and the keys that were given (by target)."""

    records: Mapping[str, Record]
    rules: dict[str, Callable[[Any, object, str, Reading], None]]
    warnings: list[str] = field(default_factory=list)
    given: set[str] = field(default_factory=set)
    #: What rules read that has no place in the target (a signal, node names).
    extra: dict[str, Any] = field(default_factory=dict)
    #: Whether a conversion's warning ends with the value given (v0.0.41 on).
    with_values: bool = True

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{path}: {message}")

    def converted(self, path: str, wanted: str, value: object) -> None:
        """A value read as ``wanted`` ("integer format=int32") from another JSON type."""
        got = _json_type(value)
        text = (
            f"Expected OpenAPI type={wanted} (Slurm type={_SLURM_TYPES[wanted.split()[0]]})"
            f" but got OpenAPI type={got} (Slurm type={_SLURM_TYPES[got]})"
        )
        if self.with_values:
            text += ": " + json.dumps(value, separators=(",", ":"))
        self.warn(path, text)

    def unknown(self, path: str, key: str, value: object, parser: str) -> None:
        """A key ``parser``'s record does not know; an object's keys, each (as the daemons)."""
        if isinstance(value, dict):
            for inner, item in value.items():
                self.unknown(f"{path}{inner}/", inner, item, parser)
            return
        kind = _SLURM_TYPES[_json_type(value)]
        self.warn(path, f'Ignoring unknown field "{key}" of type {kind} in DATA_PARSER_{parser}')


# -- scalar values ---------------------------------------------------------------------------

_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def read_integer(value: object, path: str, reading: Reading, wanted: str | None = "integer") -> int:
    """An integer; converted from a number or text with a warning (none if ``wanted`` is
    None: a number object's number, which the daemons read from text silently)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _INTEGER.fullmatch(value)
    ):
        if wanted is not None:
            reading.converted(path, wanted, value)
        return int(value)
    raise conversion_error(path, f"Expected integer but got {shown(value)}")


def read_number(value: object, path: str, reading: Reading, wanted: str = "number") -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            reading.converted(path, wanted, value)
            return number
    raise conversion_error(path, f"Expected number but got {shown(value)}")


def read_string(value: object, path: str, reading: Reading) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | bool):
        reading.converted(path, "string", value)
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise conversion_error(path, f"Expected string but got {shown(value)}")


def read_boolean(value: object, path: str, reading: Reading) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in _BOOLEANS:
        reading.converted(path, "boolean", value)
        return _BOOLEANS[str(value).strip().lower()]
    raise conversion_error(path, f"Expected boolean but got {shown(value)}")


def read_no_val(value: object, path: str, reading: Reading) -> object:
    """A number that may be unset (None) or infinite (INFINITE): a number, or the object
    ``{"set", "infinite", "number"}``."""
    if isinstance(value, dict):
        if value.get("infinite") is True:
            return INFINITE
        if value.get("set") is False:
            return None
        if "number" not in value:
            raise conversion_error(path, f"Expected a number object but got {shown(value)}")
        return read_integer(value["number"], f"{path}number/", reading, None)
    return read_integer(value, path, reading, None)


def read_list(value: object, path: str, reading: Reading) -> list[str]:
    if isinstance(value, str):
        reading.converted(path, "array", value)
        return [item for item in value.split(",") if item]
    if not isinstance(value, list):
        raise conversion_error(path, f"Expected array but got {shown(value)}")
    return [read_string(item, f"{path}{i}/", reading) for i, item in enumerate(value)]


def shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


#: What each integer type holds, below Slurm's NO_VAL and INFINITE for the unsigned ones (the
#: store keeps int64).
_RANGES = {
    "i32": (-(2**31), 2**31 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "i": (-(2**63), 2**63 - 1),
    "u16n": (0, 0xFFFD),
    "u32n": (0, 0xFFFFFFFD),
    "u64n": (0, 2**63 - 1),
    "i32n": (-(2**31), 2**31 - 1),
    "i64n": (-(2**63), 2**63 - 1),
}


def _in_range(number: object, code: str, path: str) -> object:
    low, high = _RANGES.get(code, (-(2**63), 2**63 - 1))
    if isinstance(number, int) and not low <= number <= high:
        raise conversion_error(path, f"{number} is out of range ({low} to {high})")
    return number


#: How a value of one field type is read: (value, path, reading) -> the value for the model.
ScalarReader = Callable[[object, str, "Reading"], object]


def read_scalar(item: Field, value: object, path: str, reading: Reading) -> object:
    return _scalar_reader(item.type)(value, path, reading)


@functools.cache
def _scalar_reader(type_: str) -> ScalarReader:
    """The reader of a field type ("[s]", "u32n", "s=#enum"), worked out once per type: a
    submission reads a few fields, and the type's codec decides the same way each time."""
    is_list = type_.startswith("[")
    code = type_.strip("[]").split("=", 1)[0]
    if is_list or code in ("csv", "hostlist"):
        joined = not is_list

        def listed(value: object, path: str, reading: Reading) -> object:
            items = read_list(value, path, reading)
            return ",".join(items) if joined else items

        return listed
    codec = scalar(code)
    if codec is not None and codec.helper in ("number", "floating", "limit", "limit_float"):
        return lambda value, path, reading: _in_range(read_no_val(value, path, reading), code, path)
    schema = codec.schema if codec is not None else {"type": "object"}
    kind = schema.get("type", "object")
    wanted = kind + (f" format={schema['format']}" if "format" in schema else "")
    if kind == "integer":
        return lambda value, path, reading: _in_range(
            read_integer(value, path, reading, wanted), code, path
        )
    if kind == "number":
        return lambda value, path, reading: read_number(value, path, reading, wanted)
    if kind == "boolean":
        return read_boolean
    if kind == "string":
        return read_string
    return lambda value, path, reading: value


# -- records ---------------------------------------------------------------------------------


def read_record(
    body: object, record: Record, target: Any, path: str, reading: Reading, name: str
) -> None:
    """Every key of ``body`` into ``target`` as the fields of ``record`` (named ``name``,
    "job_desc_msg") say: in the record's order, then the keys it does not know."""
    if not isinstance(body, dict):
        raise conversion_error(path, f"Expected object but got {shown(body)}")
    positions = record.positions
    for place in sorted(positions[key] for key in body if key in positions):
        item = record.fields[place]
        _read_field(item, body[item.name], target, f"{path}{item.name}/", reading)
    for key, value in body.items():
        if key not in positions:
            reading.unknown(f"{path}{key}/", key, value, name.upper())


def _read_field(item: Field, value: object, target: Any, where: str, reading: Reading) -> None:
    if value is None:  # null reads as "not given"
        return
    if item.source == "-":
        reading.warn(where, f'"{item.name}" is accepted but not supported by slurmgate; ignored')
        return
    if item.source.startswith("~"):
        reading.rules[item.source[1:]](target, value, where, reading)
        reading.given.add(item.source[1:])
        return
    attribute = item.source or item.name
    setattr(target, attribute, read_scalar(item, value, where, reading))
    reading.given.add(attribute)
