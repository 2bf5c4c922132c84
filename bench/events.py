"""Thousands of event streams on one gateway while jobs change: delivery delay, RSS, and the
latency of other requests with and without the streams.

Usage: python bench/events.py [--streams 5000] [--duration 60] [--rate 5] [--probe-rate 20]

Starts its own `slurmgate serve` (embedded cluster) on a free loopback port with a throwaway
state directory. Two phases of ``--duration`` seconds each, with the same job changes (``--rate``
submissions a second of jobs running 0.5 to 3 s, a cancellation and a hold or release every
few): first without streams, then with ``--streams`` streams open (60% unfiltered, 20%
``types=job``, 20% ``states=RUNNING,COMPLETED,CANCELLED``). A probe process sends GET jobs and
GET ping at ``--probe-rate`` each a second throughout. Each event carries ``mirror_time``, when
the mirror saw its change; its delay is its arrival minus that (same host, same clock).
Everything stops by itself; writes bench/results/events-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sse_load import StreamStats, open_stream  # noqa: E402
from bench.wrk import rss_mb  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import current_user, read_key, start_gateway, stop_process  # noqa: E402

FILTERS = ["", "", "", "?types=job", "?states=RUNNING,COMPLETED,CANCELLED"]


def config(streams: int) -> str:
    return f"""
[limits]
max_connections = {streams + 2000}

[events]
max_streams = {streams + 100}

[local]
min_job_age = 20
max_job_count = 1000000
sched_interval = 0.5
kill_wait = 1

[[local.nodes]]
name = "node1"
cpus = 64
memory = 64000
"""


#: Set when the run is told to stop (SIGTERM): a phase in its thread ends at once too.
STOPPING = threading.Event()
STOPPED = 128 + signal.SIGTERM


def stop(_signum: int, _frame: object) -> None:
    STOPPING.set()
    raise SystemExit(STOPPED)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


# -- the job changes ----------------------------------------------------------------------------


def drive(base_url: str, token: str, rate: float, duration: float, workdir: str) -> None:
    """Submissions at ``rate`` a second; every fifth step a cancellation, every seventh a hold
    or release: a steady stream of job changes."""
    rng = random.Random(1)
    headers = {"X-SLURM-USER-TOKEN": token}
    live: list[int] = []
    held: list[int] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        step, started = 0, time.monotonic()
        while time.monotonic() - started < duration:
            seconds = rng.choice((0.5, 1, 2, 3))
            job = {
                "script": f"#!/bin/sh\nsleep {seconds}\n",
                "current_working_directory": workdir,
                "environment": {"PATH": "/bin:/usr/bin"},
                "hold": step % 7 == 3,
            }
            answer = http.post("/slurm/v0.0.38/job/submit", json={"job": job})
            if answer.status_code == 200:
                (held if job["hold"] else live).append(answer.json()["job_id"])
            if step % 5 == 4 and live:
                http.delete(f"/slurm/v0.0.38/job/{live.pop(rng.randrange(len(live)))}")
            if step % 7 == 6 and held:
                http.post(f"/slurm/v0.0.38/job/{held.pop(0)}", json={"hold": False})
            step += 1
            time.sleep(max(started + step / rate - time.monotonic(), 0))


def probe(base_url: str, token: str, rate: float, duration: float) -> dict[str, list[float]]:
    """Latencies (ms) of GET jobs and GET ping, sent on a fixed schedule."""
    found: dict[str, list[float]] = {"jobs": [], "ping": []}
    headers = {"X-SLURM-USER-TOKEN": token}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        step, started = 0, time.monotonic()
        while time.monotonic() - started < duration:
            for name in found:
                clock = time.perf_counter()
                answer = http.get(f"/slurm/v0.0.38/{name}")
                if answer.status_code == 200:
                    found[name].append((time.perf_counter() - clock) * 1000)
            step += 1
            time.sleep(max(started + step / rate - time.monotonic(), 0))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def histograms(base_url: str, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """The gateway's own latency histogram of each route so far (its /metrics): what the
    requests cost inside the gateway, apart from the client's side of the wait."""
    text = httpx.get(f"{base_url}/metrics", timeout=30).text
    found: dict[str, dict[str, float]] = {}
    for name in names:
        marker = (
            f'slurmgate_request_duration_seconds_bucket{{route="/slurm/{{version}}/{name}",le="'
        )
        found[name] = {
            line[len(marker) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(marker)
        }
    return found


def _helper(mode: str, *args: object) -> subprocess.Popen[bytes]:
    argv = [sys.executable, __file__, f"--{mode}", json.dumps([str(a) for a in args])]
    return subprocess.Popen(argv, stdout=subprocess.PIPE)


def phase(base_url: str, token: str, args: argparse.Namespace, workdir: str, pid: int) -> Any:
    """The job changes and the probe for ``args.duration`` seconds; the probe's figures."""
    driver = _helper("drive", base_url, token, args.rate, args.duration, workdir)
    prober = _helper("probe", base_url, token, args.probe_rate, args.duration)
    try:
        rss = 0.0
        deadline = time.monotonic() + args.duration + 30
        cpu, own, started = cpu_seconds(pid), cpu_seconds(os.getpid()), time.monotonic()
        while prober.poll() is None and time.monotonic() < deadline:
            rss = max(rss, rss_mb(pid))
            if STOPPING.wait(1):
                raise SystemExit(STOPPED)
        took = time.monotonic() - started
        cpu, own = cpu_seconds(pid) - cpu, cpu_seconds(os.getpid()) - own
        out, _ = prober.communicate(timeout=60)
        driver.wait(timeout=60)
    finally:
        for helper in (driver, prober):
            if helper.poll() is None:  # the run was stopped
                helper.terminate()
                helper.wait()
    latencies = json.loads(out)
    summary = {
        name: {"count": len(v), "p50_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99)}
        for name, v in latencies.items()
    }
    return {
        "requests": summary,
        "gateway_histograms": histograms(base_url, ("jobs", "ping")),
        "max_rss_mb": rss,
        # Cores busy: the gateway's, and this process's (the streams' client).
        "gateway_cpu": round(cpu / took, 2),
        "client_cpu": round(own / took, 2),
    }


# -- the streams --------------------------------------------------------------------------------


async def with_streams(
    base_url: str, token: str, args: argparse.Namespace, workdir: str, pid: int
) -> dict[str, Any]:
    host, port = base_url.removeprefix("http://").split(":")
    stats = [StreamStats() for _ in range(args.streams)]
    transports = []
    clock = time.monotonic()
    for first in range(0, args.streams, 250):  # in batches: no storm of connections
        batch = range(first, min(first + 250, args.streams))
        transports += await asyncio.gather(*(open_stream(
            host, int(port), "/slurmgate/v1/events" + FILTERS[i % len(FILTERS)], token, stats[i]
        ) for i in batch))  # fmt: skip
    opened_in = time.monotonic() - clock
    idle_rss = rss_mb(pid)
    figures = await asyncio.to_thread(phase, base_url, token, args, workdir, pid)
    await asyncio.sleep(5)  # the last changes' events
    for transport in transports:
        transport.close()
    delays = [d for s in stats for d in s.delays]
    by_filter: dict[str, list[int]] = {}
    for index, s in enumerate(stats):
        by_filter.setdefault(FILTERS[index % len(FILTERS)] or "(none)", []).append(s.events)
    return {
        **figures,
        "streams_opened": sum(s.opened for s in stats),
        "open_seconds": round(opened_in, 1),
        "rss_mb_streams_idle": idle_rss,
        "streams_ended_early": sum(s.ended for s in stats),
        "streams_overflowed": sum(s.overflowed for s in stats),
        "events_delivered": len(delays),
        "events_per_stream": {k: [min(v), max(v)] for k, v in by_filter.items()},
        "delay_p50_s": percentile(delays, 0.5),
        "delay_p99_s": percentile(delays, 0.99),
        "delay_max_s": max(delays, default=float("nan")),
        "delivered_within_2s": sum(d <= 2.0 for d in delays) / max(len(delays), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase")
    parser.add_argument("--rate", type=float, default=5, help="job submissions a second")
    parser.add_argument("--probe-rate", type=float, default=20, help="probes a second")
    parser.add_argument("--client-nice", type=int, default=0, help="the streams' client's nice")
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive or args.probe:  # at the gateway's priority, not the streams' client's
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    if args.drive:
        url, token, rate, duration, workdir = json.loads(args.drive)
        drive(url, token, float(rate), float(duration), workdir)
        return
    if args.probe:
        url, token, rate, duration = json.loads(args.probe)
        print(json.dumps(probe(url, token, float(rate), float(duration))))  # noqa: T201
        return
    # A SIGTERM (timeout(1), a closed session) ends the run as Ctrl-C does, through the
    # cleanup below: the helpers and the gateway stopped, its directory removed.
    signal.signal(signal.SIGTERM, stop)
    # One descriptor per stream in this process, as many in the gateway (which raises its own).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.streams + 1000)), hard))
    base = Path(tempfile.mkdtemp(prefix="slurmgate-bench-events-"))
    workdir = base / "out"
    workdir.mkdir()
    process, base_url = start_gateway(base / "state", config(args.streams))
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.machine()}",
        "python": platform.python_version(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("drive", "probe")},
    }
    # The streams' client stands for thousands of clients elsewhere; on this machine it takes
    # cores from the gateway it measures. --client-nice lowers its priority (the helpers go
    # back to 0), at the cost of its own lateness, which counts in the delays.
    os.nice(args.client_nice)
    try:
        token = mint(read_key(base / "state"), current_user(), lifespan=7200, now=int(time.time()))
        results["without_streams"] = phase(base_url, token, args, str(workdir), process.pid)
        results["with_streams"] = run(
            with_streams(base_url, token, args, str(workdir), process.pid)
        )
    finally:
        stop_process(process)
        shutil.rmtree(base, ignore_errors=True)
    report(results)


def run(main: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """With uvloop where it is installed (uvicorn's extra brings it): the client's protocols
    cost less there, and the client is not what is measured."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def report(results: dict[str, Any]) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"events-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
