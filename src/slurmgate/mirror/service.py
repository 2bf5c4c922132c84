"""The identity the mirror reads the cluster as: a user who sees every record."""

from __future__ import annotations

import time

from slurmgate.auth.tokens import mint
from slurmgate.domain import Principal

#: Lifespan of the mirror's own tokens; a new one is minted well before the old expires.
TOKEN_LIFESPAN = 3600
RENEW_BEFORE = 600


class ServiceIdentity:
    """Mints the service user's tokens with the cluster's key, as ``scontrol token`` would."""

    def __init__(self, user: str, key: bytes) -> None:
        self.user = user
        self._key = key
        self._principal: Principal | None = None
        self._expires = 0.0

    def principal(self) -> Principal:
        now = time.time()
        if self._principal is None or now > self._expires - RENEW_BEFORE:
            token = mint(self._key, self.user, TOKEN_LIFESPAN, int(now))
            self._principal = Principal(self.user, token=token, is_admin=True)
            self._expires = now + TOKEN_LIFESPAN
        return self._principal
