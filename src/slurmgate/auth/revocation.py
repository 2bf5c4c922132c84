"""Revoked tokens, kept in SQLite so they outlive restarts and reach every process.

Two kinds of entry: one token by its id (``jti``, which slurmgate's tokens carry), and every
token of a user issued before a time (``iat < before``), which also reaches Slurm's own tokens
(they have no ``jti``). The gateway holds both in memory and looks for changes made by other
processes (``slurmgate token revoke`` from a shell) at most once a second, with SQLite's
``PRAGMA data_version``, so a revocation takes effect within about a second.

If the database cannot be read after start-up, the entries already loaded stay in force: a
broken file never un-revokes a token. The file must not be deleted or replaced while a gateway
runs (SQLite's WAL files belong to it): stop the gateway to restore it from a backup.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from slurmgate.auth.keyring import format_time
from slurmgate.auth.tokens import Claims
from slurmgate.domain.errors import ConfigError

log = logging.getLogger("slurmgate.auth")

#: Revoked ids are forgotten this long after their token would have expired anyway.
PRUNE_AFTER = 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti TEXT PRIMARY KEY,
    user TEXT,
    expires_at INTEGER,
    revoked_at INTEGER NOT NULL,
    revoked_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked_users (
    user TEXT PRIMARY KEY,
    before INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL,
    revoked_by TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class RevokedToken:
    jti: str
    #: The token's user, when the revoker knew it.
    user: str | None
    #: When the token expires anyway (the entry is dropped later); None: unknown.
    expires_at: int | None
    revoked_at: int
    revoked_by: str


@dataclass(frozen=True, slots=True)
class RevokedUser:
    user: str
    #: Tokens of ``user`` issued before this Unix time are refused.
    before: int
    revoked_at: int
    revoked_by: str


class RevocationStore:
    """The revocation list of one state directory; safe to use from any thread."""

    def __init__(
        self,
        path: Path,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._check_interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, RevokedToken] = {}
        self._users: dict[str, RevokedUser] = {}
        self._conn = self._open()
        self._data_version = -1
        self._next_check = 0.0
        with self._lock:
            self._reload_locked()

    # -- reading ---------------------------------------------------------------------------

    def revoked(self, claims: Claims, now: float) -> str | None:
        """Why ``claims``' token is revoked, or None; see ``TokenVerifier``."""
        self._maybe_refresh(now)
        if claims.token_id is not None and claims.token_id in self._tokens:
            return "token has been revoked"
        cutoff = self._users.get(claims.user_name)
        # A token without an issue time cannot show it came after the cutoff.
        if cutoff is not None and (claims.issued_at is None or claims.issued_at < cutoff.before):
            return (
                f"tokens of user {claims.user_name} issued before "
                f"{format_time(cutoff.before)} have been revoked: get a new token"
            )
        return None

    def entries(self) -> tuple[list[RevokedToken], list[RevokedUser]]:
        """Everything revoked, read afresh from the database."""
        with self._lock:
            self._reload_locked(force=True)
            return (
                sorted(self._tokens.values(), key=lambda t: (t.revoked_at, t.jti)),
                sorted(self._users.values(), key=lambda u: (u.revoked_at, u.user)),
            )

    # -- writing ---------------------------------------------------------------------------

    def revoke_token(
        self, jti: str, *, by: str, user: str | None = None, expires_at: int | None = None
    ) -> RevokedToken:
        if not jti:
            raise ValueError("a token id is needed")
        now = int(self._clock())
        with self._lock, self._write() as conn:
            conn.execute(
                "INSERT INTO revoked_tokens (jti, user, expires_at, revoked_at, revoked_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
                (jti, user, expires_at, now, by),
            )
            conn.execute(
                "DELETE FROM revoked_tokens WHERE expires_at IS NOT NULL AND expires_at < ?",
                (now - PRUNE_AFTER,),
            )
        with self._lock:
            self._reload_locked(force=True)
            return self._tokens.get(jti) or RevokedToken(jti, user, expires_at, now, by)

    def revoke_user(self, user: str, before: int, *, by: str) -> RevokedUser:
        """Refuse ``user``'s tokens issued before ``before``; an earlier cutoff only grows."""
        if not user:
            raise ValueError("a user name is needed")
        now = int(self._clock())
        with self._lock, self._write() as conn:
            conn.execute(
                "INSERT INTO revoked_users (user, before, revoked_at, revoked_by) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user) DO UPDATE SET "
                "before = max(before, excluded.before), revoked_at = excluded.revoked_at, "
                "revoked_by = excluded.revoked_by",
                (user, before, now, by),
            )
        with self._lock:
            self._reload_locked(force=True)
            return self._users[user]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- inside ----------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Created 0600 before SQLite sees it: the list says whose access was cut off.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            os.close(fd)
            conn = sqlite3.connect(
                self.path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the revocation list {self.path}: {exc}") from exc
        if os.geteuid() == 0:
            self._give_to_state_owner()
        return conn

    def _give_to_state_owner(self) -> None:
        # root running `slurmgate token revoke` must not leave files the service cannot write.
        owner = self.path.parent.stat()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chown(f"{self.path}{suffix}", owner.st_uid, owner.st_gid)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot write the revocation list {self.path}: {exc}") from exc

    def _maybe_refresh(self, now: float) -> None:
        if now < self._next_check or not self._lock.acquire(blocking=False):
            return
        try:
            self._next_check = now + self._check_interval
            self._reload_locked()
        finally:
            self._lock.release()

    def _reload_locked(self, *, force: bool = False) -> None:
        try:
            # data_version moves when another connection commits; our own writes force it.
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version == self._data_version and not force:
                return
            tokens = {
                row[0]: RevokedToken(*row)
                for row in self._conn.execute(
                    "SELECT jti, user, expires_at, revoked_at, revoked_by FROM revoked_tokens"
                )
            }
            users = {
                row[0]: RevokedUser(*row)
                for row in self._conn.execute(
                    "SELECT user, before, revoked_at, revoked_by FROM revoked_users"
                )
            }
        except sqlite3.Error as exc:
            log.error("cannot read the revocation list %s: %s", self.path, exc)
            return
        self._tokens, self._users, self._data_version = tokens, users, version


def parse_before(value: object, now: float) -> int:
    """``before`` as a Unix time: an integer, or "now"; ``ValueError`` otherwise."""
    if isinstance(value, str) and value.strip().lower() == "now":
        return int(now)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"before must be a Unix time in seconds or 'now', not {value!r}")


def keep_until(max_lifespan: int | None, leeway: int, now: float) -> int | None:
    """When a token revoked now expires at the latest, if a maximum lifespan bounds it."""
    return None if max_lifespan is None else int(now) + max_lifespan + leeway
