"""Gateways of their own for the push endpoints' embedded-only tests: each with the settings a
test needs (a short heartbeat, a small queue, an allow-list), and one served in-process with
PrivateData, which the embedded cluster does not have."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from slurmgate.api.errors import envelope
from slurmgate.app import create_app
from slurmgate.auth.tokens import mint
from slurmgate.backends.local.backend import LocalBackend
from slurmgate.config import load_settings
from slurmgate.domain import Principal
from slurmgate.domain.access import AccessRules, PrivateData
from slurmgate.domain.errors import SlurmgateError
from tests.support.cluster import (
    current_user,
    free_port,
    read_key,
    start_gateway,
    stop_process,
)
from tests.support.protocol_server import serving

CLUSTER = """
[local]
sched_interval = 0.3
kill_wait = 1

[[local.nodes]]
name = "node1"
cpus = 4
memory = 4096

[[local.partitions]]
name = "debug"
default = true
"""


TRUE = "#!/bin/sh\ntrue\n"


@dataclass
class Gateway:
    base_url: str
    state_dir: Path
    key: bytes
    #: A directory every user's jobs can write to.
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def headers(self, user: str | None = None) -> dict[str, str]:
        name = user or current_user()
        token = mint(self.key, name, lifespan=600, now=int(time.time()))
        return {"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": name}

    def submit(
        self, script: str = "#!/bin/sh\ntrue\n", user: str | None = None, **job: object
    ) -> int:
        body = {
            "script": script,
            "job": {
                "current_working_directory": str(self.workdir),
                "environment": {"PATH": "/usr/bin:/bin"},
                **job,
            },
        }
        answer = httpx.post(
            f"{self.base_url}/slurm/v0.0.38/job/submit", json=body, headers=self.headers(user)
        )
        assert answer.status_code == 200, answer.text
        job_id: int = answer.json()["job_id"]
        return job_id

    def job(self, job_id: int) -> dict[str, object]:
        answer = httpx.get(f"{self.base_url}/slurm/v0.0.38/job/{job_id}", headers=self.headers())
        assert answer.status_code == 200, answer.text
        found: dict[str, object] = answer.json()["jobs"][0]
        return found

    def wait_until_ended(self, job_id: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.job(job_id)["job_state"] in ("PENDING", "RUNNING"):
            assert time.monotonic() < deadline, f"job {job_id} did not end"
            time.sleep(0.1)

    @property
    def log(self) -> str:
        return (self.state_dir / "gateway.log").read_text()


def reachable_directory(prefix: str) -> Path:
    """A directory in /tmp every user reaches: jobs of other users run from below it."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(path, 0o755)
    return path


GatewayFactory = Callable[[str], Gateway]


@pytest.fixture
def gateway_with() -> Iterator[GatewayFactory]:
    """Start ``slurmgate serve`` on the small cluster with extra settings (TOML; ``{dir}``
    stands for a directory of the test's own)."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(settings: str = "") -> Gateway:
        base = reachable_directory("slurmgate-push-")
        workdir = base / "jobs"
        workdir.mkdir()
        os.chmod(workdir, 0o1777)
        config = settings.replace("{dir}", str(base)) + "\n" + CLUSTER
        process, base_url = start_gateway(base / "state", config)
        os.chmod(base / "state", 0o755)
        started.append((process, base))
        return Gateway(base_url, base / "state", read_key(base / "state"), workdir, process)

    yield start
    for process, base in started:
        stop_process(process)
        shutil.rmtree(base, ignore_errors=True)


class PrivateBackend(LocalBackend):
    """The embedded cluster, with slurmctld's PrivateData=jobs,nodes and root an operator."""

    async def access_rules(self, principal: Principal) -> AccessRules:
        return AccessRules(PrivateData.parse("jobs,nodes"), operators=frozenset({"root"}))


@contextmanager
def private_gateway(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway served by uvicorn in a thread of this process, on a PrivateBackend."""
    config = tmp_path / "slurmgate.toml"
    config.write_text(CLUSTER + "\n[events]\nheartbeat = 1\n")
    settings = load_settings(config, state_dir=tmp_path / "state", listen="127.0.0.1:1")
    backend = PrivateBackend(settings.local, settings.state_dir, admins=frozenset({"root"}))
    app = create_app(settings, backend=backend)

    def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
        return envelope(error, backend.info, path)

    with serving(
        app, free_port(), limits=settings.limits, renderer=render, lifespan="on"
    ) as base_url:
        yield Gateway(base_url, settings.state_dir, read_key(settings.state_dir), tmp_path)
