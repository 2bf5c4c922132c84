"""Where a submission's time goes inside slurmgate, on a lab cluster.

Usage (as root), in a lab, with its distribution's Python (.lab/venv-RELEASE):
    scripts/lab-cluster run 26.05 -- .lab/venv-26.05/bin/python bench/submit_stages.py
        [--submissions 2000] [--rounds 2] [--concurrency 4] [--threads 16] [--version v]

Runs slurmgate's ASGI app in this process with the slurm backend: no HTTP server, no wrk.
Round after round it submits the same held job ``--submissions`` times from
``--concurrency`` coroutines in two ways, alternating: straight through the backend
(``direct``), and as POST job/submit requests through the app (``app``). Each submission's
time is cut where the libslurm client hands it to a worker thread: ``queued`` (until the
thread starts the call), ``call`` (the call, slurmctld's answer included), ``back`` (until
the awaiting coroutine runs again), and ``whole``. It prints the p50 of each, the rate, this
process's CPU and context switches per submission, how busy the machine's cores were (every
process's share) and how much of that was the kernel's, writes
bench/results/stages-<release>-<time>.json, and cancels its jobs at the end. Start on an
emptied queue: slurmctld takes submissions more slowly as its queue grows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.asgi_direct import DirectClient  # noqa: E402
from bench.lab import DEFAULT_VERSIONS, submission  # noqa: E402
from bench.libslurm_ceiling import environment_kept  # noqa: E402
from bench.results_file import write_results  # noqa: E402
from slurmgate.api.versions import VERSIONS  # noqa: E402
from slurmgate.app import create_app  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from slurmgate.backends.slurm.client import Call, SlurmClient  # noqa: E402
from slurmgate.config import load_settings  # noqa: E402
from slurmgate.domain import Principal  # noqa: E402
from tests.support.cluster import read_key_file  # noqa: E402
from tests.support.lab import SCRIPT, Lab, owned_directory, require_lab  # noqa: E402

STAGES = ("queued", "call", "back", "whole")


class StageClock:
    """Times each call the client makes, at the edges of its worker thread: ``queued`` ends
    once the thread has set the user's credential. The gateway's own few calls meanwhile
    (its access rules' reloads) are among the samples; the p50s do not see them."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {stage: [] for stage in STAGES}

    def watch(self, client: SlurmClient) -> None:
        run = client.run

        async def timed(principal: Principal, work: Callable[[Call], Any]) -> Any:
            marks = [time.perf_counter()]

            def timed_work(call: Call) -> Any:
                marks.append(time.perf_counter())
                try:
                    return work(call)
                finally:
                    marks.append(time.perf_counter())

            try:
                return await run(principal, timed_work)
            finally:
                if len(marks) == 3:
                    queued, began, ended = marks
                    self.samples["queued"].append(began - queued)
                    self.samples["call"].append(ended - began)
                    self.samples["back"].append(time.perf_counter() - ended)

        client.run = timed  # type: ignore[method-assign]

    def clear(self) -> None:
        for samples in self.samples.values():
            samples.clear()


def context_switches() -> int:
    """This process's context switches so far, every thread's, voluntary or not."""
    total = 0
    for task in os.listdir("/proc/self/task"):
        try:
            lines = Path(f"/proc/self/task/{task}/status").read_text().splitlines()
        except OSError:  # the thread ended meanwhile
            continue
        total += sum(int(line.split()[1]) for line in lines if "ctxt_switches" in line)
    return total


def machine_ticks() -> tuple[int, int, int]:
    """The machine's CPU time so far, in clock ticks: (busy, of it in the kernel, idle)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq + steal, system + irq + softirq, idle + iowait


def p50_ms(samples: list[float]) -> float:
    return round(1000 * sorted(samples)[len(samples) // 2], 3) if samples else 0.0


async def drive(
    clock: StageClock, submit: Callable[[], Awaitable[None]], count: int, concurrency: int
) -> dict[str, float]:
    """``count`` submissions from ``concurrency`` coroutines; the round's figures."""
    clock.clear()

    async def one_client(share: int) -> None:
        for _ in range(share):
            began = time.perf_counter()
            await submit()
            clock.samples["whole"].append(time.perf_counter() - began)

    shares = [count // concurrency + (i < count % concurrency) for i in range(concurrency)]
    switches, cpu, wall = context_switches(), time.process_time(), time.perf_counter()
    ticks = machine_ticks()
    await asyncio.gather(*(one_client(share) for share in shares))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    busy, kernel, idle = (
        after - before for after, before in zip(machine_ticks(), ticks, strict=True)
    )
    row = {f"{stage}_p50_ms": p50_ms(clock.samples[stage]) for stage in STAGES}
    row["per_s"] = round(count / wall, 1)
    row["cpu_ms"] = round(1000 * cpu / count, 3)
    row["context_switches"] = round((context_switches() - switches) / count, 1)
    # The machine's cores, every process's share: how busy, and how much of that the kernel's.
    row["machine_busy_pct"] = round(100 * busy / max(busy + idle, 1), 1)
    row["machine_kernel_pct"] = round(100 * kernel / max(busy + idle, 1), 1)
    return row


async def measure(lab: Lab, work: Path, args: argparse.Namespace) -> list[dict[str, object]]:
    user = lab.users[0]
    body = submission(f"/home/{user}", args.version).encode()
    config = work / "slurmgate.toml"
    config.write_text(
        f'backend = "slurm"\nthreads = {args.threads}\n[auth]\njwt_key = "{lab.gateway_key}"\n'
        f'[slurm]\nconf = "{lab.slurm_conf}"\n'
    )
    app = create_app(load_settings(config, state_dir=work / "state"))
    token = mint(read_key_file(lab.jwt_key), user, lifespan=7200, now=int(time.time()))
    principal = Principal(user_name=user, token=token)
    parsed, _ = VERSIONS[args.version].parse_submission(json.loads(body))
    path = f"/slurm/{args.version}/job/submit"
    headers = [
        (b"host", b"localhost"),
        (b"x-slurm-user-name", user.encode()),
        (b"x-slurm-user-token", token.encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    client = DirectClient(app, headers)

    async def through_app() -> None:
        await client.request("POST", path, body)

    rounds: list[dict[str, object]] = []
    async with app.router.lifespan_context(app):
        backend = app.state.backend
        clock = StageClock()
        clock.watch(backend.client)

        async def direct() -> None:
            await backend.submit(principal, parsed)

        ways = {"direct": direct, "app": through_app}
        for submit in ways.values():  # the first connections and code paths, off the clock
            for _ in range(20):
                await submit()
        for number in range(args.rounds):
            for way, submit in ways.items():
                client.statuses.clear()
                row = await drive(clock, submit, args.submissions, args.concurrency)
                refused = sum(status != 200 for status in client.statuses)
                rounds.append({"round": number + 1, "way": way, "refused": refused, **row})
                print_row(rounds[-1])
    return rounds


def print_row(row: dict[str, object]) -> None:
    stages = "  ".join(f"{stage} {row[f'{stage}_p50_ms']:.3f}" for stage in STAGES)
    print(
        f"round {row['round']} {row['way']:<7} {row['per_s']:>7.0f}/s  CPU {row['cpu_ms']:.3f} ms"
        f"  switches {row['context_switches']:>4.1f}  machine busy {row['machine_busy_pct']:.0f}%"
        f" (kernel {row['machine_kernel_pct']:.0f}%)  p50 ms: {stages}"
        + (f"  refused {row['refused']}" if row["refused"] else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000, help="per way and round")
    parser.add_argument("--rounds", type=int, default=2, help="each way, alternating")
    parser.add_argument("--concurrency", type=int, default=4, help="submissions in flight")
    parser.add_argument("--threads", type=int, default=16, help="the backend's worker threads")
    parser.add_argument("--version", default="", help="API version (default: as bench/lab.py)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: it starts the lab cluster and mints tokens with its key")
    subprocess.run([str(SCRIPT), "up"], check=True)
    lab = require_lab()
    args.version = args.version or DEFAULT_VERSIONS.get(lab.release, "v0.0.38")
    work = owned_directory("slurmgate-stages-", lab.gateway_user)
    try:
        with environment_kept():
            os.environ["HOME"] = str(work)  # nothing of root's own is read or written
            rounds = asyncio.run(measure(lab, work, args))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["scancel", "--user", lab.users[0], "--name", "bench"], check=False)
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "release": lab.release,
        "python": sys.version.split()[0],
        "api_version": args.version,
        "submissions": args.submissions,
        "concurrency": args.concurrency,
        "threads": args.threads,
        "rounds": rounds,
    }
    write_results(f"stages-{lab.release}", results)


if __name__ == "__main__":
    main()
