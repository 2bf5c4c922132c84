"""The HS256 keys: Slurm's default key and the rotation keys a token names by ``kid``.

A token without ``kid`` is checked against the default key, which is what ``scontrol token``
signs with. Rotation keys (``auth.keys``) let slurmgate sign with a new key while tokens of the
old one stay valid until its ``retire_after``; the ``primary`` key signs what slurmgate mints.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from slurmgate.auth.keys import load_key
from slurmgate.config import SigningKey


@dataclass(frozen=True, slots=True)
class HmacKey:
    """One HS256 secret; ``kid`` None is the default key, which tokens name by omission."""

    kid: str | None
    secret: bytes = field(repr=False)
    #: Unix time from which tokens signed with it are refused; None: never.
    retire_after: int | None = None
    primary: bool = False

    def retired(self, now: float) -> bool:
        return self.retire_after is not None and now >= self.retire_after


class KeyRing:
    """The default key plus the rotation keys by ``kid``; immutable once built."""

    def __init__(self, default: bytes, keys: Iterable[HmacKey] = ()) -> None:
        self.default = HmacKey(kid=None, secret=default)
        self._by_kid: dict[str, HmacKey] = {}
        primary: HmacKey | None = None
        for key in keys:
            if key.kid is None:
                raise ValueError("a rotation key needs a kid")
            if key.kid in self._by_kid:
                raise ValueError(f"two keys have the kid {key.kid!r}")
            if key.primary:
                if primary is not None:
                    raise ValueError(f"keys {primary.kid!r} and {key.kid!r} are both primary")
                primary = key
            self._by_kid[key.kid] = key
        #: What new tokens are signed with: the primary rotation key, else the default key.
        self.signing = primary or self.default

    def get(self, kid: str) -> HmacKey | None:
        return self._by_kid.get(kid)

    @property
    def kids(self) -> list[str]:
        return sorted(self._by_kid)

    @property
    def rotation(self) -> list[HmacKey]:
        return [self._by_kid[kid] for kid in self.kids]


def load_rotation_keys(keys: Iterable[SigningKey]) -> list[HmacKey]:
    """Read every ``auth.keys`` file with the default key's checks; ``ConfigError`` if one fails."""
    return [
        HmacKey(
            kid=key.kid,
            secret=load_key(Path(key.path), setting=f"auth.keys, kid {key.kid}"),
            retire_after=key.retire_after,
            primary=key.primary,
        )
        for key in keys
    ]


def format_time(unix: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))
