"""GET of the /slurmdb/ reads both daemons serve, in every version both serve: the same answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.differential.pair import OURS, VERSIONS, Daemons, differences, legacy

#: Reads whose records do not move while the tests run (no job history: others' jobs end).
READS = ("accounts", "users", "associations", "qos", "tres", "clusters")


def _schema(version: str, template: str) -> dict[str, Any]:
    operation = OURS["paths"][f"/slurmdb/{version}/{template}/"]["get"]
    schema: dict[str, Any] = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


@pytest.mark.parametrize(
    ("version", "template"),
    [
        pytest.param(version, template, id=f"{version}-{template}")
        for version in VERSIONS
        if not legacy(version)
        for template in READS
    ],
)
def test_slurmdb_read(alice: Daemons, version: str, template: str) -> None:
    path = f"/slurmdb/{version}/{template}/"
    restd, gate = alice.restd("GET", path), alice.gate("GET", path)
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, alice.explain(gate)
    found = differences(version, restd.body, gate.body, _schema(version, template))
    assert not found, "\n".join(str(d) for d in found)
