"""slurmgate's own OpenAPI document: what it lists beyond the versions' records."""

from __future__ import annotations

from typing import Any

import orjson

from slurmgate.api.openapi import build_openapi
from slurmgate.api.versions import VERSIONS
from tests.support.documents import operations

OURS = build_openapi()


def test_the_openapi_document_paths_are_listed() -> None:
    assert {"/openapi", "/openapi.json", "/openapi/v3"} <= set(OURS["paths"])


def test_every_reference_names_a_component() -> None:
    names = set(OURS["components"]["schemas"])

    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
            return found.union(*(refs(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(refs(v) for v in node))
        return set()

    assert refs(OURS) - names == set()


def test_every_version_lists_its_operations() -> None:
    for name, version in VERSIONS.items():
        assert len(operations(OURS, name)) >= len(version.operations())


def test_job_lists_take_slurmgates_filters_as_its_own_parameters() -> None:
    for name in VERSIONS:
        params = OURS["paths"][f"/slurm/{name}/jobs"]["get"]["parameters"]
        own = {p["name"] for p in params if p.get("description", "").startswith("slurmgate:")}
        assert own == {"users", "accounts", "partitions", "states", "job_ids", "name", "limit",
                       "cursor"}  # fmt: skip


def test_the_document_is_json() -> None:
    assert orjson.loads(orjson.dumps(OURS)) == OURS
