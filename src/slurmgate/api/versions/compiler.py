"""Render functions generated from a version's records: the table is the renderer.

For each record and model class the compiler writes one Python function that builds the
answer's dict in a single expression (``{"job_id": o.job_id, "time_limit": number(...), ...}``)
and compiles it. Rendering thus costs what a hand-written dict literal costs, while what is
printed stays data. Sources are checked against the model's type hints when the function is
built: a misspelt attribute or view fails at start-up, not in an answer.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from slurmgate.api.versions.codecs import HELPERS, INFINITE, Infinite, scalar
from slurmgate.api.versions.notation import Field, Record

Render = Callable[[Any], Any]

_NUMBERS = (int, float, bool)
#: Constant sources: what a version prints whatever the model holds.
_LITERALS = {"true": "True", "false": "False", "null": "None", '""': '""', "[]": "[]"}
_UNSET_BY_TYPE = {"string": '""', "boolean": "False", "integer": "0", "number": "0.0"}


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """(the type inside ``X | None``, whether None or INFINITE is possible)."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        inner = [a for a in args if a is not type(None) and a is not Infinite]
        return (inner[0] if len(inner) == 1 else Any), len(inner) != len(args)
    return hint, False


def _element_type(hint: Any) -> Any:
    """The element type of ``list[X]`` or ``tuple[X, ...]``, else Any."""
    args = typing.get_args(_unwrap(hint)[0])
    return args[0] if args else Any


def _model_hints(model: Any) -> dict[str, Any] | None:
    """The types of a model's attributes and properties; None when it has no hints."""
    if model is Any or not isinstance(model, type):
        return None
    try:
        hints = dict(typing.get_type_hints(model))
        for name in dir(model):
            member = getattr(model, name, None)
            if isinstance(member, property) and member.fget is not None:
                hints[name] = typing.get_type_hints(member.fget).get("return", Any)
    except (NameError, TypeError):
        return None
    return hints


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class Compiler:
    """Turns the records of one version into render functions, each compiled once."""

    def __init__(self, records: Mapping[str, Record], views: Mapping[str, Callable[..., Any]]):
        self._records = records
        self._views = views
        self._namespace: dict[str, Any] = {**HELPERS, "INFINITE": INFINITE}
        self._done: dict[tuple[int, Any, str], str] = {}
        #: The generated source of each function, by name (to read what a table became).
        self.sources: dict[str, str] = {}

    def render(self, name: str, model: Any, hints: Mapping[str, Any] | None = None) -> Render:
        """The function printing ``model`` objects as the record ``name``; ``hints`` give
        the types of attributes the model declares too loosely (an answer's ``items``)."""
        record = self._records[name]
        function: Render = self._namespace[self._function(record, model, name, dict(hints or {}))]
        return function

    # -- functions ---------------------------------------------------------------------------

    def _function(
        self, record: Record, model: Any, label: str, hints: dict[str, Any] | None = None
    ) -> str:
        key = (id(record), model, repr(sorted((hints or {}).items())))
        if key in self._done:
            return self._done[key]
        name = f"r{len(self._done)}_{label.replace('.', '_')}"
        self._done[key] = name  # before the body: a record may contain itself
        body, optional = self._dict(record, model, "o", label, hints or {})
        lines = [f"def {name}(o):"]
        if optional:
            lines.append(f"    d = {body}")
            for item, expr, hint in optional:
                value = self._encode(item, "v", hint)
                lines += [f"    v = {expr}", f"    if v is not None: d[{item.name!r}] = {value}"]
            lines.append("    return d")
        else:
            lines.append(f"    return {body}")
        source = "\n".join(lines)
        self.sources[name] = source
        exec(compile(source, f"<{label}>", "exec"), self._namespace)  # noqa: S102
        return name

    def _dict(
        self, record: Record, model: Any, obj: str, label: str, hints: dict[str, Any]
    ) -> tuple[str, list[tuple[Field, str, Any]]]:
        """The record as a dict display, and its optional keys (expression, type) apart."""
        items: list[str] = []
        optional: list[tuple[Field, str, Any]] = []
        for item in record.fields:
            where = f"{label}.{item.name}"
            if item.optional:
                optional.append((item, *self._source(item, model, obj, where, hints)))
            else:
                items.append(f"{item.name!r}: {self._field(item, model, obj, where, hints)}")
        return "{" + ", ".join(items) + "}", optional

    # -- fields ------------------------------------------------------------------------------

    def _field(self, item: Field, model: Any, obj: str, where: str, hints: dict[str, Any]) -> str:
        if item.source == "-":
            return self._constant(self._unset(item))
        if item.source in _LITERALS:
            return self._constant(_LITERALS[item.source])
        if _is_number(item.source):  # a constant number, printed as the field's type
            number = float(item.source) if "." in item.source else int(item.source)
            return self._constant(self._encode(item, repr(number), type(number)))
        if len(item.source) > 1 and item.source[0] == item.source[-1] == "'":
            return repr(item.source[1:-1])
        if item.record is not None and not item.is_list and item.source in ("", "."):
            # An inline record of the same object: a nested dict display, no call.
            body, optional = self._dict(item.record, model, obj, where, hints)
            if not optional:
                return body
        expr, hint = self._source(item, model, obj, where, hints)
        return self._encode(item, expr, hint)

    def _source(
        self, item: Field, model: Any, obj: str, where: str, overrides: dict[str, Any]
    ) -> tuple[str, Any]:
        """The Python expression of the field's value, and its type."""
        source = item.source
        if source == "." or (source == "" and item.record is not None and not item.is_list):
            return obj, model
        if source.startswith("~"):
            view = self._views.get(source[1:])
            if view is None:
                raise KeyError(f"{where}: there is no view {source[1:]!r}")
            self._namespace[f"V_{source[1:]}"] = view
            return f"V_{source[1:]}({obj})", typing.get_type_hints(view).get("return", Any)
        attribute = source or item.name
        if attribute in overrides:
            return f"{obj}.{attribute}", overrides[attribute]
        hints = _model_hints(model)
        if hints is not None and attribute not in hints:
            raise KeyError(f"{where}: {model.__name__} has no attribute {attribute!r}")
        return f"{obj}.{attribute}", (hints or {}).get(attribute, Any)

    def _encode(self, item: Field, expr: str, hint: Any) -> str:
        if not item.is_list:
            return self._element(item, expr, hint)
        if item.nullable:  # a list printed as null when the value is None
            listed = self._list(item, "v", _unwrap(hint)[0])
            return f"(lambda v: None if v is None else {listed})({expr})"
        return self._list(item, expr, hint)

    def _list(self, item: Field, expr: str, hint: Any) -> str:
        if _unwrap(hint)[1]:  # a list the model may hold as None (not set): printed empty
            expr = f"({expr} or ())"
        for _ in range(item.depth):  # the type of the innermost values
            hint = _element_type(hint)
        element = self._element(item, "x", hint)
        if element == "x" and item.depth == 1:
            return expr
        if item.depth > 2:
            raise ValueError(f"{item.name}: lists of lists of lists are not supported")
        if item.depth == 2:
            return f"[[{element} for x in y] for y in {expr}]"
        return f"[{element} for x in {expr}]"

    def _element(self, item: Field, expr: str, hint: Any) -> str:
        inner, nullable = _unwrap(hint)
        base = item.base_type
        codec = scalar(base)
        if codec is None:  # a record, named or inline
            record = item.record if item.record is not None else self._named(base, item.name)
            if inner is dict or typing.get_origin(inner) is dict:
                return expr  # a view that builds the record's dict itself

            function = self._function(record, inner, base.strip("@{}"))
            if nullable or inner is Any:
                # The value named once: a view is called once per row, not twice.
                name = f"_n{len(self._namespace)}"
                self._namespace[name] = None  # reserves the name
                return f"(None if ({name} := {expr}) is None else {function}({name}))"
            return f"{function}({expr})"
        if codec.inline_set and inner in _NUMBERS and not nullable:
            return f'{{"set": True, "infinite": False, "number": {expr}}}'
        return f"{codec.helper}({expr})" if codec.helper else expr

    def _constant(self, expr: str) -> str:
        """A value every row prints alike, made once and shared: rows are serialised, never
        changed, so one object serves them all. Empty lists are tuples (printed alike)."""
        if expr in ("None", "True", "False", '""', "0", "0.0"):
            return expr
        value = eval(expr.replace("[]", "()"), dict(self._namespace))  # noqa: S307 - our tables
        name = f"C{len(self._namespace)}"
        self._namespace[name] = value
        return name

    def _named(self, base: str, where: str) -> Record:
        name = base.removeprefix("@")
        if name not in self._records:
            raise KeyError(f"{where}: there is no record {name!r}")
        return self._records[name]

    @staticmethod
    def _unset(item: Field) -> str:
        """What a field slurmgate does not model prints: the type's unset value."""
        codec = scalar(item.base_type)
        if item.is_list:
            return "[]"
        if codec is None or item.nullable:
            return "None"
        if codec.helper in ("number", "floating", "limit", "limit_float"):
            return f"{codec.helper}(None)"
        kind = codec.schema.get("type", "")
        if kind == "object":
            return "{}"
        if kind == "array":
            return "[]"
        return _UNSET_BY_TYPE[kind]
