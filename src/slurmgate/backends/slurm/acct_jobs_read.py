"""slurmdbd's job records (``slurmdb_job_rec_t`` with their steps) as ``AccountingJob``.

TRES come from slurmdbd by id (``1=2,2=4000,4=1``): they are named with the TRES table; QOS by
id, named with the QOS table. What only some releases record (a job's lineage, streams,
requested QOS, restart count; a step's streams and time limit) is read through the binding's
getters and left empty where the release has none. Call these only while the list is alive:
every string is copied out, nothing keeps a C pointer.
"""

from __future__ import annotations

import grp
import pwd
from collections.abc import Mapping
from typing import Any

from slurmgate.backends.slurm.cvalues import NO_VAL, count, libslurm_function, number, text
from slurmgate.backends.slurm.jobs_read import group_name, job_state, reason_name, user_name
from slurmgate.domain import ExitStatus, InvalidRequest, hostlist
from slurmgate.domain.accounting import (
    AccountingJob,
    AccountingQuery,
    AssociationRef,
    CpuTime,
    JobStep,
    Tres,
    TresStatistics,
    TresUsage,
)
from slurmgate.domain.jobs import JobState

#: slurmdbd's job flags (SLURMDB_JOB_FLAG_*) by slurmrestd's names.
_JOB_FLAGS = (
    ("SLURMDB_JOB_FLAG_NOTSET", "NOT_SET"),
    ("SLURMDB_JOB_FLAG_SUBMIT", "STARTED_ON_SUBMIT"),
    ("SLURMDB_JOB_FLAG_SCHED", "STARTED_ON_SCHEDULE"),
    ("SLURMDB_JOB_FLAG_BACKFILL", "STARTED_ON_BACKFILL"),
    ("SLURMDB_JOB_FLAG_START_R", "START_RECEIVED"),
)
_SCHEDULER = {
    "submit": "SLURMDB_JOB_FLAG_SUBMIT",
    "main": "SLURMDB_JOB_FLAG_SCHED",
    "backfill": "SLURMDB_JOB_FLAG_BACKFILL",
    "started": "SLURMDB_JOB_FLAG_START_R",
}
#: The job state flags a query may name, as slurm.h's bits.
_STATE_FLAGS = {
    "REQUEUED": "JOB_REQUEUE",
    "RESIZING": "JOB_RESIZING",
    "REVOKED": "JOB_REVOKED",
    "SPECIAL_EXIT": "JOB_SPECIAL_EXIT",
}
#: Base states, in enum job_states' order.
_BASE_STATES = [state.value for state in JobState]


def _s(ffi: Any, pointer: Any) -> str:
    return text(ffi, pointer)


def _uid_name(uid: int) -> str:
    return "" if uid in (NO_VAL, 0xFFFFFFFF) else user_name(uid)


class Tables:
    """The TRES and QOS tables records are read with (ids to names), and reason numbers."""

    def __init__(self, tres: Mapping[int, Tres], qos: Mapping[int, str]) -> None:
        self.tres = tres
        self.qos = qos
        self.qos_ids = {name: number for number, name in qos.items()}

    def tres_list(self, value: str) -> tuple[Tres, ...]:
        found = []
        for item in filter(None, value.split(",")):
            key, _, amount = item.partition("=")
            if not key.isdigit() or not amount.lstrip("-").isdigit():
                continue
            known = self.tres.get(int(key), Tres(type="", id=int(key)))
            found.append(Tres(known.type, known.name, known.id, int(amount)))
        return tuple(found)

    def usage(self, values: str, nodes: str, tasks: str, names: list[str]) -> tuple[TresUsage, ...]:
        """Extremes of TRES use, with the node (an index into the step's nodes) and task."""
        where = {t.id: t.count for t in self.tres_list(nodes)}
        rank = {t.id: t.count for t in self.tres_list(tasks)}
        found = []
        for tres in self.tres_list(values):
            index = where.get(tres.id)
            node = names[index] if index is not None and 0 <= index < len(names) else ""
            found.append(
                TresUsage(tres.type, tres.name, tres.id, tres.count, node, rank.get(tres.id))
            )
        return tuple(found)


def _exit(value: int) -> ExitStatus | None:
    return None if value in (NO_VAL, -2, 0xFFFFFFFE) else ExitStatus(value & 0xFFFFFFFF)


def _cpu(user_s: int, user_us: int, sys_s: int, sys_us: int) -> CpuTime:
    return CpuTime(int(user_s), int(user_us), int(sys_s), int(sys_us))


def _step_id(lib: Any, value: int) -> str:
    names = {
        int(lib.SLURM_BATCH_SCRIPT): "batch",
        int(lib.SLURM_EXTERN_CONT): "extern",
        int(lib.SLURM_INTERACTIVE_STEP): "interactive",
        int(lib.SLURM_PENDING_STEP): "pending",
    }
    return names.get(value, str(value))


def _statistics(
    tables: Tables, stats: Any, ffi: Any, side: str, names: list[str]
) -> TresStatistics:
    def field(name: str) -> str:
        return _s(ffi, getattr(stats, f"tres_usage_{side}_{name}"))

    return TresStatistics(
        max=tables.usage(field("max"), field("max_nodeid"), field("max_taskid"), names),
        min=tables.usage(field("min"), field("min_nodeid"), field("min_taskid"), names),
        average=tables.tres_list(field("ave")),
        total=tables.tres_list(field("tot")),
    )


def step_from_c(ffi: Any, lib: Any, tables: Tables, step: Any, time_limit: int | None) -> JobStep:
    extra = ffi.new("slurmgate_step_extra_t *")
    lib.slurmgate_step_extra(step, extra)
    nodes = _s(ffi, step.nodes)
    try:
        names = hostlist.expand(nodes) if nodes and nodes != "None assigned" else []
    except InvalidRequest:
        names = []
    state, flags = job_state(ffi, lib, step.state)
    layout = libslurm_function(ffi, "slurm_step_layout_type_name", "char *(*)(uint32_t)")
    energy = step.stats.consumed_energy
    limit = number(extra.timelimit)
    comp = step.step_id.step_het_comp
    return JobStep(
        job_id=step.step_id.job_id,
        step_id=_step_id(lib, step.step_id.step_id),
        name=_s(ffi, step.stepname),
        state=state,
        state_flags=tuple(flags),
        exit_code=_exit(step.exitcode) if step.end else None,
        het_component=None if comp in (NO_VAL, 0xFFFFFFFF) else comp,
        start_time=step.start,
        end_time=step.end,
        elapsed=step.elapsed,
        suspended=step.suspended,
        time_limit=limit if limit is not None else time_limit,
        nodes=nodes,
        node_count=step.nnodes,
        tasks=step.ntasks,
        cpu_time=_cpu(step.user_cpu_sec, step.user_cpu_usec, step.sys_cpu_sec, step.sys_cpu_usec),
        kill_request_user=_uid_name(step.requid),
        pid=_s(ffi, step.pid_str),
        cpu_frequency_min=number(step.req_cpufreq_min),
        cpu_frequency_max=number(step.req_cpufreq_max),
        cpu_frequency_governor=number(step.req_cpufreq_gov),
        task_distribution=_s(ffi, layout(step.task_dist)) if step.task_dist else "",
        tres_allocated=tables.tres_list(_s(ffi, step.tres_alloc_str)),
        tres_requested=_statistics(tables, step.stats, ffi, "in", names),
        tres_consumed=_statistics(tables, step.stats, ffi, "out", names),
        actual_cpu_frequency=int(step.stats.act_cpufreq),
        consumed_energy=None if energy >= 0xFFFFFFFFFFFFFFFE else int(energy),
        submit_line=_s(ffi, step.submit_line),
        container=_s(ffi, step.container),
        working_directory=_s(ffi, extra.cwd),
        standard_input=_s(ffi, extra.std_in),
        standard_output=_s(ffi, extra.std_out),
        standard_error=_s(ffi, extra.std_err),
    )


def job_from_c(ffi: Any, lib: Any, tables: Tables, job: Any, steps: list[Any]) -> AccountingJob:
    extra = ffi.new("slurmgate_job_extra_t *")
    lib.slurmgate_job_extra(job, extra)
    state, flags = job_state(ffi, lib, job.state)
    memory = job.req_mem
    per_cpu = bool(memory & lib.MEM_PER_CPU)
    memory &= ~lib.MEM_PER_CPU & 0xFFFFFFFFFFFFFFFF
    wckey = _s(ffi, job.wckey)
    time_limit = number(job.timelimit)
    offset = job.het_job_offset
    bits = job.flags
    gid = job.gid
    return AccountingJob(
        job_id=job.jobid,
        name=_s(ffi, job.jobname),
        user_name=_s(ffi, job.user) or user_name(job.uid),
        user_id=job.uid,
        state=state,
        state_flags=tuple(flags),
        state_reason=reason_name(ffi, lib, job.state_reason_prev),
        group_name=group_name(gid) if gid != NO_VAL else "",
        group_id=count(gid),
        cluster=_s(ffi, job.cluster),
        partition=_s(ffi, job.partition),
        account=_s(ffi, job.account),
        qos=tables.qos.get(job.qosid, ""),
        qos_requested=_s(ffi, extra.qos_req),
        wckey=wckey.lstrip("*"),
        wckey_flags=("ASSIGNED_DEFAULT",) if wckey.startswith("*") else (),
        association=AssociationRef(
            _s(ffi, job.account),
            _s(ffi, job.cluster),
            _s(ffi, job.user) or user_name(job.uid),
            _s(ffi, job.partition),
            job.associd,
        ),
        exit_code=_exit(job.exitcode) if job.end else None,
        derived_exit_code=_exit(job.derived_ec) if job.end else None,
        comment=_s(ffi, job.derived_es),
        admin_comment=_s(ffi, job.admin_comment),
        system_comment=_s(ffi, job.system_comment),
        submit_time=job.submit,
        eligible_time=job.eligible,
        start_time=job.start,
        end_time=job.end,
        elapsed=job.elapsed,
        suspended=job.suspended,
        time_limit=time_limit,
        priority=number(job.priority),
        cpu_time=_cpu(job.user_cpu_sec, job.user_cpu_usec, job.sys_cpu_sec, job.sys_cpu_usec),
        nodes=_s(ffi, job.nodes).replace("None assigned", ""),
        node_count=job.alloc_nodes,
        required_cpus=job.req_cpus,
        memory_per_node=None if per_cpu or not memory else int(memory),
        memory_per_cpu=int(memory) if per_cpu else None,
        tres_requested=tables.tres_list(_s(ffi, job.tres_req_str)),
        tres_allocated=tables.tres_list(_s(ffi, job.tres_alloc_str)),
        working_directory=_s(ffi, job.work_dir),
        submit_line=_s(ffi, job.submit_line),
        script=_s(ffi, job.script),
        environment=_s(ffi, job.env),
        constraints=_s(ffi, job.constraints),
        container=_s(ffi, job.container),
        licenses=_s(ffi, extra.licenses),
        extra=_s(ffi, extra.extra),
        failed_node=_s(ffi, extra.failed_node),
        mcs_label=_s(ffi, job.mcs_label),
        used_gres=_s(ffi, job.used_gres),
        lineage=_s(ffi, extra.lineage),
        reservation=_s(ffi, job.resv_name),
        reservation_id=count(job.resvid),
        reservation_requested=_s(ffi, extra.resv_req),
        array_job_id=job.array_job_id,
        array_task_id=number(job.array_task_id),
        array_task_string=_s(ffi, job.array_task_str),
        array_max_tasks=job.array_max_tasks,
        het_job_id=job.het_job_id,
        het_job_offset=None if offset in (NO_VAL, 0xFFFFFFFF) else offset,
        restart_count=extra.restart_cnt,
        kill_request_user=_uid_name(job.requid),
        flags=tuple(name for constant, name in _JOB_FLAGS if bits & getattr(lib, constant)),
        standard_input=_s(ffi, extra.std_in),
        standard_output=_s(ffi, extra.std_out),
        standard_error=_s(ffi, extra.std_err),
        exclusive=_s(ffi, extra.exclusive),
        oversubscribe=_s(ffi, extra.oversubscribe),
        segment_size=extra.segment_size,
        steps=tuple(step_from_c(ffi, lib, tables, s, time_limit) for s in steps),
    )


# -- the condition -------------------------------------------------------------------------


def _uid(name: str) -> str:
    if name.isdigit():
        return name
    try:
        return str(pwd.getpwnam(name).pw_uid)
    except KeyError:
        raise InvalidRequest(f"Unknown user {name!r}", source="users") from None


def _gid(name: str) -> str:
    if name.isdigit():
        return name
    try:
        return str(grp.getgrnam(name).gr_gid)
    except KeyError:
        raise InvalidRequest(f"Unknown group {name!r}", source="groups") from None


def reason_numbers(ffi: Any, lib: Any) -> dict[str, int]:
    """Every job_state_reason by its name, read from the release's own table."""
    found: dict[str, int] = {}
    for code in range(0, 1024):
        name = reason_name(ffi, lib, code)
        if name and not name.startswith("Reason") and name not in found:
            found[name] = code
    return found


def state_numbers(lib: Any, names: tuple[str, ...]) -> list[str]:
    found = []
    for name in names:
        upper = name.upper()
        if upper in _STATE_FLAGS:
            found.append(str(int(getattr(lib, _STATE_FLAGS[upper]))))
        elif upper in _BASE_STATES:
            found.append(str(_BASE_STATES.index(upper)))
        else:
            raise InvalidRequest(f"Invalid job state {name}", source="state")
    return found


def fill_condition(
    dbd: Any, query: AccountingQuery, cluster: str, tables: Tables, reasons: Mapping[str, int]
) -> Any:
    """The ``slurmdb_job_cond_t`` of ``query`` (``dbd`` keeps what it points to alive)."""
    ffi, lib = dbd.ffi, dbd.lib
    cond = dbd.keep(ffi.new("slurmdb_job_cond_t *"))
    cond.acct_list = dbd.strings(query.accounts)
    cond.associd_list = dbd.strings(query.associations)
    cond.cluster_list = dbd.strings(query.clusters or (cluster,))
    cond.constraint_list = dbd.strings(query.constraints)
    cond.cpus_min = query.cpus_min or 0
    cond.cpus_max = query.cpus_max or 0
    cond.nodes_min = query.nodes_min or 0
    cond.nodes_max = query.nodes_max or 0
    cond.timelimit_min = query.time_limit_min or 0
    cond.timelimit_max = query.time_limit_max or 0
    cond.exitcode = query.exit_code or 0
    flags = lib.JOBCOND_FLAG_DUP if query.duplicates else 0
    flags |= 0 if query.truncate_times else lib.JOBCOND_FLAG_NO_TRUNC
    flags |= lib.JOBCOND_FLAG_NO_STEP if query.skip_steps else 0
    if query.whole_hetjob is True:
        flags |= lib.JOBCOND_FLAG_WHOLE_HETJOB
    elif query.whole_hetjob is False:
        flags |= lib.JOBCOND_FLAG_NO_WHOLE_HETJOB
    flags |= lib.JOBCOND_FLAG_NO_DEFAULT_USAGE if query.window_is_submit_time else 0
    flags |= lib.JOBCOND_FLAG_SCRIPT if query.include_script else 0
    flags |= lib.JOBCOND_FLAG_ENV if query.include_environment else 0
    cond.flags = flags
    db_flags = lib.SLURMDB_JOB_FLAG_NOTSET
    if query.scheduler:
        db_flags = 0
        for name in query.scheduler:
            db_flags |= int(getattr(lib, _SCHEDULER[name])) if name != "unset" else 0
        db_flags = db_flags or lib.SLURMDB_JOB_FLAG_NONE
    cond.db_flags = db_flags
    cond.groupid_list = dbd.strings(_gid(g) for g in query.groups)
    cond.jobname_list = dbd.strings(query.job_names)
    cond.partition_list = dbd.strings(query.partitions)
    qos_ids = []
    for name in query.qos:
        if name not in tables.qos_ids:
            raise InvalidRequest(f"Invalid qos specification: {name!r}", source="qos")
        qos_ids.append(str(tables.qos_ids[name]))
    cond.qos_list = dbd.strings(qos_ids)
    unknown = [r for r in query.reasons if r not in reasons]
    if unknown:
        raise InvalidRequest(f"Unknown reason {', '.join(unknown)}", source="reason")
    cond.reason_list = dbd.strings(str(reasons[r]) for r in query.reasons)
    cond.resv_list = dbd.strings(query.reservations)
    cond.resvid_list = dbd.strings(query.reservation_ids)
    cond.state_list = dbd.strings(state_numbers(lib, query.states))
    if query.job_ids:
        steps = lib.slurmgate_step_list()
        dbd.adopt(steps)
        if lib.slurm_addto_step_list(steps, dbd.string(",".join(query.job_ids))) < 1:
            raise InvalidRequest("Unable to parse job/step format", source="step")
        cond.step_list = steps
    cond.usage_start = query.start_time or 0
    cond.usage_end = query.end_time or 0
    cond.used_nodes = dbd.string(query.nodes) if query.nodes else ffi.NULL
    cond.userid_list = dbd.strings(_uid(u) for u in query.users)
    cond.wckey_list = dbd.strings(query.wckeys)
    return cond
