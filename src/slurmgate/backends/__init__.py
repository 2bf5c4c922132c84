"""Backends: one interface (``base.Backend``), several implementations."""

from __future__ import annotations

from slurmgate.backends.base import Backend
from slurmgate.config import Settings


def create_backend(settings: Settings) -> Backend:
    """The backend ``settings.backend`` names, not yet started; imported only when chosen."""
    if settings.backend == "slurm":
        from slurmgate.backends.slurm.backend import SlurmBackend

        return SlurmBackend(settings.slurm, settings.state_dir, threads=settings.threads)
    from slurmgate.backends.local.backend import LocalBackend

    return LocalBackend(settings.local, settings.state_dir, admins=frozenset(settings.auth.admins))
