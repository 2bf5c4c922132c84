"""A ``SlurmBackend`` on the lab cluster, and tokens for its users."""

from __future__ import annotations

import time
from dataclasses import dataclass

from slurmgate.auth.keys import load_key
from slurmgate.auth.tokens import mint
from slurmgate.backends.slurm.backend import SlurmBackend
from slurmgate.domain import Principal
from tests.support.lab import Lab


@dataclass(frozen=True)
class LabBackend:
    """A started backend and the lab cluster it serves."""

    lab: Lab
    backend: SlurmBackend

    def principal(self, user: str) -> Principal:
        """``user`` with a token signed by the cluster's key, as the gateway would pass it."""
        token = mint(load_key(self.lab.jwt_key), user, lifespan=600, now=int(time.time()))
        return Principal(user_name=user, token=token)

    @property
    def service(self) -> Principal:
        """The backend's service user, as the shared mirror acts."""
        return self.principal(self.backend.service_user)
