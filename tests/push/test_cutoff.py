"""A client that reads nothing holds its stream's writer in a write: once its queue
overflows, its connection is dropped after a grace period, never waited for forever."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from slurmgate.api import events as events_api
from slurmgate.api.streaming import ABORT
from slurmgate.config import EventSettings
from slurmgate.events.filters import Filters
from slurmgate.events.hub import EventHub
from slurmgate.events.model import Event
from slurmgate.events.subscription import Log, Subscription


def event(seq: int) -> Event:
    frame = b"id: x-%d\nevent: job.submitted\ndata: {}\n\n" % seq
    return Event(seq, "job.submitted", "job", frozenset({seq}), "u", "", frozenset(), frame)


async def test_a_client_that_reads_nothing_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_api, "CUTOFF_GRACE", 0.1)
    mirror = SimpleNamespace(add_listener=lambda listener: None)
    hub = EventHub(EventSettings(queue_bound=2), mirror)  # type: ignore[arg-type]
    log = Log()
    subscription = Subscription("u", Filters(), 2, log)
    gone = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            await gone.wait()  # the client's socket is full: the write never ends by itself

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "extensions": {ABORT: gone.set},  # what dropping the connection leads to
        "state": {},
        "app": SimpleNamespace(state=SimpleNamespace(audit=None)),
    }
    writer = asyncio.create_task(events_api.EventStream(hub, subscription)(scope, receive, send))
    await asyncio.sleep(0.05)
    log.events.append(event(1))
    subscription.wake()
    await asyncio.sleep(0.05)  # the writer is stuck in its write of event 1
    log.events.extend([event(2), event(3), event(4)])
    subscription.cut()  # what the hub does to a stream this far behind
    await asyncio.wait_for(writer, 2.0)
    assert gone.is_set() and subscription.overflowed
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
