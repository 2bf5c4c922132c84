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
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import read_key, start_local_gateway, stop_process  # noqa: E402

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


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: install the Debian package 'wrk'")
    return found


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(wrk: str, url: str, lua: str, *, duration: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        done = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + 30,
        )
    finally:
        os.unlink(script.name)
    out = done.stdout
    stats = {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    stats["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return stats


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
    process, base_url = start_local_gateway(state_dir, CONFIG)
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
        process, base_url = start_local_gateway(state_dir2, CONFIG)
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
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"embedded-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written: {out.relative_to(ROOT)}")


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
