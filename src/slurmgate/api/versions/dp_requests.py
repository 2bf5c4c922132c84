"""Request bodies of v0.0.40 and later: each version's records, as the one before changed them.

A field's source here is where its value goes: a ``JobSpec`` attribute, ``~name`` one of the
rules of requests_dp.py, or ``-`` for what the daemon accepts and slurmgate does not act on
(accepted with a warning naming it).
"""

from __future__ import annotations

from slurmgate.api.versions.notation import Record, record

_CRONTAB = record(
    "flags:[s] minute:s hour:s day_of_month:s month:s day_of_week:s specification:s command:s"
    " line:{line}",
    line=record("start:i32 end:i32"),
)
_RLIMITS = record(
    "cpu:u64n fsize:u64n data:u64n stack:u64n core:u64n rss:u64n nproc:u64n nofile:u64n"
    " memlock:u64n as:u64n"
)

JOB_DESC_40 = record(
    "account:s account_gather_frequency:s admin_comment:s=- allocation_node_list:s=-"
    " allocation_node_port:i32=- argv:[s] array:s batch_features:s begin_time:u64n"
    " flags:[s]=~flags burst_buffer:s clusters:s=- cluster_constraint:s comment:s"
    " contiguous:b=- container:s container_id:s=- cores_per_socket:i32 core_specification:i32"
    " thread_specification:i32 cpu_binding:s cpu_binding_flags:[s]=- cpu_frequency:s"
    " cpus_per_tres:s=- crontab:{crontab}=- deadline:i64 delay_boot:i32 dependency:s"
    " end_time:i64=- environment:[s]=~environment rlimits:{rlimits}=- excluded_nodes:csv"
    " extra:s=- constraints:s group_id:s=- hetjob_group:i32=- immediate:b=- job_id:i32=-"
    " kill_on_node_fail:b=- licenses:s mail_type:[s]=~mail_type mail_user:s mcs_label:s"
    " memory_binding:s memory_binding_type:[s]=- memory_per_tres:s=- name:s network:s=-"
    " nice:i32 tasks:i32 open_mode:[s]=~open_mode reserve_ports:i32=- overcommit:b=-"
    " partition:s distribution_plane_size:i32=- power_flags:[o]=- prefer:s hold:b"
    " priority:u32n profile:[s]=- qos:s reboot:b=- required_nodes:csv requeue:b reservation:s"
    " script:s shared:[s]=~shared exclusive:[s]=~exclusive oversubscribe:b site_factor:i32=-"
    " spank_environment:[s]=- distribution:s time_limit:u32n time_minimum:u32n tres_bind:s=-"
    " tres_freq:s=- tres_per_job:s=- tres_per_node:s tres_per_socket:s=- tres_per_task:s=-"
    " user_id:s=- wait_all_nodes:b kill_warning_flags:[s]=- kill_warning_signal:s=-"
    " kill_warning_delay:u16n=- current_working_directory:s cpus_per_task:i32"
    " minimum_cpus:i32=- maximum_cpus:i32=- nodes:s=~nodes minimum_nodes:i32=min_nodes"
    " maximum_nodes:i32=max_nodes minimum_boards_per_node:i32=-"
    " minimum_sockets_per_board:i32=- sockets_per_node:i32 threads_per_core:i32"
    " tasks_per_node:i32 tasks_per_socket:i32 tasks_per_core:i32 tasks_per_board:i32=-"
    " ntasks_per_tres:i32=- minimum_cpus_per_node:i32 memory_per_cpu:u64n memory_per_node:u64n"
    " temporary_disk_per_node:i32=- selinux_context:s=- required_switches:u32n=-"
    " standard_error:s standard_input:s standard_output:s wait_for_switch:i32=- wckey:s"
    " x11:[s]=- x11_magic_cookie:s=- x11_target_host:s=- x11_target_port:i32=-",
    crontab=_CRONTAB,
    rlimits=_RLIMITS,
)

SUBMIT_REQ = record("script:s jobs:[@job_desc_msg] job:@job_desc_msg")

KILL_JOBS_40 = record(
    "account:s flags:[s] job_name:s jobs:[s]=job_ids partition:s qos:s reservation:s"
    " signal:s=~signal job_state:[s]=states user_id:s=~user_id user_name:s wckey:s"
    " nodes:hostlist=~nodes"
)

UPDATE_NODE_40 = record(
    "comment:s cpu_bind:i32 extra:s features:csv=~features features_act:csv=~active_features"
    " gres:s address:hostlist=~address hostname:hostlist=~hostname name:hostlist=~names"
    " state:[s] reason:s reason_uid:s=reason_user resume_after:u32n weight:u32n"
)

RECORDS_40: dict[str, Record] = {
    "job_desc_msg": JOB_DESC_40,
    "job_submit_req": SUBMIT_REQ,
    "kill_jobs_msg": KILL_JOBS_40,
    "update_node_msg": UPDATE_NODE_40,
}

_JOB_DESC_41 = JOB_DESC_40.evolve(
    "distribution_plane_size:u16n=- resv_mpi_ports:i32=- segment_size:u16n=-",
    drop="cores_per_socket",
)
RECORDS_41: dict[str, Record] = {
    **RECORDS_40,
    "job_desc_msg": _JOB_DESC_41,
    "job_alloc_req": record("hetjob:[@job_desc_msg] job:@job_desc_msg"),
}

RECORDS_42: dict[str, Record] = {
    **RECORDS_41,
    "job_desc_msg": _JOB_DESC_41.evolve(
        "oom_kill_step:i32=-", drop="exclusive oversubscribe resv_mpi_ports"
    ),
}

RECORDS_43: dict[str, Record] = {
    **RECORDS_42,
    "update_node_msg": UPDATE_NODE_40.evolve("topology_str:s=topology"),
}

RECORDS_44: dict[str, Record] = {
    **RECORDS_43,
    "job_desc_msg": RECORDS_43["job_desc_msg"].evolve(
        "step_id:{step}=-",
        step=record("sluid:s job_id:u32n step_het_component:u32n step_id:s"),
    ),
}

RECORDS_45: dict[str, Record] = {
    **RECORDS_44,
    "openapi_jobs_requeue_query": record("flags:[s] jobs:[s]"),
    "job_desc_msg": RECORDS_44["job_desc_msg"].evolve(
        "container_type:s=- cores_per_socket:i32 memory_update_delay:i32=-"
        " memory_update_margin:i32=-",
        drop="power_flags",
    ),
}
