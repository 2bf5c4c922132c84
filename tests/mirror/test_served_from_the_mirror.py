"""Reads come from the shared mirror: one load serves many readers, a user's writes show in
their next read."""

from __future__ import annotations

import asyncio
import time

from slurmgate.api.cached import GZIP_MIN_BYTES
from slurmgate.mirror import Mirror, Resource
from tests.mirror.conftest import Gateway


async def test_many_reads_cost_the_cluster_a_few_loads(gateway: Gateway) -> None:
    await gateway.submit()
    before = gateway.rpc_count("REQUEST_JOB_INFO")
    answers = await asyncio.gather(*(gateway.get("jobs") for _ in range(200)))
    assert {a.status_code for a in answers} == {200}
    assert gateway.rpc_count("REQUEST_JOB_INFO") - before <= 3


async def test_a_submitted_job_is_in_the_very_next_read(gateway: Gateway) -> None:
    await gateway.get("jobs")  # the mirror now holds the (empty) job list
    job_id = await gateway.submit("fresh")
    listed = (await gateway.get("jobs")).json()["jobs"]
    assert [job["job_id"] for job in listed] == [job_id]
    single = (await gateway.get(f"job/{job_id}")).json()["jobs"]
    assert single[0]["name"] == "fresh"


async def test_a_cancellation_is_in_the_very_next_read(gateway: Gateway) -> None:
    job_id = await gateway.submit()
    assert (await gateway.get(f"job/{job_id}")).json()["jobs"][0]["job_state"] == "PENDING"
    cancelled = await gateway.http.delete(f"/slurm/v0.0.38/job/{job_id}", headers=gateway.headers())
    assert cancelled.status_code == 200, cancelled.text
    [job] = (await gateway.get(f"job/{job_id}")).json()["jobs"]
    assert job["job_state"] == "CANCELLED"


async def test_an_unchanged_list_is_not_sent_again(gateway: Gateway) -> None:
    await gateway.submit()
    first = await gateway.get("jobs")
    etag = first.headers["etag"]
    again = await gateway.get("jobs", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    await gateway.submit()
    changed = await gateway.get("jobs", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_each_version_has_its_own_rendering_and_etag(gateway: Gateway) -> None:
    await gateway.submit()
    headers = gateway.headers()
    tags = set()
    for version in ("v0.0.36", "v0.0.37", "v0.0.38"):
        answer = await gateway.http.get(f"/slurm/{version}/jobs", headers=headers)
        assert answer.status_code == 200
        tags.add(answer.headers["etag"])
    assert len(tags) == 3


async def test_gzip_when_the_client_accepts_it(gateway: Gateway) -> None:
    for n in range(5):
        await gateway.submit(f"job-{n}")
    plain = await gateway.http.get(
        "/slurm/v0.0.38/jobs", headers=gateway.headers(**{"Accept-Encoding": "identity"})
    )
    assert "content-encoding" not in plain.headers
    packed = await gateway.http.get(
        "/slurm/v0.0.38/jobs", headers=gateway.headers(**{"Accept-Encoding": "gzip"})
    )
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    # httpx decodes it: the same document as the plain one, in fewer bytes on the wire.
    assert packed.json() == plain.json()
    assert int(packed.headers["content-length"]) < len(plain.content)
    assert packed.headers["etag"] != plain.headers["etag"]
    refused = await gateway.http.get(
        "/slurm/v0.0.38/jobs", headers=gateway.headers(**{"Accept-Encoding": "gzip;q=0"})
    )
    assert "content-encoding" not in refused.headers


async def test_an_answer_too_small_to_compress_is_the_same_for_every_client(
    gateway: Gateway,
) -> None:
    answer = await gateway.http.get(
        "/slurm/v0.0.38/ping", headers=gateway.headers(**{"Accept-Encoding": "gzip"})
    )
    assert len(answer.content) < GZIP_MIN_BYTES
    assert "content-encoding" not in answer.headers
    # Nothing varies with Accept-Encoding: caches need not key it.
    assert "vary" not in answer.headers
    assert answer.headers["content-length"] == str(len(answer.content))


async def test_the_same_bytes_are_served_until_the_state_changes(gateway: Gateway) -> None:
    await gateway.submit()
    cache = gateway.app.state.responses
    await gateway.get("jobs", **{"Accept-Encoding": "gzip"})
    size = cache.size
    for _ in range(20):
        await gateway.get("jobs", **{"Accept-Encoding": "gzip"})
    assert cache.size == size  # nothing rendered or compressed again


async def test_every_read_says_how_old_its_data_is(gateway: Gateway) -> None:
    for path in ("jobs", "nodes", "partitions", "diag", "ping", "licenses", "reservations"):
        answer = await gateway.get(path)
        assert answer.status_code == 200, (path, answer.text)
        age = float(answer.headers["x-slurmgate-data-age"])
        assert 0 <= age <= gateway.app.state.settings.mirror.max_age


async def test_data_older_than_max_age_is_reloaded_before_it_is_served(gateway: Gateway) -> None:
    await gateway.get("nodes")
    max_age = gateway.app.state.settings.mirror.max_age
    mirror = gateway.app.state.mirror
    await mirror.stop()  # no background loads: only the bound itself keeps data fresh
    await asyncio.sleep(max_age + 0.2)
    answer = await gateway.get("nodes")
    assert float(answer.headers["x-slurmgate-data-age"]) < max_age


async def test_update_time_after_the_last_change_gets_an_empty_list(gateway: Gateway) -> None:
    await gateway.submit()
    listed = await gateway.get("jobs")
    assert listed.json()["jobs"]
    later = await gateway.http.get(
        "/slurm/v0.0.40/jobs",
        params={"update_time": "4102444800"},
        headers=gateway.headers(),
    )
    assert later.status_code == 200 and later.json()["jobs"] == []
    # v0.0.37 and v0.0.38 answer it 304 Not Modified, as slurmrestd 22.05 does.
    unchanged = await gateway.http.get(
        "/slurm/v0.0.38/jobs",
        params={"update_time": "4102444800"},
        headers=gateway.headers(),
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    earlier = await gateway.http.get(
        "/slurm/v0.0.38/jobs", params={"update_time": "1"}, headers=gateway.headers()
    )
    assert earlier.json()["jobs"] == listed.json()["jobs"]


async def test_a_read_waits_only_for_the_readers_own_writes(gateway: Gateway) -> None:
    mirror: Mirror = gateway.app.state.mirror
    before = time.monotonic()
    mirror.wrote("alice")
    # Alice's next read of what a write changes needs a load begun after her write ...
    assert mirror.oldest(Resource.JOBS, "alice") >= before
    assert mirror.oldest(Resource.NODES, "alice") >= before
    # ... others', and her reads of what no job change shows, only data within max_age.
    max_age = gateway.app.state.settings.mirror.max_age
    assert mirror.oldest(Resource.JOBS, "bob") <= time.monotonic() - max_age
    assert mirror.oldest(Resource.PARTITIONS, "alice") <= time.monotonic() - max_age
