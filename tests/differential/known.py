"""What may differ between slurmrestd's answers and slurmgate's, and why: all in one place.

``VOLATILE``: values that can change between the two reads of the same thing (the keys and
types are still compared). ``PER_JOB`` and ``PER_JOB_CORES``: what differs between two jobs
submitted with the same request. ``INTENTIONAL``: differences slurmgate makes on purpose.
Anything else is a bug.

HTTP statuses are not listed here: every error test asserts slurmgate's status itself
(slurmrestd answers 500 for every failure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.differential.compare import MISSING, Difference, is_positional, json_type

VOLATILE: tuple[tuple[str, str], ...] = (
    ("$.statistics.req_time", "the time of the request itself"),
    ("$.statistics.server_thread_count", "threads busy serving RPCs at that moment"),
    ("$.statistics.agent_*", "RPC agents at work at that moment"),
    ("$.statistics.dbd_agent_queue_size", "messages queued for slurmdbd at that moment"),
    ("$.statistics.gettimeofday_latency", "measured anew at every request"),
    ("$.statistics.schedule_*", "the main scheduler may pass in between (every few seconds)"),
    ("$.statistics.bf_*", "the backfill scheduler may pass in between"),
    ("$.statistics.job_states_ts", "when slurmctld last counted job states"),
    ("$.statistics.rpcs_by_*[].*", "each read is itself an RPC, counted and timed here"),
    ("$.nodes[].cpu_load", "sampled by slurmd"),
    ("$.nodes[].free_memory", "sampled by slurmd"),
    ("$.jobs[].last_sched_evaluation", "set by every scheduling pass over a pending job"),
)

#: Two jobs submitted with the same request differ in these (and in VOLATILE), nothing else.
PER_JOB: tuple[tuple[str, str], ...] = (
    ("$.jobs[].job_id", "each job has its own id"),
    ("$.jobs[].submit_time", "submitted one after the other"),
    ("$.jobs[].eligible_time", "follows submit_time"),
    ("$.jobs[].accrue_time", "follows submit_time"),
    ("$.jobs[].start_time", "started by different scheduling passes"),
    ("$.jobs[].end_time", "start_time plus the time limit"),
    ("$.jobs[].priority", "priority/basic orders jobs by submission"),
)

#: Two running jobs hold different sockets and cores of the node.
PER_JOB_CORES: tuple[tuple[str, str], ...] = (
    ("$.jobs[].job_resources.allocated_nodes*.sockets.*", "which sockets each job got"),
    ("$.jobs[].job_resources.allocated_nodes*.cores.*", "which cores each job got"),
)

#: The unset stand-ins slurmgate prints where the daemon prints null (docs/api.md).
UNSET = (0, -1, "", 0xFFFFFFFE, 0xFFFFFFFF, [], {})


@dataclass(frozen=True)
class Intentional:
    name: str
    reason: str
    applies: Callable[[Difference], bool]


def _declared_type(schema: dict[str, Any] | None) -> str | None:
    declared = (schema or {}).get("type")
    return "number" if declared == "integer" else declared


def _same_value(daemon: Any, gateway: Any) -> bool:
    """Whether a value the daemon printed untyped is the one slurmgate printed typed."""
    if daemon is None:
        return gateway in UNSET or (isinstance(gateway, str) and _number(gateway) in UNSET)
    if json_type(daemon) == "number" and isinstance(gateway, str):
        return _number(gateway) == daemon
    if isinstance(daemon, str) and json_type(gateway) == "number":
        return _number(daemon) == gateway
    if isinstance(daemon, list) and isinstance(gateway, str):
        return ",".join(map(str, daemon)) == gateway
    # A list printed as an object keyed by position: compare() compares the elements.
    return is_positional(daemon) and isinstance(gateway, list)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _documented_type(d: Difference) -> bool:
    declared = _declared_type(d.schema)
    return (
        declared is not None
        and d.daemon is not MISSING
        and d.gateway is not MISSING
        and json_type(d.gateway) == declared
        and json_type(d.daemon) != declared
        and _same_value(d.daemon, d.gateway)
    )


_FOLLOWS_DOCUMENT = (
    "slurmgate follows the version's official document where the 22.05 daemon does not "
    "(docs/api.md, 'Where slurmgate follows the official document rather than the daemon')"
)

INTENTIONAL: tuple[Intentional, ...] = (
    Intentional(
        "undocumented key",
        f"the daemon prints a key its document does not declare; {_FOLLOWS_DOCUMENT}",
        lambda d: d.gateway is MISSING and d.declared is False,
    ),
    Intentional(
        "documented key",
        f"the daemon leaves out a key its document declares; {_FOLLOWS_DOCUMENT}",
        lambda d: d.daemon is MISSING and d.declared is True,
    ),
    Intentional(
        "documented type",
        "the daemon prints a number where the document declares a string (or the reverse), a "
        "list for a string, a list as an object keyed by position, or null for an unset value; "
        'slurmgate prints the same value as the declared type (0, -1, "", NO_VAL or INFINITE '
        f"if unset); {_FOLLOWS_DOCUMENT}",
        _documented_type,
    ),
    Intentional(
        "documented allocated_nodes cpus",
        "v0.0.36/37 declare allocated_nodes[].cpus an object (cores by id) where the daemon "
        f"prints a count; {_FOLLOWS_DOCUMENT}",
        lambda d: (
            d.pattern.endswith(".allocated_nodes[].cpus")
            and isinstance(d.daemon, int)
            and isinstance(d.gateway, dict)
        ),
    ),
    Intentional(
        "daemon bug: cpus_per_task",
        "slurmrestd 22.05 prints cpus_per_task only when the job set --cpu-freq (its check "
        "tests cpu_freq_min); slurmgate prints the job's value",
        lambda d: d.pattern == "$.jobs[].cpus_per_task" and d.daemon is None,
    ),
    Intentional(
        "daemon bug: v0.0.36 user_name",
        "the v0.0.36 plugin of 22.05 prints an empty user_name for every job; slurmgate names "
        "the owner",
        lambda d: d.pattern == "$.jobs[].user_name" and d.daemon == "" and bool(d.gateway),
    ),
    Intentional(
        "cpus of a job without a task count",
        "slurmrestd prints null when the job gave no task count; the domain keeps the count "
        "slurmctld computed and slurmgate prints it",
        lambda d: (
            d.pattern == "$.jobs[].cpus"
            and d.daemon is None
            and _number(str(d.gateway)) is not None
        ),
    ),
    Intentional(
        "warnings",
        "slurmgate's own top-level `warnings`: what it accepted but ignored, as v0.0.39 and "
        "later name them (api/versions/v0036.py); empty for the requests made here",
        lambda d: d.path == "$.warnings" and d.daemon is MISSING and d.gateway == [],
    ),
)


def unexplained(differences: Iterable[Difference]) -> list[Difference]:
    """The differences no ``INTENTIONAL`` entry explains."""
    return [d for d in differences if not any(rule.applies(d) for rule in INTENTIONAL)]


def patterns(entries: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(pattern for pattern, _reason in entries)
