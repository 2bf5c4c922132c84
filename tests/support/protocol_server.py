"""An ASGI app served by uvicorn with the gateway's HTTP protocol, in a thread of the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from slurmgate.cli.connection import Renderer, gateway_protocol
from slurmgate.config import LimitSettings
from slurmgate.domain.errors import SlurmgateError


def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
    return 500, b"{}"


@contextmanager
def serving(
    app: ASGIApp,
    port: int,
    *,
    limits: LimitSettings | None = None,
    renderer: Renderer = render,
    lifespan: str = "off",
    loop: str = "auto",
) -> Iterator[str]:
    """``app`` served on 127.0.0.1:``port`` until the block ends; yields its base URL.
    ``renderer`` answers the protocol's own refusals; ``lifespan`` and ``loop`` are uvicorn's
    (loop auto: uvloop where installed, as ``slurmgate serve``)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http=gateway_protocol(limits or LimitSettings(), renderer),
        lifespan=lifespan,
        loop=loop,
        log_config=None,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
