"""Rate limits: per user, per client address (before authentication), stricter for submissions,
and shared through Redis by several gateways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter

from slurmgate.api import ratelimit_memory
from slurmgate.api.ratelimit import BucketRateLimiter, NoRateLimit, build_rate_limiter
from slurmgate.config import RateLimitSettings, load_settings
from slurmgate.domain import Principal
from slurmgate.domain.errors import BackendUnavailable, ConfigError
from tests.security.gateway import Gateway, running
from tests.support.cluster import current_user, free_port
from tests.support.redis import redis_server
from tests.support.spec import assert_error_envelope

PING = "/slurm/v0.0.38/ping"
SUBMIT = "/slurm/v0.0.38/job/submit"

# Users other than the gateway's own; every test uses its own so buckets never overlap.
OTHER = "nobody" if current_user() != "nobody" else "daemon"
SUBMITTER = "daemon" if current_user() != "daemon" else "bin"

USER_BUCKETS = """
[rate_limit]
enabled = true
per_user = "6/minute"
submit_per_user = "2/minute"
per_address = "1000/minute"
"""

ADDRESS_BUCKET = """
[rate_limit]
enabled = true
per_address = "4/minute"
per_user = "1000/minute"
"""


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running(tmp_path_factory.mktemp("limited"), USER_BUCKETS) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def jobs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jobs")
    os.chmod(path, 0o1777)  # the submitting user's jobs write here
    return path


def _ping(gateway: Gateway, user: str | None = None, path: str = PING) -> httpx.Response:
    return httpx.get(gateway.base_url + path, headers=gateway.headers(user), timeout=10.0)


def _submit(gateway: Gateway, user: str, workdir: Path) -> httpx.Response:
    job = {
        "script": "#!/bin/sh\ntrue\n",
        "current_working_directory": str(workdir),
        "environment": {"PATH": "/usr/bin:/bin"},
    }
    return httpx.post(
        gateway.base_url + SUBMIT, json={"job": job}, headers=gateway.headers(user), timeout=10.0
    )


def _assert_too_many(response: httpx.Response, version: str = "v0.0.38") -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60, retry_after  # every bucket here is per minute
    body = response.json()
    assert_error_envelope(body, version)
    assert "Rate limit exceeded" in body["errors"][0]["description"]
    return retry_after


def test_a_user_over_the_limit_gets_429_with_retry_after_in_the_envelope(
    limited: Gateway,
) -> None:
    for _ in range(6):
        assert _ping(limited).status_code == 200
    refused = _ping(limited, path="/slurm/v0.0.36/ping")
    _assert_too_many(refused, "v0.0.36")
    assert "rate_limit.per_user" in refused.text


def test_another_user_is_not_limited_by_the_first_ones_bucket(limited: Gateway) -> None:
    while _ping(limited).status_code == 200:  # empty the gateway user's bucket, if not yet
        pass
    assert _ping(limited, OTHER).status_code == 200


def test_submissions_have_a_stricter_bucket_of_their_own(limited: Gateway, jobs_dir: Path) -> None:
    for _ in range(2):
        response = _submit(limited, SUBMITTER, jobs_dir)
        assert response.status_code == 200, response.text
    refused = _submit(limited, SUBMITTER, jobs_dir)
    _assert_too_many(refused)
    assert "rate_limit.submit_per_user" in refused.text
    # Reading is still allowed: only the submission bucket is empty.
    assert _ping(limited, SUBMITTER).status_code == 200


def test_the_address_bucket_counts_requests_before_authentication(tmp_path: Path) -> None:
    with running(tmp_path / "gateway", ADDRESS_BUCKET) as gateway:
        url = gateway.base_url + PING
        unauthenticated = [httpx.get(url, timeout=10.0).status_code for _ in range(3)]
        assert unauthenticated == [401, 401, 401]
        assert httpx.get(gateway.base_url + "/no/such/path", timeout=10.0).status_code == 404
        # Four requests used the address's bucket: even a valid token is refused now.
        _assert_too_many(_ping(gateway))
        refused = httpx.get(url, timeout=10.0)
        _assert_too_many(refused)
        assert "rate_limit.per_address" in refused.text


def test_gateways_sharing_a_redis_share_a_users_bucket(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as url:
        settings = f'[rate_limit]\nenabled = true\nper_user = "5/minute"\nstorage = "{url}"\n'
        with (
            running(tmp_path / "one", settings) as one,
            running(tmp_path / "two", settings) as two,
        ):
            answers = [_ping(gateway).status_code for gateway in (one, two, one, two, one)]
            assert answers == [200] * 5
            # Either gateway now refuses: the five hits were counted in one shared bucket.
            _assert_too_many(_ping(two))
            _assert_too_many(_ping(one))
            assert _ping(two, OTHER).status_code == 200


async def test_an_unreachable_storage_allows_or_refuses_as_configured() -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    who = Principal(user_name="alice")
    allowing = BucketRateLimiter(RateLimitSettings(enabled=True, storage=nowhere))
    try:
        await allowing.check_user(who, "job_submit")  # no exception: allowed
    finally:
        await allowing.close()
    refusing = BucketRateLimiter(
        RateLimitSettings(enabled=True, storage=nowhere, on_storage_error="refuse")
    )
    try:
        with pytest.raises(BackendUnavailable):
            await refusing.check_user(who, "ping")
    finally:
        await refusing.close()


def test_rate_limiting_is_off_by_default() -> None:
    assert isinstance(build_rate_limiter(RateLimitSettings()), NoRateLimit)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("per_user", "lots/second"), ("submit_per_user", ""), ("storage", "memcached://x:1")],
)
def test_a_bad_rate_limit_setting_is_refused_at_start_up(setting: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"rate_limit.{setting}"):
        load_settings(None, rate_limit={"enabled": True, setting: value})


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


async def test_the_memory_window_moves_with_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(1000.0)
    monkeypatch.setattr(ratelimit_memory, "time", clock)
    limiter = MovingWindowRateLimiter(ratelimit_memory.LoopMemoryStorage())
    three = parse("3/minute")
    assert [await limiter.hit(three, "user", "alice") for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert await limiter.hit(three, "user", "bob")  # a bucket of its own
    stats = await limiter.get_window_stats(three, "user", "alice")
    assert (stats.reset_time, stats.remaining) == (1060.0, 0)
    clock.now = 1059.0
    assert not await limiter.hit(three, "user", "alice")  # refusals are not counted...
    clock.now = 1060.5
    assert await limiter.hit(three, "user", "alice")  # ...so all three slots are free again


async def test_idle_keys_leave_the_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(0.0)
    monkeypatch.setattr(ratelimit_memory, "time", clock)
    storage = ratelimit_memory.LoopMemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    item = parse("5/second")
    for n in range(100):
        await limiter.hit(item, "address", f"10.0.0.{n}")
    clock.now = 100.0  # every window has emptied, and a sweep is due
    for _ in range(10):  # each hit examines a few keys
        await limiter.hit(item, "address", "10.0.1.1")
    assert await storage.reset() == 1  # only the active key is left
