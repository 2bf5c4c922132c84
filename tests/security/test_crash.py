"""kill -9 of a real ``slurmgate serve`` while clients submit, then a restart on its state.

What a client was told must hold after the crash: every submission answered 200 exists
exactly once, under the id it was given; ids are never handed out twice; no job is in a state
it could not have reached; jobs that were running are re-adopted (and end normally) or marked
NODE_FAIL, never dropped or sent back to PENDING.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from slurmgate.auth.tokens import mint
from tests.support.cluster import (
    FINISHED,
    current_user,
    read_key,
    start_gateway,
    stop_process,
)

pytestmark = pytest.mark.slow

# Four one-CPU slots: a few short ``sleep`` jobs run at any moment, the rest wait. Finished jobs
# stay listed (min_job_age) so that every answered submission can be found by listing.
CONFIG = """
[local]
kill_wait = 1
min_job_age = 3600
sched_interval = 0.2

[[local.nodes]]
name = "node1"
cpus = 4
memory = 4096

[[local.partitions]]
name = "debug"
default = true
"""

CLIENTS = 4
#: Seconds a job sleeps, by client: some end while the gateway is down, some outlive it.
SLEEPS = (1, 3)
KILLS = 3
#: Longest a round of submissions may last before its kill.
ROUND_SECONDS = 3.0
STATES = {"PENDING", "RUNNING", *FINISHED}
# Forward only: what a job was seen in, it may not be seen in anything earlier afterwards.
RANK = {"PENDING": 0, "RUNNING": 1, **{state: 2 for state in FINISHED}}


@dataclass
class Ledger:
    """What the clients were told and what was seen, across every run of the gateway."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    #: name -> (job id, comment) of every submission answered 200.
    answered: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: job id -> the furthest state it was seen in.
    seen: dict[int, str] = field(default_factory=dict)
    #: Every job id seen before the latest kill.
    ids_before_kill: set[int] = field(default_factory=set)
    #: Jobs running in the latest listing, and in the last one before the latest kill.
    running_now: set[int] = field(default_factory=set)
    running_at_kill: set[int] = field(default_factory=set)
    #: State after a restart of the jobs seen running at the kill before it.
    after_kill: Counter[str] = field(default_factory=Counter)
    #: What went wrong in the client threads (an assertion there would not fail the test).
    failures: list[BaseException] = field(default_factory=list)

    def thread(self, target: Callable[..., None], *args: Any) -> threading.Thread:
        def guarded() -> None:
            try:
                target(*args)
            except BaseException as exc:
                with self.lock:
                    self.failures.append(exc)

        return threading.Thread(target=guarded)

    def saw(self, jobs: list[dict[str, Any]]) -> None:
        with self.lock:
            self.running_now = {j["job_id"] for j in jobs if j["job_state"] == "RUNNING"}
            for job in jobs:
                old = self.seen.get(job["job_id"])
                if old is None or RANK[job["job_state"]] >= RANK[old]:
                    self.seen[job["job_id"]] = job["job_state"]


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    base_url: str
    headers: dict[str, str]

    def jobs(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base_url}/slurm/v0.0.38/jobs", headers=self.headers)
        assert response.status_code == 200, response.text
        jobs: list[dict[str, Any]] = response.json()["jobs"]
        return jobs


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "jobs"
    path.mkdir()
    os.chmod(path, 0o777)
    return path


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    """Starts the gateway on one state dir; whatever still runs at the end is stopped."""
    state_dir = tmp_path / "state"
    runs: list[Run] = []

    def started() -> Run:
        process, base_url = start_gateway(state_dir, CONFIG)
        user = current_user()
        token = mint(read_key(state_dir), user, lifespan=900, now=int(time.time()))
        run = Run(process, base_url, {"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": user})
        runs.append(run)
        return run

    yield started
    for run in runs:
        stop_process(run.process)


def _submit_until(
    run: Run, client: int, stop: threading.Event, ledger: Ledger, workdir: Path, tag: str
) -> None:
    """One client: submissions, each with a unique name and comment, until told or refused."""
    with httpx.Client(base_url=run.base_url, headers=run.headers, timeout=10.0) as http:
        n = 0
        while not stop.is_set():
            name, comment = f"crash-{tag}-{client}-{n}", uuid.uuid4().hex
            n += 1
            job = {
                "name": name,
                "comment": comment,
                "current_working_directory": str(workdir),
                "environment": {"PATH": "/usr/bin:/bin"},
                "standard_output": "/dev/null",
            }
            body = {"script": f"#!/bin/sh\nsleep {SLEEPS[client % len(SLEEPS)]}\n", "job": job}
            try:
                response = http.post("/slurm/v0.0.38/job/submit", json=body)
            except httpx.TransportError:
                return  # the gateway is gone: nothing was answered
            assert response.status_code == 200, response.text
            with ledger.lock:
                ledger.answered[name] = (response.json()["job_id"], comment)


def _watch_until(run: Run, stop: threading.Event, ledger: Ledger) -> None:
    """Lists the jobs over and over, to know which ones were running when the kill came."""
    while not stop.is_set():
        try:
            ledger.saw(run.jobs())
        except httpx.TransportError:
            return


def _round_with_a_kill(
    run: Run, ledger: Ledger, workdir: Path, tag: str, rng: random.Random
) -> None:
    stop = threading.Event()
    threads = [
        ledger.thread(_submit_until, run, c, stop, ledger, workdir, tag) for c in range(CLIENTS)
    ]
    threads.append(ledger.thread(_watch_until, run, stop, ledger))
    for thread in threads:
        thread.start()
    began = time.monotonic()
    kill_after = rng.uniform(0.3, ROUND_SECONDS / 2)
    # The kill comes at a random moment, once some job is seen running.
    while time.monotonic() - began < ROUND_SECONDS:
        with ledger.lock:
            running = bool(ledger.running_now)
        if running and time.monotonic() - began >= kill_after:
            break
        time.sleep(0.02)
    with ledger.lock:
        ledger.ids_before_kill |= set(ledger.seen) | {i for i, _ in ledger.answered.values()}
        ledger.running_at_kill = set(ledger.running_now)
    run.process.send_signal(signal.SIGKILL)
    run.process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
        assert not thread.is_alive()
    assert not ledger.failures, ledger.failures


def _check_after_restart(run: Run, ledger: Ledger) -> list[dict[str, Any]]:
    jobs = run.jobs()
    by_id = {j["job_id"]: j for j in jobs}
    assert len(by_id) == len(jobs), "a job id is listed twice"
    names = [j["name"] for j in jobs]
    assert len(names) == len(set(names)), "a submission exists twice"
    dropped = ledger.running_at_kill - set(by_id)
    assert not dropped, f"jobs running at the kill are gone: {sorted(dropped)}"
    for name, (job_id, comment) in ledger.answered.items():
        job = by_id.get(job_id)
        assert job is not None, f"{name}: answered 200 as job {job_id}, gone after the crash"
        assert (job["name"], job["comment"]) == (name, comment), job_id
    for job in jobs:
        state = job["job_state"]
        assert state in STATES, job
        before = ledger.seen.get(job["job_id"])
        assert before is None or RANK[state] >= RANK[before], (job["job_id"], before, state)
        if before == "RUNNING":  # re-adopted, ended while the gateway was down, or lost
            assert state in ("RUNNING", "COMPLETED", "NODE_FAIL"), job
        if job["job_id"] in ledger.running_at_kill:
            ledger.after_kill[state] += 1
        if state == "PENDING":
            assert not job.get("job_resources", {}).get("allocated_nodes"), job
        if state in ("RUNNING", "COMPLETED"):
            assert job["start_time"] > 0 and job["nodes"] == "node1", job
        if state in FINISHED:
            assert job["end_time"] >= job["start_time"], job
        if state == "COMPLETED":
            assert job["exit_code"] == 0, job
    return jobs


def test_answered_submissions_survive_kill_9_exactly_once(start: Any, workdir: Path) -> None:
    ledger = Ledger()
    rng = random.Random()  # noqa: S311 - a test's random moment, not a secret
    for kill in range(KILLS):
        run = start()
        if kill:
            jobs = _check_after_restart(run, ledger)
            ledger.saw(jobs)
        # Ids are never reused: this run hands out only ids above every one that exists.
        floor = max(ledger.ids_before_kill | set(ledger.seen), default=0)
        _round_with_a_kill(run, ledger, workdir, str(kill), rng)
        assert ledger.running_at_kill, "no job was running at the kill"
        given = [i for name, (i, _) in ledger.answered.items() if name.startswith(f"crash-{kill}-")]
        assert given and min(given) > floor, (floor, min(given, default=None))

    run = start()
    jobs = _check_after_restart(run, ledger)
    ledger.saw(jobs)
    assert ledger.answered, "no submission was answered"
    probe = httpx.post(
        f"{run.base_url}/slurm/v0.0.38/job/submit",
        json={
            "script": "#!/bin/sh\ntrue\n",
            "job": {"name": "after-the-crashes", "hold": True, "environment": {"PATH": "/bin"}},
        },
        headers=run.headers,
    )
    assert probe.status_code == 200, probe.text
    assert probe.json()["job_id"] > max(ledger.ids_before_kill)

    # The jobs re-adopted at this restart end as jobs end (pending ones never start once the
    # fixture stops the gateway; those running then end after their few seconds of sleep).
    adopted = [j["job_id"] for j in jobs if j["job_state"] == "RUNNING"]
    deadline = time.monotonic() + 30
    states: dict[int, str] = {}
    while time.monotonic() < deadline:
        states = {j["job_id"]: j["job_state"] for j in run.jobs()}
        if all(states[i] != "RUNNING" for i in adopted):
            break
        time.sleep(0.1)
    assert all(states[i] in ("COMPLETED", "NODE_FAIL") for i in adopted), states
    print(  # noqa: T201 - the figures, for whoever runs with -s
        f"\n{KILLS} kills: {len(ledger.answered)} submissions answered; jobs running at a kill,"
        f" then after the restart: {dict(ledger.after_kill)}"
    )
