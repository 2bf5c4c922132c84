"""HTTP as clients really send it: garbage, pipelined requests, HEAD, protocol upgrades.

Each gets an answer, in slurmrestd's envelope when it is a refusal, and none leaves a
connection hanging.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from tests.security.gateway import (
    Gateway,
    raw_request,
    read_response,
    read_until_closed,
    running,
    split_response,
)
from tests.support.spec import assert_error_envelope

PING = "/slurm/v0.0.38/ping"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running(tmp_path_factory.mktemp("http")) as gateway:
        yield gateway


@pytest.mark.parametrize(
    "garbage",
    [
        b"HELLO THERE\r\n\r\n",
        b"GET /slurm/v0.0.38/p\xc3\xa9ng HTTP/1.1\r\nHost: gateway\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost gateway\r\n\r\n",
    ],
    ids=["not HTTP", "non-ASCII path", "header without colon"],
)
def test_what_is_not_http_gets_400_in_the_envelope(gateway: Gateway, garbage: bytes) -> None:
    with gateway.connect() as sock:
        sock.sendall(garbage)
        answer = read_until_closed(sock, timeout=10.0)
    status, headers, body = split_response(answer)
    assert status == 400, answer
    assert headers["connection"] == "close"
    assert_error_envelope(orjson.loads(body))


def test_pipelined_requests_are_answered_in_order(gateway: Gateway) -> None:
    first = raw_request(gateway, PING, extra="X-Request-ID: first\r\n")
    second = raw_request(gateway, PING, extra="X-Request-ID: second\r\n")
    with gateway.connect() as sock:
        sock.sendall(first + second)  # one write: both arrive in one read
        status, headers, _, rest = read_response(sock)
        assert (status, headers["x-request-id"]) == (200, "first")
        status, headers, _, _ = read_response(sock, rest)
        assert (status, headers["x-request-id"]) == (200, "second")


def test_head_gets_the_head_alone_and_the_connection_stays_open(gateway: Gateway) -> None:
    with gateway.connect() as sock:
        sock.sendall(raw_request(gateway, PING, method="HEAD"))
        status, headers, _, rest = read_response(sock, has_body=False)
        assert status == 200
        assert int(headers["content-length"]) > 0
        assert rest == b""
        sock.sendall(raw_request(gateway, PING))
        assert read_response(sock)[0] == 200


def test_a_protocol_upgrade_is_answered_in_http_then_the_connection_closes(
    gateway: Gateway,
) -> None:
    # What curl --http2 sends over plain HTTP; the gateway speaks HTTP/1.1 only.
    upgrade = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n"
    with gateway.connect() as sock:
        sock.sendall(raw_request(gateway, PING, extra=upgrade))
        answer = read_until_closed(sock, timeout=10.0)
    status, headers, body = split_response(answer)
    assert status == 200
    assert headers["connection"] == "close"
    assert "pings" in orjson.loads(body)
