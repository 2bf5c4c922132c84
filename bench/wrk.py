"""Driving wrk (Debian package ``wrk``): bounded runs against loopback, parsed figures."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def request_lua(headers: dict[str, str], *, method: str = "GET", body: str | None = None) -> str:
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = [==[{body}]==]")
    return "\n".join(lines) + "\n"


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


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:  # wrk prints "-nanus" when no request completed
        return float("nan")
    return float(found.group(1)) * _UNITS[found.group(2)]


def run_wrk(
    wrk: str, url: str, lua: str, *, duration: int, connections: int, timeout_s: int = 10
) -> dict[str, float]:
    """One wrk run; req/s, p50/p99 ms, request and non-2xx counts (timeouts count as errors)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        done = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{connections}",
                f"-d{duration}s",
                f"--timeout={timeout_s}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + timeout_s + 30,
        )
    finally:
        os.unlink(script.name)
    out = done.stdout
    requests = re.search(r"(\d+) requests in", out)
    stats = {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(requests.group(1)) if requests else 0.0,
    }
    # Anchored: the thread statistics above end in percentages too ("+/- Stdev 75.50%").
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    stats["p50_ms"] = _ms(p50.group(1)) if p50 else float("nan")
    stats["p99_ms"] = _ms(p99.group(1)) if p99 else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    stats["non_2xx"] = float(errors.group(1)) if errors else 0.0
    stats["timeouts"] = float(timeouts.group(1)) if timeouts else 0.0
    return stats


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_quiet(pids: list[int], *, busy: float = 0.1, timeout: float = 120.0) -> float:
    """Wait until none of ``pids`` uses more than ``busy`` of a core over half a second (a
    daemon may still be answering requests the previous run left in flight); the seconds
    waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = {pid: cpu_seconds(pid) for pid in pids}
        time.sleep(0.5)
        if all(cpu_seconds(pid) - used <= busy * 0.5 for pid, used in before.items()):
            break
    return time.monotonic() - started


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
