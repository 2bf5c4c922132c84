"""Another user's latency while one user floods the gateway at ten times its rate limit.

Usage: python bench/flood.py [--duration 10] [--limit 50] [--factor 10] [--rounds 2]

Starts its own `slurmgate serve` on a free loopback port (rate limiting on, ``--limit``
requests per second per user) with a throwaway state directory. A quiet user sends
``GET /slurm/v0.0.38/jobs`` at 80% of its limit for ``--duration`` seconds, alone, then again
while a flooder process sends the same request as another user at ``--factor`` times the
limit. Prints the quiet user's p50/p99 in both phases and their ratio (the target: the p99
during the flood within 2x the unloaded one), and writes bench/results/flood-<date>.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.results_file import write_results  # noqa: E402
from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.cluster import (  # noqa: E402
    current_user,
    read_key,
    start_gateway,
    stop_process,
)

PATH = "/slurm/v0.0.38/jobs"
MAX_DURATION = 60.0
#: Connections the flooder spreads its pace over.
FLOOD_CONNECTIONS = 16


def config(limit: int) -> str:
    # Both users come from 127.0.0.1: the address bucket is out of reach, the user buckets act.
    return f"""
[rate_limit]
enabled = true
per_user = "{limit}/second"
per_address = "{limit * 1000}/second"

[[local.nodes]]
name = "node1"
cpus = 2
memory = 1024
"""


def headers(key: bytes, user: str, lifespan: int) -> dict[str, str]:
    token = mint(key, user, lifespan=lifespan, now=int(time.time()))
    return {"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": user}


def quiet_user(
    base_url: str, auth: dict[str, str], rate: float, duration: float, into: Phase
) -> None:
    """Paced requests from one connection, measured into ``into``."""
    with httpx.Client(base_url=base_url, headers=auth, timeout=10.0) as http:
        http.get(PATH)  # the connection is open before the first measured request
        start = time.monotonic()
        n = 0
        while (due := start + n / rate) < start + duration:
            time.sleep(max(0.0, due - time.monotonic()))
            sent = time.perf_counter()
            status = http.get(PATH).status_code
            into.latencies_ms.append((time.perf_counter() - sent) * 1000)
            into.statuses[status] += 1
            n += 1


@dataclass
class Phase:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def summary(self) -> dict[str, float]:
        cuts = statistics.quantiles(self.latencies_ms, n=100)
        return {
            "requests": float(len(self.latencies_ms)),
            "p50_ms": round(cuts[49], 2),
            "p99_ms": round(cuts[98], 2),
            "non_200": float(sum(v for k, v in self.statuses.items() if k != 200)),
        }


# Each connection waits its share of the pace between requests: wrk alone sends as fast as
# it can. The counts of 429s come from wrk's own summary of non-2xx answers.
FLOOD_LUA = """
wrk.headers["X-SLURM-USER-TOKEN"] = "{token}"
wrk.headers["X-SLURM-USER-NAME"] = "{user}"
function delay()
   return {delay_ms}
end
"""


def start_flood(
    wrk: str, base_url: str, auth: dict[str, str], rate: float, duration: float
) -> subprocess.Popen[str]:
    """wrk, paced at about ``rate`` requests per second, for ``duration`` seconds."""
    connections = FLOOD_CONNECTIONS
    lua = FLOOD_LUA.format(
        token=auth["X-SLURM-USER-TOKEN"],
        user=auth["X-SLURM-USER-NAME"],
        delay_ms=max(1, round(1000 * connections / rate)),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    argv = [wrk, "-t1", f"-c{connections}", f"-d{round(duration)}s", "-s", script.name]
    return subprocess.Popen([*argv, base_url + PATH], stdout=subprocess.PIPE, text=True)


def flood_summary(out: str) -> dict[str, float]:
    requests = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    seconds = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    non_2xx = float(refused.group(1)) if refused else 0.0
    return {
        "requests": requests,
        "per_s": round(requests / seconds, 1),
        "status_2xx": requests - non_2xx,
        "status_other": non_2xx,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--limit", type=int, default=50, help="per-user limit, requests/s")
    parser.add_argument("--factor", type=float, default=10.0, help="flood rate / limit")
    parser.add_argument("--rounds", type=int, default=2, help="unloaded + flooded rounds")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is needed: install the Debian package 'wrk'")
    duration = min(args.duration, MAX_DURATION)
    quiet_rate = 0.8 * args.limit

    state_dir = Path(tempfile.mkdtemp(prefix="slurmgate-flood-"))
    process, base_url = start_gateway(state_dir, config(args.limit))
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.machine()}",
        "python": platform.python_version(),
        "limit_per_s": args.limit,
        "flood_factor": args.factor,
    }
    try:
        key = read_key(state_dir)
        lifespan = int(3 * duration) + 60
        quiet = headers(key, "nobody" if current_user() != "nobody" else "daemon", lifespan)
        loud = headers(key, current_user(), lifespan)
        unloaded, flooded = Phase(), Phase()
        floods: list[dict[str, float]] = []
        # Rounds alternate, so that a noisy moment of the machine does not fall on one side.
        for _ in range(args.rounds):
            quiet_user(base_url, quiet, quiet_rate, duration, unloaded)
            # The flood starts first and outlasts the measurement by a second at each end.
            flooder = start_flood(wrk, base_url, loud, args.factor * args.limit, duration + 2)
            try:
                time.sleep(1.0)
                quiet_user(base_url, quiet, quiet_rate, duration, flooded)
                out, _ = flooder.communicate(timeout=duration + 60)
            finally:
                if flooder.poll() is None:
                    flooder.kill()
                    flooder.wait()
            floods.append(flood_summary(out))
    finally:
        stop_process(process)

    results["unloaded"], results["flooded"] = unloaded.summary(), flooded.summary()
    results["floods"] = floods
    ratio = flooded.summary()["p99_ms"] / unloaded.summary()["p99_ms"]
    results["p99_ratio"] = round(ratio, 2)
    print(f"slurmgate rate limiting under flood, {results['machine']}, {results['date']}")
    print(
        f"per-user limit {args.limit}/s; quiet user at {quiet_rate:.0f}/s,"
        f" {args.rounds} rounds of {duration:.0f} s per phase"
    )
    print(f"{'quiet user':<24}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-200':>9}")
    for name, phase in (("unloaded", unloaded), ("during the flood", flooded)):
        row = phase.summary()
        print(
            f"{name:<24}{row['requests']:>10.0f}{row['p50_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}{row['non_200']:>9.0f}"
        )
    for flood in floods:
        print(
            f"flooder: {flood['requests']:.0f} requests at {flood['per_s']:.0f}/s"
            f" ({flood['per_s'] / args.limit:.1f}x the limit); 2xx: {flood['status_2xx']:.0f},"
            f" refused: {flood['status_other']:.0f}"
        )
    verdict = "within" if ratio <= 2.0 else "NOT within"
    print(f"quiet user's p99 during the flood / unloaded: {ratio:.2f} ({verdict} the 2x target)")
    write_results("flood", results)


if __name__ == "__main__":
    main()
