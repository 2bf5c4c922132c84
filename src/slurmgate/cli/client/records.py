"""The records of both API families read alike.

v0.0.36-38 print a number as a number (``null`` when unset) and a state as a word; v0.0.40
and later print numbers that may be unset as ``{"set", "infinite", "number"}`` and states as
lists of words. The readers here take either, so one summary serves every version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

#: States after which a job does nothing more (its COMPLETING flag aside).
FINISHED = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "OUT_OF_MEMORY",
    }
)
#: squeue's short state names.
SHORT = {
    "PENDING": "PD",
    "RUNNING": "R",
    "SUSPENDED": "S",
    "COMPLETING": "CG",
    "COMPLETED": "CD",
    "CONFIGURING": "CF",
    "CANCELLED": "CA",
    "FAILED": "F",
    "TIMEOUT": "TO",
    "PREEMPTED": "PR",
    "BOOT_FAIL": "BF",
    "DEADLINE": "DL",
    "NODE_FAIL": "NF",
    "OUT_OF_MEMORY": "OOM",
    "REQUEUED": "RQ",
    "RESIZING": "RS",
    "STOPPED": "ST",
}


def number(value: object) -> int | None:
    """A count, time or id; None when unset or infinite."""
    if isinstance(value, dict):
        if not value.get("set", True) or value.get("infinite"):
            return None
        value = value.get("number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def infinite(value: object) -> bool:
    return isinstance(value, dict) and bool(value.get("infinite"))


def section(record: Record, key: str) -> Record:
    """A nested object of a record; empty where the version has none."""
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def words(value: object) -> list[str]:
    """A state or flags: a word, a comma-separated list or a list of words, upper case."""
    if isinstance(value, str):
        return [w.strip().upper() for w in value.split(",") if w.strip()]
    if isinstance(value, list):
        return [str(w).upper() for w in value]
    return []


def text(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class ExitCode:
    return_code: int
    signal: int

    def __str__(self) -> str:
        return f"{self.return_code}:{self.signal}"


def exit_code(value: object) -> ExitCode | None:
    """v0.0.36-38: the raw wait(2) status; v0.0.40 on: ``{status, return_code, signal}``."""
    if isinstance(value, dict):
        code = number(value.get("return_code"))
        signal = value.get("signal")
        sig = number(signal.get("id")) if isinstance(signal, dict) else number(signal)
        if code is None and sig is None:
            return None
        return ExitCode(code or 0, sig or 0)
    raw = number(value)
    if raw is None:
        return None
    return ExitCode((raw >> 8) & 0xFF, raw & 0x7F)


@dataclass(frozen=True)
class Job:
    """What the tables and ``watch`` show of one job record of ``/slurm/{v}/job(s)``."""

    job_id: int
    display_id: str
    name: str
    user: str
    partition: str
    account: str
    state: str
    flags: tuple[str, ...]
    reason: str
    nodes: str
    node_count: int | None
    submit_time: int
    start_time: int
    end_time: int
    time_limit: int | None
    exit_code: ExitCode | None
    record: Record

    @property
    def finished(self) -> bool:
        return self.state in FINISHED and "COMPLETING" not in self.flags

    def elapsed(self, now: float) -> int:
        if not self.start_time:
            return 0
        end = self.end_time if self.state not in ("RUNNING", "SUSPENDED") else 0
        if end and end >= self.start_time:
            return end - self.start_time
        return max(int(now) - self.start_time, 0)


def job(record: Record) -> Job:
    states = words(record.get("job_state"))
    state = states[0] if states else "UNKNOWN"
    flags = tuple(words(record.get("state_flags"))) + tuple(states[1:])
    return Job(
        job_id=number(record.get("job_id")) or 0,
        display_id=display_id(record),
        name=text(record.get("name")),
        user=text(record.get("user_name")),
        partition=text(record.get("partition")),
        account=text(record.get("account")),
        state=state,
        flags=flags,
        reason=text(record.get("state_reason")),
        nodes=text(record.get("nodes")),
        node_count=number(record.get("node_count")),
        submit_time=number(record.get("submit_time")) or 0,
        start_time=number(record.get("start_time")) or 0,
        end_time=number(record.get("end_time")) or 0,
        time_limit=number(record.get("time_limit")),
        exit_code=exit_code(record.get("exit_code")),
        record=record,
    )


def display_id(record: Record) -> str:
    """As squeue prints it: ``12``, an array's task ``12_3``, its pending rest ``12_[4-9]``,
    a heterogeneous job's component ``12+1``."""
    job_id = number(record.get("job_id")) or 0
    array_id = number(record.get("array_job_id")) or 0
    if array_id:
        task = number(record.get("array_task_id"))
        rest = text(record.get("array_task_string"))
        # The pending rest of an array is its tasks' list; a task split off, its own number.
        if rest and (task is None or "PENDING" in words(record.get("job_state"))):
            return f"{array_id}_[{rest}]" if not rest.isdigit() else f"{array_id}_{rest}"
        if task is not None:
            return f"{array_id}_{task}"
    het_id = number(record.get("het_job_id")) or 0
    if het_id:
        return f"{het_id}+{number(record.get('het_job_offset')) or 0}"
    return str(job_id)


def exit_status(jobs: list[Job]) -> int:
    """The exit status ``watch`` ends with, as ``sbatch --wait``: the job's own exit code (an
    array's highest); 128 + the signal that killed it; 1 for an end with neither (cancelled
    while pending, node failure, ...)."""
    worst = 0
    for each in jobs:
        code = each.exit_code or ExitCode(0, 0)
        if code.return_code:
            status = code.return_code
        elif code.signal:
            status = 128 + code.signal
        else:
            status = 0 if each.state == "COMPLETED" else 1
        worst = max(worst, status)
    return worst
