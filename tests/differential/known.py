"""What may differ between slurmrestd's answers and slurmgate's, and why: all in one place.

``VOLATILE``: values that can change between the two reads of the same thing (the keys and
types are still compared). ``PER_JOB`` and ``PER_JOB_CORES``: what differs between two jobs
submitted with the same request. ``INTENTIONAL``: differences slurmgate makes on purpose.
Anything else is a bug.

HTTP statuses are not listed here: every error test asserts slurmgate's status itself
(slurmrestd answers 500 for every failure). Keys and types must agree everywhere: slurmgate
prints what the daemon prints, where the official document says otherwise too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tests.differential.compare import MISSING, Difference

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


@dataclass(frozen=True)
class Intentional:
    name: str
    reason: str
    applies: Callable[[Difference], bool]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


INTENTIONAL: tuple[Intentional, ...] = (
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
