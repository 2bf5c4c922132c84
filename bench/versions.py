"""GET jobs in several API versions from one gateway: what each version's rendering costs.

Usage: python bench/versions.py [--jobs 1000,10000] [--versions v0.0.38,v0.0.44]
                                [--duration 10] [--connections 8] [--encodings identity,gzip]

Starts its own `slurmgate serve` on the embedded cluster (throwaway state directory, loopback),
queues the jobs (held), then drives GET /slurm/{version}/jobs with wrk for each version in turn,
A B B A, so that neither meets a warmer machine only. One job changes before each run, so its
first request renders the list in that version and the rest are served from the shared
rendering, as in production; bench/micro.py measures the rendering alone. Each encoding in
turn: ``identity`` (curl, wrk) and ``gzip`` (what Python's requests and httpx, browsers and
``curl --compressed`` ask for), whose size is the compressed one. Prints a table and writes
bench/results/versions-<time>.json.
"""

from __future__ import annotations

import argparse
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

import httpx  # noqa: E402

from bench.results_file import write_results  # noqa: E402
from bench.wrk import ensure_wrk, request_lua, rss_mb, run_wrk  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import current_user, read_key, start_gateway, stop_process  # noqa: E402

CONFIG = """
[local]
max_job_count = 1000000
"""


def queue(client: httpx.Client, workdir: Path, count: int) -> int:
    body = {
        "job": {
            "name": "bench",
            "hold": True,
            "script": "#!/bin/sh\ntrue\n",
            "current_working_directory": str(workdir),
            "environment": ["PATH=/bin"],
        }
    }
    last = 0
    for _ in range(count):
        response = client.post("/slurm/v0.0.44/job/submit", json=body)
        response.raise_for_status()
        last = int(response.json()["job_id"])
    return last


def answer_size(client: httpx.Client, path: str, headers: dict[str, str]) -> int:
    """The bytes of the answer's body as sent (compressed, if it was)."""
    with client.stream("GET", path, headers=headers) as response:
        return sum(len(part) for part in response.iter_raw())


def measure(
    client: httpx.Client,
    wrk: str,
    base_url: str,
    versions: list[str],
    last: int,
    headers: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, dict[str, float]]:
    """wrk on GET jobs in each version, A B B A: the mean of each version's runs."""
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in versions}
    for index, version in enumerate([*versions, *reversed(versions)]):
        # A change first: the run renders the list, as after any change.
        client.post(f"/slurm/v0.0.44/job/{last}", json={"name": f"bench{index}"})
        size = answer_size(client, f"/slurm/{version}/jobs", headers)
        stats = run_wrk(
            wrk,
            f"{base_url}/slurm/{version}/jobs",
            request_lua(headers),
            duration=args.duration,
            connections=args.connections,
            timeout_s=30,
        )
        stats["bytes"] = float(size)
        runs[version].append(stats)
    return {
        v: {k: sum(r[k] for r in done) / len(done) for k in done[0]} for v, done in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="1000,10000", help="queue sizes, e.g. 1000,10000")
    parser.add_argument("--versions", default="v0.0.38,v0.0.44")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--encodings", default="identity,gzip", help="Accept-Encoding values")
    args = parser.parse_args()
    wrk = ensure_wrk()
    versions = args.versions.split(",")
    state_dir = Path(tempfile.mkdtemp(prefix="slurmgate-bench-"))
    workdir = state_dir / "out"
    workdir.mkdir()
    process, base_url = start_gateway(state_dir, CONFIG)
    token = mint(read_key(state_dir), current_user(), lifespan=7200, now=int(time.time()))
    headers = {"X-SLURM-USER-TOKEN": token}
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.machine()}",
        "python": platform.python_version(),
        "connections": args.connections,
        "duration_s": args.duration,
    }
    rows: dict[str, dict[str, dict[str, float]]] = {}
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=300) as client:
            queued, last = 0, 0
            for target in (int(n) for n in args.jobs.split(",")):
                last = queue(client, workdir, target - queued) or last
                queued = target
                for encoding in args.encodings.split(","):
                    rows[f"GET jobs ({queued} jobs, {encoding})"] = measure(
                        client,
                        wrk,
                        base_url,
                        versions,
                        last,
                        {**headers, "Accept-Encoding": encoding},
                        args,
                    )
        results["rss_mb"] = round(rss_mb(process.pid), 1)
    finally:
        stop_process(process)
        shutil.rmtree(state_dir, ignore_errors=True)
    results["rows"] = rows
    print(f"slurmgate embedded backend, {results['machine']}, Python {results['python']}")
    print(f"{'measure':<36}{'version':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'kB':>9}")
    for name, by_version in rows.items():
        for version, row in by_version.items():
            print(
                f"{name:<36}{version:<10}{row['requests_per_s']:>9.1f}{row['p50_ms']:>9.1f}"
                f"{row['p99_ms']:>9.1f}{row['bytes'] / 1e3:>9,.0f}"
            )
    print(f"gateway RSS after the runs: {results['rss_mb']} MB")
    write_results("versions", results)


if __name__ == "__main__":
    main()
