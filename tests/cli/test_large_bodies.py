"""A large body leaves the gateway a slice at a time, in order, whole, and without holding up
the other connections: one write of a 200 MB list to a loopback client that keeps reading
held the event loop for as long as the kernel kept copying."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from slurmgate.cli.connection import SLICE
from tests.support.protocol_server import serving

#: Several slices, not a multiple of one, with bytes that show any reordering.
pytestmark = pytest.mark.parametrize("loop", ["uvloop", "asyncio"])

BIG = hashlib.sha256(b"slurmgate").digest() * ((5 * SLICE + 12345) // 32)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    body = BIG if scope["path"] == "/big" else scope["path"].encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def connected(port: int, loop: str) -> Iterator[socket.socket]:
    """A connection to ``app`` served by the gateway's protocol on ``loop`` at ``port``."""
    with serving(app, port, loop=loop), socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(30)
        yield s


def read_response(stream: socket.socket, buffer: bytearray) -> tuple[bytes, bytes]:
    """(head, body) of the next response in ``stream``; what follows stays in ``buffer``."""
    while b"\r\n\r\n" not in buffer:
        buffer += recv(stream)
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.startswith(b"content-")
    )
    buffer[:] = rest
    while len(buffer) < length:
        buffer += recv(stream)
    body = bytes(buffer[:length])
    del buffer[:length]
    return head, body


def recv(stream: socket.socket) -> bytes:
    data = stream.recv(1 << 20)
    assert data, "the gateway closed the connection early"
    return data


def test_a_large_body_arrives_whole_before_the_next_pipelined_answer(
    unused_tcp_port: int, loop: str
) -> None:
    with connected(unused_tcp_port, loop) as s:
        s.sendall(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\nGET /after HTTP/1.1\r\nhost: x\r\n\r\n")
        buffer = bytearray()
        assert read_response(s, buffer)[1] == BIG
        head, body = read_response(s, buffer)
        assert head.startswith(b"HTTP/1.1 200") and body == b"/after"


def test_a_closing_connection_sends_the_whole_body_first(unused_tcp_port: int, loop: str) -> None:
    with connected(unused_tcp_port, loop) as s:
        s.sendall(b"GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        buffer = bytearray()
        assert read_response(s, buffer)[1] == BIG
        assert s.recv(1) == b""  # then closed


def test_others_are_served_while_a_client_takes_its_time_over_a_large_body(
    unused_tcp_port: int, loop: str
) -> None:
    with connected(unused_tcp_port, loop) as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        slow.sendall(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n")
        url = f"http://127.0.0.1:{unused_tcp_port}"
        with httpx.Client(timeout=30) as client:  # the slow client reads nothing meanwhile
            assert [client.get(f"{url}/{n}").text for n in range(20)] == [
                f"/{n}" for n in range(20)
            ]
        assert read_response(slow, bytearray())[1] == BIG
