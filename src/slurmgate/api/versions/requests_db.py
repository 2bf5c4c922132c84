"""slurmdb request bodies of v0.0.40 and later -> the accounting model, read through the same
records that print the answers.

A record's field names its model attribute (its source) either way: an inline record of the
object itself fills the same object, one with a source fills that attribute's model (an
association's ``limits``), a list of records a tuple of models. What the model has no place
for is accepted with a warning, as the daemons warn of keys they ignore. A limit given as
infinite is -1 (Slurm's way to remove it); one given as unset is left as it is.
"""

from __future__ import annotations

import typing
from dataclasses import is_dataclass
from typing import Any

from slurmgate.api.versions.codecs import Infinite
from slurmgate.api.versions.notation import Field, Record
from slurmgate.api.versions.requests_values import (
    Reading,
    conversion_error,
    read_list,
    read_scalar,
    read_string,
    shown,
)
from slurmgate.domain.associations import AdminLevel

# Render-only views and the attribute a body's value of them sets.
_READ_AS = {
    "db_admin_level": "admin_level",
    "db_user_flags": "",
    "db_comment": "comment",
    "db_default_qos": "default_qos",
    "db_qos_names": "qos",
    "db_association_default": "is_default",
    "db_shares": "shares",
    "db_grace_time": "grace_time",
    "db_qos_flags": "flags",
    "db_qos_preempt": "preempt",
    "db_qos_preempt_mode": "preempt_mode",
    "db_qos_description": "description",
    "db_tres_count": "count",
    # dbv0.0.36-dbv0.0.38 (views_db_legacy.py)
    "admin_level": "admin_level",
    "partition_or_null": "partition",
    "user_or_null": "user",
    "parent_account_or_null": "parent_account",
    "default_qos_or_null": "default_qos",
    "association_qos": "qos",
    "association_qos_ids": "qos",
    "association_is_default": "is_default",
    "coordinator_direct": "direct",
    "tres_name": "name",
    "tres_count": "count",
    "qos_flags": "flags",
    "qos_preempt": "preempt",
    "qos_preempt_mode": "preempt_mode",
}


def _unwrap(hint: Any) -> Any:
    """The type inside ``X | None``."""
    args = typing.get_args(hint)
    if type(None) in args:
        inner = [a for a in args if a is not type(None)]
        return inner[0] if len(inner) == 1 else Any
    return hint


def _element(hint: Any) -> Any:
    args = typing.get_args(_unwrap(hint))
    return args[0] if args else Any


def build(
    body: object,
    record: Record,
    model: type,
    path: str,
    reading: Reading,
    record_name: str,
    *,
    nested: str = "",
    **defaults: Any,
) -> Any:
    """``model`` made of ``body`` read as ``record`` (named ``record_name``: "assoc"). With
    ``nested``, fields the model lacks fill that attribute's model (assoc_rec_set's flat
    limits)."""
    values: dict[str, Any] = dict(defaults)
    if nested:
        inner = _unwrap(typing.get_type_hints(model)[nested])
        inner_names = set(typing.get_type_hints(inner))
        values[nested] = {}
        own = Record(tuple(f for f in record.fields if (f.source or f.name) not in inner_names))
        limits = Record(tuple(f for f in record.fields if (f.source or f.name) in inner_names))
        _fill(body, own, model, values, path, reading, record_name, also=set(limits.names))
        _fill(body, limits, inner, values[nested], path, reading, record_name, also=set(own.names))
    else:
        _fill(body, record, model, values, path, reading, record_name)
    return _make(model, values, path)


def _make(model: type, values: dict[str, Any], path: str) -> Any:
    hints = typing.get_type_hints(model)
    ready = {}
    for key, value in values.items():
        if isinstance(value, dict):  # a nested model filled by several records (limits)
            value = _make(_unwrap(hints[key]), value, path)
        ready[key] = value
    try:
        return model(**ready)
    except TypeError as exc:  # a required field left out
        missing = str(exc).rsplit(":", 1)[-1].strip()
        raise conversion_error(path, f"Missing required field {missing}") from None


def _fill(
    body: object,
    record: Record,
    model: type,
    values: dict[str, Any],
    path: str,
    reading: Reading,
    name: str,
    also: set[str] | None = None,
) -> None:
    """``values`` of ``model`` from ``body``; keys neither ``record`` nor ``also`` knows are
    warned of."""
    if not isinstance(body, dict):
        raise conversion_error(path, f"Expected object but got {shown(body)}")
    hints = typing.get_type_hints(model)
    for item in record.fields:
        if item.name in body and body[item.name] is not None:
            _field(item, body[item.name], model, hints, values, f"{path}{item.name}/", reading)
    known = set(record.names) | (also or set())
    for key, value in body.items():
        if key not in known:
            reading.unknown(f"{path}{key}/", key, value, name.upper())


def _ignored(path: str, item: Field, reading: Reading) -> None:
    reading.warn(path, f'"{item.name}" is accepted but not supported by slurmgate; ignored')


def _field(
    item: Field,
    value: object,
    model: type,
    hints: dict[str, Any],
    values: dict[str, Any],
    path: str,
    reading: Reading,
) -> None:
    source = item.source
    if item.record is not None and not item.is_list and source in ("", "."):
        _fill(value, item.record, model, values, path, reading, item.name)
        return
    if source == "." and item.base_type[1:] in reading.records:  # a named record of the same
        _fill(value, reading.records[item.base_type[1:]], model, values, path, reading, item.name)
        return
    if source.startswith("~"):
        attribute = _READ_AS.get(source[1:], "")
        if not attribute or attribute not in hints:
            _ignored(path, item, reading)
            return
        values[attribute] = _converted(attribute, hints[attribute], item, value, path, reading)
        return
    attribute = source or item.name
    if attribute not in hints or source in ("-", "[]"):
        _ignored(path, item, reading)
        return
    hint = hints[attribute]
    nested = item.record or (
        reading.records.get(item.base_type[1:]) if item.base_type.startswith("@") else None
    )
    if nested is not None:
        inner = _element(hint) if item.is_list else _unwrap(hint)
        if item.is_list:
            if not isinstance(value, list):
                raise conversion_error(path, f"Expected array but got {shown(value)}")
            values[attribute] = tuple(
                build(v, nested, inner, f"{path}{i}/", reading, item.name)
                for i, v in enumerate(value)
            )
        elif is_dataclass(inner) and isinstance(inner, type):
            merged = values.setdefault(attribute, {})
            _fill(value, nested, inner, merged, path, reading, item.name)
        return
    values[attribute] = _converted(attribute, hint, item, value, path, reading)


def _converted(
    attribute: str, hint: Any, item: Field, value: object, path: str, reading: Reading
) -> object:
    if attribute == "admin_level":
        names = read_list(value, path, reading) if isinstance(value, list) else [str(value)]
        for level in AdminLevel:
            if names and level.value.lower() == names[0].lower():
                return level
        raise conversion_error(path, f"Unknown administrator level {shown(value)}")
    if item.source.startswith("~") and typing.get_origin(_unwrap(hint)) is tuple:
        return tuple(read_list(value, path, reading))
    if item.source.startswith("~") and _unwrap(hint) is str:
        return read_string(value, path, reading)
    read = read_scalar(item, value, path, reading)
    if isinstance(read, Infinite):
        return -1  # no limit
    if isinstance(read, list):
        return tuple(read)
    return read
