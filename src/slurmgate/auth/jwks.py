"""The RSA public keys of an OIDC provider, from a JWKS file (Slurm's ``jwks=``).

Only RSA signing keys are kept (``kty`` RSA, ``alg`` RS256 or absent, ``use`` sig or absent),
each by its ``kid``. The file is watched: at most once a second its identity (inode, size,
mtime) is compared, and a changed file is read again, so a provider's key rollover reaches a
running gateway without a restart. A file that cannot be read or parsed after a change leaves
the previous keys in place (and says so in the log) rather than refusing every token.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from slurmgate.domain.errors import AuthError, ConfigError

log = logging.getLogger("slurmgate.auth")

#: A provider's key set is a few KiB; anything this large is not one.
MAX_JWKS_BYTES = 1 << 20
#: RSA keys shorter than this are refused (NIST SP 800-131A).
MIN_RSA_BITS = 2048

_Identity = tuple[int, int, int, int]


def parse_jwks(data: bytes, source: str) -> dict[str, RSAPublicKey]:
    """The RS256 keys of a JWKS document by ``kid``; ``ConfigError`` when it is not one."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise ConfigError(f"JWKS file {source} is not JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ConfigError(f'JWKS file {source} has no "keys" list')
    found: dict[str, RSAPublicKey] = {}
    for entry in keys:
        if not isinstance(entry, dict) or not _is_rs256_signing_key(entry):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ConfigError(f"JWKS file {source}: an RS256 key has no kid")
        if kid in found:
            raise ConfigError(f"JWKS file {source}: two RS256 keys have the kid {kid!r}")
        found[kid] = _public_key(entry, kid, source)
    if not found:
        raise ConfigError(f"JWKS file {source} holds no RS256 signing key")
    return found


def _is_rs256_signing_key(entry: dict[str, Any]) -> bool:
    return (
        entry.get("kty") == "RSA"
        and entry.get("alg", "RS256") == "RS256"
        and entry.get("use", "sig") == "sig"
    )


def _public_key(entry: dict[str, Any], kid: str, source: str) -> RSAPublicKey:
    # Private members ("d", "p", ...) are dropped: a JWKS lends public keys only.
    public: dict[str, Any] = {k: entry[k] for k in ("kty", "n", "e") if k in entry}
    try:
        key = RSAAlgorithm.from_jwk(public)
    except Exception as exc:  # PyJWT raises several kinds for a bad n or e
        raise ConfigError(f"JWKS file {source}: key {kid!r} is not a valid RSA key") from exc
    if isinstance(key, RSAPrivateKey):
        key = key.public_key()
    if key.key_size < MIN_RSA_BITS:
        raise ConfigError(
            f"JWKS file {source}: key {kid!r} has {key.key_size} bits, fewer than {MIN_RSA_BITS}"
        )
    return key


def read_jwks_file(path: Path) -> tuple[dict[str, RSAPublicKey], _Identity]:
    """Read and check the file; ``ConfigError`` saying what is wrong."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ConfigError(f"JWKS file {path} (auth.jwks_file) does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot open JWKS file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        _check_file(path, info)
        data = file.read(MAX_JWKS_BYTES + 1)
    if len(data) > MAX_JWKS_BYTES:
        raise ConfigError(f"JWKS file {path} is larger than 1 MiB: is it really a key set?")
    return parse_jwks(data, str(path)), _identity(info)


def _check_file(path: Path, info: os.stat_result) -> None:
    # Public keys may be read by anyone, but whoever can change them can sign in as anyone.
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"JWKS file {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise ConfigError(
            f"JWKS file {path} is writable by group or others (mode 0{mode:o}); anyone who "
            f"changes it can act as any user: run `chmod go-w {path}`"
        )
    if info.st_uid not in (0, os.geteuid()):
        raise ConfigError(
            f"JWKS file {path} is owned by uid {info.st_uid}, neither root nor the user "
            "slurmgate runs as: give it to one of them"
        )


def _identity(info: os.stat_result) -> _Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class JwksKeys:
    """The JWKS file's keys, re-read when the file changes; safe to use from any thread."""

    def __init__(
        self,
        path: Path,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._check_interval = check_interval
        self._clock = clock
        self._keys, self._identity = read_jwks_file(path)
        self._generation = 0
        self._next_check = clock() + check_interval
        self._lock = threading.Lock()
        #: The file state last warned about, so a broken file is reported once, not per second.
        self._warned: object = None

    def generation(self) -> int:
        """A number that changes whenever the key set does (after looking for a change)."""
        self._maybe_reload()
        return self._generation

    def has(self, kid: str) -> bool:
        return kid in self._keys

    @property
    def kids(self) -> list[str]:
        return sorted(self._keys)

    def key(self, kid: object) -> RSAPublicKey:
        """The public key ``kid`` names, or ``AuthError``."""
        self._maybe_reload()
        if kid is None:
            raise AuthError("RS256 token names no key (kid header)")
        found = self._keys.get(str(kid))
        if found is None:
            raise AuthError("RS256 token names a key (kid header) that the JWKS file lacks")
        return found

    def _maybe_reload(self) -> None:
        if self._clock() < self._next_check or not self._lock.acquire(blocking=False):
            return
        try:
            self._next_check = self._clock() + self._check_interval
            try:
                identity = _identity(os.stat(self.path))
            except OSError as exc:
                self._warn_once(("gone",), f"cannot stat JWKS file {self.path}: {exc.strerror}")
                return
            if identity == self._identity:
                return
            try:
                keys, identity = read_jwks_file(self.path)
            except ConfigError as exc:
                self._warn_once(identity, f"{exc.description}; keeping the previous keys")
                return
            self._keys, self._identity = keys, identity
            self._generation += 1
            log.info("JWKS file %s re-read: keys %s", self.path, ", ".join(sorted(keys)))
        finally:
            self._lock.release()

    def _warn_once(self, identity: object, message: str) -> None:
        if self._warned != identity:
            self._warned = identity
            log.warning("%s", message)
