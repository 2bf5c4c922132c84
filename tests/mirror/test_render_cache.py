"""Rendered responses: one rendering per state, shared by concurrent requests, memory bounded."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable

import pytest

from slurmgate.mirror import RenderCache
from slurmgate.mirror.rendered import Headers


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
