"""Submissions straight through libslurm, with no HTTP: the room a daemon leaves.

bench/lab.py compares two daemons that both hand each submission to slurmctld. This is the
third row: the same job, parsed into the model once, submitted by slurmgate's own backend from
``concurrency`` coroutines in this process, for as long as each daemon was driven. What it
reaches is what slurmctld, on the cores it shares, takes from a client that does little else;
a daemon adds its own work per submission to that.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from slurmgate.api.versions import VERSIONS
from slurmgate.auth.tokens import mint
from slurmgate.backends.slurm.backend import SlurmBackend
from slurmgate.config import SlurmSettings
from slurmgate.domain import JobSubmission, Principal
from tests.support.cluster import read_key_file
from tests.support.lab import Lab

#: Counters read just before and just after the timed run (slurmctld's RPCs and CPU, say);
#: the result holds their differences.
Probe = Callable[[], dict[str, float]]


def submit_directly(
    lab: Lab,
    user: str,
    body: str,
    version: str,
    *,
    duration: float,
    concurrency: int,
    work: Path,
    probe: Probe,
) -> dict[str, float]:
    """Submit ``body`` (a ``version`` job/submit body) as ``user`` for ``duration`` seconds;
    the statistics bench/wrk.py gives for a daemon (requests, req/s, p50/p99 ms, errors),
    this process's CPU seconds (``cpu_s``) and the differences of ``probe``'s counters."""
    submission, _ = VERSIONS[version].parse_submission(json.loads(body))
    token = mint(read_key_file(lab.jwt_key), user, lifespan=7200, now=int(time.time()))
    principal = Principal(user_name=user, token=token)
    settings = SlurmSettings(conf=lab.slurm_conf, binding_cache=work / "binding")
    with environment_kept():
        return asyncio.run(
            _drive(settings, work, principal, submission, duration, concurrency, probe)
        )


@contextmanager
def environment_kept() -> Iterator[None]:
    """The process's environment as it was, once the block ends.

    A slurm backend sets libslurm's environment (SLURM_CONF, SLURM_JWT) for the whole
    process: the commands a benchmark runs afterwards (sdiag, scancel) must not inherit it.
    """
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def _drive(
    settings: SlurmSettings,
    work: Path,
    principal: Principal,
    submission: JobSubmission,
    duration: float,
    concurrency: int,
    probe: Probe,
) -> dict[str, float]:
    backend = SlurmBackend(settings, work, threads=max(concurrency, 1))
    await backend.start()
    latencies: list[float] = []
    errors = 0
    try:
        await backend.submit(principal, submission)  # the first connection, before the clock

        async def one_client() -> None:
            nonlocal errors
            while time.monotonic() < end:
                started = time.perf_counter()
                try:
                    await backend.submit(principal, submission)
                except Exception:  # noqa: BLE001 - counted, as wrk counts a refusal
                    errors += 1
                latencies.append(time.perf_counter() - started)

        before, cpu_before = probe(), time.process_time()
        began = time.monotonic()
        end = began + duration
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
        cpu, after = time.process_time() - cpu_before, probe()
    finally:
        await backend.stop()
    latencies.sort()
    count = len(latencies)
    return {
        "requests": float(count),
        "requests_per_s": count / elapsed if elapsed else 0.0,
        "p50_ms": 1000 * latencies[count // 2] if count else float("nan"),
        "p99_ms": 1000 * latencies[min(int(count * 0.99), count - 1)] if count else float("nan"),
        "non_2xx": float(errors),
        "timeouts": 0.0,
        "cpu_s": cpu,
        **{name: after[name] - before[name] for name in before},
    }
