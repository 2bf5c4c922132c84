"""Renderings of long accounting answers, shared by the callers who got the same answer.

The shared accounting answers (slurmgate.accounting.cache) hand every caller of an identical
query the same list, for ``cache_seconds``: a hundred pollers of 10,000 jobs get one list. It
is rendered once per version and operation, in a thread (the event loop serves others
meanwhile), and callers asking while it is being rendered wait for that rendering. A rendering
is kept while its list is the one the cache hands out, within ``max_bytes`` in all.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable

import anyio

Key = tuple[str, str, int]


class SharedRenders:
    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        #: (version, operation, id of the list) -> (the list itself, its rendering).
        self._done: OrderedDict[Key, tuple[object, bytes]] = OrderedDict()
        self._held = 0
        self._pending: dict[Key, asyncio.Future[bytes]] = {}
        self.renders = 0

    async def get(
        self, version: str, operation: str, items: object, render: Callable[[], bytes]
    ) -> bytes:
        key = (version, operation, id(items))
        found = self._done.get(key)
        if found is not None and found[0] is items:  # the same list, not one at its address
            self._done.move_to_end(key)
            return found[1]
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.ensure_future(self._render(key, items, render))
        return await asyncio.shield(pending)

    async def _render(self, key: Key, items: object, render: Callable[[], bytes]) -> bytes:
        try:
            body = await anyio.to_thread.run_sync(render)
            self.renders += 1
        finally:
            del self._pending[key]
        self._keep(key, items, body)
        return body

    def _keep(self, key: Key, items: object, body: bytes) -> None:
        if len(body) > self._max_bytes // 2:
            return
        old = self._done.pop(key, None)
        if old is not None:
            self._held -= len(old[1])
        while self._done and self._held + len(body) > self._max_bytes:
            _, (_, first) = self._done.popitem(last=False)
            self._held -= len(first)
        self._done[key] = (items, body)
        self._held += len(body)
