"""The ``make_backend`` fixture: embedded clusters on a temporary state directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from slurmgate.backends.local.backend import LocalBackend
from tests.backends.local.cluster import Factory, cancel_everything, settings


@pytest.fixture
async def make_backend(tmp_path: Path) -> AsyncIterator[Factory]:
    """Start backends on ``tmp_path/state``; at the end cancel their jobs and stop them."""
    started: list[LocalBackend] = []

    async def make(**overrides: object) -> LocalBackend:
        backend = LocalBackend(
            settings(**overrides), tmp_path / "state", admins=frozenset({"root"})
        )
        await backend.start()
        started.append(backend)
        return backend

    yield make
    for backend in started:
        if backend._store is None:  # already stopped by the test
            continue
        await cancel_everything(backend)
        await backend.stop()
