"""``?update_time=T``: listings unchanged since T, as each version answers them.

v0.0.36 ignores it; v0.0.37 and v0.0.38 answer 304 Not Modified for jobs, nodes, partitions
and reservations; 24.11's v0.0.40 and v0.0.41 refuse every numeric update_time (a daemon bug
slurmgate does not copy: it answers the empty list); from v0.0.42 on nodes, partitions and
reservations answer 304 and jobs an empty list with a warning. Licenses never read it.
"""

from __future__ import annotations

import time

import pytest

from tests.differential.known import error_explained
from tests.differential.pair import (
    RELEASE,
    VERSIONS,
    Daemons,
    assert_alike,
    assert_reads_alike,
    documented,
    legacy,
    response_schema,
)

LISTINGS = ("jobs", "nodes", "partitions", "reservations", "licenses")
#: A time after every change: nothing changed since.
LATER = str(int(time.time()) + 24 * 3600)


def _refused(version: str) -> bool:
    """Where slurmrestd refuses every numeric update_time (known.ERRORS: a daemon bug)."""
    return error_explained("numeric update_time", version, RELEASE, [])


def _params(*, refused: bool = False) -> list[object]:
    return [
        pytest.param(version, listing, id=f"{version}-{listing}")
        for version in VERSIONS
        for listing in LISTINGS
        if documented(version, "GET", listing) and _refused(version) == refused
    ]


def _not_modified(version: str, listing: str) -> bool:
    """Whether an unchanged listing answers 304 in this version."""
    if version == "v0.0.36" or listing == "licenses":
        return False
    return legacy(version) or listing != "jobs"


@pytest.mark.parametrize(("version", "listing"), _params())
def test_unchanged_since(alice: Daemons, version: str, listing: str, alices_job: int) -> None:
    if _not_modified(version, listing):
        both = alice.both("GET", version, listing, params={"update_time": LATER})
        assert (both.restd.status, both.gate.status) == (304, 304), both
        assert both.gate.text == ""
        return
    if version == "v0.0.36" or listing == "licenses":  # update_time is not read: all listed
        both = assert_reads_alike(alice, version, listing, params={"update_time": LATER})
        assert both.gate.body[listing]
        return
    both = alice.both("GET", version, listing, params={"update_time": LATER})
    assert (both.restd.status, both.gate.status) == (200, 200), both
    assert both.gate.body["jobs"] == [] and both.gate.body["warnings"], both.gate
    assert_alike(both.request, version, both.restd.body, both.gate.body,
                 response_schema(version, "GET", listing))  # fmt: skip


@pytest.mark.parametrize(("version", "listing"), _params())
def test_changed_since(alice: Daemons, version: str, listing: str, alices_job: int) -> None:
    both = assert_reads_alike(alice, version, listing, params={"update_time": "1"})
    assert both.gate.body[listing]


@pytest.mark.parametrize(("version", "listing"), _params(refused=True))
def test_refused_by_the_daemon(alice: Daemons, version: str, listing: str) -> None:
    both = alice.both("GET", version, listing, params={"update_time": LATER})
    if listing == "licenses":  # not read
        assert (both.restd.status, both.gate.status) == (200, 200), both
        return
    assert both.restd.status in (422, 500), f"slurmrestd: {both.restd}"
    assert both.restd.body["errors"][0]["error_number"] == 9202  # ESLURM_DATA_CONV_FAILED
    assert both.gate.status == 200, alice.explain(both.gate)
    assert both.gate.body[listing] == []
