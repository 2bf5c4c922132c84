"""Rendered responses: one rendering per state, shared by concurrent requests, memory bounded."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable

import pytest

from slurmgate.mirror import RenderCache
from slurmgate.mirror.rendered import STALE_FROM, Built, Headers


def renderer(body: bytes, calls: list[bytes]) -> Callable[[], tuple[bytes, Headers]]:
    def render() -> tuple[bytes, Headers]:
        calls.append(body)
        return body, ()

    return render


async def test_concurrent_requests_share_one_rendering() -> None:
    cache = RenderCache(budget=1 << 20)
    calls: list[bytes] = []
    render = renderer(b"x" * 100_000, calls)
    got = await asyncio.gather(*(cache.get("jobs", 1, render, in_thread=True) for _ in range(20)))
    assert len(calls) == 1 and len({id(r) for r in got}) == 1


async def test_a_new_state_is_rendered_anew_and_gets_a_new_etag() -> None:
    cache = RenderCache(budget=1 << 20)
    calls: list[bytes] = []
    first = await cache.get("jobs", 1, renderer(b"one", calls), in_thread=False)
    same = await cache.get("jobs", 1, renderer(b"two", calls), in_thread=False)
    newer = await cache.get("jobs", 2, renderer(b"two", calls), in_thread=False)
    assert same is first and newer.body == b"two" and calls == [b"one", b"two"]
    assert newer.etag != first.etag


async def test_compressed_once() -> None:
    cache = RenderCache(budget=1 << 20)
    rendered = await cache.get("jobs", 1, renderer(b"{}" * 50_000, []), in_thread=False)
    packed = await asyncio.gather(*(rendered.gzipped() for _ in range(5)))
    assert len({id(p) for p in packed}) == 1
    assert gzip.decompress(packed[0]) == rendered.body


async def test_the_least_recently_used_go_first_when_memory_runs_out() -> None:
    cache = RenderCache(budget=250)
    for key in ("a", "b"):
        await cache.get(key, 1, renderer(b"x" * 100, []), in_thread=False)
    await cache.get("a", 1, renderer(b"unused", []), in_thread=False)  # a is used again
    calls: list[bytes] = []
    await cache.get("c", 1, renderer(b"y" * 100, calls), in_thread=False)
    assert cache.size <= 250
    await cache.get("a", 1, renderer(b"again", calls), in_thread=False)
    await cache.get("b", 1, renderer(b"again", calls), in_thread=False)
    assert calls == [b"y" * 100, b"again"]  # a was kept, b was dropped


async def test_a_failed_rendering_fails_its_waiters_and_is_not_kept() -> None:
    cache = RenderCache(budget=1 << 20)

    def broken() -> tuple[bytes, Headers]:
        raise ValueError("cannot render")

    with pytest.raises(ValueError):
        await cache.get("jobs", 1, broken, in_thread=True)
    rendered = await cache.get("jobs", 1, renderer(b"ok", []), in_thread=False)
    assert rendered.body == b"ok"


def big(tag: bytes) -> bytes:
    """A body large enough to be answered from its previous rendering while remade."""
    return tag * (STALE_FROM // len(tag) + 1)


async def slow_build(body: bytes, started: asyncio.Event, release: asyncio.Event) -> Built:
    started.set()
    await release.wait()
    return Built(body)


async def test_a_large_answer_is_served_from_its_previous_rendering_while_remade() -> None:
    cache = RenderCache(budget=1 << 30)
    first = await cache.get("jobs", 1, renderer(big(b"a"), []), in_thread=False, current_at=10.0)
    started, release = asyncio.Event(), asyncio.Event()

    def build() -> Awaitable[Built]:
        return slow_build(big(b"b"), started, release)

    # The state of generation 1 was current at 10.0; a reader who accepts state from 5.0 on
    # is answered at once, and the new rendering goes on without it.
    served = await cache.built("jobs", 2, build, current_at=20.0, oldest=5.0)
    assert served is first and cache.stale == 1
    await started.wait()
    again = await cache.built("jobs", 2, build, current_at=20.0, oldest=5.0)
    assert again is first and cache.stale == 2
    release.set()
    newer = await cache.built("jobs", 2, build, current_at=20.0, oldest=15.0)
    assert newer.body == big(b"b") and newer.current_at == 20.0


async def test_a_reader_who_needs_newer_state_waits_for_the_new_rendering() -> None:
    cache = RenderCache(budget=1 << 30)
    await cache.get("jobs", 1, renderer(big(b"a"), []), in_thread=False, current_at=10.0)
    # Written since 10.0 (read-your-writes), or older than max_age: the previous will not do.
    fresh = await cache.get(
        "jobs", 2, renderer(big(b"b"), []), in_thread=False, current_at=20.0, oldest=11.0
    )
    assert fresh.body == big(b"b") and cache.stale == 0


async def test_small_answers_are_always_rendered_before_they_are_answered() -> None:
    cache = RenderCache(budget=1 << 20)
    await cache.get("ping", 1, renderer(b"one", []), in_thread=False, current_at=10.0)
    newer = await cache.get(
        "ping", 2, renderer(b"two", []), in_thread=False, current_at=20.0, oldest=0.0
    )
    assert newer.body == b"two" and cache.stale == 0


async def test_a_rendering_read_compressed_is_replaced_compressed() -> None:
    cache = RenderCache(budget=1 << 30)
    first = await cache.get("jobs", 1, renderer(big(b"a"), []), in_thread=False, current_at=10.0)
    await first.gzipped()
    started, release = asyncio.Event(), asyncio.Event()

    def build() -> Awaitable[Built]:
        return slow_build(big(b"b"), started, release)

    assert await cache.built("jobs", 2, build, current_at=20.0, oldest=5.0) is first
    release.set()
    async with asyncio.timeout(5):
        while (newer := await cache.built("jobs", 2, build, current_at=20.0, oldest=5.0)) is first:
            await asyncio.sleep(0.01)
    # Compressed before it replaced the previous: compressed readers never wait for it.
    assert newer.compressed and gzip.decompress(await newer.gzipped()) == big(b"b")


async def test_a_failed_rendering_behind_a_stale_answer_is_logged_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = RenderCache(budget=1 << 30)
    first = await cache.get("jobs", 1, renderer(big(b"a"), []), in_thread=False, current_at=10.0)

    def broken() -> tuple[bytes, Headers]:
        raise ValueError("cannot render")

    assert await cache.get("jobs", 2, broken, in_thread=True, current_at=20.0, oldest=5.0) is first
    async with asyncio.timeout(5):
        while "rendering 'jobs' failed" not in caplog.text:
            await asyncio.sleep(0.01)
    newer = await cache.get("jobs", 2, renderer(big(b"b"), []), in_thread=False, oldest=15.0)
    assert newer.body == big(b"b")
