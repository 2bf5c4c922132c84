"""Listening sockets for slurmrestd's listen forms (bound here, never served)."""

from __future__ import annotations

import os
import socket
import stat
import time
from pathlib import Path

import pytest

from slurmgate.cli.listen import open_listeners
from slurmgate.domain.errors import ConfigError


def test_host_and_port(unused_tcp_port: int) -> None:
    listeners = open_listeners(f"127.0.0.1:{unused_tcp_port}")
    try:
        assert [s.getsockname() for s in listeners.sockets] == [("127.0.0.1", unused_tcp_port)]
    finally:
        listeners.close()


def test_bracketed_ipv6_address(unused_tcp_port: int) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this host")
    try:
        listeners = open_listeners(f"[::1]:{unused_tcp_port}")
    except ConfigError as exc:
        pytest.skip(f"::1 is not usable here: {exc}")
    try:
        assert listeners.sockets[0].getsockname()[:2] == ("::1", unused_tcp_port)
    finally:
        listeners.close()


def test_port_alone_means_every_interface(unused_tcp_port: int) -> None:
    listeners = open_listeners(f":{unused_tcp_port}")
    try:
        (sock,) = listeners.sockets
        assert sock.getsockname()[0] in ("::", "0.0.0.0")  # noqa: S104 - what is tested
        assert sock.getsockname()[1] == unused_tcp_port
        sock.listen()
        with socket.create_connection(("127.0.0.1", unused_tcp_port), timeout=5):
            pass  # IPv4 clients reach it even when it is an IPv6 socket
    finally:
        listeners.close()


def test_port_in_use_is_reported(unused_tcp_port: int) -> None:
    first = open_listeners(f"127.0.0.1:{unused_tcp_port}")
    try:
        first.sockets[0].listen()
        with pytest.raises(ConfigError, match="Address already in use"):
            open_listeners(f"127.0.0.1:{unused_tcp_port}")
    finally:
        first.close()


def test_unknown_host_is_reported() -> None:
    with pytest.raises(ConfigError, match="cannot listen on no-such-host.invalid:6820"):
        open_listeners("no-such-host.invalid:6820")


def test_unix_socket_is_group_accessible_only(tmp_path: Path) -> None:
    path = tmp_path / "slurmgate.socket"
    listeners = open_listeners(f"unix:{path}")
    try:
        info = path.lstat()
        assert stat.S_ISSOCK(info.st_mode)
        assert stat.S_IMODE(info.st_mode) == 0o660
    finally:
        listeners.close()
    assert not path.exists()  # removed on close


def test_stale_unix_socket_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "slurmgate.socket"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens: what a crash leaves behind
    listeners = open_listeners(f"unix:{path}")
    listeners.close()


def test_live_unix_socket_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "slurmgate.socket"
    live = socket.socket(socket.AF_UNIX)
    live.bind(str(path))
    live.listen()
    try:
        with pytest.raises(ConfigError, match="another server is listening"):
            open_listeners(f"unix:{path}")
        assert path.exists()
    finally:
        live.close()


def test_other_file_is_never_removed(tmp_path: Path) -> None:
    path = tmp_path / "important.txt"
    path.write_text("keep me")
    with pytest.raises(ConfigError, match="not a socket"):
        open_listeners(f"unix:{path}")
    assert path.read_text() == "keep me"


def test_close_leaves_a_newer_instance_socket_alone(tmp_path: Path) -> None:
    path = tmp_path / "slurmgate.socket"
    listeners = open_listeners(f"unix:{path}")
    listeners.sockets[0].close()
    os.unlink(path)
    time.sleep(0.02)  # a distinct change time even where the file system's clock is coarse
    newer = socket.socket(socket.AF_UNIX)
    newer.bind(str(path))
    try:
        listeners.close()
        assert path.exists()
    finally:
        newer.close()
