"""A private Redis for tests that need one, run by scripts/redis."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.cluster import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "redis"


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Start a redis-server on 127.0.0.1 and yield its URL; stop it afterwards.

    Tests install nothing: scripts/test installs redis-server (as root, saying so). Where it
    is missing the test skips, except in CI, where a missing Redis must fail the run rather
    than hide the tests that need it.
    """
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed (scripts/test installs it when run as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the Redis tests")
        pytest.skip(reason)
    port = str(free_port())
    argv = [str(SCRIPT), "start", port, str(directory)]
    subprocess.run(argv, check=True, timeout=60)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        subprocess.run([str(SCRIPT), "stop", port, str(directory)], check=True, timeout=60)
