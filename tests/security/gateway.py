"""A real ``slurmgate serve`` for the security tests: any listen address, HTTP or HTTPS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from slurmgate.auth.tokens import mint
from tests.support.cluster import current_user, free_port, read_key, stop_process

#: A small embedded cluster that starts fast.
CLUSTER = """
[local]
sched_interval = 0.5

[[local.nodes]]
name = "node1"
cpus = 2
memory = 1024
"""


@dataclass
class Gateway:
    process: subprocess.Popen[bytes]
    state_dir: Path
    #: ("127.0.0.1", port), or the unix socket's path.
    address: tuple[str, int] | str
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        assert isinstance(self.address, tuple)
        return f"{self.scheme}://{self.address[0]}:{self.address[1]}"

    @property
    def log(self) -> str:
        return (self.state_dir / "gateway.log").read_text()

    def headers(self, user: str | None = None) -> dict[str, str]:
        token = mint(
            read_key(self.state_dir), user or current_user(), lifespan=300, now=int(time.time())
        )
        return {"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": user or current_user()}

    def connect(self, timeout: float = 5.0) -> socket.socket:
        """A raw connection, for what an HTTP client library will not send."""
        if isinstance(self.address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(self.address)
        except BaseException:
            sock.close()
            raise
        return sock


def start(
    state_dir: Path, settings: str = "", *, listen: str | None = None, scheme: str = "http"
) -> Gateway:
    """Start ``slurmgate serve`` with ``settings`` (TOML) on top of a small cluster."""
    state_dir.mkdir(parents=True, exist_ok=True)
    config = state_dir / "slurmgate.toml"
    config.write_text(settings + "\n" + CLUSTER)
    address: tuple[str, int] | str
    if listen is None:
        address = ("127.0.0.1", free_port())
        listen = f"127.0.0.1:{address[1]}"
    else:
        address = listen.removeprefix("unix:")
    process = launch(state_dir, config, listen)
    gateway = Gateway(process, state_dir, address, scheme)
    _wait_until_listening(gateway)
    return gateway


def launch(state_dir: Path, config: Path, listen: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "slurmgate.cli.main", "serve", "--listen", listen]
    argv += ["--state-dir", str(state_dir), "--config", str(config)]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURMGATE_")}
    with (state_dir / "gateway.log").open("ab") as log:
        return subprocess.Popen(argv, stdout=log, stderr=log, env=env)


@contextmanager
def running(
    state_dir: Path, settings: str = "", *, listen: str | None = None, scheme: str = "http"
) -> Iterator[Gateway]:
    gateway = start(state_dir, settings, listen=listen, scheme=scheme)
    try:
        yield gateway
    finally:
        stop_process(gateway.process)


def _wait_until_listening(gateway: Gateway, timeout: float = 30.0) -> None:
    # uvicorn listens only once the application has started, so accepting means serving.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            raise AssertionError(
                f"gateway exited with {gateway.process.returncode}:\n{gateway.log}"
            )
        try:
            gateway.connect(timeout=1.0).close()
            return
        except OSError:
            time.sleep(0.05)
    stop_process(gateway.process)
    raise AssertionError(f"gateway did not listen within {timeout}s:\n{gateway.log}")


def poll(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """True as soon as ``check()`` is; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection, within ``timeout``."""
    received = bytearray()
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return bytes(received)
        if not chunk:
            return bytes(received)
        received += chunk
    raise AssertionError(f"connection still open after {timeout}s; received {bytes(received)!r}")


# -- raw HTTP, for what an HTTP client library will not send --------------------------------


def raw_request(
    gateway: Gateway, path: str, *, method: str = "GET", extra: str = "", auth: bool = True
) -> bytes:
    """One request as bytes on the wire; ``extra`` holds more header lines."""
    headers = "".join(f"{k}: {v}\r\n" for k, v in gateway.headers().items()) if auth else ""
    return f"{method} {path} HTTP/1.1\r\nHost: gateway\r\n{headers}{extra}\r\n".encode()


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and what follows the head."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def read_response(
    sock: socket.socket, received: bytes = b"", *, has_body: bool = True
) -> tuple[int, dict[str, str], bytes, bytes]:
    """Exactly one response from a kept-alive connection: status, headers, body, and the
    bytes already received after it (the next response's)."""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {received!r}"
        received += chunk
    status, headers, rest = split_response(received)
    length = int(headers["content-length"]) if has_body else 0
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {rest!r}"
        rest += chunk
    return status, headers, rest[:length], rest[length:]


def exchange(sock: socket.socket, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one request on a kept-alive connection and read exactly its response."""
    sock.sendall(request)
    status, headers, body, _ = read_response(sock)
    return status, headers, body
