"""The worker threads that make blocking libslurm calls for the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from slurmgate.backends.slurm.workers import Workers


@pytest.fixture
def workers() -> Iterator[Workers]:
    made = Workers(2, "test")
    yield made
    made.close()


async def test_a_call_returns_its_result_from_another_thread(workers: Workers) -> None:
    result = await workers.run(lambda a, b: (a + b, threading.current_thread().name), 2, 3)
    assert result[0] == 5
    assert result[1].startswith("test_")


async def test_a_call_raises_what_the_function_raised(workers: Workers) -> None:
    def fail() -> None:
        raise LookupError("no such job")

    with pytest.raises(LookupError, match="no such job"):
        await workers.run(fail)


async def test_calls_run_side_by_side_up_to_the_size(workers: Workers) -> None:
    both_in = threading.Barrier(2, timeout=5)
    # Each call waits for the other: they can only finish if two threads run them at once.
    assert await asyncio.gather(workers.run(both_in.wait), workers.run(both_in.wait)) in (
        [0, 1],
        [1, 0],
    )


async def test_no_more_threads_than_the_size() -> None:
    workers = Workers(1, "single")
    try:
        names = await asyncio.gather(
            *(workers.run(lambda: threading.current_thread().name) for _ in range(20))
        )
        assert set(names) == {"single_0"}
    finally:
        workers.close()


async def test_a_call_cancelled_before_it_began_is_not_made() -> None:
    workers = Workers(1, "single")
    release = threading.Event()
    made: list[str] = []
    try:
        busy = asyncio.ensure_future(workers.run(release.wait, 5))
        queued = asyncio.ensure_future(workers.run(made.append, "made"))
        await asyncio.sleep(0.05)
        queued.cancel()
        release.set()
        assert await busy is True
        with pytest.raises(asyncio.CancelledError):
            await queued
        await workers.run(made.append, "after")  # the queue moved past the cancelled call
        assert made == ["after"]
    finally:
        workers.close()


async def test_a_call_cancelled_while_running_ends_and_the_thread_serves_on() -> None:
    workers = Workers(1, "single")
    release = threading.Event()
    try:
        running = asyncio.ensure_future(workers.run(release.wait, 5))
        await asyncio.sleep(0.05)
        running.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert await workers.run(lambda: "served") == "served"
    finally:
        workers.close()


async def test_close_finishes_queued_calls_and_refuses_new_ones() -> None:
    workers = Workers(1, "single")
    done: list[int] = []
    calls = [asyncio.ensure_future(workers.run(done.append, n)) for n in range(5)]
    await asyncio.sleep(0)  # the calls are queued
    await asyncio.to_thread(workers.close)
    await asyncio.gather(*calls)
    assert done == [0, 1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="closed"):
        await workers.run(done.append, 5)


def test_at_least_one_thread() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Workers(0, "none")
