"""``slurmgate serve`` for real: a subprocess on a loopback port, stopped with SIGTERM."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from slurmgate.auth.keys import load_key
from slurmgate.auth.tokens import mint


def _app_unavailable() -> str | None:
    try:
        import slurmgate.app  # noqa: F401
    except ImportError as exc:
        return f"slurmgate.app cannot be imported yet: {exc}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.skipif(_app_unavailable() is not None, reason=str(_app_unavailable()))
def test_serve_answers_ping_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    state_dir = tmp_path / "state"
    argv = [
        sys.executable,
        "-m",
        "slurmgate.cli",
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--state-dir",
        str(state_dir),
    ]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURMGATE_")}
    server = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    response: httpx.Response | None = None
    try:
        deadline = time.monotonic() + 30
        while response is None and time.monotonic() < deadline and server.poll() is None:
            response = _ping(port, state_dir / "jwt_hs256.key")
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _, stderr = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate()
            pytest.fail(f"slurmgate did not stop within 30 s of SIGTERM; stderr:\n{stderr}")
    assert response is not None, f"no answer within 30 s; stderr:\n{stderr}"
    assert response.status_code == 200, response.text
    assert "pings" in response.json()
    assert server.returncode == 0, stderr
    assert f"listen=127.0.0.1:{port}" in stderr
    assert f"state_dir={state_dir}" in stderr


def _ping(port: int, key: Path) -> httpx.Response | None:
    """The answer to an authenticated ping, or None while the server is not up yet."""
    if not key.exists():
        return None
    token = mint(load_key(key), pwd.getpwuid(os.geteuid()).pw_name, 60)
    try:
        return httpx.get(
            f"http://127.0.0.1:{port}/slurm/v0.0.38/ping",
            headers={"X-SLURM-USER-TOKEN": token},
            timeout=5,
        )
    except httpx.TransportError:
        return None
