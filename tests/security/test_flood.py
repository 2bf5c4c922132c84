"""One user floods the gateway at ten times its limit; another user does not notice.

Correctness only: who gets 429 and who does not. How fast the other user is served during a
flood is measured by bench/flood.py, not asserted here.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from slurmgate.auth.tokens import mint
from tests.support.cluster import current_user, read_key, start_gateway, stop_process

JOBS = "/slurm/v0.0.38/jobs"
LIMIT = 40  # per minute: the whole test fits in one window, whatever the machine's speed
FLOOD = 10 * LIMIT
# Both users come from 127.0.0.1: the address bucket is set out of reach, so that only the
# per-user buckets are under test.
CONFIG = f"""
[rate_limit]
enabled = true
per_user = "{LIMIT}/minute"
per_address = "100000/minute"

[local]
sched_interval = 0.5

[[local.nodes]]
name = "node1"
cpus = 2
memory = 1024
"""

FLOODER = current_user()
OTHER = "nobody" if FLOODER != "nobody" else "daemon"


@dataclass
class Target:
    base_url: str
    key: bytes

    def headers(self, user: str) -> dict[str, str]:
        token = mint(self.key, user, lifespan=300, now=int(time.time()))
        return {"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": user}


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    process, base_url = start_gateway(tmp_path / "state", CONFIG)
    try:
        yield Target(base_url, read_key(tmp_path / "state"))
    finally:
        stop_process(process)


def test_a_flooding_user_gets_429_and_another_user_gets_every_answer(target: Target) -> None:
    flooding = threading.Event()
    flood_answers: list[httpx.Response] = []
    other_statuses: Counter[int] = Counter()

    def flood() -> None:
        with (
            httpx.Client(base_url=target.base_url, headers=target.headers(FLOODER)) as http,
            ThreadPoolExecutor(max_workers=8) as pool,
        ):
            flooding.set()
            flood_answers.extend(pool.map(lambda _: http.get(JOBS), range(FLOOD)))

    def other_user() -> None:
        flooding.wait(timeout=10)
        with httpx.Client(base_url=target.base_url, headers=target.headers(OTHER)) as http:
            for _ in range(LIMIT // 2):
                other_statuses[http.get(JOBS).status_code] += 1

    threads = [threading.Thread(target=flood), threading.Thread(target=other_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()

    assert other_statuses == {200: LIMIT // 2}
    statuses = Counter(r.status_code for r in flood_answers)
    assert set(statuses) == {200, 429}, statuses
    assert statuses[200] <= LIMIT
    assert statuses[429] >= FLOOD - LIMIT
    for response in flood_answers:
        if response.status_code == 429:
            assert 1 <= int(response.headers["Retry-After"]) <= 60
            error = response.json()["errors"][0]
            assert error["error"] == "Rate limit exceeded", error
