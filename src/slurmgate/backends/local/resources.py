"""What this machine offers: the facts slurmd would report for the embedded cluster's node.

Everything here reads ``/proc`` or asks the kernel directly, is cheap (well under a
millisecond) and never raises for a missing file: a field that cannot be read falls back to a
neutral value, so the gateway still starts inside minimal containers.
"""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class HostInfo:
    """The static facts of this host, read once at start-up."""

    #: Short host name (``node1``, not ``node1.example.org``), as Slurm names nodes.
    hostname: str
    cpus: int
    #: MiB (MemTotal).
    memory: int
    #: Unix seconds (``btime`` of /proc/stat).
    boot_time: int
    architecture: str
    #: ``uname -s -r -v``, as slurmd reports it.
    operating_system: str


def short_hostname() -> str:
    return socket.gethostname().split(".", 1)[0] or "localhost"


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, which containers narrow)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def _meminfo() -> dict[str, int]:
    """/proc/meminfo in KiB, by field name."""
    values: dict[str, int] = {}
    try:
        text = (_PROC / "meminfo").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[key.strip()] = int(fields[0])
    return values


def memory_total() -> int:
    """MiB of RAM (MemTotal); falls back to sysconf when /proc is unavailable."""
    kib = _meminfo().get("MemTotal")
    if kib is not None:
        return max(kib // 1024, 1)
    try:
        return max(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024), 1)
    except (ValueError, OSError):
        return 1


def memory_available() -> int:
    """MiB the kernel estimates are available for new work (MemAvailable, else MemFree)."""
    info = _meminfo()
    kib = info.get("MemAvailable", info.get("MemFree", 0))
    return kib // 1024


def load_average() -> float:
    """One-minute load average."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def boot_time() -> int:
    try:
        text = (_PROC / "stat").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("btime "):
            return int(line.split()[1])
    return 0


def operating_system() -> str:
    uname = platform.uname()
    return f"{uname.system} {uname.release} {uname.version}".strip()


def detect_host() -> HostInfo:
    return HostInfo(
        hostname=short_hostname(),
        cpus=cpu_count(),
        memory=memory_total(),
        boot_time=boot_time(),
        architecture=platform.machine() or "unknown",
        operating_system=operating_system(),
    )
