"""POST util/{version}/hostnames and hostlist (v0.0.44 on): host list expressions, both ways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.differential.pair import OURS, VERSIONS, Daemons, assert_alike

UTIL = [v for v in VERSIONS if f"/util/{v}/hostnames" in OURS["paths"]]

CASES = [
    ("hostnames", {"hostlist": "node[1-3,7],gpu[01-02]"}),
    ("hostnames", {"hostlist": ["node1", "node[2-3]"]}),  # a hostlist_string as a list
    ("hostlist", {"hostnames": ["node1", "node2", "node3", "gpu01", "gpu02"]}),
    ("hostlist", {"hostnames": "node1,node2,node4"}),  # as a comma-separated string
]


@pytest.mark.parametrize(("operation", "body"), CASES, ids=lambda v: str(v)[:30])
@pytest.mark.parametrize("version", UTIL)
def test_host_lists(alice: Daemons, version: str, operation: str, body: dict[str, Any]) -> None:
    path = f"/util/{version}/{operation}"
    restd = alice.restd("POST", path, json=body)
    gate = alice.gate("POST", path, json=body)
    assert restd.status == 200, f"slurmrestd: {restd}"
    assert gate.status == 200, alice.explain(gate)
    content = OURS["paths"][path]["post"]["responses"]["200"]["content"]
    assert_alike(f"POST {path}", version, restd.body, gate.body,
                 content["application/json"]["schema"])  # fmt: skip
