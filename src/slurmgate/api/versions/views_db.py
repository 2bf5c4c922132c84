"""Values the slurmdb records of v0.0.40 and later print that are not plain attributes.

The records are the accounting model's (``slurmgate.domain.accounting``, ``associations``,
``dbd``); the answers' envelope reads its lists from ``Answer.items`` and, for the few answers
that are no list (diag, the names a change touched), from ``Answer.result``.
"""

from __future__ import annotations

import re

from slurmgate.api.versions.answer import Answer
from slurmgate.api.versions.codecs import INFINITE, Infinite
from slurmgate.api.versions.views_dp import Exit
from slurmgate.domain import InvalidRequest
from slurmgate.domain.accounting import AccountingJob, AssociationRef, JobStep, Tres, TresUsage
from slurmgate.domain.associations import (
    Account,
    AdminLevel,
    Association,
    Qos,
    QosLimits,
    User,
    Wckey,
)
from slurmgate.domain.dbd import ClusterRecord, DbdPing, DbdStats, Instance, RollupStats
from slurmgate.domain.hostlist import expand

_NO_ASSOCIATION = AssociationRef("")

# -- jobs ------------------------------------------------------------------------------------


def db_job_exit_code(job: AccountingJob) -> Exit:
    """A job that never ran has no exit: slurmdbd keeps NO_VAL, printed as PENDING."""
    return Exit(job.exit_code)


def db_job_derived_exit_code(job: AccountingJob) -> Exit:
    return Exit(job.derived_exit_code)


def db_job_state(job: AccountingJob) -> list[str]:
    return [job.state.value, *job.state_flags]


def db_job_association(job: AccountingJob) -> AssociationRef:
    """A job's association as v0.0.40-v0.0.42 name it: account, cluster, user and id."""
    found = job.association
    if found is None:
        return _NO_ASSOCIATION
    return AssociationRef(found.account, found.cluster or job.cluster, found.user, "", found.id)


def db_job_association_id(job: AccountingJob) -> AssociationRef:
    """A job's association as v0.0.43 and later name it: its cluster and id alone."""
    found = job.association
    if found is None:
        return _NO_ASSOCIATION
    return AssociationRef("", found.cluster or job.cluster, "", "", found.id)


def db_job_hold(job: AccountingJob) -> bool:
    """slurmdbd keeps a held job's priority as 0 (and keeps it once the job ran)."""
    return job.priority == 0


def db_job_nodes(job: AccountingJob) -> str:
    """A job that never ran holds no nodes: "None assigned", as slurmdbd records it."""
    return job.nodes or "None assigned"


_PATTERN = re.compile(r"%(?:(%)|([0-9]*)([A-Za-z]))")
#: slurm.h: NO_VAL, which a job that is no array task holds as its task id.
_NO_VAL = 0xFFFFFFFE


def _expanded(path: str, job: AccountingJob) -> str:
    """``path`` with the patterns a batch job resolves replaced, relative to its working
    directory, as slurmdbd's expanded standard streams are."""
    if not path:
        return ""
    if "%" not in path and "\\" not in path:  # most paths: nothing to replace
        replaced = path
    elif "\\" in path:  # an escaped path is taken as it is, less its backslashes
        replaced = path.replace("\\", "")
    else:
        task = _NO_VAL if job.array_task_id is None else job.array_task_id
        first_node = job.nodes.split(",")[0].split("[")[0] if job.nodes else ""
        fields = {
            "A": str(job.array_job_id or job.job_id), "a": str(task), "b": str(task % 10),
            "j": str(job.job_id), "J": str(job.job_id), "u": job.user_name, "x": job.name,
            "N": first_node, "s": "batch", "r": str(job.restart_count), "n": "0", "t": "0",
        }  # fmt: skip

        def one(match: re.Match[str]) -> str:
            if match.group(1):
                return "%"
            width, letter = match.group(2), match.group(3)
            value = fields.get(letter)
            if value is None:
                return match.group(0)
            return value.zfill(min(int(width), 10)) if width and value.isdigit() else value

        replaced = _PATTERN.sub(one, path)
    if replaced.startswith("/"):
        return replaced
    directory = job.working_directory
    return f"{directory}{replaced}" if not directory or directory.endswith("/") else (
        f"{directory}/{replaced}")  # fmt: skip


def db_stdin_expanded(job: AccountingJob) -> str:
    return _expanded(job.standard_input, job)


def db_stdout_expanded(job: AccountingJob) -> str:
    return _expanded(job.standard_output, job)


def db_stderr_expanded(job: AccountingJob) -> str:
    return _expanded(job.standard_error, job)


def db_tres_count(tres: Tres | TresUsage) -> int:
    """A count as slurmdbd's signed 64 bits hold it (NO_VAL64 - 1 is -2)."""
    return tres.count - 2**64 if tres.count >= 2**63 else tres.count


def db_time_limit(job: AccountingJob | JobStep) -> int | Infinite:
    return INFINITE if job.time_limit is None else job.time_limit


def db_planned(job: AccountingJob) -> int | None:
    """Seconds from eligible to start, or to the end for a job that never started (slurmdbd
    holds NO_VAL as its start: negative when it ended before it became eligible); unset
    while it waits."""
    if not job.eligible_time:
        return None
    if 0 < job.start_time < _NO_VAL:
        return job.start_time - job.eligible_time
    if job.end_time:
        return job.end_time - job.eligible_time
    return None


# -- steps -----------------------------------------------------------------------------------


def db_step_exit_code(step: JobStep) -> Exit:
    return Exit(step.exit_code)


def db_step_state(step: JobStep) -> list[str]:
    return [step.state.value, *step.state_flags]


def db_step_id(step: JobStep) -> str:
    """The step's full id, "12.batch", "12+1.0"."""
    job = f"{step.job_id}+{step.het_component}" if step.het_component is not None else step.job_id
    return f"{job}.{step.step_id}"


def db_step_node_names(step: JobStep) -> str:
    """The step's nodes one by one (printed as a list)."""
    try:
        return ",".join(expand(step.nodes)) if step.nodes else ""
    except InvalidRequest:  # not a host list slurmgate reads: printed as kept
        return step.nodes


def db_step_start(step: JobStep) -> int:
    return step.start_time


def db_step_end(step: JobStep) -> int:
    return step.end_time


def db_step_distribution(step: JobStep) -> str:
    return step.task_distribution or "Unknown"


def db_step_governor(step: JobStep) -> str:
    return str(step.cpu_frequency_governor or 0)


# -- accounts, users, associations, QOS --------------------------------------------------------


def db_admin_level(user: User) -> list[str]:
    return [(user.admin_level or AdminLevel.NONE).value]


def db_user_flags(user: User) -> list[str]:
    return list(user.flags) or ["NONE"]


def db_default_qos_id(user: User) -> int:
    """The id of the user's default QOS (26.05 on); slurmgate knows QOS by name: 0."""
    return 0


def db_association_ref(association: Association) -> AssociationRef:
    return association.ref


def db_association_default(association: Association) -> bool:
    return bool(association.is_default)


def db_qos_names(association: Association) -> list[str]:
    return list(association.qos or ())


def db_shares(association: Association) -> int:
    """Fairshare: 1 unless set, as sacctmgr adds an association."""
    return 1 if association.shares is None else association.shares


def db_comment(association: Association) -> str:
    return association.comment or ""


def db_default_qos(association: Association) -> str:
    return association.default_qos or ""


def db_grace_time(limits: QosLimits) -> int:
    return limits.grace_time or 0


def db_qos_flags(qos: Qos) -> list[str]:
    return list(qos.flags or ())


def db_qos_preempt(qos: Qos) -> list[str]:
    return list(qos.preempt or ())


def db_qos_preempt_mode(qos: Qos) -> list[str]:
    return list(qos.preempt_mode or ()) or ["DISABLED"]


def db_qos_description(qos: Qos) -> str:
    return qos.description or ""


# -- the accounting daemon ---------------------------------------------------------------------


def db_cluster_root(cluster: ClusterRecord) -> AssociationRef:
    return cluster.root_association or AssociationRef("root", cluster.name)


def db_statistics(answer: Answer) -> DbdStats:
    stats: DbdStats = answer.result
    return stats


def _rollup(stats: DbdStats, period: str) -> RollupStats:
    return next((r for r in stats.rollups if r.period == period), RollupStats(period))


def db_rollup_hourly(stats: DbdStats) -> RollupStats:
    return _rollup(stats, "hourly")


def db_rollup_daily(stats: DbdStats) -> RollupStats:
    return _rollup(stats, "daily")


def db_rollup_monthly(stats: DbdStats) -> RollupStats:
    return _rollup(stats, "monthly")


def db_rollups(stats: DbdStats) -> list[RollupStats]:
    """v0.0.40: the rollups that ran, as a list."""
    return [r for r in map(lambda p: _rollup(stats, p), ("hourly", "daily", "monthly")) if r.count]


def db_ping_status(ping: DbdPing) -> str:
    """slurm_strerror() of the ping's outcome."""
    return "No error" if ping.responding else "Unable to contact slurm controller (connect failure)"


# -- config: every list at once ----------------------------------------------------------------


def db_config_clusters(answer: Answer) -> list[ClusterRecord]:
    found: list[ClusterRecord] = answer.extra["clusters"]
    return found


def db_config_tres(answer: Answer) -> list[Tres]:
    found: list[Tres] = answer.extra["tres"]
    return found


def db_config_accounts(answer: Answer) -> list[Account]:
    found: list[Account] = answer.extra["accounts"]
    return found


def db_config_users(answer: Answer) -> list[User]:
    found: list[User] = answer.extra["users"]
    return found


def db_config_qos(answer: Answer) -> list[Qos]:
    found: list[Qos] = answer.extra["qos"]
    return found


def db_config_wckeys(answer: Answer) -> list[Wckey]:
    found: list[Wckey] = answer.extra["wckeys"]
    return found


def db_config_associations(answer: Answer) -> list[Association]:
    found: list[Association] = answer.extra["associations"]
    return found


def db_config_instances(answer: Answer) -> list[Instance]:
    found: list[Instance] = answer.extra["instances"]
    return found


_ROLLUP_TYPES = {"hourly": "internal", "daily": "user", "monthly": "unknown"}


def db_rollup_type(rollup: RollupStats) -> str:
    """v0.0.40's name of a rollup's kind."""
    return _ROLLUP_TYPES.get(rollup.period, rollup.period)


def db_rollup_mean(rollup: RollupStats) -> int:
    return rollup.total_duration // rollup.count if rollup.count else 0


# -- changes -----------------------------------------------------------------------------------


def db_changed(answer: Answer) -> list[str]:
    """The names a change added, changed or removed."""
    names: list[str] = list(answer.result or ())
    return names


def db_changed_text(answer: Answer) -> str:
    """accounts_association's and users_association's answer: the names added, as one text."""
    return ",".join(answer.result or ())


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__ and name.startswith("db_")}  # fmt: skip
