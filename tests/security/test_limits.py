"""Limits: sizes, time-outs, slow clients and connections, each answered and survived."""

from __future__ import annotations

import asyncio
import select
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from slurmgate.api.middleware import GatewayMiddleware, RequestTimeoutMiddleware
from slurmgate.api.network import ClientNetworks
from slurmgate.backends.base import ClusterInfo
from tests.security.gateway import (
    Gateway,
    exchange,
    poll,
    raw_request,
    read_until_closed,
    running,
    split_response,
)
from tests.support.spec import assert_error_envelope

PING = "/slurm/v0.0.38/ping"
SUBMIT = "/slurm/v0.0.38/job/submit"

TIGHT = """
[limits]
max_body_bytes = 4096
max_script_bytes = 1024
max_header_bytes = 4096
request_timeout = 1.5
idle_timeout = 0.5
header_timeout = 1.0
"""


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running(tmp_path_factory.mktemp("tight"), TIGHT) as gateway:
        yield gateway


def _still_serving(gateway: Gateway) -> None:
    response = httpx.get(gateway.base_url + PING, headers=gateway.headers(), timeout=10.0)
    assert response.status_code == 200, response.text


def _error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert_error_envelope(body)
    error: dict[str, object] = body["errors"][0]
    return error


def _job(script: str) -> dict[str, object]:
    return {"script": script, "environment": {"PATH": "/bin"}, "current_working_directory": "/tmp"}


# -- sizes -----------------------------------------------------------------------------------


def test_body_over_the_limit_gets_413(tight: Gateway) -> None:
    body = orjson.dumps({"job": _job("#!/bin/sh\ntrue\n"), "padding": "x" * 5000})
    response = httpx.post(
        tight.base_url + SUBMIT,
        content=body,
        headers={**tight.headers(), "Content-Type": "application/json"},
        timeout=10.0,
    )
    error = _error(response, 413)
    assert "4096" in str(error["description"])
    assert "limits.max_body_bytes" in str(error["description"])
    _still_serving(tight)


def test_script_over_the_limit_gets_413(tight: Gateway) -> None:
    script = "#!/bin/sh\n" + "# padding\n" * 150
    response = httpx.post(
        tight.base_url + SUBMIT, json={"job": _job(script)}, headers=tight.headers(), timeout=10.0
    )
    error = _error(response, 413)
    assert "1024" in str(error["description"])
    assert "limits.max_script_bytes" in str(error["description"])
    _still_serving(tight)


def test_every_component_of_a_heterogeneous_job_is_checked(tight: Gateway) -> None:
    small = _job("#!/bin/sh\ntrue\n")
    large = _job("#!/bin/sh\n" + "#" * 1500 + "\n")
    response = httpx.post(
        tight.base_url + SUBMIT,
        json={"jobs": [small, large]},
        headers=tight.headers(),
        timeout=10.0,
    )
    error = _error(response, 413)
    assert error["source"] == "jobs[1].script"


def test_script_within_the_limit_is_accepted(tight: Gateway, tmp_path: Path) -> None:
    tmp_path.chmod(0o1777)
    job = {**_job("#!/bin/sh\ntrue\n"), "current_working_directory": str(tmp_path)}
    response = httpx.post(
        tight.base_url + SUBMIT, json={"job": job}, headers=tight.headers(), timeout=10.0
    )
    assert response.status_code == 200, response.text


def test_headers_over_the_limit_get_431(tight: Gateway) -> None:
    response = httpx.get(
        tight.base_url + PING, headers={**tight.headers(), "X-Padding": "x" * 5000}, timeout=10.0
    )
    error = _error(response, 431)
    assert "limits.max_header_bytes" in str(error["description"])
    _still_serving(tight)


def test_unfinished_head_over_the_limit_is_not_buffered(tight: Gateway) -> None:
    with tight.connect() as sock:
        # No blank line ever comes: the gateway answers once it holds more than the limit.
        sock.sendall(raw_request(tight, PING).removesuffix(b"\r\n") + b"X-Padding: " + b"x" * 6000)
        answer = read_until_closed(sock, timeout=10.0)
    status, _, body = split_response(answer)
    assert status == 431, answer
    assert_error_envelope(orjson.loads(body))
    _still_serving(tight)


def test_headers_within_the_limit_are_served(tight: Gateway) -> None:
    response = httpx.get(
        tight.base_url + PING, headers={**tight.headers(), "X-Padding": "x" * 2000}, timeout=10.0
    )
    assert response.status_code == 200


# -- time ------------------------------------------------------------------------------------


def test_body_that_does_not_arrive_in_time_gets_408(tight: Gateway) -> None:
    headers = "".join(f"{k}: {v}\r\n" for k, v in tight.headers().items())
    started = time.monotonic()
    with tight.connect() as sock:
        sock.sendall(
            f"POST {SUBMIT} HTTP/1.1\r\nHost: gateway\r\n{headers}"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode()
        )
        answer = read_until_closed(sock, timeout=10.0)
    status, _, body = split_response(answer)
    assert status == 408, answer
    assert_error_envelope(orjson.loads(body))
    assert time.monotonic() - started < 8
    _still_serving(tight)


def test_idle_connection_is_closed(tight: Gateway) -> None:
    with tight.connect() as sock:
        status, headers, _ = exchange(sock, raw_request(tight, PING))
        assert status == 200
        assert headers.get("connection") != "close"
        started = time.monotonic()
        assert read_until_closed(sock, timeout=5.0) == b""
        assert time.monotonic() - started < 4


def test_silent_connection_is_closed(tight: Gateway) -> None:
    with tight.connect() as sock:
        assert read_until_closed(sock, timeout=5.0) == b""


def test_client_sending_headers_byte_by_byte_is_cut_off(tight: Gateway) -> None:
    endless = raw_request(tight, PING).removesuffix(b"\r\n") + b"X-Slow: " + b"a" * 10_000
    started = time.monotonic()
    answer = b""
    with tight.connect() as sock:
        for byte in endless:
            assert time.monotonic() - started < 8, "still connected after 8 s"
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                answer = read_until_closed(sock, timeout=5.0)
                break
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    status, _, body = split_response(answer)
    assert "limits.header_timeout" in orjson.loads(body)["errors"][0]["description"]
    _still_serving(tight)


#: The time-out alone (CORS or rate limiting configured), and within the gateway's one layer.
TIMEOUT_LAYERS = {
    "alone": Middleware(RequestTimeoutMiddleware, seconds=0.2),
    "in the gateway layer": Middleware(
        GatewayMiddleware,
        networks=ClientNetworks([], []),
        max_header_bytes=8192,
        request_timeout=0.2,
    ),
}


async def _slow(request: Request) -> PlainTextResponse:
    await anyio.sleep(30)
    return PlainTextResponse("too late")


async def _quick(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def _timed_app(layer: Middleware) -> Starlette:
    app = Starlette(
        routes=[Route("/slurm/v0.0.37/slow", _slow), Route("/quick", _quick)],
        middleware=[layer],
    )
    app.state.backend = _Backend()
    return app


@pytest.mark.parametrize("layer", TIMEOUT_LAYERS.values(), ids=TIMEOUT_LAYERS.keys())
async def test_request_running_too_long_gets_504(layer: Middleware) -> None:
    transport = httpx.ASGITransport(app=_timed_app(layer))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        with anyio.fail_after(5):
            response = await client.get("/slurm/v0.0.37/slow")
        assert response.status_code == 504
        assert_error_envelope(response.json(), version="v0.0.37")
        assert "limits.request_timeout" in response.json()["errors"][0]["description"]
        assert (await client.get("/quick")).text == "ok"


@pytest.mark.parametrize("layer", TIMEOUT_LAYERS.values(), ids=TIMEOUT_LAYERS.keys())
async def test_a_request_cancelled_by_someone_else_is_not_answered_as_timed_out(
    layer: Middleware,
) -> None:
    # A server shutting down cancels what runs: that must go on, not become a 504.
    transport = httpx.ASGITransport(app=_timed_app(layer))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        request = asyncio.ensure_future(client.get("/slurm/v0.0.37/slow"))
        await asyncio.sleep(0.05)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        await asyncio.sleep(0.3)  # past the deadline: nothing of that request is left to cancel
        assert (await client.get("/quick")).text == "ok"


class _Backend:
    """All that the error envelope needs of a backend."""

    info = ClusterInfo(cluster_name="test", slurm_version=(22, 5, 8))


# -- connections -----------------------------------------------------------------------------


def test_connections_over_the_maximum_get_503(tmp_path: Path) -> None:
    with running(tmp_path / "state", "[limits]\nmax_connections = 2\n") as gateway:
        first, second = gateway.connect(), gateway.connect()
        try:
            # Both are served and kept alive: every connection slot is taken.
            assert exchange(first, raw_request(gateway, PING))[0] == 200
            assert exchange(second, raw_request(gateway, PING))[0] == 200
            response = httpx.get(gateway.base_url + PING, headers=gateway.headers(), timeout=10.0)
            error = _error(response, 503)
            assert "limits.max_connections" in str(error["description"])
        finally:
            first.close()
            second.close()

        def served() -> bool:
            response = httpx.get(gateway.base_url + PING, headers=gateway.headers(), timeout=10.0)
            return response.status_code == 200

        assert poll(served, timeout=10.0), "no connection slot came free"
