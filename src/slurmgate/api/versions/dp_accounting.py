"""Job history in v0.0.40 and later (/slurmdb/{version}/jobs, job/{id}): each version's records,
written as the one before it changed.

Sources follow what slurmrestd's data_parser prints of slurmdbd's records (JOB and STEP in
each plugin's parsers.c), read from ``AccountingJob`` and ``JobStep``; ``-`` marks what
slurmgate does not model, printed as the type's unset value.
"""

from __future__ import annotations

from slurmgate.api.versions.dp_envelope import envelope
from slurmgate.api.versions.notation import Record, record

# -- v0.0.40 ---------------------------------------------------------------------------------

#: A TRES and its amount; also a step's extreme use (TresUsage: its node and task unprinted).
TRES = record("type:s name:s id:i32 count:i64=~db_tres_count", required=("type",))

#: CPU time as getrusage(2) splits it.
_CPU_SECONDS = {
    part: record(f"seconds:i64={part}_seconds microseconds:i64={part}_microseconds")
    for part in ("user", "system")
}
_CPU_TOTAL = record("seconds:i64=total_seconds microseconds:i64=total_microseconds")

_JOB_TIME_40 = record(
    "elapsed:i32 eligible:i64=eligible_time end:i64=end_time start:i64=start_time"
    " submission:i64=submit_time suspended:i32 system:{system}=cpu_time"
    " limit:u32n=~db_time_limit total:{total}=cpu_time user:{user}=cpu_time",
    system=_CPU_SECONDS["system"],
    total=_CPU_TOTAL,
    user=_CPU_SECONDS["user"],
)

JOB_40 = record(
    "account:s comment:{comment} allocation_nodes:i32=node_count array:{array}"
    " association:@assoc_short=~db_job_association block:s=- cluster:s constraints:s"
    " container:s derived_exit_code:@process_exit_code_verbose=~db_job_derived_exit_code"
    " time:{time} exit_code:@process_exit_code_verbose=~db_job_exit_code extra:s failed_node:s"
    " flags:[s] group:s=group_name het:{het} job_id:i32 name:s licenses:s mcs:{mcs}"
    " nodes:s=~db_job_nodes"
    " partition:s hold:b=~db_job_hold priority:u32n qos:s required:{needs}"
    " kill_request_user:s reservation:{reservation} script:s state:{state} steps:[@step]"
    " submit_line:s tres:{tres} used_gres:s user:s=user_name wckey:@wckey_tag_struct=."
    " working_directory:s",
    comment=record("administrator:s=admin_comment job:s=comment system:s=system_comment"),
    array=record(
        "job_id:i32=array_job_id limits:{limits} task_id:u32n=array_task_id"
        " task:s=array_task_string",
        limits=record(
            "max:{max}",
            max=record("running:{running}", running=record("tasks:i32=array_max_tasks")),
        ),
    ),
    time=_JOB_TIME_40,
    het=record("job_id:i32=het_job_id job_offset:u32n=het_job_offset"),
    mcs=record("label:s=mcs_label"),
    needs=record("CPUs:i32=required_cpus memory_per_cpu:u64n memory_per_node:u64n"),
    reservation=record("id:i32=reservation_id name:s=reservation"),
    state=record("current:[s]=~db_job_state reason:s=state_reason"),
    tres=record("allocated:[@tres]=tres_allocated requested:[@tres]=tres_requested"),
)

_TRES_USE = record("max:[@tres] min:[@tres] average:[@tres] total:[@tres]")

#: A step's CPU time: microseconds are 32-bit here.
_STEP_TIME_40 = record(
    "elapsed:i32 end:u64n=~db_step_end start:u64n=~db_step_start suspended:i32"
    " system:{system}=cpu_time total:{total}=cpu_time user:{user}=cpu_time",
    system=record("seconds:i64=system_seconds microseconds:i32=system_microseconds"),
    total=record("seconds:i64=total_seconds microseconds:i32=total_microseconds"),
    user=record("seconds:i64=user_seconds microseconds:i32=user_microseconds"),
)

STEP_40 = record(
    "time:{time} exit_code:@process_exit_code_verbose=~db_step_exit_code nodes:{nodes}"
    " tasks:{tasks} pid:s CPU:{CPU} kill_request_user:s state:[s]=~db_step_state"
    " statistics:{statistics} step:{step} task:{task} tres:{tres}",
    time=_STEP_TIME_40,
    nodes=record("count:i32=node_count range:s=nodes list:hostlist=~db_step_node_names"),
    tasks=record("count:i32=tasks"),
    CPU=record(
        "requested_frequency:{requested_frequency} governor:s=~db_step_governor",
        requested_frequency=record("min:u32n=cpu_frequency_min max:u32n=cpu_frequency_max"),
    ),
    statistics=record(
        "CPU:{CPU} energy:{energy}",
        CPU=record("actual_frequency:i64=actual_cpu_frequency"),
        energy=record("consumed:u64n=consumed_energy"),
    ),
    step=record("id:s=~db_step_id name:s"),
    task=record("distribution:s=~db_step_distribution"),
    tres=record(
        "requested:{requested}=tres_requested consumed:{consumed}=tres_consumed"
        " allocated:[@tres]=tres_allocated",
        requested=_TRES_USE,
        consumed=_TRES_USE,
    ),
)

JOBS_RESPONSE = envelope("jobs:[@job]=items", required=("jobs",))

RECORDS_40: dict[str, Record] = {
    "openapi_slurmdbd_jobs_resp": JOBS_RESPONSE,
    "job": JOB_40,
    "step": STEP_40,
    "tres": TRES,
    "wckey_tag_struct": record("wckey:s flags:[s]=wckey_flags", required=("wckey", "flags")),
    "assoc_short": record("account:s cluster:s partition:s user:s id:i32", required=("user",)),
}

# -- v0.0.41: standard streams as given and expanded, the time a job waited ----------------

RECORDS_41: dict[str, Record] = {
    **RECORDS_40,
    "job": JOB_40.evolve(
        "stdin_expanded:s=~db_stdin_expanded stdout_expanded:s=~db_stdout_expanded"
        " stderr_expanded:s=~db_stderr_expanded stdout:s=standard_output stderr:s=standard_error"
        " stdin:s=standard_input time:{time}",
        time=_JOB_TIME_40.evolve("planned:u64n=~db_planned"),
    ),
}

# -- v0.0.42: the QOS asked for, restarts ----------------------------------------------------

RECORDS_42: dict[str, Record] = {
    **RECORDS_41,
    "job": RECORDS_41["job"].evolve("qosreq:s=qos_requested restart_cnt:i32=restart_count"),
}

# -- v0.0.43: segment size, the reservation asked for, steps' limits and streams; a job's
# association named by its cluster and id alone ----------------------------------------------

_RESERVATION_43 = record(
    "id:i32=reservation_id name:s=reservation requested:s=reservation_requested"
)

RECORDS_43: dict[str, Record] = {
    **RECORDS_42,
    "job": RECORDS_42["job"].evolve(
        "segment_size:i32 reservation:{reservation}"
        " association:@assoc_short=~db_job_association_id",
        reservation=_RESERVATION_43,
    ),
    "step": STEP_40.evolve(
        "time:{time} step:{step}",
        time=_STEP_TIME_40.evolve("limit:u32n=~db_time_limit"),
        step=record(
            "id:s=~db_step_id name:s stderr:s=standard_error stdin:s=standard_input"
            " stdout:s=standard_output stderr_expanded:s=standard_error"
            " stdin_expanded:s=standard_input stdout_expanded:s=standard_output"
        ),
    ),
}

# -- v0.0.44: a job's comment, extra, wckey and derived exit code can be changed -------------

RECORDS_44: dict[str, Record] = {**RECORDS_43}

# -- v0.0.45: SLUIDs, exclusive and oversubscribe modes; steps' submit line, no pid ----------

RECORDS_45: dict[str, Record] = {
    **RECORDS_44,
    "job": RECORDS_44["job"].evolve("sluid:s exclusive:s oversubscribe:s original_sluid:s=-"),
    "step": RECORDS_44["step"].evolve("submit_line:s", drop="pid"),
}
