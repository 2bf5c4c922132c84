"""The gateway's HTTP protocol leaves a finished request's objects to be freed at once.

A reference cycle per request (the request refers to its writers, which referred back to it)
left each request's objects (its task, scope, principal, deadline: two dozen) to Python's
cyclic garbage collector, whose collections then took tens of milliseconds of the event loop
several times a second on a busy gateway.
"""

from __future__ import annotations

import gc

import httpx
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from tests.support.protocol_server import serving


async def answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def test_a_finished_request_is_freed_without_the_cyclic_garbage_collector(
    unused_tcp_port: int,
) -> None:
    with serving(answer, unused_tcp_port) as url:
        gc.collect()
        gc.disable()  # what a cycle would keep stays: it can be counted
        try:
            with httpx.Client() as client:  # one connection, kept alive
                for _ in range(100):
                    assert client.get(url).status_code == 200
            left = sum(isinstance(o, RequestResponseCycle) for o in gc.get_objects())
        finally:
            gc.enable()
    # The connection's last request at most (the connection and it refer to each other).
    assert left <= 1
