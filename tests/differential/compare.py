"""Side-by-side comparison of two JSON documents: slurmrestd's answer and slurmgate's.

``compare`` walks both documents together and returns every difference with its JSON path:
a key only one side has, values of different JSON types, or different values. Lists of objects
are matched by a key field (``job_id``, ``name``, ...) rather than by position, so that order
does not matter; lists of scalars are compared as whole values.

Each difference also carries what the official document says at that place (the schema, and
whether the parent object declares the key), so that ``known.py`` can tell the differences
slurmgate makes on purpose from the others.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


class _Missing:
    """The value on the side that has no such key or element."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()

#: Fields that identify an element of a list of objects, in order of preference.
ELEMENT_KEYS = ("job_id", "name", "hostname", "LicenseName", "message_type", "user", "nodename")

_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def json_type(value: Any) -> str:
    """The JSON type of a decoded value; integers and floats are both numbers in JSON."""
    if value is MISSING:
        return "absent"
    return _TYPES.get(type(value), "number")


def show(value: Any, limit: int = 80) -> str:
    text = repr(value) if value is MISSING else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Difference:
    #: Where, with list elements named by their key: ``$.jobs[job_id=17].nice``.
    path: str
    #: The same place with list elements unnamed (``$.jobs[].nice``): what patterns match.
    pattern: str
    daemon: Any
    gateway: Any
    #: The document's schema for this place, if the document describes it.
    schema: Schema | None = None
    #: Whether the parent object's schema declares this key (None: no schema, or not a key).
    declared: bool | None = None

    def __str__(self) -> str:
        return f"{self.path}: slurmrestd {show(self.daemon)}, slurmgate {show(self.gateway)}"


class SchemaResolver:
    """Follows ``$ref`` in an OpenAPI document's components.

    ``fallback`` gives schemas for keys an object does not declare, to compare their types
    (they stay undeclared): the document describes ``meta`` only in some responses.
    """

    def __init__(self, document: dict[str, Any], fallback: dict[str, Schema] | None = None) -> None:
        self.document = document
        self.fallback = fallback or {}

    def resolve(self, schema: Schema | None) -> Schema | None:
        while schema is not None and "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"].get(name)
        return schema

    def property(self, schema: Schema | None, key: str) -> tuple[Schema | None, bool | None]:
        """The schema of ``key`` in an object schema, and whether the schema declares it."""
        schema = self.resolve(schema)
        if schema is None or "properties" not in schema:
            return None, None
        if key not in schema["properties"]:
            return self.resolve(self.fallback.get(key)), False
        return self.resolve(schema["properties"][key]), True

    def items(self, schema: Schema | None) -> Schema | None:
        schema = self.resolve(schema)
        return self.resolve(schema.get("items")) if schema else None


def compare(
    daemon: Any,
    gateway: Any,
    *,
    schema: Schema | None = None,
    resolver: SchemaResolver | None = None,
    volatile: Iterable[str] = (),
    ignore: Iterable[str] = (),
    root: str = "$",
) -> list[Difference]:
    """Every difference between ``daemon`` and ``gateway``.

    ``volatile`` are path patterns (fnmatch, on ``Difference.pattern``) whose values may
    differ: their keys and types are still compared, as is everything below them.
    ``ignore`` are patterns of places not compared at all: neither keys nor values.
    """
    walker = _Walker(
        resolver or SchemaResolver({"components": {"schemas": {}}}),
        tuple(volatile),
        tuple(ignore),
    )
    return list(walker.walk(daemon, gateway, root, root, schema, None))


@dataclass(frozen=True)
class _Walker:
    resolver: SchemaResolver
    volatile: tuple[str, ...]
    ignore: tuple[str, ...]

    def walk(
        self,
        daemon: Any,
        gateway: Any,
        path: str,
        pattern: str,
        schema: Schema | None,
        declared: bool | None,
    ) -> Iterator[Difference]:
        if _matches(pattern, self.ignore):
            return
        schema = self.resolver.resolve(schema)
        if json_type(daemon) != json_type(gateway):
            yield Difference(path, pattern, daemon, gateway, schema, declared)
            if is_positional(daemon) and isinstance(gateway, list):  # compare the elements too
                yield from self._lists(list(daemon.values()), gateway, path, pattern, schema)
        elif isinstance(daemon, dict):
            yield from self._objects(daemon, gateway, path, pattern, schema)
        elif isinstance(daemon, list) and _all_objects(daemon, gateway):
            yield from self._lists(daemon, gateway, path, pattern, schema)
        elif daemon != gateway and not _matches(pattern, self.volatile):
            yield Difference(path, pattern, daemon, gateway, schema, declared)

    def _objects(
        self, daemon: dict[str, Any], gateway: dict[str, Any], path: str, pattern: str, schema: Any
    ) -> Iterator[Difference]:
        for key in [*daemon, *(k for k in gateway if k not in daemon)]:
            child, declared = self.resolver.property(schema, key)
            yield from self.walk(
                daemon.get(key, MISSING),
                gateway.get(key, MISSING),
                f"{path}.{key}",
                f"{pattern}.{key}",
                child,
                declared,
            )

    def _lists(
        self, daemon: list[Any], gateway: list[Any], path: str, pattern: str, schema: Any
    ) -> Iterator[Difference]:
        items = self.resolver.items(schema)
        field = _element_key(daemon, gateway)
        if field is None:  # by position
            for index in range(max(len(daemon), len(gateway))):
                yield from self.walk(
                    daemon[index] if index < len(daemon) else MISSING,
                    gateway[index] if index < len(gateway) else MISSING,
                    f"{path}[{index}]",
                    f"{pattern}[]",
                    items,
                    None,
                )
            return
        # Keys are matched as text: v0.0.36 documents job ids as strings, the daemon prints
        # numbers.
        ours = {str(item[field]): item for item in gateway}
        theirs = {str(item[field]): item for item in daemon}
        for key in [*theirs, *(k for k in ours if k not in theirs)]:
            yield from self.walk(
                theirs.get(key, MISSING),
                ours.get(key, MISSING),
                f"{path}[{field}={key}]",
                f"{pattern}[]",
                items,
                None,
            )


def matches(pattern: str, glob: str) -> bool:
    """Whether a difference's pattern matches a glob, in which ``[]`` (a list's elements) is
    taken literally: ``$.jobs[].job_resources.nodes.allocation[].sockets*``."""
    return fnmatch.fnmatchcase(pattern, glob.replace("[]", "[[]]"))


def _matches(pattern: str, patterns: tuple[str, ...]) -> bool:
    return any(matches(pattern, p) for p in patterns)


def is_positional(value: Any) -> bool:
    """An object keyed "0", "1", ...: how the daemon prints some lists."""
    return isinstance(value, dict) and list(value) == [str(i) for i in range(len(value))]


def _all_objects(*lists: Sequence[Any]) -> bool:
    return any(lists) and all(isinstance(item, dict) for items in lists for item in items)


def _element_key(*lists: list[dict[str, Any]]) -> str | None:
    """The first of ELEMENT_KEYS that every element has, unique within each list."""
    for field in ELEMENT_KEYS:
        if all(
            all(field in item for item in items)
            and len({str(item[field]) for item in items}) == len(items)
            for items in lists
        ):
            return field
    return None


def report(differences: Iterable[Difference]) -> str:
    """One line per difference; the same difference in many list elements is one line."""
    groups: dict[tuple[str, str, str], list[Difference]] = {}
    for d in differences:
        groups.setdefault((d.pattern, show(d.daemon), show(d.gateway)), []).append(d)
    lines = []
    for same in groups.values():
        more = f" (and {len(same) - 1} more like it)" if len(same) > 1 else ""
        lines.append(f"  {same[0]}{more}")
    return "\n".join(lines)
