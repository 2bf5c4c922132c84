"""The gateway's HTTP protocol leaves a finished request's objects to be freed at once.

A reference cycle per request (the request refers to its writers, which referred back to it)
left each request's objects (its task, scope, principal, deadline: two dozen) to Python's
cyclic garbage collector, whose collections then took tens of milliseconds of the event loop
several times a second on a busy gateway.
"""

from __future__ import annotations

import gc
import threading
import time

import httpx
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from slurmgate.cli.connection import gateway_protocol
from slurmgate.config import LimitSettings
from slurmgate.domain.errors import SlurmgateError


async def answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
    return 500, b"{}"


def test_a_finished_request_is_freed_without_the_cyclic_garbage_collector(
    unused_tcp_port: int,
) -> None:
    config = uvicorn.Config(
        answer,
        host="127.0.0.1",
        port=unused_tcp_port,
        http=gateway_protocol(LimitSettings(), render),
        lifespan="off",
        log_config=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    gc.collect()
    gc.disable()  # what a cycle would keep stays: it can be counted
    try:
        with httpx.Client() as client:  # one connection, kept alive
            for _ in range(100):
                assert client.get(f"http://127.0.0.1:{unused_tcp_port}/").status_code == 200
        left = sum(isinstance(o, RequestResponseCycle) for o in gc.get_objects())
    finally:
        gc.enable()
        server.should_exit = True
        thread.join(30)
    # The connection's last request at most (the connection and it refer to each other).
    assert left <= 1
