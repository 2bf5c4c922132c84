"""Listening sockets for slurmrestd's listen forms, opened before the server starts.

``:PORT`` is every interface (IPv6 and IPv4 where the host has both), ``HOST:PORT`` every
address the host name resolves to, ``[ADDR]:PORT`` one address, ``unix:/PATH`` a socket file
of mode 0660 (a stale file from a crashed run is replaced, a live one is not).
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from dataclasses import dataclass, field
from typing import Any

from slurmgate.config import parse_listen
from slurmgate.domain.errors import ConfigError

UNIX_SOCKET_MODE = 0o660


@dataclass
class Listeners:
    sockets: list[socket.socket]
    #: The socket file to remove on close; None for TCP.
    unix_path: str | None = None
    _unix_identity: tuple[int, int, int] | None = field(default=None, repr=False)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        if self.unix_path is not None and self._unix_identity is not None:
            # Remove only our own socket file: a newer instance may already have replaced it
            # (ctime too, since a freed inode number is soon reused).
            with contextlib.suppress(OSError):
                if _identity(os.lstat(self.unix_path)) == self._unix_identity:
                    os.unlink(self.unix_path)


def open_listeners(listen: str) -> Listeners:
    """Bound (not yet listening) sockets for ``listen``; ``ConfigError`` saying why not."""
    try:
        kind, host, port = parse_listen(listen)
    except ValueError as exc:
        raise ConfigError(f"invalid settings: listen: {exc}") from None
    if kind == "unix":
        return _open_unix(host)
    if listen.startswith(":"):
        return Listeners([_open_wildcard(listen, port)])
    return Listeners(_open_tcp(listen, host, port))


def _open_wildcard(listen: str, port: int) -> socket.socket:
    try:
        sock = _bind(socket.AF_INET6, ("::", port), v6only=False)
    except OSError:
        # No IPv6 on this host (disabled, or a container without it): IPv4 only.
        try:
            sock = _bind(socket.AF_INET, ("0.0.0.0", port))  # noqa: S104 - ":PORT" means all
        except OSError as exc:
            raise ConfigError(f"cannot listen on {listen}: {exc.strerror}") from None
    return sock


def _open_tcp(listen: str, host: str, port: int) -> list[socket.socket]:
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {listen}: host {host!r}: {exc.strerror}") from None
    sockets: list[socket.socket] = []
    errors: list[str] = []
    seen: set[tuple[int, str]] = set()
    for family, _, _, _, address in infos:
        if (family, str(address[0])) in seen:
            continue
        seen.add((family, str(address[0])))
        try:
            sockets.append(_bind(family, address, v6only=True))
        except OSError as exc:
            errors.append(f"{address[0]}: {exc.strerror}")
    if not sockets:
        raise ConfigError(f"cannot listen on {listen}: {'; '.join(errors)}")
    return sockets


def _bind(family: int, address: tuple[Any, ...], *, v6only: bool = True) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # A restart must not wait for the previous run's connections in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def _open_unix(path: str) -> Listeners:
    _remove_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # The umask covers the moment between bind() and chmod(): nobody else may connect then.
    old_umask = os.umask(0o177)
    try:
        sock.bind(path)
        os.chmod(path, UNIX_SOCKET_MODE)
        identity = _identity(os.lstat(path))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on unix:{path}: {exc.strerror}") from None
    finally:
        os.umask(old_umask)
    return Listeners([sock], unix_path=path, _unix_identity=identity)


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return (info.st_dev, info.st_ino, info.st_ctime_ns)


def _remove_stale_socket(path: str) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ConfigError(f"cannot listen on unix:{path}: the file exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # nobody answers: left over from a run that did not clean up
        return
    except OSError as exc:
        raise ConfigError(f"cannot listen on unix:{path}: {exc.strerror}") from None
    finally:
        probe.close()
    raise ConfigError(f"cannot listen on unix:{path}: another server is listening there")
