"""What slurmgate mints (``slurmgate token``, the refresh endpoint): signed with the primary key,
named by its ``kid``, carrying a random ``jti``, and never longer-lived than ``max_lifespan``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from slurmgate.auth.keyring import HmacKey
from slurmgate.auth.tokens import INFINITE_LIFESPAN, mint
from slurmgate.domain.errors import InvalidRequest


@dataclass(frozen=True, slots=True, repr=False)
class IssuedToken:
    token: str
    jti: str
    user: str
    issued_at: int
    expires_at: int

    def __repr__(self) -> str:  # keep tokens out of logs and tracebacks
        return f"IssuedToken(user={self.user!r}, jti={self.jti!r}, expires_at={self.expires_at})"


def new_token_id() -> str:
    """128 random bits: unguessable, so knowing a token's id means having seen the token."""
    return secrets.token_urlsafe(16)


class TokenIssuer:
    def __init__(
        self,
        signing: HmacKey,
        *,
        default_lifespan: int,
        max_lifespan: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signing = signing
        self.default_lifespan = default_lifespan
        self.max_lifespan = max_lifespan
        self._clock = clock

    def check_lifespan(self, lifespan: int | None) -> int:
        """``lifespan`` (None: infinite) as seconds, or ``InvalidRequest`` saying why not."""
        if lifespan is None:
            if self.max_lifespan is not None:
                raise InvalidRequest(
                    f"an infinite lifespan is not allowed: tokens live at most "
                    f"{self.max_lifespan} seconds (auth.max_lifespan)"
                )
            return INFINITE_LIFESPAN
        if not 0 < lifespan <= INFINITE_LIFESPAN:
            raise InvalidRequest(f"lifespan must be 1..{INFINITE_LIFESPAN} seconds, not {lifespan}")
        if self.max_lifespan is not None and lifespan > self.max_lifespan:
            raise InvalidRequest(
                f"lifespan of {lifespan} seconds exceeds the maximum of {self.max_lifespan} "
                "seconds (auth.max_lifespan)"
            )
        return lifespan

    def issue(
        self, user: str, lifespan: int | None = None, *, infinite: bool = False
    ) -> IssuedToken:
        """A new token for ``user``; ``lifespan`` None means the default unless ``infinite``."""
        seconds = self.check_lifespan(
            None if infinite else (self.default_lifespan if lifespan is None else lifespan)
        )
        now = int(self._clock())
        jti = new_token_id()
        token = mint(self.signing.secret, user, seconds, now, kid=self.signing.kid, jti=jti)
        return IssuedToken(token, jti, user, now, now + seconds)
