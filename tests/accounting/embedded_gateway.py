"""An embedded-cluster gateway in-process, for the /slurmdb/ tests over HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from slurmgate.app import create_app
from slurmgate.auth.keys import load_key
from slurmgate.auth.tokens import mint
from slurmgate.config import load_settings

#: Finished jobs leave the controller's list at once (min_job_age = 0): only accounting has them.
CONFIG = """
[local]
sched_interval = 0.2
min_job_age = 0

[[local.nodes]]
name = "node1"
cpus = 4
memory = 4000

[[local.partitions]]
name = "debug"
default = true
"""


@dataclass
class Gateway:
    http: httpx.AsyncClient
    app: Any
    workdir: Path

    def headers(self, user: str = "root") -> dict[str, str]:
        key = load_key(self.app.state.settings.jwt_key_path)
        return {"X-SLURM-USER-TOKEN": mint(key, user, lifespan=300, now=int(time.time()))}

    async def call(
        self, method: str, path: str, user: str = "root", body: Any = None
    ) -> httpx.Response:
        return await self.http.request(method, path, headers=self.headers(user), json=body)


G = TypeVar("G", bound=Gateway)


@asynccontextmanager
async def running(kind: type[G], tmp_path: Path) -> AsyncIterator[G]:
    """A ``kind`` of gateway on a fresh embedded cluster under ``tmp_path``."""
    config = tmp_path / "slurmgate.toml"
    config.write_text(CONFIG)
    app = create_app(load_settings(config, state_dir=tmp_path / "state"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as http,
    ):
        yield kind(http, app, tmp_path)
