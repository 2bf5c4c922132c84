"""Job history over /slurmdb/: slurmgate and the lab's slurmrestd side by side, in the same run.

Usage (as root, in the lab whose daemons are measured; v0.0.44 needs 26.05's):
    scripts/lab-cluster run 26.05 -- .lab/venv-26.05/bin/python bench/slurmdb.py \\
        [--jobs 10000] [--duration 20] [--connections 4] [--pollers 100] [--poll-duration 20]

1. History: makes sure slurmdbd holds ``--jobs`` finished jobs of the lab's second user (held
   jobs submitted through slurmgate, then cancelled: CANCELLED records, no steps), then drives
   GET /slurmdb/{version}/jobs choosing exactly them with wrk: slurmrestd, slurmgate (backend
   slurm), and an embedded slurmgate holding as many cancelled jobs. For each: req/s, p50/p99,
   errors, the daemon's CPU time per request, its RSS, and how many job queries
   (DBD_GET_JOBS_COND) its accounting store answered per request.
2. Pollers: ``--pollers`` clients each GET /slurmdb/v0.0.44/jobs (the first user's jobs of
   the day) every ``--poll-interval`` seconds for ``--poll-duration`` seconds, against each
   daemon in turn: answers per second, p50/p99, and the job queries slurmdbd (the embedded
   cluster: its store) saw per second, from its statistics (/slurmdb/.../diag as root).

Prints a table and writes bench/results/slurmdb-<release>-<time>.json. The bench's jobs stay in
the lab's accounting (a later run reuses them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.lab import lab_pid, start_slurmgate  # noqa: E402
from bench.results_file import write_results  # noqa: E402
from bench.wrk import cpu_seconds, ensure_wrk, request_lua, rss_mb, run_wrk, wait_quiet  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import read_key, read_key_file, start_gateway, stop_process  # noqa: E402
from tests.support.lab import require_lab  # noqa: E402

NAME = "sgdbbench"
DEFAULT_VERSIONS = {"24.11": "v0.0.42", "26.05": "v0.0.44"}
EMBEDDED = """
[local]
max_job_count = 1000000
"""


def date(when: float) -> str:
    """A time as both daemons take it (24.11's slurmrestd refuses Unix seconds here)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(when))


def history_query() -> str:
    """The bench's jobs: cancelled ones named NAME, ended since 2020."""
    window = {"start_time": "2020-01-01T00:00:00", "end_time": date(time.time() + 3600)}
    return urlencode({"job_name": NAME, "state": "CANCELLED", **window})


def count(base_url: str, version: str, headers: dict[str, str]) -> int:
    url = f"{base_url}/slurmdb/{version}/jobs/?{history_query()}"
    response = httpx.get(url, headers=headers, timeout=600)
    response.raise_for_status()
    return len(response.json()["jobs"])


def submit_held(base_url: str, headers: dict[str, str], missing: int, workdir: str) -> None:
    body = json.dumps({"job": {"name": NAME, "hold": True, "script": "#!/bin/sh\ntrue\n",
                               "current_working_directory": workdir,
                               "environment": ["PATH=/bin"]}})  # fmt: skip
    send = {**headers, "Content-Type": "application/json"}

    def one(_: int) -> None:
        url = f"{base_url}/slurm/v0.0.44/job/submit"
        for attempt in range(5):  # slurmctld refuses a few when it is busiest: once more
            response = httpx.post(url, content=body, headers=send, timeout=120)
            if response.status_code == 200:
                return
            time.sleep(1 + attempt)
        sys.exit(f"submission refused: {response.text[:500]}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(missing)))


def wait_for_history(base_url: str, version: str, headers: dict[str, str], target: int) -> int:
    """Until the accounting store lists ``target`` of the bench's cancelled jobs."""
    deadline = time.monotonic() + 900
    found = count(base_url, version, headers)
    while found < target and time.monotonic() < deadline:
        time.sleep(5)
        found = count(base_url, version, headers)
    return found


def job_queries(base_url: str, admin: dict[str, str]) -> int:
    """How many job queries (DBD_GET_JOBS_COND) the accounting store has answered."""
    url = f"{base_url}/slurmdb/v0.0.44/diag/"
    response = httpx.get(url, headers=admin, timeout=60)
    response.raise_for_status()
    rpcs = response.json()["statistics"]["RPCs"]
    return sum(r["count"] for r in rpcs if r["rpc"] == "DBD_GET_JOBS_COND")


def measure(
    wrk: str, url: str, lua: str, pid: int, stats_url: str, admin: dict[str, str],
    args: argparse.Namespace, quiet: list[int],
) -> dict[str, float]:  # fmt: skip
    wait_quiet(quiet)
    queries, cpu = job_queries(stats_url, admin), cpu_seconds(pid)
    row = run_wrk(wrk, url, lua, duration=args.duration, connections=args.connections,
                  timeout_s=60)  # fmt: skip
    answered = max(row["requests"], 1.0)
    row["job_queries_per_request"] = (job_queries(stats_url, admin) - queries) / answered
    row["cpu_ms_per_request"] = 1000 * (cpu_seconds(pid) - cpu) / answered
    row["rss_mb"] = round(rss_mb(pid), 1)
    return row


async def _poll(url: str, headers: dict[str, str], interval: float, until: float,
                latencies: list[float], failures: list[int]) -> None:  # fmt: skip
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            began = time.monotonic()
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    latencies.append(1000 * (time.monotonic() - began))
                else:
                    failures.append(response.status_code)
            except httpx.HTTPError:
                failures.append(0)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))


def pollers(
    url: str, headers: dict[str, str], stats_url: str, admin: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, float]:  # fmt: skip
    n, interval, duration = args.pollers, args.poll_interval, args.poll_duration
    latencies: list[float] = []
    failures: list[int] = []
    before = job_queries(stats_url, admin)
    began = time.monotonic()

    async def run() -> None:
        until = time.monotonic() + duration
        await asyncio.gather(
            *(_poll(url, headers, interval, until, latencies, failures) for _ in range(n))
        )

    asyncio.run(run())
    elapsed = time.monotonic() - began
    ordered = sorted(latencies) or [float("nan")]
    return {
        "pollers": float(n),
        "answers_per_s": len(latencies) / elapsed,
        "failures": float(len(failures)),
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "job_queries_per_s": (job_queries(stats_url, admin) - before) / elapsed,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--poll-duration", type=int, default=20)
    parser.add_argument("--version", default="", help="API version of the history reads")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: it mints tokens with the lab's key")
    wrk = ensure_wrk()
    lab = require_lab()
    version = args.version or DEFAULT_VERSIONS.get(lab.release, "v0.0.44")
    key = read_key_file(lab.jwt_key)
    now = int(time.time())
    alice, bob = ({"X-SLURM-USER-TOKEN": mint(key, u, lifespan=7200, now=now)} for u in lab.users)
    admin = {"X-SLURM-USER-TOKEN": mint(key, "root", lifespan=7200, now=now)}
    process, gate_url, state_dir = start_slurmgate(lab)
    embedded_dir = Path(tempfile.mkdtemp(prefix="slurmgate-bench-"))
    embedded, embedded_url = start_gateway(embedded_dir, EMBEDDED)
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.machine()}",
        "release": lab.release,
        "api_version": version,
    }
    try:
        # 1. The history: the lab's (through slurmgate, cancelled with scancel) and the
        # embedded cluster's, each of --jobs cancelled jobs.
        missing = args.jobs - count(gate_url, version, bob)
        if missing > 0:
            submit_held(gate_url, bob, missing, f"/home/{lab.users[1]}")  # held: never run
            subprocess.run(["scancel", "--user", lab.users[1], "--name", NAME], check=True)
        results["lab_jobs"] = wait_for_history(gate_url, version, bob, args.jobs)
        root = {"X-SLURM-USER-TOKEN": mint(read_key(embedded_dir), "root", lifespan=7200,
                                           now=int(time.time()))}  # fmt: skip
        submit_held(embedded_url, root, args.jobs, str(embedded_dir))
        httpx.request("DELETE", f"{embedded_url}/slurm/v0.0.44/jobs", headers=root,
                      json={"job_name": NAME}, timeout=600).raise_for_status()  # fmt: skip
        results["embedded_jobs"] = wait_for_history(embedded_url, version, root, args.jobs)

        path = f"/slurmdb/{version}/jobs/?{history_query()}"
        restd_pid, quiet = lab_pid("slurmrestd"), [lab_pid("slurmctld"), lab_pid("slurmdbd")]
        rows: dict[str, dict[str, float]] = {}
        for name, url, pid, headers, stats_url, stats_auth in (
            ("slurmrestd", lab.restd_url, restd_pid, bob, lab.restd_url, admin),
            ("slurmgate", gate_url, process.pid, bob, lab.restd_url, admin),
            ("slurmgate embedded", embedded_url, embedded.pid, root, embedded_url, root),
        ):
            rows[name] = measure(wrk, url + path, request_lua(headers), pid, stats_url,
                                 stats_auth, args, [*quiet, restd_pid, process.pid])  # fmt: skip
        results["history"] = rows

        # 2. Pollers of the first user's jobs of the day.
        poll = "/slurmdb/v0.0.44/jobs/?" + urlencode(
            {"users": lab.users[0], "start_time": date(now - now % 86400)}
        )
        polled: dict[str, dict[str, float]] = {}
        for name, url, headers, stats_url, stats_auth in (
            ("slurmrestd", lab.restd_url, alice, lab.restd_url, admin),
            ("slurmgate", gate_url, alice, lab.restd_url, admin),
            ("slurmgate embedded", embedded_url, root, embedded_url, root),
        ):
            wait_quiet([*quiet, restd_pid, process.pid])
            polled[name] = pollers(url + poll, headers, stats_url, stats_auth, args)
        results["pollers"] = polled
    finally:
        stop_process(process)
        stop_process(embedded)
        shutil.rmtree(state_dir, ignore_errors=True)
        shutil.rmtree(embedded_dir, ignore_errors=True)
    report(results, args)


def report(results: dict[str, object], args: argparse.Namespace) -> None:
    print(f"Slurm {results['release']} lab, API {results['api_version']}, {results['machine']}")
    print(
        f"GET jobs of {results['lab_jobs']} finished jobs (embedded: {results['embedded_jobs']}),"
        f" {args.connections} connections, {args.duration} s"
    )
    print(f"{'daemon':<20}{'req/s':>9}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
          f"{'queries/req':>12}{'CPU ms/req':>11}{'RSS MB':>8}")  # fmt: skip
    history = results["history"]
    assert isinstance(history, dict)
    for name, row in history.items():
        print(f"{name:<20}{row['requests_per_s']:>9.2f}{row['p50_ms']:>10.1f}"
              f"{row['p99_ms']:>10.1f}{row['non_2xx'] + row['timeouts']:>8.0f}"
              f"{row['job_queries_per_request']:>12.3f}{row['cpu_ms_per_request']:>11.1f}"
              f"{row['rss_mb']:>8.0f}")  # fmt: skip
    print(f"{args.pollers} pollers, every {args.poll_interval} s, {args.poll_duration} s")
    print(f"{'daemon':<20}{'answers/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>8}"
          f"{'slurmdbd job queries/s':>24}")  # fmt: skip
    polled = results["pollers"]
    assert isinstance(polled, dict)
    for name, row in polled.items():
        print(
            f"{name:<20}{row['answers_per_s']:>10.1f}{row['p50_ms']:>10.1f}"
            f"{row['p99_ms']:>10.1f}{row['failures']:>8.0f}{row['job_queries_per_s']:>24.2f}"
        )
    write_results(f"slurmdb-{results['release']}", results)


if __name__ == "__main__":
    main()
