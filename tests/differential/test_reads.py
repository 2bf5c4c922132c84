"""GET of every endpoint both daemons serve, in every version: the same answer from both."""

from __future__ import annotations

import pytest

from tests.differential.pair import (
    RESOLVER,
    VERSIONS,
    Daemons,
    assert_alike,
    assert_reads_alike,
    documented,
    legacy,
    response_schema,
)
from tests.support.lab import Lab

#: Endpoint -> the list its answer carries, which must not be empty on the lab cluster.
LISTINGS = {
    "diag": "statistics",
    "ping": "pings",
    "jobs": "jobs",
    "nodes": "nodes",
    "partitions": "partitions",
    "reservations": "reservations",
    "licenses": "licenses",
    "shares": "shares",
    "jobs/state": "jobs",
}


def _by_version(
    templates: list[str], *, is_documented: bool = True, versions: tuple[str, ...] = VERSIONS
) -> list[object]:
    return [
        pytest.param(version, template, id=f"{version}-{template}")
        for version in versions
        for template in templates
        if documented(version, "GET", template) == is_documented
    ]


@pytest.mark.parametrize(("version", "template"), _by_version(list(LISTINGS)))
def test_listing(
    alice: Daemons, version: str, template: str, alices_job: int, bobs_job: int
) -> None:
    both = assert_reads_alike(alice, version, template)
    assert both.restd.body[LISTINGS[template]], f"nothing to compare: {both.restd}"
    if template.startswith("jobs"):  # someone else's jobs are listed too
        listed = {str(job["job_id"]) for job in both.gate.body["jobs"]}
        assert {str(alices_job), str(bobs_job)} <= listed


@pytest.mark.parametrize("version", [v for v in VERSIONS if documented(v, "GET", "jobs/state")])
def test_chosen_jobs_states(alice: Daemons, version: str, alices_job: int, bobs_job: int) -> None:
    chosen = {"job_id": [str(alices_job), str(bobs_job)]}  # job_id=1&job_id=2
    both = assert_reads_alike(alice, version, "jobs/state", params=chosen)
    assert [job["job_id"] for job in both.gate.body["jobs"]] == [str(alices_job), str(bobs_job)]


@pytest.mark.parametrize("version", [v for v in VERSIONS if documented(v, "GET", "shares")])
def test_shares_of_one_user(alice: Daemons, version: str) -> None:
    """The daemons never read shares' filters (they look for them among the path's
    parameters, not the query's: a bug slurmgate does not copy); slurmgate lists the user's
    associations and those above them, each as the daemon lists it."""
    both = alice.both("GET", version, "shares", params={"users": alice.user})
    everything = alice.both("GET", version, "shares")
    assert both.restd.status == both.gate.status == 200, both
    assert both.restd.body["shares"] == everything.restd.body["shares"]
    theirs = {entry["id"]: entry for entry in both.restd.body["shares"]["shares"]}
    ours = both.gate.body["shares"]["shares"]
    listed = {(entry["name"], entry["type"][0]) for entry in ours}
    assert ("root", "ASSOCIATION") in listed and (alice.user, "USER") in listed
    assert not any(kind == "USER" and name != alice.user for name, kind in listed)
    schema = response_schema(version, "GET", "shares")
    entry_schema = RESOLVER.items(
        RESOLVER.property(RESOLVER.property(schema, "shares")[0], "shares")[0]
    )
    for entry in ours:
        assert_alike(f"{both.request}: {entry['name']}", version, theirs[entry["id"]], entry,
                     entry_schema, root="$.shares.shares[]")  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS)
def test_job(alice: Daemons, version: str, alices_job: int) -> None:
    both = assert_reads_alike(alice, version, "job/{job_id}", job_id=alices_job)
    assert [str(job["job_id"]) for job in both.gate.body["jobs"]] == [str(alices_job)]


@pytest.mark.parametrize("version", VERSIONS)
def test_someone_elses_job(alice: Daemons, version: str, bobs_job: int) -> None:
    assert_reads_alike(alice, version, "job/{job_id}", job_id=bobs_job)


@pytest.mark.parametrize("version", VERSIONS)
def test_node(alice: Daemons, lab: Lab, version: str) -> None:
    both = assert_reads_alike(alice, version, "node/{node_name}", node_name=lab.node)
    assert [node["name"] for node in both.gate.body["nodes"]] == [lab.node]


@pytest.mark.parametrize("name", ["debug", "gpu", "short"])
@pytest.mark.parametrize("version", VERSIONS)
def test_partition(alice: Daemons, version: str, name: str) -> None:
    both = assert_reads_alike(alice, version, "partition/{partition_name}", partition_name=name)
    assert [p["name"] for p in both.gate.body["partitions"]] == [name]


@pytest.mark.parametrize(
    "version", [v for v in VERSIONS if documented(v, "GET", "reservation/{reservation_name}")]
)
def test_reservation(alice: Daemons, version: str) -> None:
    both = assert_reads_alike(
        alice, version, "reservation/{reservation_name}", reservation_name="maint"
    )
    assert [r["name"] for r in both.gate.body["reservations"]] == ["maint"]


@pytest.mark.parametrize(
    ("version", "template"),
    _by_version(
        ["reservations", "reservation/{reservation_name}", "licenses"],
        is_documented=False,
        versions=tuple(v for v in VERSIONS if legacy(v)),
    ),
)
def test_endpoint_outside_the_version(alice: Daemons, version: str, template: str) -> None:
    both = alice.both("GET", version, template.format(reservation_name="maint"))
    assert (both.restd.status, both.gate.status) == (404, 404), both
