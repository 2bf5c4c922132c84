"""Fixtures for the slurm backend's tests on the lab cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from slurmgate.backends.slurm.backend import SlurmBackend
from slurmgate.config import SlurmSettings
from tests.backends.slurm.lab_backend import LabBackend
from tests.support.lab import require_lab


@pytest.fixture
async def lab_backend(tmp_path: Path) -> AsyncIterator[LabBackend]:
    lab = require_lab()
    backend = SlurmBackend(
        SlurmSettings(conf=lab.slurm_conf, binding_cache=tmp_path / "binding"),
        tmp_path,
        threads=2,
    )
    await backend.start()
    try:
        yield LabBackend(lab, backend)
    finally:
        await backend.stop()
