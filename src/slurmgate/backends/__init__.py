"""Backends: one interface (``base.Backend``), several implementations."""

from __future__ import annotations

from slurmgate.backends.base import Backend
from slurmgate.config import Settings


def create_backend(settings: Settings) -> Backend:
    """The backend ``settings.backend`` names, not yet started."""
    from slurmgate.backends.local.backend import LocalBackend  # imported only when chosen

    return LocalBackend(settings.local, settings.state_dir, admins=frozenset(settings.auth.admins))
