"""In-process costs on the hot paths: rendering job lists, reading a submission's body,
verifying tokens, scheduling, and a GET ping through the whole ASGI app (embedded cluster, no
HTTP server).

Usage: python bench/micro.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.asgi_direct import DirectClient  # noqa: E402
from bench.lab import submission  # noqa: E402
from slurmgate.api.versions import VERSIONS  # noqa: E402
from slurmgate.app import create_app  # noqa: E402
from slurmgate.auth.keys import load_key  # noqa: E402
from slurmgate.auth.tokens import TokenVerifier, mint  # noqa: E402
from slurmgate.backends.base import ClusterInfo  # noqa: E402
from slurmgate.backends.local.scheduler import NodeResources, plan  # noqa: E402
from slurmgate.config import Settings  # noqa: E402
from slurmgate.domain import Job, JobState, NodeAllocation, Partition  # noqa: E402
from tests.support.cluster import current_user  # noqa: E402

INFO = ClusterInfo("bench", (22, 5, 8))


def best_of(rounds: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def jobs(count: int, state: JobState) -> list[Job]:
    now = int(time.time())
    return [
        Job(
            job_id=i + 1,
            name=f"job{i}",
            user_id=1000,
            user_name="alice",
            group_id=1000,
            state=state,
            partition="debug",
            submit_time=now,
            priority=4_000_000 - i,
            time_limit=60,
            cpus=1,
            node_count=1,
            memory_per_cpu=100,
            nodes="node1" if state is JobState.RUNNING else "",
            allocations=[NodeAllocation("node1", 1, 100)] if state is JobState.RUNNING else [],
            start_time=now if state is JobState.RUNNING else 0,
        )
        for i in range(count)
    ]


async def ping_through_app(state_dir: Path, count: int, rounds: int) -> float:
    """Seconds per GET ping handed straight to the ASGI app, best of ``rounds``."""
    settings = Settings(state_dir=state_dir)
    app = create_app(settings)
    user = current_user()
    async with app.router.lifespan_context(app):
        token = mint(load_key(settings.jwt_key_path), user, 600)
        headers = [
            (b"host", b"localhost"),
            (b"x-slurm-user-name", user.encode()),
            (b"x-slurm-user-token", token.encode()),
        ]
        client = DirectClient(app, headers)
        path = "/slurm/v0.0.44/ping"

        for _ in range(200):  # the mirror's first load, and the code paths warm
            await client.request("GET", path)
        if set(client.statuses) != {200}:
            raise RuntimeError(f"ping answered {sorted(set(client.statuses))}")
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(count):
                await client.request("GET", path)
            best = min(best, (time.perf_counter() - started) / count)
        return best


def main() -> None:
    running = jobs(1000, JobState.RUNNING)
    print(f"{'measure':<48}{'best ms':>10}")
    for name, version in VERSIONS.items():
        ms = best_of(5, lambda v=version: v.jobs(running, INFO)) * 1000  # type: ignore[misc]
        print(f"{'render 1,000 jobs ' + name:<48}{ms:>10.2f}")
    for name, version in VERSIONS.items():
        # The held job bench/lab.py submits, as the server hands its body to the endpoint.
        body = orjson.loads(submission("/home/alice", name))
        per = best_of(5, lambda v=version, b=body: [v.parse_submission(b) for _ in range(10_000)])
        print(f"{'read a submission body ' + name + ', per body':<48}{per / 10:>10.4f}")

    key = b"k" * 64
    verifier = TokenVerifier(key)
    token = mint(key, "alice", 600)
    verifier.verify(token)
    hit = best_of(5, lambda: [verifier.verify(token) for _ in range(10_000)]) / 10_000
    print(f"{'verify a token (cache hit), per call':<48}{hit * 1000:>10.4f}")
    fresh = [mint(key, f"user{i}", 600) for i in range(2000)]
    cold = TokenVerifier(key, cache_size=1)
    miss = best_of(1, lambda: [cold.verify(t) for t in fresh]) / len(fresh)
    print(f"{'verify a token (cache miss), per call':<48}{miss * 1000:>10.4f}")

    pending = {j.job_id: j for j in jobs(10_000, JobState.PENDING)}
    nodes = [NodeResources("node1", 2, 8000, frozenset(), True)]
    partitions = {"debug": Partition(name="debug", nodes="node1", node_names=["node1"])}
    now = int(time.time())
    ms = best_of(5, lambda: plan(now, nodes, partitions, pending)) * 1000
    print(f"{'scheduling pass, 10,000 pending jobs':<48}{ms:>10.2f}")

    with tempfile.TemporaryDirectory(prefix="slurmgate-micro-") as state:
        per_ping = asyncio.run(ping_through_app(Path(state), 20_000, 5))
    print(f"{'GET ping through the ASGI app, per request':<48}{per_ping * 1000:>10.4f}")


if __name__ == "__main__":
    main()
