"""Limits: sizes, time-outs, slow clients and connections, each answered and survived."""

from __future__ import annotations

import select
import socket
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

from slurmgate.api.middleware import RequestTimeoutMiddleware
from slurmgate.backends.base import ClusterInfo
from tests.security.gateway import Gateway, poll, read_until_closed, running
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


def _head(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def _exchange(sock: socket.socket, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one request on a kept-alive connection and read exactly its response."""
    sock.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {received!r}"
        received += chunk
    status, headers, body = _head(received)
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return status, headers, body


def _get(gateway: Gateway, path: str = PING, extra: str = "") -> bytes:
    headers = "".join(f"{k}: {v}\r\n" for k, v in gateway.headers().items())
    return f"GET {path} HTTP/1.1\r\nHost: gateway\r\n{headers}{extra}\r\n".encode()


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
        sock.sendall(_get(tight).removesuffix(b"\r\n") + b"X-Padding: " + b"x" * 6000)
        answer = read_until_closed(sock, timeout=10.0)
    status, _, body = _head(answer)
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
    status, _, body = _head(answer)
    assert status == 408, answer
    assert_error_envelope(orjson.loads(body))
    assert time.monotonic() - started < 8
    _still_serving(tight)


def test_idle_connection_is_closed(tight: Gateway) -> None:
    with tight.connect() as sock:
        status, headers, _ = _exchange(sock, _get(tight))
        assert status == 200
        assert headers.get("connection") != "close"
        started = time.monotonic()
        assert read_until_closed(sock, timeout=5.0) == b""
        assert time.monotonic() - started < 4


def test_silent_connection_is_closed(tight: Gateway) -> None:
    with tight.connect() as sock:
        assert read_until_closed(sock, timeout=5.0) == b""


def test_client_sending_headers_byte_by_byte_is_cut_off(tight: Gateway) -> None:
    endless = _get(tight).removesuffix(b"\r\n") + b"X-Slow: " + b"a" * 10_000
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
    status, _, body = _head(answer)
    assert "limits.header_timeout" in orjson.loads(body)["errors"][0]["description"]
    _still_serving(tight)


async def test_request_running_too_long_gets_504() -> None:
    async def slow(request: Request) -> PlainTextResponse:
        await anyio.sleep(30)
        return PlainTextResponse("too late")

    async def quick(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/slurm/v0.0.37/slow", slow), Route("/quick", quick)],
        middleware=[Middleware(RequestTimeoutMiddleware, seconds=0.2)],
    )
    app.state.backend = _Backend()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        with anyio.fail_after(5):
            response = await client.get("/slurm/v0.0.37/slow")
        assert response.status_code == 504
        assert_error_envelope(response.json(), version="v0.0.37")
        assert "limits.request_timeout" in response.json()["errors"][0]["description"]
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
            assert _exchange(first, _get(gateway))[0] == 200
            assert _exchange(second, _get(gateway))[0] == 200
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
