"""The threads that make blocking libslurm calls for the event loop.

``loop.run_in_executor`` costs a concurrent Future, its Condition and lock, and a second
asyncio Future chained to it, per call: on a submission that is a tenth of the time the
gateway holds the GIL. Here a call is one queue entry, and its result goes straight to the
awaiting asyncio Future with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: (the awaiting future, its loop, the function, its arguments); None tells a thread to end.
_Item = tuple[asyncio.Future[Any], asyncio.AbstractEventLoop, Callable[..., Any], tuple[Any, ...]]


class Workers:
    """At most ``size`` threads, started as calls need them, that run functions for coroutines."""

    def __init__(self, size: int, name: str) -> None:
        if size < 1:
            raise ValueError(f"workers need at least one thread, not {size}")
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._closed = False

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker thread. A caller cancelled before the call began
        cancels the call; once begun, a call runs to its end (its result is then dropped)."""
        if self._closed:
            raise RuntimeError("the workers are closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((future, loop, function, args))
        if not self._idle.acquire(blocking=False):
            self._grow()
        return await future

    def close(self) -> None:
        """End every thread once the calls already queued are done; waits for them."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join()
        # A call queued while closing has no thread left to make it.
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                future, loop, _, _ = item
                with contextlib.suppress(RuntimeError):  # its loop is closed too
                    loop.call_soon_threadsafe(future.cancel)

    def _grow(self) -> None:
        with self._lock:
            if self._closed or len(self._threads) >= self._size:
                return
            thread = threading.Thread(
                target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            _make(*item)
            del item  # its future holds the result: not kept alive while the thread waits
            self._idle.release()


def _make(
    future: asyncio.Future[Any],
    loop: asyncio.AbstractEventLoop,
    function: Callable[..., Any],
    args: tuple[Any, ...],
) -> None:
    if future.cancelled():  # read across threads: at worst the call runs needlessly
        return
    try:
        result = function(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
        _deliver(loop, future.set_exception, future, exc)
    else:
        _deliver(loop, future.set_result, future, result)


def _deliver(
    loop: asyncio.AbstractEventLoop,
    setter: Callable[[Any], None],
    future: asyncio.Future[Any],
    value: Any,
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody awaits the result
        loop.call_soon_threadsafe(_settle, setter, future, value)


def _settle(setter: Callable[[Any], None], future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():  # the caller may have been cancelled meanwhile
        setter(value)
