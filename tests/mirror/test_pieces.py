"""List answers assembled from records rendered one by one: the same bytes as rendering the
whole answer at once, for every version, view and filter; a change renders what changed."""

from __future__ import annotations

import asyncio
import gzip
import os
import zlib
from dataclasses import dataclass, replace
from typing import Any

import orjson
import pytest

from slurmgate.api.reads import times
from slurmgate.api.versions import VERSIONS
from slurmgate.domain.access import AccessRules, PrivateData
from slurmgate.mirror import RenderCache, Resource, Table
from slurmgate.mirror import stamps as stamps_of
from slurmgate.mirror.pieces import PieceStore, assemble
from slurmgate.mirror.rendered import Built
from slurmgate.mirror.selection import JobQuery, select
from tests.mirror.conftest import Gateway

GZIP = {"Accept-Encoding": "gzip"}


async def quiet(gateway: Gateway) -> None:
    """No background loads from here on (a read loads only what it must), and no rendering
    kept: each answer is assembled from the pieces of the table the mirror now holds."""
    await gateway.app.state.mirror.stop()
    gateway.app.state.responses = RenderCache(1 << 30)


def whole_jobs(gateway: Gateway, version: str, query: JobQuery, viewer: str | None) -> bytes:
    mirror = gateway.app.state.mirror
    table = mirror.latest(Resource.JOBS)
    chosen = select(table.items, query, viewer, mirror._access or AccessRules()).jobs
    when = times(mirror, table)
    answer = VERSIONS[version].jobs(
        chosen,
        gateway.app.state.backend.info,
        last_update=when.last_update,
        last_backfill=when.last_backfill,
    )
    return orjson.dumps(answer)


async def get(gateway: Gateway, path: str, user: str | None = None, **headers: str) -> bytes:
    gateway.app.state.responses = RenderCache(1 << 30)
    answer = await gateway.http.get(path, headers=gateway.headers(user, **headers))
    assert answer.status_code == 200, answer.text
    if headers.get("Accept-Encoding") == "gzip":
        assert answer.headers["content-encoding"] == "gzip"
    return answer.content  # httpx undoes the gzip: its decoder checks the CRC and length


@pytest.fixture
async def queued(gateway: Gateway) -> list[int]:
    ids = [await gateway.submit(f"job-{n % 3}", partition="gpu" if n % 2 else "debug")
           for n in range(12)]  # fmt: skip
    await quiet(gateway)
    await asyncio.sleep(1.1)  # the next load's time is after every submission's
    await gateway.get("jobs")
    return ids


QUERIES = ["", "?name=job-1", "?partitions=gpu&limit=4", "?limit=5&states=PENDING"]


@pytest.mark.parametrize("version", sorted(VERSIONS))
async def test_every_version_answers_what_a_whole_rendering_prints(
    gateway: Gateway, queued: list[int], version: str
) -> None:
    for query in QUERIES:
        parsed = JobQuery.parse(dict(p.split("=") for p in query[1:].split("&") if p))
        for headers in ({}, GZIP):
            got = await get(gateway, f"/slurm/{version}/jobs{query}", **headers)
            assert got == whole_jobs(gateway, version, parsed, None), (query, headers)
    mirror = gateway.app.state.mirror
    nodes = await get(gateway, f"/slurm/{version}/nodes")
    table = mirror.latest(Resource.NODES)
    info = gateway.app.state.backend.info
    whole = VERSIONS[version].nodes(table.items, info, last_update=table.last_update)
    assert nodes == orjson.dumps(whole)


async def test_a_change_renders_the_job_that_changed_and_no_other(
    gateway: Gateway, queued: list[int]
) -> None:
    store = gateway.app.state.pieces.store(("jobs", "v0.0.38"))
    before = dict(store.pieces)
    assert set(before) == set(queued)
    changed = queued[4]
    update = {"name": "renamed"}
    answer = await gateway.http.post(
        f"/slurm/v0.0.38/job/{changed}", json=update, headers=gateway.headers()
    )
    assert answer.status_code == 200, answer.text
    got = await get(gateway, "/slurm/v0.0.38/jobs")
    assert got == whole_jobs(gateway, "v0.0.38", JobQuery(), None)
    assert b'"renamed"' in got
    after = store.pieces
    assert after[changed] is not before[changed]
    assert all(after[j][1] is before[j][1] for j in queued if j != changed)


async def test_a_user_under_private_data_gets_their_share_of_the_same_pieces(
    gateway: Gateway, queued: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        pytest.skip("submitting as another user takes root on the embedded cluster")
    request = {
        "script": "#!/bin/sh\ntrue\n",
        "job": {"name": "theirs", "hold": True, "current_working_directory": "/tmp",
                "environment": {"PATH": "/bin"}},
    }  # fmt: skip
    submitted = await gateway.http.post(
        "/slurm/v0.0.38/job/submit", json=request, headers=gateway.headers("nobody")
    )
    assert submitted.status_code == 200, submitted.text
    theirs = submitted.json()["job_id"]
    rules = AccessRules(PrivateData.parse("jobs"), operators=frozenset({gateway.user}))
    mirror = gateway.app.state.mirror

    async def private(principal: Any) -> AccessRules:
        return rules

    monkeypatch.setattr(gateway.app.state.backend, "access_rules", private)
    mirror._access, mirror._access_at = None, 0.0
    for version in ("v0.0.38", "v0.0.41", "v0.0.44"):
        for headers in ({}, GZIP):
            mine = await get(gateway, f"/slurm/{version}/jobs", "nobody", **headers)
            assert mine == whole_jobs(gateway, version, JobQuery(), "nobody")
            assert [j["job_id"] for j in orjson.loads(mine)["jobs"]] == [theirs]
            everything = await get(gateway, f"/slurm/{version}/jobs", **headers)
            assert everything == whole_jobs(gateway, version, JobQuery(), None)
            assert len(orjson.loads(everything)["jobs"]) == len(queued) + 1


async def test_an_unchanged_list_since_update_time_is_still_answered_empty(
    gateway: Gateway, queued: list[int]
) -> None:
    answer = await gateway.http.get(
        "/slurm/v0.0.41/jobs", params={"update_time": "4102444800"}, headers=gateway.headers()
    )
    assert answer.status_code == 200 and answer.json()["jobs"] == []


# -- the assembly itself, on records of their own (a real cluster's) ---------------------------


@dataclass(frozen=True)
class Record:
    job_id: int
    text: str


def table_of(records: list[Any], previous: Table[Any] | None) -> Table[Any]:
    generation = previous.generation + 1 if previous is not None else 1
    stamps = stamps_of.compared(previous, records, stamps_of.JOBS, generation)
    assert stamps is not None
    return Table(records, generation, generation, generation, 0.0, stamps)


class Renders:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, record: Record) -> bytes:
        self.count += 1
        return orjson.dumps({"id": record.job_id, "text": record.text})


async def plain(store: PieceStore, table: Table[Any], render: Renders) -> Built:
    """The whole list, as a client asking for no compression gets it."""
    return await assemble(
        store,
        table,
        lambda: (table.items, ()),
        stamps_of.JOBS.key,
        render,
        (b'{"meta":{},"jobs":[', b'],"errors":[]}'),
        live=False,
    )


async def answer(store: PieceStore, table: Table[Any], render: Renders) -> tuple[bytes, bytes]:
    built = await plain(store, table, render)
    assert built.compress is not None
    return built.body, await built.compress()


def expected(records: list[Record]) -> bytes:
    listed = [{"id": r.job_id, "text": r.text} for r in records]
    return orjson.dumps({"meta": {}, "jobs": listed, "errors": []})


async def test_records_of_their_own_are_rendered_again_only_when_they_differ() -> None:
    records = [Record(n, f"job {n} " * (n % 7)) for n in range(1, 3001)]
    store, render = PieceStore(), Renders()
    first = table_of(records, None)
    body, packed = await answer(store, first, render)
    assert body == expected(records) and gzip.decompress(packed) == body
    assert render.count == len(records)

    # Two changed, one gone, one new; the rest equal but loaded anew (other objects).
    changed = [replace(r) for r in records]
    changed[10] = Record(11, "changed")
    changed[2000] = Record(2001, "changed too")
    del changed[500]
    changed.append(Record(5000, "new"))
    second = table_of(changed, first)
    render.count = 0
    compressed = dict(store.compressed)
    body, packed = await answer(store, second, render)
    assert body == expected(changed)
    assert render.count == 3
    # Compressed a segment at a time: only segments with a change are compressed again.
    again = [k for k in store.compressed if k not in compressed]
    assert len(store.compressed) > 8 and 1 <= len(again) <= 4
    # A decoder that knows nothing of chunks reads it: raw zlib, and gzip's own checks.
    assert zlib.decompress(packed, 16 + zlib.MAX_WBITS) == body == gzip.decompress(packed)
    assert 501 not in store.pieces  # pieces of records gone are dropped


async def test_generations_nobody_read_compressed_keep_the_compressed_segments() -> None:
    # A client's own writes make a generation per read; compressed answers come now and then.
    records = [Record(n, f"job {n} " * (n % 7)) for n in range(1, 3001)]
    store, render = PieceStore(), Renders()
    table = table_of(records, None)
    await answer(store, table, render)
    compressed = dict(store.compressed)
    for n in (100, 1500, 2900):
        records = [*records[: n - 1], Record(n, "changed"), *records[n:]]
        table = table_of(records, table)
        await plain(store, table, render)  # nobody asks for it compressed
    body, packed = await answer(store, table, render)
    assert gzip.decompress(packed) == body == expected(records)
    # Compressed anew (another object) only for the segments of the three changes.
    again = [k for k, v in store.compressed.items() if compressed.get(k) is not v]
    assert len(store.compressed) > 8 and 1 <= len(again) <= 3


def test_an_unchanged_load_is_told_apart_from_a_reordered_one() -> None:
    records = [Record(n, "x") for n in range(1, 10)]
    first = table_of(records, None)
    assert stamps_of.compared(first, [replace(r) for r in records], stamps_of.JOBS, 2) is None
    reordered = stamps_of.compared(first, records[::-1], stamps_of.JOBS, 2)
    assert reordered is not None and set(reordered.values()) == {1}
    assert stamps_of.compared(first, records[:-1], stamps_of.JOBS, 2) is not None


@dataclass
class LiveJob:
    job_id: int
    last_update: int


def test_a_field_no_version_prints_does_not_count_as_a_change() -> None:
    # A real cluster's job carries the time of the load that read it.
    jobs = [LiveJob(n, 100) for n in range(1, 4)]
    first = table_of(jobs, None)
    reloaded = [LiveJob(n, 160) for n in range(1, 4)]
    assert stamps_of.compared(first, reloaded, stamps_of.JOBS, 2) is None
