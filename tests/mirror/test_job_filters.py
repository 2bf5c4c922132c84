"""slurmgate's own filters and pages on GET jobs: additive, so plain requests are unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mirror.conftest import Gateway


async def _ids(gateway: Gateway, **params: str) -> list[int]:
    answer = await gateway.http.get("/slurm/v0.0.38/jobs", params=params, headers=gateway.headers())
    assert answer.status_code == 200, answer.text
    return sorted(job["job_id"] for job in answer.json()["jobs"])


@pytest.fixture
async def jobs(gateway: Gateway) -> dict[str, int]:
    return {
        "a": await gateway.submit("alpha"),
        "b": await gateway.submit("beta", partition="gpu"),
        "c": await gateway.submit("alpha", partition="gpu"),
    }


async def test_filters_by_name_partition_state_and_id(
    gateway: Gateway, jobs: dict[str, int]
) -> None:
    assert await _ids(gateway, name="alpha") == [jobs["a"], jobs["c"]]
    assert await _ids(gateway, partitions="gpu") == [jobs["b"], jobs["c"]]
    assert await _ids(gateway, partitions="gpu", name="alpha") == [jobs["c"]]
    assert await _ids(gateway, states="pending") == sorted(jobs.values())
    assert await _ids(gateway, states="RUNNING,COMPLETED") == []
    assert await _ids(gateway, job_ids=f"{jobs['a']},{jobs['b']}") == [jobs["a"], jobs["b"]]
    assert await _ids(gateway, users=gateway.user) == sorted(jobs.values())
    assert await _ids(gateway, users="somebody-else") == []
    assert await _ids(gateway, accounts="no-such-account") == []


async def test_pages_cover_every_job_once(gateway: Gateway, jobs: dict[str, int]) -> None:
    extra = [await gateway.submit(f"more-{n}") for n in range(4)]
    everything = sorted([*jobs.values(), *extra])
    seen: list[int] = []
    params: dict[str, Any] = {"limit": "3"}
    pages = 0
    while True:
        answer = await gateway.http.get(
            "/slurm/v0.0.38/jobs", params=params, headers=gateway.headers()
        )
        page = [job["job_id"] for job in answer.json()["jobs"]]
        assert len(page) <= 3
        seen += page
        pages += 1
        cursor = answer.headers.get("x-slurmgate-next-cursor")
        if cursor is None:
            assert "link" not in answer.headers
            break
        assert 'rel="next"' in answer.headers["link"]
        params = {"limit": "3", "cursor": cursor}
    assert seen == everything and pages == 3


async def test_a_page_is_still_right_after_jobs_come_and_go(
    gateway: Gateway, jobs: dict[str, int]
) -> None:
    first = await gateway.http.get(
        "/slurm/v0.0.38/jobs", params={"limit": "1"}, headers=gateway.headers()
    )
    cursor = first.headers["x-slurmgate-next-cursor"]
    newer = await gateway.submit("newer")
    rest = await _ids(gateway, limit="10", cursor=cursor)
    assert rest == [jobs["b"], jobs["c"], newer]


@pytest.mark.parametrize(
    ("params", "source"),
    [
        ({"states": "SLEEPING"}, "states"),
        ({"job_ids": "12x"}, "job_ids"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_a_bad_filter_is_a_clear_400(
    gateway: Gateway, params: dict[str, str], source: str
) -> None:
    answer = await gateway.http.get("/slurm/v0.0.38/jobs", params=params, headers=gateway.headers())
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["error_number"] == 9000 and error["source"] == source
    assert error["description"].startswith(f"query parameter {source}: ")
