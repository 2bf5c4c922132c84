"""The HS256 key: Slurm's ``jwt_hs256.key``, whose bytes are the HMAC secret as they are.

``load_key`` refuses a key file others could read or replace, as slurmctld does (and stricter:
group access is refused too, since anyone who reads the key can mint a token for any user).
``ensure_key`` creates one for the embedded cluster when none exists yet.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import stat
from pathlib import Path

from slurmgate.domain.errors import ConfigError

#: RFC 7518 section 3.2: an HS256 key must be at least as long as the hash (256 bits).
MIN_KEY_BYTES = 32
#: What ``ensure_key`` writes: twice the minimum, from the OS's CSPRNG.
NEW_KEY_BYTES = 64
#: Reading a bigger file is surely a mistake (a directory of keys, a log file ...).
MAX_KEY_BYTES = 1 << 20


def load_key(path: Path, *, setting: str | None = None) -> bytes:
    """Read and check a key file; every problem is a ``ConfigError`` saying how to fix it.

    ``setting`` names where the path came from when it is not the default key's.
    """
    try:
        # No O_NOFOLLOW: a cluster key may well be a symlink into shared storage.
        # O_NONBLOCK: a FIFO in the key's place must fail the checks below, not hang the start.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
    except FileNotFoundError:
        if setting is not None:
            raise ConfigError(f"JWT key file {path} ({setting}) does not exist") from None
        raise ConfigError(
            f"JWT key file {path} does not exist: point --jwt-key (SLURMGATE_AUTH__JWT_KEY) "
            "at the cluster's jwt_hs256.key, or leave it unset to have the embedded cluster "
            "create one in its state directory"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"JWT key file {path} is not readable by user {_user_name(os.geteuid())}: "
            f"run `chown {_user_name(os.geteuid())} {path}`"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot open JWT key file {path}: {exc.strerror}") from exc
    try:
        # Checked on the open descriptor, so the file cannot be swapped between check and read.
        _check_file(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as file:
        data = file.read(MAX_KEY_BYTES + 1)
    if not data:
        raise ConfigError(
            f"JWT key file {path} is empty: write a random key into it, e.g. "
            f"`dd if=/dev/urandom of={path} bs=32 count=1`"
        )
    if len(data) < MIN_KEY_BYTES:
        raise ConfigError(
            f"JWT key file {path} holds {len(data)} bytes; an HS256 key needs at least "
            f"{MIN_KEY_BYTES} (RFC 7518): generate a new one, e.g. "
            f"`dd if=/dev/urandom of={path} bs=32 count=1`, on every host that uses it"
        )
    if len(data) > MAX_KEY_BYTES:
        raise ConfigError(f"JWT key file {path} is larger than 1 MiB: is it really a key?")
    return data


def _check_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"JWT key file {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"JWT key file {path} is accessible by group or others (mode 0{mode:o}); "
            f"anyone who reads it can act as any user: run `chmod 600 {path}`"
        )
    euid = os.geteuid()
    if euid != 0 and info.st_uid != euid:
        owner = _user_name(info.st_uid)
        me = _user_name(euid)
        raise ConfigError(
            f"JWT key file {path} is owned by {owner}, not by {me} that slurmgate runs as: "
            f"run `chown {me} {path}` (or give slurmgate its own copy)"
        )


def ensure_key(path: Path) -> bool:
    """Create a fresh random key at ``path`` unless one exists; True when it was created.

    The parent directory is created with mode 0700 if missing. The key appears whole or not at
    all, and a key that appears concurrently (``serve`` and ``token`` started together) wins:
    both processes then use the same one.
    """
    if path.exists():
        return False
    parent = path.parent
    try:
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create directory {parent} for the JWT key: {exc.strerror}"
        ) from exc
    tmp = parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot create JWT key file in {parent}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            if os.geteuid() == 0:
                # root creating the key for a service user (``sudo slurmgate token`` before the
                # first ``serve``): the key belongs to whoever owns the state directory.
                parent_info = parent.stat()
                os.fchown(file.fileno(), parent_info.st_uid, parent_info.st_gid)
            file.write(secrets.token_bytes(NEW_KEY_BYTES))
            file.flush()
            os.fsync(file.fileno())
        try:
            # link(), unlike rename(), never replaces a key another process created meanwhile.
            os.link(tmp, path)
        except FileExistsError:
            return False
        _fsync_dir(parent)
        return True
    except OSError as exc:
        raise ConfigError(f"cannot create JWT key file {path}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
