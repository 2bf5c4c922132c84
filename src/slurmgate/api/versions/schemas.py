"""The OpenAPI schemas a version's records declare: the document is generated from the tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slurmgate.api.versions.codecs import Schema, scalar
from slurmgate.api.versions.notation import Field, Record


class SchemaWriter:
    """Writes the component schemas of one version.

    ``components`` names the version's shared scalar components by codec ("u32n" ->
    "uint32_no_val_struct"); ``enums`` holds the values of ``s=#name`` enums.
    """

    def __init__(
        self,
        version: str,
        records: Mapping[str, Record],
        components: Mapping[str, str],
        enums: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.version = version
        self.records = records
        self.components = components
        self.enums = enums
        #: Scalar components referred to so far, by full name.
        self.scalars: dict[str, Schema] = {}

    def ref(self, name: str) -> Schema:
        return {"$ref": f"#/components/schemas/{self.version}_{name}"}

    def all(self) -> dict[str, Schema]:
        """Every record of the version and the scalar components they use, by full name."""
        out = {f"{self.version}_{name}": self.record(r) for name, r in self.records.items()}
        out.update(self.scalars)
        return out

    def record(self, record: Record) -> Schema:
        schema: Schema = {
            "type": "object",
            "properties": {f.name: self.field(f) for f in record.fields},
        }
        if record.required:
            schema["required"] = list(record.required)
        optional = [f.name for f in record.fields if f.optional]
        if optional:  # keys an answer leaves out when they have no value
            schema["x-slurmgate-optional"] = optional
        schema.update(record.extra)
        return schema

    def field(self, item: Field) -> Schema:
        schema = self._type(item.base_type, item)
        for _ in range(item.depth):
            schema = {"type": "array", "items": schema}
        if item.nullable:
            schema = {**schema, "nullable": True} if "$ref" not in schema else {
                "allOf": [schema], "nullable": True}  # fmt: skip
        return schema

    def _type(self, code: str, item: Field) -> Schema:
        if code.startswith("@"):
            return self.ref(code[1:])
        if code.startswith("{"):
            if item.record is None:  # pragma: no cover - the notation always attaches it
                raise KeyError(f"{item.name}: inline record missing")
            return self.record(item.record)
        codec = scalar(code)
        if codec is None:
            raise KeyError(f"{item.name}: unknown type {code!r}")
        schema: Schema = dict(codec.schema)
        if "=" in code:
            values = code.split("=", 1)[1]
            schema["enum"] = list(self.enums[values[1:]] if values[0] == "#" else values.split(","))
        component = self.components.get(code.split("=", 1)[0])
        if component:  # a shared component of the version (the no-value numbers, csv_string)
            self.scalars[f"{self.version}_{component}"] = dict(codec.schema)
            return self.ref(component)
        return schema


def resolve_refs(schema: Any, components: Mapping[str, Any]) -> Any:
    """``schema`` with every reference replaced by what it names (for comparisons)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return resolve_refs(components[name], components)
        return {k: resolve_refs(v, components) for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolve_refs(v, components) for v in schema]
    return schema
