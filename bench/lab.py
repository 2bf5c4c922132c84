"""slurmgate and the real slurmrestd side by side on the lab cluster, in the same run.

Usage (as root), in a lab, with its distribution's Python (.lab/venv-RELEASE, made by
scripts/lab-cluster up), as a site's head node runs it:
    scripts/lab-cluster run 22.05 -- .lab/venv-22.05/bin/python bench/lab.py [--duration 10]
        [--connections 8] [--submit-connections 4] [--submit-duration 3] [--jobs 1000]
        [--measures ping,...] [--version v]
and likewise 24.11 and 26.05 (inside their roots). The gateway runs with the Python that runs
this script; the results name it.

Brings the lab cluster up (scripts/lab-cluster up), starts slurmgate with the slurm backend as
its own unprivileged user, and drives both daemons with wrk, one after the other, with the same
user's token: GET ping, diag, nodes, partitions, GET jobs with N jobs in the queue (held jobs,
loaded first), and POST job/submit (held jobs, for a shorter time so both daemons' jobs fit
MaxJobCount), then the same submissions straight through libslurm from this process, with no
HTTP (the room a daemon leaves: bench/libslurm_ceiling.py). For each it records
req/s, p50 and p99, the daemons' RSS, the CPU time per request of the daemon and of slurmctld,
and slurmctld's RPC count (sdiag) before and after; it
prints a table and writes bench/results/lab-<time>.json. Jobs it submitted are cancelled at the
end (slurmctld lists them as CANCELLED until MinJobAge passes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.libslurm_ceiling import submit_directly  # noqa: E402
from bench.results_file import write_results  # noqa: E402
from bench.wrk import cpu_seconds, ensure_wrk, request_lua, rss_mb, run_wrk, wait_quiet  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import read_key_file, start_gateway, stop_process  # noqa: E402
from tests.support.lab import ENV_FILE, SCRIPT, Lab, owned_directory, require_lab  # noqa: E402

READS = ("ping", "diag", "nodes", "partitions")
#: The API version measured on each release's lab unless --version says otherwise: the
#: newest the release's slurmrestd serves that slurmgate serves too.
DEFAULT_VERSIONS = {"22.05": "v0.0.38", "24.11": "v0.0.42", "26.05": "v0.0.44"}
VERSION = "v0.0.38"  # set from --version in main()
#: slurmgate's mirror stops loading a table this long after its last read. Submissions are
#: measured once the job list's readers have gone (see bench/README.md).
IDLE_AFTER = 5


def submission(workdir: str, version: str) -> str:
    # Held: this measures acceptance, not how fast two cores run thousands of jobs.
    job: dict[str, object] = {
        "name": "bench",
        "hold": True,
        "current_working_directory": workdir,
    }
    if version in ("v0.0.36", "v0.0.37", "v0.0.38"):
        return json.dumps(
            {"script": "#!/bin/sh\ntrue\n", "job": {**job, "environment": {"PATH": "/bin"}}}
        )
    return json.dumps({"job": {**job, "script": "#!/bin/sh\ntrue\n", "environment": ["PATH=/bin"]}})


def rpc_count(env: dict[str, str] | None = None) -> int:
    """slurmctld's RPCs since its statistics were last reset, summed over message types."""
    out = subprocess.run(["sdiag"], capture_output=True, text=True, check=True, env=env).stdout
    by_type = out.split("Remote Procedure Call statistics by message type", 1)[-1]
    by_type = by_type.split("Remote Procedure Call statistics by user", 1)[0]
    return sum(int(n) for n in re.findall(r"count:(\d+)", by_type))


def lab_pid(daemon: str) -> int:
    return int(Path(f"/run/slurmgate-lab/{daemon}.pid").read_text())


def start_slurmgate(lab: Lab) -> tuple[subprocess.Popen[bytes], str, Path]:
    state_dir = owned_directory("slurmgate-bench-", lab.gateway_user)
    config = (
        f'backend = "slurm"\nthreads = 16\n[auth]\njwt_key = "{lab.gateway_key}"\n'
        f'[slurm]\nconf = "{lab.slurm_conf}"\n[mirror]\nidle_after = {IDLE_AFTER}\n'
    )
    process, base_url = start_gateway(state_dir, config, user=lab.gateway_user)
    return process, base_url, state_dir


def queue_length(base_url: str, headers: dict[str, str]) -> int:
    response = httpx.get(f"{base_url}/slurm/{VERSION}/jobs", headers=headers, timeout=120)
    response.raise_for_status()
    return len(response.json()["jobs"])


def fill_queue(base_url: str, headers: dict[str, str], body: str, target: int) -> int:
    """Submit held jobs until the listing holds ``target`` jobs; returns the final count."""
    missing = target - queue_length(base_url, headers)
    if missing > 0:
        send = {**headers, "Content-Type": "application/json"}

        def submit(_: int) -> None:
            url = f"{base_url}/slurm/{VERSION}/job/submit"
            httpx.post(url, content=body, headers=send, timeout=60).raise_for_status()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(submit, range(missing)))
    return queue_length(base_url, headers)


def measure(
    wrk: str,
    daemons: dict[str, tuple[str, int]],
    path: str,
    lua: str,
    args: argparse.Namespace,
    duration: int = 0,
    connections: int = 0,
    order: tuple[str, ...] = (),
    warm_with: dict[str, str] | None = None,
    **extra: float,
) -> dict[str, dict[str, float]]:
    """Drive each daemon in turn (``order``: names, a daemon may come back; its runs are
    summed, its latencies averaged). With ``warm_with`` (a read's headers), each run follows
    one such read: slurmgate's mirror stops loading a table nobody read for ``IDLE_AFTER``
    (while the other daemon ran, say), and the first read after that waits for a load; the
    run measures each daemon's steady state (slurmrestd has none to warm)."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in daemons}
    controller = lab_pid("slurmctld")
    for name in order or tuple(daemons):
        base_url, pid = daemons[name]
        # Not while the other daemon still answers the last run's requests (slurmrestd takes
        # many seconds per 10,000-job list): each run has the machine to itself.
        quiet = [controller, *(other for _, other in daemons.values())]
        wait_quiet(quiet)
        if warm_with is not None:
            url = f"{base_url}/slurm/{VERSION}/{path}"
            with contextlib.suppress(httpx.HTTPError):  # the run says how the daemon does
                httpx.get(url, headers=warm_with, timeout=120)
            wait_quiet(quiet)
        before = rpc_count()
        cpu_before = cpu_seconds(pid), cpu_seconds(controller)
        stats = run_wrk(
            wrk,
            f"{base_url}/slurm/{VERSION}/{path}",
            lua,
            duration=duration or args.duration,
            connections=connections or args.connections,
        )
        stats["duration_s"] = float(duration or args.duration)
        stats["slurmctld_rpcs"] = float(rpc_count() - before - 2)  # minus the two sdiag calls
        stats["rss_mb"] = round(rss_mb(pid), 1)
        # Where the machine's cores went: the daemon's own work, and slurmctld's for it.
        stats["cpu_s"] = cpu_seconds(pid) - cpu_before[0]
        stats["slurmctld_cpu_s"] = cpu_seconds(controller) - cpu_before[1]
        runs[name].append(stats)
    row: dict[str, dict[str, float]] = {}
    for name, done in runs.items():
        merged = {key: sum(run[key] for run in done) for key in done[0]}
        for key in ("requests_per_s", "p50_ms", "p99_ms", "rss_mb"):
            merged[key] /= len(done)
        add_per_request(merged)
        merged.update(extra)
        row[name] = merged
    return row


def direct_row(lab: Lab, user: str, body: str, args: argparse.Namespace) -> dict[str, float]:
    """The same submissions through libslurm from this process, no HTTP, for as long as each
    daemon was driven (bench/libslurm_ceiling.py)."""
    controller = lab_pid("slurmctld")
    wait_quiet([controller])
    work = owned_directory("slurmgate-ceiling-", lab.gateway_user)
    # sdiag without the environment the backend gives this process (SLURM_JWT).
    env = dict(os.environ)

    def probe() -> dict[str, float]:
        return {"slurmctld_rpcs": rpc_count(env), "slurmctld_cpu_s": cpu_seconds(controller)}

    try:
        stats = submit_directly(
            lab,
            user,
            body,
            VERSION,
            duration=2 * args.submit_duration,
            concurrency=args.submit_connections,
            work=work,
            probe=probe,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stats["duration_s"] = float(2 * args.submit_duration)
    stats["slurmctld_rpcs"] -= 2  # the two sdiag calls, as in measure()
    stats["rss_mb"] = round(rss_mb(os.getpid()), 1)
    add_per_request(stats)
    return stats


def add_per_request(stats: dict[str, float]) -> None:
    """RPCs and CPU milliseconds (the client's, slurmctld's) per answered request."""
    answered = max(stats["requests"], 1.0)
    stats["rpcs_per_request"] = stats["slurmctld_rpcs"] / answered
    stats["cpu_ms_per_request"] = 1000 * stats["cpu_s"] / answered
    stats["slurmctld_cpu_ms_per_request"] = 1000 * stats["slurmctld_cpu_s"] / answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8, help="for the small GETs")
    parser.add_argument("--jobs-connections", type=int, default=8, help="connections for GET jobs")
    parser.add_argument("--submit-connections", type=int, default=4, help="for POST job/submit")
    parser.add_argument(
        "--submit-duration",
        type=int,
        default=3,
        help="seconds of each POST job/submit run (two per daemon)",
    )
    parser.add_argument("--jobs", default="1000", help="queue sizes for GET jobs, e.g. 1000,10000")
    parser.add_argument(
        "--measures", default="ping,diag,nodes,partitions,jobs,submit", help="which to run"
    )
    parser.add_argument(
        "--version", default="", help="API version (default: the lab release's newest served)"
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: it starts the lab cluster and mints tokens with its key")
    measures = set(args.measures.split(","))
    wrk = ensure_wrk()
    subprocess.run([str(SCRIPT), "up"], check=True)
    assert ENV_FILE.exists()
    lab = require_lab()
    global VERSION
    VERSION = args.version or DEFAULT_VERSIONS.get(lab.release, "v0.0.38")
    user = lab.users[0]
    token = mint(read_key_file(lab.jwt_key), user, lifespan=7200, now=int(time.time()))
    headers = {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token}
    workdir = f"/home/{user}"
    body = submission(workdir, VERSION)
    process, base_url, state_dir = start_slurmgate(lab)
    daemons = {
        "slurmrestd": (lab.restd_url, lab_pid("slurmrestd")),
        "slurmgate": (base_url, process.pid),
    }
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.machine()}",
        "slurm": subprocess.run(["sinfo", "-V"], capture_output=True, text=True).stdout.strip(),
        "connections": args.connections,
        "jobs_connections": args.jobs_connections,
        "submit_connections": args.submit_connections,
        "duration_s": args.duration,
        "release": lab.release,
        "python": f"{platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
        "api_version": VERSION,
    }
    rows: dict[str, dict[str, dict[str, float]]] = {}
    try:
        get_lua = request_lua(headers)
        for path in READS:
            if path in measures:
                rows[f"GET {path}"] = measure(wrk, daemons, path, get_lua, args, warm_with=headers)
        if "jobs" in measures:
            for target in (int(n) for n in args.jobs.split(",")):
                queued = fill_queue(base_url, headers, body, target)
                rows[f"GET jobs ({queued} jobs)"] = measure(
                    wrk,
                    daemons,
                    "jobs",
                    get_lua,
                    args,
                    connections=args.jobs_connections,
                    warm_with=headers,
                    jobs_listed=float(queued),
                )
            time.sleep(IDLE_AFTER + 1)  # the job list's readers are gone: so is the mirror's load
        if "submit" in measures:
            lua = request_lua(
                {**headers, "Content-Type": "application/json"}, method="POST", body=body
            )
            # Each submission makes the queue longer, and slurmctld slower to take the next:
            # both daemons are driven twice, in the order A B B A, so neither meets the
            # shorter queue only.
            rows["POST job/submit"] = measure(
                wrk,
                daemons,
                "job/submit",
                lua,
                args,
                duration=args.submit_duration,
                connections=args.submit_connections,
                order=("slurmrestd", "slurmgate", "slurmgate", "slurmrestd"),
            )
            rows["POST job/submit"]["libslurm"] = direct_row(lab, user, body, args)
    finally:
        stop_process(process)
        shutil.rmtree(state_dir, ignore_errors=True)
        subprocess.run(["scancel", "--user", user, "--name", "bench"], check=False)
    results["rows"] = rows
    print_table(results, rows)
    write_results(f"lab-{lab.release}", results)


def print_table(results: dict[str, object], rows: dict[str, dict[str, dict[str, float]]]) -> None:
    print(
        f"{results['slurm']} lab cluster, API {results['api_version']}, "
        f"{results['machine']}, {results['date']}"
    )
    print(f"slurmgate on {results['python']}")
    print(
        f"{results['connections']} connections ({results['jobs_connections']} for GET jobs, "
        f"{results['submit_connections']} for submissions), "
        f"{results['duration_s']} s per measure"
    )
    head = f"{'measure':<28}{'daemon':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print(
        head
        + f"{'errors':>8}{'RPC/req':>9}{'CPU ms/req':>11}{'ctld ms':>8}{'RSS MB':>8}{'ratio':>7}"
    )
    for measure_name, by_daemon in rows.items():
        restd = by_daemon["slurmrestd"]
        for daemon, row in by_daemon.items():
            errors = row["non_2xx"] + row["timeouts"]
            print(
                f"{measure_name:<28}{daemon:<12}{row['requests_per_s']:>9.0f}"
                f"{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{errors:>8.0f}"
                f"{row['rpcs_per_request']:>9.3f}{row['cpu_ms_per_request']:>11.3f}"
                f"{row['slurmctld_cpu_ms_per_request']:>8.3f}{row['rss_mb']:>8.0f}"
                f"{ratio(row, restd):>7}"
            )


def ratio(row: dict[str, float], restd: dict[str, float]) -> str:
    """req/s over slurmrestd's; a lower bound when slurmrestd answered nothing in its time
    (fewer than one answer in ``duration_s``)."""
    if restd["requests"]:
        return f"{row['requests_per_s'] / restd['requests_per_s']:.2f}"
    if row is restd:
        return "-"
    return f">{row['requests_per_s'] * restd['duration_s']:.0f}"


if __name__ == "__main__":
    main()
