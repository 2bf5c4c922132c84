"""Embedded-cluster figures over HTTP: submission rate/latency and GET jobs with 1,000 queued.

Usage: python bench/embedded.py [--duration 10] [--connections 4] [--jobs 1000]

Starts its own `slurmgate serve` on a free loopback port with a throwaway state directory,
drives it with wrk for a bounded time, prints a table and writes bench/results/*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_file import write_results  # noqa: E402
from bench.wrk import ensure_wrk, rss_mb, run_wrk  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import read_key, start_gateway, stop_process  # noqa: E402

CONFIG = """
[local]
max_job_count = 1000000
"""

SUBMIT_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-SLURM-USER-TOKEN"] = "{token}"
wrk.body = [==[{body}]==]
"""

GET_LUA = """
wrk.headers["X-SLURM-USER-TOKEN"] = "{token}"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=1000, help="queued jobs for GET jobs")
    args = parser.parse_args()
    wrk = ensure_wrk()

    state_dir = Path(tempfile.mkdtemp(prefix="slurmgate-bench-"))
    scratch = [state_dir]
    workdir = state_dir / "out"
    workdir.mkdir()
    process, base_url = start_gateway(state_dir, CONFIG)
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.machine()}",
        "python": platform.python_version(),
    }
    try:
        token = mint(read_key(state_dir), pwd_name(), lifespan=3600, now=int(time.time()))
        # Held jobs: this measures acceptance, not how fast 2 cores can run thousands of jobs.
        body = json.dumps(
            {
                "job": {
                    "name": "bench",
                    "hold": True,
                    "script": "#!/bin/sh\ntrue\n",
                    "current_working_directory": str(workdir),
                    "environment": {"PATH": "/bin"},
                }
            }
        )
        submit = run_wrk(
            wrk,
            f"{base_url}/slurm/v0.0.38/job/submit",
            SUBMIT_LUA.format(token=token, body=body),
            duration=args.duration,
            connections=args.connections,
        )
        results["submit"] = submit

        # Trim or top up so GET jobs measures exactly --jobs queued jobs: start afresh.
        stop_process(process)
        state_dir2 = Path(tempfile.mkdtemp(prefix="slurmgate-bench-"))
        scratch.append(state_dir2)
        process, base_url = start_gateway(state_dir2, CONFIG)
        token = mint(read_key(state_dir2), pwd_name(), lifespan=3600, now=int(time.time()))
        load_jobs(base_url, token, body, args.jobs)
        for connections in sorted({1, args.connections}):
            listing = run_wrk(
                wrk,
                f"{base_url}/slurm/v0.0.38/jobs",
                GET_LUA.format(token=token),
                duration=args.duration,
                connections=connections,
            )
            listing["jobs_in_queue"] = float(args.jobs)
            results[f"get_jobs_c{connections}"] = listing
        results["rss_mb"] = round(rss_mb(process.pid), 1)
    finally:
        stop_process(process)
        for path in scratch:
            shutil.rmtree(path, ignore_errors=True)

    print(f"slurmgate embedded backend, {results['machine']}, {results['date']}")
    print(f"{'measure':<40}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    rows = [(f"POST job/submit, {args.connections} conns", "submit")] + [
        (f"GET jobs ({args.jobs} queued), {c} conns", f"get_jobs_c{c}")
        for c in sorted({1, args.connections})
    ]
    for name, key in rows:
        row = results[key]
        assert isinstance(row, dict)
        print(
            f"{name:<40}{row['requests_per_s']:>10.0f}{row['p50_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}{row['non_2xx']:>9.0f}"
        )
    print(f"gateway RSS after the run: {results['rss_mb']} MB")
    write_results("embedded", results)


def pwd_name() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def load_jobs(base_url: str, token: str, body: str, count: int) -> None:
    import httpx

    with httpx.Client(base_url=base_url, headers={"X-SLURM-USER-TOKEN": token}) as client:
        for _ in range(count):
            response = client.post(
                "/slurm/v0.0.38/job/submit",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            response.raise_for_status()


if __name__ == "__main__":
    main()
