"""Values the slurmdbd plugins of Slurm 22.05 (dbv0.0.36-dbv0.0.38) print that are not plain
attributes of the accounting model.

Each follows ``parse.c`` of those plugins: unset numbers (NO_VAL, INFINITE) and strings that
were never set print ``null``; TRES are listed one object per TRES; a job's exit is taken apart
into a status word, a return code and a signal.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from slurmgate.api.versions.answer import Answer
from slurmgate.domain.accounting import (
    AccountingJob,
    AssociationRef,
    JobStep,
    Tres,
    TresUsage,
)
from slurmgate.domain.associations import (
    Account,
    Association,
    Qos,
    User,
    Wckey,
)
from slurmgate.domain.dbd import ClusterRecord, DbdStats, RollupStats
from slurmgate.domain.hostlist import expand
from slurmgate.domain.jobs import ExitStatus

# -- exit codes ------------------------------------------------------------------------------


def _exit(status: ExitStatus | None) -> dict[str, Any]:
    """A wait status as status, return code and signal (slurmrestd's ``_dump_job_exit_code``).

    slurmrestd 22.05 prints every normal exit as SUCCESS with return code 0, whatever the code;
    slurmgate prints a non-zero code as ERROR with the code, as the branch meant for it does
    (as Slurm 23.11 and later print it): tests/differential/known.py lists the difference.
    """
    if status is None:  # not ended: slurmdbd holds 0 until then, printed as a success
        return {"status": "SUCCESS", "return_code": 0}
    if status.signal:
        try:
            name = signal.strsignal(status.signal) or ""
        except ValueError:
            name = ""
        return {
            "status": "SIGNALED",
            "return_code": None,
            "signal": {"signal_id": status.signal, "name": name},
        }
    if status.return_code:
        return {"status": "ERROR", "return_code": status.return_code}
    return {"status": "SUCCESS", "return_code": 0}


def exit_code(job: AccountingJob) -> dict[str, Any]:
    return _exit(job.exit_code)


def derived_exit_code(job: AccountingJob) -> dict[str, Any]:
    return _exit(job.derived_exit_code)


def step_exit_code(step: JobStep) -> dict[str, Any]:
    return _exit(step.exit_code)


# -- jobs ------------------------------------------------------------------------------------


def job_state(job: AccountingJob) -> str:
    """A state flag Slurm shows instead of the base state (REQUEUED), else the base state."""
    return job.state_flags[0] if job.state_flags else job.state.value


def step_state(step: JobStep) -> str:
    return step.state_flags[0] if step.state_flags else step.state.value


def job_nodes(job: AccountingJob) -> str:
    """A job that never ran holds no nodes: "None assigned", as slurmdbd records it."""
    return job.nodes or "None assigned"


def job_association(job: AccountingJob) -> AssociationRef | None:
    """null for a job of no association (association id 0)."""
    return job.association


def required_memory(job: AccountingJob) -> int:
    """req_mem: per node, or per CPU (the flag bit falls outside the 32 bits printed)."""
    return job.memory_per_node or job.memory_per_cpu or 0


#: The job flags the plugins know, in the order they print them (parse.c's parser_job_flags).
_JOB_FLAGS = (
    "CLEAR_SCHEDULING",
    "NOT_SET",
    "STARTED_ON_SUBMIT",
    "STARTED_ON_SCHEDULE",
    "STARTED_ON_BACKFILL",
)


def job_flags(job: AccountingJob) -> list[str]:
    """slurmdbd's flags the plugins know (not START_RECEIVED); CLEAR_SCHEDULING stays set
    once the job was scheduled."""
    started = any(f.startswith("STARTED_ON_") for f in job.flags)
    return [f for f in _JOB_FLAGS if f in job.flags or (f == "CLEAR_SCHEDULING" and started)]


def wckey_flags(job: AccountingJob) -> list[str]:
    return list(job.wckey_flags)


def step_nodes(step: JobStep) -> dict[str, Any]:
    """The step's nodes one by one (``list``, left out when it ran on none), count, range."""
    nodes: dict[str, Any] = {"list": expand(step.nodes)} if step.nodes else {}
    nodes.update(count=step.node_count, range=step.nodes)
    return nodes


def energy_consumed(step: JobStep) -> int:
    """0 where no energy was measured."""
    return step.consumed_energy or 0


def step_number(step: JobStep) -> str | int:
    """A numbered step's id is a number, the others' a name ("batch", "extern")."""
    return int(step.step_id) if step.step_id.isdigit() else step.step_id


def task_distribution(step: JobStep) -> str:
    return step.task_distribution or "Unknown"


def cpu_governor(step: JobStep) -> list[str]:
    """The governor asked for, by the names the plugin knows (none when not asked)."""
    names = {
        0x80000010: "Conservative",
        0x80000020: "OnDemand",
        0x80000040: "Performance",
        0x80000080: "PowerSave",
        0x80000100: "UserSpace",
    }
    governor = step.cpu_frequency_governor or 0
    return [name for bit, name in names.items() if governor & bit == bit]


# -- TRES ------------------------------------------------------------------------------------


def tres_name(tres: Tres | TresUsage) -> str | None:
    return tres.name or None


#: A count slurmdbd holds as not measured or unlimited (NO_VAL64, INFINITE64) prints null.
_UNSET_COUNTS = (0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF)


def tres_count(tres: Tres | TresUsage) -> int | None:
    return None if tres.count in _UNSET_COUNTS else tres.count


def tres_usage_node(usage: TresUsage) -> str | None:
    return usage.node or None


# -- associations, accounts, users, QOS ------------------------------------------------------


def association_flags(assoc: Association) -> list[str]:
    """DELETED, then DEFAULT for a user's default association (the plugin's order)."""
    flags = [f for f in assoc.flags if f == "DELETED"]
    return flags + (["DEFAULT"] if assoc.is_default else [])


def association_is_default(assoc: Association) -> int:
    return 1 if assoc.is_default else 0


def association_qos_ids(assoc: Association) -> list[str]:
    """dbv0.0.36/37 print the ids of the association's QOS, as text (the reads put them in
    place of the names the model holds)."""
    return list(assoc.qos or ())


def association_qos(assoc: Association) -> list[str]:
    """dbv0.0.38 prints the names, sorted."""
    return sorted(assoc.qos or ())


def coordinator_direct(coordinator: Any) -> int:
    return 1 if coordinator.direct else 0


def account_flags(account: Account) -> list[str]:
    return list(account.flags)


def user_flags(user: User) -> list[str]:
    return list(user.flags)


def admin_level(user: User) -> str:
    return user.admin_level.value if user.admin_level is not None else "Not Set"


def wckey_record_flags(wckey: Wckey) -> list[str]:
    flags = [f for f in wckey.flags if f == "DELETED"]
    return flags + (["DEFAULT"] if wckey.is_default else [])


def qos_flags(qos: Qos) -> list[str]:
    return list(qos.flags or ())


def qos_preempt(qos: Qos) -> list[str]:
    return list(qos.preempt or ())


def qos_preempt_mode(qos: Qos) -> list[str]:
    """The modes set; an empty list for OFF or the cluster's default."""
    modes = ("SUSPEND", "REQUEUE", "CANCEL", "GANG")
    chosen = {m.upper() for m in qos.preempt_mode or ()}
    return [m for m in modes if m in chosen]


# -- diag ------------------------------------------------------------------------------------

_ROLLUP_TYPES = {"hourly": "internal", "daily": "user"}


def rollup_type(rollup: RollupStats) -> str:
    """The plugin names the hourly rollup "internal", the daily "user", others "unknown"."""
    return _ROLLUP_TYPES.get(rollup.period, "unknown")


def rollup_mean(rollup: RollupStats) -> int:
    return rollup.total_duration // rollup.count if rollup.count > 1 else rollup.total_duration


def dbd_statistics(answer: Answer) -> DbdStats:
    """diag's one record: the statistics read."""
    stats: DbdStats = answer.result
    return stats


def dbd_rollups(stats: DbdStats) -> list[RollupStats]:
    """Only the periods that have run."""
    return [r for r in stats.rollups if r.total_duration]


# -- config ----------------------------------------------------------------------------------


def config_clusters(answer: Answer) -> list[ClusterRecord]:
    found: list[ClusterRecord] = answer.extra["clusters"]
    return found


def config_tres(answer: Answer) -> list[Tres]:
    found: list[Tres] = answer.extra["tres"]
    return found


def config_accounts(answer: Answer) -> list[Account]:
    found: list[Account] = answer.extra["accounts"]
    return found


def config_users(answer: Answer) -> list[User]:
    found: list[User] = answer.extra["users"]
    return found


def config_qos(answer: Answer) -> list[Qos]:
    found: list[Qos] = answer.extra["qos"]
    return found


def config_wckeys(answer: Answer) -> list[Wckey]:
    found: list[Wckey] = answer.extra["wckeys"]
    return found


def config_associations(answer: Answer) -> list[Association]:
    found: list[Association] = answer.extra["associations"]
    return found


def removed(answer: Answer) -> list[str]:
    """The names a removal removed."""
    names: list[str] = list(answer.result or ())
    return names


# -- strings the plugins print as null when empty --------------------------------------------


def _or_null(attribute: str) -> Callable[[Any], str | None]:
    def view(obj: Any) -> str | None:
        value: str | None = getattr(obj, attribute)
        return value or None

    view.__name__ = f"{attribute}_or_null"
    return view


_NULL_WHEN_EMPTY = (
    "account",
    "admin_comment",
    "array_task_string",
    "comment",
    "container",
    "default_qos",
    "kill_request_user",
    "parent_account",
    "partition",
    "pid",
    "qos",
    "system_comment",
    "user",
)

VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__ and not name.startswith("_")}  # fmt: skip
VIEWS.update({f"{name}_or_null": _or_null(name) for name in _NULL_WHEN_EMPTY})
