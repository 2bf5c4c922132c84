"""GET jobs on a busy cluster: quiet, while jobs change, during a mass cancellation; and small
GETs while a huge job list is being served.

Usage:
    python bench/busy.py embedded [--jobs 20000] [--duration 10] [--connections 8] [--rate 20]
                                  [--encoding identity|gzip]
    python bench/busy.py lab [--jobs 20000] [...]          (as root: the lab cluster on the host)
    scripts/lab-cluster run 24.11 -- .lab/venv-24.11/bin/python bench/busy.py lab [...]
    python bench/busy.py big [--jobs 100000] [--duration 10] [--readers 2]

``embedded`` and ``lab`` queue ``--jobs`` held jobs (named "bench"), then drive GET jobs with
wrk on ``--connections`` connections three times: quiet; while about ``--rate`` jobs a second
change their comment (updates through the gateway on the embedded cluster, read by another user
than the one who makes them; ``scontrol update`` on the lab, as changes made elsewhere; their
name stays "bench", which the cancellation and the clean-up select them by); and while every
one of the jobs is cancelled at once (one ``DELETE jobs`` through the gateway; ``scancel`` on
the lab). For each: req/s, p50, p99, and the gateway's RSS (largest seen during the run), then
busy / quiet. ``--encoding gzip`` asks for compressed answers, as Python's requests and httpx
and browsers do (the size shown is then the compressed one).

``big`` queues ``--jobs`` held jobs on the embedded cluster and measures small GETs (ping,
diag, one job, in turn) on two connections alone, then while ``--readers`` other connections
fetch the whole job list over and over.

Everything runs on loopback, bounded in time; the embedded gateway is stopped and its state
removed, the lab's jobs cancelled (slurmctld lists them as CANCELLED for MinJobAge). Prints a
table and writes bench/results/busy-<scenario>-<time>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.results_file import write_results  # noqa: E402
from bench.wrk import ensure_wrk, request_lua, rss_mb, run_wrk, wait_quiet  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import (  # noqa: E402
    current_user,
    read_key,
    read_key_file,
    start_gateway,
    stop_process,
)

#: Who reads the embedded cluster's list while the current user changes it: any user does.
EMBEDDED_READER = "nobody"
EMBEDDED_CONFIG = """
[local]
max_job_count = 1000000
"""
#: Small GETs of the ``big`` scenario, in turn ({job} is a queued job's id).
SMALL_LUA = """
local paths = {{"/slurm/{version}/ping", "/slurm/{version}/diag", "/slurm/{version}/job/{job}"}}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[n % #paths + 1])
end
"""


@dataclass
class Gateway:
    """A gateway under test: where it answers, as whom, and what it runs as."""

    base_url: str
    pid: int
    headers: dict[str, str]
    version: str
    #: Other processes whose quiet a run waits for (slurmctld).
    others: list[int] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}/slurm/{self.version}/{path}"


class RssWatch:
    """The largest RSS of a process while the context runs, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._stop.wait(0.05)


class Background:
    """``action`` in a thread while the context runs; it is told to stop at the end."""

    def __init__(self, action: Callable[[threading.Event], None]) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(action,), daemon=True)

    def __enter__(self) -> Background:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self._thread.join(timeout=120)

    def _run(self, action: Callable[[threading.Event], None]) -> None:
        try:
            action(self.stop)
        except BaseException as exc:  # reported with the results: a run must not hang on it
            self.error = exc


def queue_jobs(gateway: Gateway, body: str, count: int, threads: int = 8) -> list[int]:
    """Submit ``count`` held jobs through the gateway; their ids."""
    send = {**gateway.headers, "Content-Type": "application/json"}
    local = threading.local()

    def submit(_: int) -> int:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(headers=send, timeout=120)
        response = client.post(gateway.url("job/submit"), content=body)
        response.raise_for_status()
        return int(response.json()["job_id"])

    with ThreadPoolExecutor(threads) as pool:
        return sorted(pool.map(submit, range(count)))


def listing(gateway: Gateway) -> bytes:
    response = httpx.get(gateway.url("jobs"), headers=gateway.headers, timeout=300)
    response.raise_for_status()
    return response.content


def sent_size(gateway: Gateway, encoding: str) -> int:
    """The bytes of GET jobs' body as sent in ``encoding`` (compressed, if it is)."""
    headers = {**gateway.headers, "Accept-Encoding": encoding}
    with httpx.stream("GET", gateway.url("jobs"), headers=headers, timeout=300) as response:
        response.raise_for_status()
        return sum(len(part) for part in response.iter_raw())


def held_job(workdir: str, version: str) -> str:
    job: dict[str, object] = {"name": "bench", "hold": True, "current_working_directory": workdir}
    if version in ("v0.0.36", "v0.0.37", "v0.0.38"):
        return json.dumps(
            {"script": "#!/bin/sh\ntrue\n", "job": {**job, "environment": {"PATH": "/bin"}}}
        )
    return json.dumps({"job": {**job, "script": "#!/bin/sh\ntrue\n", "environment": ["PATH=/bin"]}})


def every(rate: float, stop: threading.Event, step: Callable[[int], None]) -> int:
    """Call ``step(n)`` ``rate`` times a second until ``stop``; how many calls were made."""
    n, started = 0, time.monotonic()
    while not stop.is_set():
        step(n)
        n += 1
        stop.wait(max(started + n / rate - time.monotonic(), 0.0))
    return n


def measure(
    wrk: str,
    gateway: Gateway,
    args: argparse.Namespace,
    action: Callable[[threading.Event], None] | None = None,
) -> dict[str, float]:
    """One wrk run of GET jobs, with ``action`` running beside it."""
    wait_quiet([gateway.pid, *gateway.others])
    # The reader queued the jobs: its first read after that waits, by design, for the list
    # to be loaded and rendered (read-your-writes); the runs measure what follows.
    sent_size(gateway, args.encoding)
    with RssWatch(gateway.pid) as rss:
        background = Background(action or (lambda stop: None))
        with background:
            stats = run_wrk(
                wrk,
                gateway.url("jobs"),
                request_lua({**gateway.headers, "Accept-Encoding": args.encoding}),
                duration=args.duration,
                connections=args.connections,
                timeout_s=30,
            )
    if background.error is not None:
        raise RuntimeError(f"the run's background action failed: {background.error!r}")
    stats["rss_peak_mb"] = round(rss.peak, 1)
    stats["bytes"] = float(sent_size(gateway, args.encoding))
    return stats


def scenario_rows(
    wrk: str,
    gateway: Gateway,
    args: argparse.Namespace,
    change: Callable[[list[int], int], None],
    cancel: Callable[[], None],
    ids: list[int],
) -> dict[str, dict[str, float]]:
    """Quiet, busy, mass cancellation: GET jobs for each."""
    rows = {"quiet": measure(wrk, gateway, args)}

    def changing(stop: threading.Event) -> None:
        every(args.rate, stop, lambda n: change(ids, n))

    rows["busy"] = measure(wrk, gateway, args, changing)

    def cancelling(stop: threading.Event) -> None:
        stop.wait(1.0)  # the run is under way first
        cancel()

    rows["cancel"] = measure(wrk, gateway, args, cancelling)
    quiet = rows["quiet"]["requests_per_s"]
    for name in ("busy", "cancel"):
        rows[name]["ratio_to_quiet"] = rows[name]["requests_per_s"] / quiet if quiet else 0.0
    return rows


@contextlib.contextmanager
def queued_embedded(
    args: argparse.Namespace, reader: str | None = None
) -> Iterator[tuple[Gateway, list[int], dict[str, str]]]:
    """An embedded gateway of its own with ``args.jobs`` held jobs queued by the current user;
    stopped and its state removed afterwards. Yields the gateway with ``reader``'s headers (by
    default the current user's), the jobs, and the current user's headers."""
    state_dir = Path(tempfile.mkdtemp(prefix="slurmgate-bench-busy-"))
    workdir = state_dir / "out"
    workdir.mkdir()
    process, base_url = start_gateway(state_dir, EMBEDDED_CONFIG)
    try:

        def headers(user: str) -> dict[str, str]:
            token = mint(read_key(state_dir), user, lifespan=7200, now=int(time.time()))
            return {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token}

        writer = Gateway(base_url, process.pid, headers(current_user()), args.version)
        ids = queue_jobs(writer, held_job(str(workdir), args.version), args.jobs)
        seen_by = headers(reader) if reader else writer.headers
        yield dataclasses.replace(writer, headers=seen_by), ids, writer.headers
    finally:
        stop_process(process)
        shutil.rmtree(state_dir, ignore_errors=True)


def embedded(args: argparse.Namespace, wrk: str) -> dict[str, object]:
    # Another user reads: each of the writer's own reads would wait for its latest change
    # (read-your-writes), which the lab's reads do not for changes made with scontrol.
    with (
        queued_embedded(args, reader=EMBEDDED_READER) as (gateway, ids, writer),
        httpx.Client(headers=writer, timeout=60) as client,
    ):

        def change(ids: list[int], n: int) -> None:
            job = ids[(n * 7919) % len(ids)]  # spread over the whole table
            update = {"comment": f"busy{n}"}
            client.post(gateway.url(f"job/{job}"), json=update).raise_for_status()

        def cancel() -> None:
            selection = {"signal": "SIGKILL", "job_name": "bench", "user_name": current_user()}
            client.request(
                "DELETE", f"{gateway.base_url}/slurm/v0.0.41/jobs", json=selection
            ).raise_for_status()

        rows = scenario_rows(wrk, gateway, args, change, cancel, ids)
        return {"backend": "embedded", "jobs": len(ids), "rows": rows}


def lab(args: argparse.Namespace, wrk: str) -> dict[str, object]:
    from bench.lab import DEFAULT_VERSIONS, lab_pid, queue_length, start_slurmgate
    from tests.support.lab import ENV_FILE, SCRIPT, require_lab, slurm_client_env

    if os.geteuid() != 0:
        sys.exit("run as root: it starts the lab cluster and mints tokens with its key")
    subprocess.run([str(SCRIPT), "up"], check=True)
    assert ENV_FILE.exists()
    the_lab = require_lab()
    version = args.version if args.version_given else DEFAULT_VERSIONS[the_lab.release]
    user = the_lab.users[0]
    token = mint(read_key_file(the_lab.jwt_key), user, lifespan=7200, now=int(time.time()))
    headers = {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token}
    process, base_url, state_dir = start_slurmgate(the_lab)
    env = slurm_client_env()
    try:
        gateway = Gateway(base_url, process.pid, headers, version, [lab_pid("slurmctld")])
        missing = args.jobs - queue_length(base_url, headers)
        ids = queue_jobs(gateway, held_job(f"/home/{user}", version), max(missing, 0))
        if not ids:
            sys.exit("the queue already holds --jobs jobs: empty it first (see bench/README.md)")

        def change(ids: list[int], n: int) -> None:
            # A batch of five every quarter of a second: one scontrol per batch, not per job.
            if n % 5 == 0:
                batch = ",".join(str(ids[((n + k) * 7919) % len(ids)]) for k in range(5))
                subprocess.run(
                    ["scontrol", "update", f"JobId={batch}", f"Comment=busy{n}"],
                    check=True,
                    env=env,
                    capture_output=True,
                )

        def cancel() -> None:
            subprocess.run(["scancel", "--user", user, "--name", "bench"], check=True, env=env)

        rows = scenario_rows(wrk, gateway, args, change, cancel, ids)
        return {"backend": f"slurm {the_lab.release} lab", "jobs": len(ids), "rows": rows}
    finally:
        stop_process(process)
        shutil.rmtree(state_dir, ignore_errors=True)
        subprocess.run(["scancel", "--user", user, "--name", "bench"], check=False, env=env)


def big(args: argparse.Namespace, wrk: str) -> dict[str, object]:
    with queued_embedded(args) as (gateway, ids, _):
        size = len(listing(gateway))  # rendered once before the runs
        small = request_lua(gateway.headers) + SMALL_LUA.format(version=args.version, job=ids[-1])
        rows: dict[str, dict[str, float]] = {}

        def small_run() -> dict[str, float]:
            return run_wrk(wrk, gateway.url("ping"), small, duration=args.duration, connections=2)

        wait_quiet([gateway.pid])
        with RssWatch(gateway.pid) as rss:
            rows["small GETs alone"] = small_run()
        rows["small GETs alone"]["rss_peak_mb"] = round(rss.peak, 1)
        wait_quiet([gateway.pid])
        big_run: dict[str, dict[str, float]] = {}

        def readers(stop: threading.Event) -> None:
            big_run["stats"] = run_wrk(
                wrk,
                gateway.url("jobs"),
                request_lua(gateway.headers),
                duration=args.duration + 2,
                connections=args.readers,
                timeout_s=60,
            )

        with RssWatch(gateway.pid) as rss, Background(readers):
            time.sleep(1.0)  # the list is being sent before the small GETs begin
            rows["small GETs, job list served"] = small_run()
        rows["small GETs, job list served"]["rss_peak_mb"] = round(rss.peak, 1)
        listed = big_run.get("stats", {})
        listed["rss_peak_mb"] = round(rss.peak, 1)
        listed["bytes"] = float(size)
        rows[f"GET jobs, {args.readers} readers"] = listed
        return {"backend": "embedded", "jobs": len(ids), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("embedded", "lab", "big"))
    parser.add_argument("--jobs", type=int, default=0, help="20,000 (100,000 for big)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8, help="for GET jobs")
    parser.add_argument("--rate", type=float, default=20.0, help="job changes a second")
    parser.add_argument("--readers", type=int, default=2, help="big: connections for GET jobs")
    parser.add_argument("--version", default="", help="API version (default v0.0.38)")
    parser.add_argument("--encoding", default="identity", help="GET jobs' Accept-Encoding")
    args = parser.parse_args()
    args.version_given = bool(args.version)
    args.version = args.version or "v0.0.38"
    args.jobs = args.jobs or (100_000 if args.scenario == "big" else 20_000)
    wrk = ensure_wrk()
    run = {"embedded": embedded, "lab": lab, "big": big}[args.scenario]
    started = datetime.now(UTC)
    load = os.getloadavg()
    results: dict[str, object] = {
        "date": started.isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.machine()}",
        "python": platform.python_version(),
        "scenario": args.scenario,
        "duration_s": args.duration,
        "connections": args.connections,
        "rate": args.rate,
        "api_version": args.version,
        "encoding": args.encoding,
        "load_before": [round(x, 2) for x in load],
        **run(args, wrk),
    }
    print_table(results)
    write_results(f"busy-{args.scenario}", results, started)


def print_table(results: dict[str, object]) -> None:
    print(
        f"{results['backend']}, {results['jobs']} jobs, API {results['api_version']}, "
        f"{results['encoding']}, "
        f"{results['machine']}, {results['date']}, load before {results['load_before']}"
    )
    head = f"{'run':<32}{'req/s':>9}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'RSS MB':>8}"
    print(head + f"{'MB':>7}{'/ quiet':>9}")
    rows = results["rows"]
    assert isinstance(rows, dict)
    for name, row in rows.items():
        errors = row.get("non_2xx", 0.0) + row.get("timeouts", 0.0)
        ratio = f"{row['ratio_to_quiet']:.2f}" if "ratio_to_quiet" in row else ""
        size = f"{row['bytes'] / 1e6:.1f}" if "bytes" in row else ""
        print(
            f"{name:<32}{row.get('requests_per_s', 0.0):>9.1f}{row.get('p50_ms', 0.0):>10.2f}"
            f"{row.get('p99_ms', 0.0):>10.2f}{errors:>8.0f}{row.get('rss_peak_mb', 0.0):>8.0f}"
            f"{size:>7}{ratio:>9}"
        )


if __name__ == "__main__":
    main()
