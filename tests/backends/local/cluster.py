"""Helpers for the embedded cluster's tests: settings, job specs, waiting for states."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from slurmgate.backends.local.backend import LocalBackend
from slurmgate.config import (
    AccountConfig,
    LocalSettings,
    NodeConfig,
    PartitionConfig,
    UserConfig,
)
from slurmgate.domain import Job, JobSpec, JobState, JobSubmission, Principal

ROOT = Principal("root")
#: A second local account, for ownership rules (every Debian-like system has it).
OTHER = Principal("nobody")

Factory = Callable[..., Awaitable[LocalBackend]]


def settings(**overrides: object) -> LocalSettings:
    values: dict[str, object] = {
        "kill_wait": 1,
        "sched_interval": 0.2,
        "nodes": [NodeConfig(name="node1", cpus=4, memory=4000)],
        "partitions": [
            PartitionConfig(name="debug", default=True),
            PartitionConfig(name="short", max_time=5),
        ],
    }
    values.update(overrides)
    return LocalSettings.model_validate(values)


def with_accounts(*names: str, user: str = "root") -> dict[str, object]:
    """Settings overrides: accounts ``names`` under root, which ``user`` may charge."""
    return {
        "accounts": [AccountConfig(name=name) for name in names],
        "users": [
            UserConfig(
                name=user,
                accounts=["root", *names] if user == "root" else list(names),
                admin_level="Administrator" if user == "root" else "None",
            )
        ],
    }


async def cancel_everything(backend: LocalBackend) -> None:
    for job in list(backend.jobs.values()):
        if not job.state.is_finished:
            await backend.signal_job(ROOT, job.job_id, signal.SIGKILL)
    await wait_until(lambda: all(j.state.is_finished for j in backend.jobs.values()))


async def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def wait_state(backend: LocalBackend, job_id: int, *states: JobState) -> Job:
    await wait_until(lambda: backend.jobs[job_id].state in states)
    return backend.jobs[job_id]


def spec(tmp_path: Path, body: str = "true", **fields: object) -> JobSpec:
    """A job running ``body`` under /bin/sh in ``tmp_path``; ``fields`` override anything."""
    values: dict[str, object] = {
        "script": "#!/bin/sh\n" + body + "\n",
        "current_working_directory": str(tmp_path),
    }
    values.update(fields)
    return JobSpec(**values)  # type: ignore[arg-type]


async def submit(backend: LocalBackend, job: JobSpec, principal: Principal = ROOT) -> int:
    return (await backend.submit(principal, JobSubmission([job]))).job_id
