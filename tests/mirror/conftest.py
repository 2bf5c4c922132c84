"""An embedded gateway in-process, its mirror included, and clients for two users."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from slurmgate.app import create_app
from slurmgate.auth.keys import load_key
from slurmgate.auth.tokens import mint
from slurmgate.backends.local.users import current_user
from slurmgate.config import load_settings

CONFIG = """
[local]
sched_interval = 0.2

[[local.nodes]]
name = "node1"
cpus = 4
memory = 4000

[[local.partitions]]
name = "debug"
default = true

[[local.partitions]]
name = "gpu"

[mirror]
interval = 0.5
max_age = 2.0
"""


@dataclass
class Gateway:
    http: httpx.AsyncClient
    app: Any
    user: str
    workdir: Path

    def headers(self, user: str | None = None, **extra: str) -> dict[str, str]:
        key = load_key(self.app.state.settings.jwt_key_path)
        token = mint(key, user or self.user, lifespan=300, now=int(time.time()))
        return {"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": user or self.user, **extra}

    async def get(self, path: str, user: str | None = None, **headers: str) -> httpx.Response:
        return await self.http.get(f"/slurm/v0.0.38/{path}", headers=self.headers(user, **headers))

    async def submit(self, name: str = "job", **job: Any) -> int:
        request = {
            "script": "#!/bin/sh\nsleep 300\n",
            "job": {
                "name": name,
                "hold": True,
                "current_working_directory": str(self.workdir),
                "environment": {"PATH": "/bin:/usr/bin"},
                **job,
            },
        }
        response = await self.http.post(
            "/slurm/v0.0.38/job/submit", json=request, headers=self.headers()
        )
        assert response.status_code == 200, response.text
        job_id: int = response.json()["job_id"]
        return job_id

    def rpc_count(self, message_type: str) -> int:
        """How often the embedded cluster answered this request type (diag's counters)."""
        stats = self.app.state.backend.diag
        return stats.count(message_type)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    config = tmp_path / "slurmgate.toml"
    config.write_text(CONFIG)
    settings = load_settings(config, state_dir=tmp_path / "state")
    app = create_app(settings)
    workdir = tmp_path / "jobs"
    workdir.mkdir()
    os.chmod(workdir, 0o1777)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as http,
    ):
        yield Gateway(http, app, current_user().name, workdir)
