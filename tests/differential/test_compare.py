"""The comparison helper and the rules of known.py, on small documents (no cluster needed)."""

from __future__ import annotations

from typing import Any

from tests.differential.compare import MISSING, SchemaResolver, compare, report
from tests.differential.known import unexplained

DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "job": {
                "type": "object",
                "properties": {
                    "job_id": {"type": "string"},
                    "nice": {"type": "string"},
                    "flags": {"type": "array", "items": {"type": "string"}},
                    "mode": {"type": "string"},
                    "cpus": {"type": "integer"},
                    "nodes": {"type": "array", "items": {"type": "object"}},
                },
            },
            "jobs": {
                "type": "object",
                "properties": {
                    "errors": {"type": "array"},
                    "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/job"}},
                },
            },
        }
    }
}
RESOLVER = SchemaResolver(DOCUMENT)
SCHEMA = {"$ref": "#/components/schemas/jobs"}


def paths(daemon: Any, gateway: Any, **kwargs: Any) -> list[str]:
    return [d.path for d in compare(daemon, gateway, resolver=RESOLVER, **kwargs)]


def test_equal_documents_have_no_difference() -> None:
    body = {"jobs": [{"job_id": 1, "flags": ["A"], "nodes": []}], "errors": []}
    assert paths(body, body) == []


def test_every_difference_is_reported_with_its_path() -> None:
    daemon = {"a": 1, "b": {"c": "x", "d": [1, 2]}, "only_daemon": 0}
    gateway = {"a": "1", "b": {"c": "y", "d": [1, 3]}, "only_gateway": 0}
    found = compare(daemon, gateway)
    assert [(d.path, d.daemon, d.gateway) for d in found] == [
        ("$.a", 1, "1"),
        ("$.b.c", "x", "y"),
        ("$.b.d", [1, 2], [1, 3]),
        ("$.only_daemon", 0, MISSING),
        ("$.only_gateway", MISSING, 0),
    ]


def test_integers_and_floats_are_both_numbers() -> None:
    assert paths({"n": 0}, {"n": 0.0}) == []


def test_lists_of_objects_are_matched_by_key_not_position() -> None:
    daemon = {"jobs": [{"job_id": 1, "nice": 0}, {"job_id": 2, "nice": 0}]}
    gateway = {"jobs": [{"job_id": 2, "nice": 5}, {"job_id": 3, "nice": 0}]}
    assert paths(daemon, gateway) == [
        "$.jobs[job_id=1]",
        "$.jobs[job_id=2].nice",
        "$.jobs[job_id=3]",
    ]


def test_objects_without_a_key_are_matched_by_position() -> None:
    assert paths({"x": [{"v": 1}, {"v": 2}]}, {"x": [{"v": 1}]}) == ["$.x[1]"]


def test_volatile_values_may_differ_but_not_their_type_or_presence() -> None:
    volatile = ["$.jobs[].nice"]
    daemon = {"jobs": [{"job_id": 1, "nice": 0}, {"job_id": 2, "nice": 0}]}
    gateway = {"jobs": [{"job_id": 1, "nice": 9}, {"job_id": 2, "nice": "0"}]}
    assert paths(daemon, gateway, volatile=volatile) == ["$.jobs[job_id=2].nice"]
    assert paths(daemon, {"jobs": [{"job_id": 1}, {"job_id": 2, "nice": 0}]}, volatile=volatile)


def test_ignored_places_are_not_compared_at_all() -> None:
    daemon = {"n": [{"name": "a", "cores": {"0": "x"}, "memory": 1}]}
    gateway = {"n": [{"name": "a", "cores": {"1": "x"}, "memory": 2}]}
    assert paths(daemon, gateway, ignore=["$.n[].cores.*"]) == ["$.n[name=a].memory"]


def test_a_list_printed_as_an_object_keyed_by_position_is_compared_element_wise() -> None:
    daemon = {"nodes": {"0": {"memory": 1}, "1": {"memory": 2}}}
    gateway = {"nodes": [{"memory": 1}, {"memory": 3}]}
    assert paths(daemon, gateway) == ["$.nodes", "$.nodes[1].memory"]


def test_a_type_or_key_the_daemon_does_not_print_is_never_explained() -> None:
    daemon: dict[str, Any] = {
        "jobs": [{"job_id": 7, "nice": None, "flags": [], "extra": ""}],
        "errors": [],
    }
    gateway = {"jobs": [{"job_id": "7", "nice": 0, "flags": [], "cpus": 0}], "errors": []}
    found = compare(daemon, gateway, schema=SCHEMA, resolver=RESOLVER)
    assert [d.path for d in unexplained(found)] == [
        "$.jobs[job_id=7].job_id",  # a number printed as a string
        "$.jobs[job_id=7].nice",  # null printed as 0
        "$.jobs[job_id=7].extra",  # a key the daemon prints, left out
        "$.jobs[job_id=7].cpus",  # a key the daemon does not print
    ]


def test_the_report_has_one_line_per_difference_however_many_elements() -> None:
    daemon = {"jobs": [{"job_id": i, "nice": 0} for i in range(5)]}
    gateway = {"jobs": [{"job_id": i, "nice": 1} for i in range(5)]}
    lines = report(compare(daemon, gateway)).splitlines()
    assert lines == ["  $.jobs[job_id=0].nice: slurmrestd 0, slurmgate 1 (and 4 more like it)"]


def test_list_brackets_in_patterns_are_literal() -> None:
    daemon: dict[str, Any] = {"n": [{"name": "a", "s": [{"c": 1}]}]}
    gateway = {"n": [{"name": "a", "s": [{"c": 2}]}]}
    assert paths(daemon, gateway, ignore=["$.n[].s[].c"]) == []
    assert paths(daemon, gateway, ignore=["$.n[].t[].c"]) == ["$.n[name=a].s[0].c"]
