"""The embedded cluster's accounting records as the domain shows them.

A run's record is the job as it was in that run (the job table's own JSON); a step's record
(``StepRecord``) is what the executor saw of the batch script: where and when it ran, its wait
status and its resource usage (wait4: CPU time and peak memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slurmgate.backends.local import acct_codec
from slurmgate.backends.local.acct_rows import REQUEUED, StepRow
from slurmgate.backends.local.acct_tres import TRES_IDS, parse_tres
from slurmgate.domain import ExitStatus, Job, JobState
from slurmgate.domain.accounting import (
    AccountingJob,
    AssociationRef,
    CpuTime,
    JobStep,
    Tres,
    TresStatistics,
    TresUsage,
)


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step of one run of a job, as the embedded cluster ran it."""

    job_id: int
    run: int
    step_id: str
    start: int
    end: int = 0
    #: A JobState name; RUNNING until the step ends.
    state: str = JobState.RUNNING.value
    #: The raw wait status; None while running or when it was lost.
    status: int | None = None
    node: str = ""
    cpus: int = 0
    #: MiB held on the node.
    memory: int = 0
    tasks: int = 1
    pid: int = 0
    user_cpu: float = 0.0
    system_cpu: float = 0.0
    max_rss_kib: int = 0
    #: Who cancelled the job, if it was cancelled.
    kill_user: str = ""

    def row(self) -> StepRow:
        return (self.job_id, self.run, self.step_id, self.end, acct_codec.encode(self))


def step_from_row(data: bytes) -> StepRecord:
    return acct_codec.decode(StepRecord, data)


def _step(record: StepRecord, job: Job, now: int) -> JobStep:
    usage: tuple[TresUsage, ...] = ()
    totals: tuple[Tres, ...] = ()
    if record.max_rss_kib:
        rss = record.max_rss_kib * 1024  # usage is counted in bytes, as Slurm counts it
        usage = (TresUsage("mem", id=TRES_IDS["mem"], count=rss, node=record.node, task=0),)
        totals = (Tres("mem", id=TRES_IDS["mem"], count=rss),)
    return JobStep(
        job_id=record.job_id,
        step_id=record.step_id,
        name=record.step_id,
        state=JobState(record.state),
        exit_code=None if record.status is None else ExitStatus(record.status),
        het_component=job.het_job_offset if job.het_job_id else None,
        start_time=record.start,
        end_time=record.end,
        elapsed=max((record.end or now) - record.start, 0),
        time_limit=job.time_limit,
        nodes=record.node,
        node_count=1 if record.node else 0,
        tasks=record.tasks,
        cpu_time=CpuTime.from_seconds(record.user_cpu, record.system_cpu),
        kill_request_user=record.kill_user,
        pid=str(record.pid) if record.pid else "",
        tres_allocated=(
            Tres("cpu", id=TRES_IDS["cpu"], count=record.cpus),
            Tres("mem", id=TRES_IDS["mem"], count=record.memory),
            Tres("node", id=TRES_IDS["node"], count=1),
        ),
        tres_requested=TresStatistics(max=usage, min=usage, average=totals, total=totals),
        working_directory=job.current_working_directory,
        standard_input=job.standard_input,
        standard_output=job.standard_output,
        standard_error=job.standard_error,
    )


def accounting_job(
    job: Job,
    steps: Iterable[StepRecord],
    *,
    now: int,
    group_name: Callable[[int], str],
    lineage: Callable[[int], str],
) -> AccountingJob:
    """The record of one run: ``job`` as the run left it, with its steps."""
    requeued = REQUEUED in job.state_flags
    pending = job.state is JobState.PENDING and not requeued
    start = 0 if pending else job.start_time
    end = 0 if pending else job.end_time
    converted = tuple(_step(s, job, now) for s in sorted(steps, key=lambda s: s.start))
    cpu_time = CpuTime()
    for step in converted:
        cpu_time = cpu_time + step.cpu_time
    flags = tuple(f for f in job.state_flags if f != "COMPLETING")
    return AccountingJob(
        job_id=job.job_id,
        name=job.name,
        user_name=job.user_name,
        user_id=job.user_id,
        state=job.state,
        state_flags=flags,
        state_reason=job.state_reason,
        group_name=job.group_name or group_name(job.group_id),
        group_id=job.group_id,
        cluster=job.cluster,
        partition=job.partition,
        account=job.account,
        qos=job.qos,
        wckey=job.wckey,
        association=AssociationRef(job.account, job.cluster, job.user_name, "", job.association_id)
        if job.account
        else None,
        exit_code=job.exit_code,
        derived_exit_code=job.derived_exit_code,
        comment=job.comment,
        admin_comment=job.admin_comment,
        system_comment=job.system_comment,
        submit_time=job.submit_time,
        eligible_time=job.eligible_time,
        start_time=start,
        end_time=end,
        elapsed=max((end or now) - start, 0) if start else 0,
        time_limit=job.time_limit,
        priority=job.priority,
        cpu_time=cpu_time,
        nodes=job.nodes if start else "",
        node_count=job.node_count if start else 0,
        required_cpus=job.cpus,
        memory_per_node=job.memory_per_node,
        memory_per_cpu=job.memory_per_cpu,
        tres_requested=parse_tres(job.tres_req_str),
        tres_allocated=parse_tres(job.tres_alloc_str) if start else (),
        working_directory=job.current_working_directory,
        constraints=job.features,
        container=job.container,
        licenses=job.licenses,
        mcs_label=job.mcs_label,
        lineage=lineage(job.association_id),
        reservation=job.reservation,
        array_job_id=job.array_job_id,
        array_task_id=job.array_task_id,
        array_task_string=job.array_task_string,
        array_max_tasks=job.array_max_tasks,
        het_job_id=job.het_job_id,
        het_job_offset=job.het_job_offset,
        restart_count=job.restart_count,
        standard_input=job.standard_input,
        standard_output=job.standard_output,
        standard_error=job.standard_error,
        steps=converted,
    )
