"""The notation the version tables are written in: records of typed fields mapped to the model.

A record is written as whitespace-separated tokens ``name:type`` or ``name:type=source``:

- ``type``: ``s`` string, ``b`` boolean, ``i`` ``i32`` ``i64`` integers, ``n`` ``nd`` numbers,
  ``o`` a free-form object; ``s=A,B`` a string of those values; ``s=#name`` a string of the
  version's enum ``name``; ``u16n`` ``u32n`` ``u64n`` ``i32n`` ``i64n`` ``f64n`` numbers that
  may be unset or infinite (``{"set", "infinite", "number"}`` from v0.0.40 on); ``csv`` a
  comma-separated string printed as a list; ``[type]`` an array; ``@name`` the version's
  record ``name``; ``{name}`` an inline record given by keyword. Codecs of the older versions
  (numbers that the daemon prints as ``null`` when unset, ...) are listed in ``codecs.py``.
- ``source``: where the value comes from. Absent, the model's attribute of the same name (for
  an inline record: the object itself). An attribute name; ``~view`` a function of
  ``views.py`` applied to the object; ``.`` the object itself; ``-`` nothing slurmgate models,
  printed as the type's unset value.
- A ``?`` after the name marks a key the answer leaves out when its value is ``None``; a type
  ending in ``|null`` is printed as ``null`` when its value is ``None`` (as the old versions
  print unset values).
- Constant sources: ``true``, ``false``, ``null``, numbers, ``""``, ``[]`` and ``'text'``.

A later version is written as its differences from the one before (``Record.evolve``), so the
tables say exactly what each version changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

_TOKEN = re.compile(r"(?P<name>[^\s:?]+)(?P<optional>\?)?:(?P<type>[^\s=]+)(?:=(?P<source>\S+))?")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    #: "" (the attribute named ``name``), an attribute, "~view", "." or "-".
    source: str = ""
    #: The inline record of a ``{name}`` type.
    record: Record | None = None
    #: Left out of the answer when its value is None.
    optional: bool = False
    #: Printed as null when its value is None (declared ``nullable``).
    nullable: bool = False

    @property
    def base_type(self) -> str:
        """The type without its array brackets."""
        return self.type.strip("[]")

    @property
    def is_list(self) -> bool:
        return self.type.startswith("[")

    @property
    def depth(self) -> int:
        """How many arrays deep the values are: 0 for a value, 2 for a list of lists."""
        return len(self.type) - len(self.type.lstrip("["))


@dataclass(frozen=True, slots=True)
class Record:
    """An object schema: its fields in the order they are printed."""

    fields: tuple[Field, ...]
    #: Keys the version's document requires.
    required: tuple[str, ...] = ()
    #: Extra OpenAPI keywords (``additionalProperties``, a description, ...).
    extra: dict[str, Any] = field(default_factory=dict)
    #: Each field's name -> its place in ``fields``, made once: a request body is read by
    #: looking up its few keys, not by walking every field of the record.
    positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        positions = {f.name: i for i, f in enumerate(self.fields)}
        if len(positions) != len(self.fields):
            raise ValueError(f"a record names a field twice: {[f.name for f in self.fields]}")
        object.__setattr__(self, "positions", positions)

    def field(self, name: str) -> Field:
        if name not in self.positions:
            raise KeyError(name)
        return self.fields[self.positions[name]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def evolve(
        self,
        fields: str = "",
        *,
        drop: str = "",
        rename: dict[str, str] | None = None,
        required: tuple[str, ...] | None = None,
        **inline: Record,
    ) -> Record:
        """This record with ``drop`` removed, ``rename`` applied (old -> new key, same place),
        and ``fields`` retyped in place or added at the end."""
        dropped = set(drop.split())
        unknown = dropped - set(self.names)
        if unknown:
            raise KeyError(f"cannot drop {sorted(unknown)}: not fields of the record")
        renames = rename or {}
        kept = [
            replace(f, name=renames[f.name]) if f.name in renames else f
            for f in self.fields
            if f.name not in dropped
        ]
        index = {f.name: i for i, f in enumerate(kept)}
        for new in parse_fields(fields, inline):
            if new.name in index:
                kept[index[new.name]] = new
            else:
                index[new.name] = len(kept)
                kept.append(new)
        return Record(
            tuple(kept),
            self.required if required is None else required,
            dict(self.extra),
        )


def parse_fields(text: str, inline: dict[str, Record]) -> list[Field]:
    fields: list[Field] = []
    for token in text.split():
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"not a field: {token!r}")
        type_ = match["type"]
        nullable = type_.endswith("|null")
        type_ = type_.removesuffix("|null")
        record = None
        if type_.strip("[]").startswith("{"):
            record = inline[type_.strip("[]{}")]
        fields.append(
            Field(
                name=match["name"],
                type=type_,
                source=match["source"] or "",
                record=record,
                optional=bool(match["optional"]),
                nullable=nullable,
            )
        )
    return fields


def record(
    fields: str, *, required: tuple[str, ...] = (), extra: dict[str, Any] | None = None,
    **inline: Record,
) -> Record:  # fmt: skip
    """A record from ``name:type[=source]`` tokens; inline records by keyword."""
    return Record(tuple(parse_fields(fields, inline)), required, dict(extra or {}))


def keyed(value: Record) -> Record:
    """An object keyed by ids whose values are ``value`` (the old versions' sockets, cores)."""
    return replace(value, extra={**value.extra, "additionalProperties": True})
