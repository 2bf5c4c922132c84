"""Jobs in v0.0.40 and later: each version's records, written as the one before it changed.

Sources follow what slurmrestd's data_parser prints (JOB_INFO in each plugin's parsers.c):
``-`` marks what slurmgate does not model, printed as the type's unset value.
"""

from __future__ import annotations

from slurmgate.api.versions.dp_envelope import envelope
from slurmgate.api.versions.notation import Record, record

# -- v0.0.40 ---------------------------------------------------------------------------------

EXIT_CODE = record(
    "status:[s]=words return_code:u32n signal:{signal}",
    signal=record("id:u16n=signal_id name:s=signal_name"),
)

JOB_INFO_40 = record(
    "account:s accrue_time:u64n admin_comment:s allocating_node:s=- array_job_id:u32n"
    " array_task_id:u32n array_max_tasks:u32n array_task_string:s association_id:i32"
    " batch_features:s batch_flag:b batch_host:s flags:[s]=~job_flags burst_buffer:s"
    " burst_buffer_state:s cluster:s cluster_features:s command:s comment:s container:s"
    " container_id:s=- contiguous:b core_spec:i32=~core_spec thread_spec:i32=~thread_spec"
    " cores_per_socket:u16n billable_tres:f64n cpus_per_task:u16n"
    " cpu_frequency_minimum:u32n cpu_frequency_maximum:u32n cpu_frequency_governor:u32n"
    " cpus_per_tres:s cron:s=- deadline:u64n delay_boot:u32n dependency:s"
    " derived_exit_code:@process_exit_code_verbose=~derived_exit_code eligible_time:u64n"
    " end_time:u64n excluded_nodes:s exit_code:@process_exit_code_verbose=~exit_code extra:s=-"
    " failed_node:s=- features:s federation_origin:s=- federation_siblings_active:s=-"
    " federation_siblings_viable:s=- gres_detail:[s]=[] group_id:i32 group_name:s"
    " het_job_id:u32n het_job_id_set:s het_job_offset:u32n=~het_job_offset job_id:i32"
    " job_resources:@job_res=~legacy_job_resources job_size_str:csv=- job_state:[s]=~job_state"
    " last_sched_evaluation:u64n licenses:s mail_type:[s]=[] mail_user:s=- max_cpus:u32n"
    " max_nodes:u32n mcs_label:s memory_per_tres:s name:s network:s=- nodes:s nice:i32"
    " tasks_per_core:u16n=~tasks_per_core tasks_per_tres:u16n=0"
    " tasks_per_node:u16n=~tasks_per_node tasks_per_socket:u16n=~tasks_per_socket"
    " tasks_per_board:u16n cpus:u32n node_count:u32n tasks:u32n partition:s prefer:s"
    " memory_per_cpu:u64n memory_per_node:u64n minimum_cpus_per_node:u16n"
    " minimum_tmp_disk_per_node:u32n power:{power} preempt_time:u64n preemptable_time:u64n=0"
    " pre_sus_time:u64n hold:b=~hold priority:u32n profile:[s]=~profile qos:s reboot:b"
    " required_nodes:s minimum_switches:i32=0 requeue:b resize_time:u64n"
    " restart_cnt:i32=restart_count resv_name:s=reservation scheduled_nodes:s=-"
    " selinux_context:s=- shared:[s]=~shared exclusive:[s]=~exclusive"
    " oversubscribe:b=~oversubscribe show_flags:[s]=[] sockets_per_board:i32"
    " sockets_per_node:u16n start_time:u64n state_description:s state_reason:s"
    " standard_error:s=~stderr_path_older standard_input:s=~stdin_path"
    " standard_output:s=~stdout_path submit_time:u64n suspend_time:u64n"
    " system_comment:s time_limit:u32n=~time_limit time_minimum:u32n threads_per_core:u16n"
    " tres_bind:s tres_freq:s tres_per_job:s tres_per_node:s tres_per_socket:s tres_per_task:s"
    " tres_req_str:s tres_alloc_str:s user_id:i32 user_name:s maximum_switch_wait_time:i32=0"
    " wckey:s current_working_directory:s",
    power=record("flags:[s]=[]"),
)

#: v0.0.40 prints v0.0.38's job_resources, with allocated_cpus beside allocated_cores; {} for
#: a job that holds none.
JOB_RES_40 = record(
    "nodes?:s allocated_cores?:i32 allocated_cpus?:i32 allocated_hosts?:i32 allocated_nodes?:[o]",
    extra={"description": "the allocation; empty for a job that holds none"},
)

JOBS_RESPONSE = envelope(
    "jobs:[@job_info]=items last_backfill:u64n last_update:u64n",
    required=("jobs", "last_backfill", "last_update"),
)

SUBMITTED_40 = envelope(
    "result:{result} job_id:i32=~submitted_job_id step_id:s=~submit_step"
    " job_submit_user_msg:s=~submitted_user_message",
    result=record(
        "job_id:i32=~submitted_job_id step_id:s=~submit_step error_code:i32=~submit_error_code"
        " error:s=~submit_error job_submit_user_msg:s=~submitted_user_message"
    ),
)

KILL_JOBS_RESPONSE = envelope("status:[@kill_jobs_resp_job]=~signal_outcomes", required=("status",))

# One job a signal reached: its id as selected ("12", "12_3") and slurm_strerror() of the
# outcome ("No error" for a success, listed with flag VERBOSE only).
KILL_JOBS_RESP_JOB = record(
    "error:{error} step_id:s=~selected_id job_id:u32n federation:{federation}",
    error=record("string:s=~signal_error code:i32=error_number message:s=description"),
    federation=record("sibling:s"),
)

#: What an update reached: every task of an array is its own result; an update of a job that
#: is no array has none (slurmctld answers it with a return code only).
UPDATED_40 = envelope(
    "results:[@job_array_response_msg_entry]=items job_id:s=~first_job_id step_id:s=-"
    " job_submit_user_msg:s=-"
)
UPDATED_JOB_40 = record(
    "job_id:i32 step_id:s error:s=error error_code:i32=error_number why:s=description"
)

#: jobs/state: ids and states only (the document declares job_info records: errata.py).
JOB_STATES = envelope("jobs:[@job_state_resp_job]=~job_state_entries_40", required=("jobs",))

RECORDS_40: dict[str, Record] = {
    "job_info": JOB_INFO_40,
    "openapi_job_state_resp": JOB_STATES,
    "job_state_resp_job": record("job_id:s state:[s]", required=("job_id", "state")),
    "openapi_job_post_response": UPDATED_40,
    "job_array_response_msg_entry": UPDATED_JOB_40,
    "job_res": JOB_RES_40,
    "process_exit_code_verbose": EXIT_CODE,
    "openapi_job_info_resp": JOBS_RESPONSE,
    "openapi_job_submit_response": SUBMITTED_40,
    "openapi_kill_jobs_resp": KILL_JOBS_RESPONSE,
    "kill_jobs_resp_job": KILL_JOBS_RESP_JOB,
}

# -- v0.0.41: job_resources by node, socket and core -----------------------------------------

RECORDS_41: dict[str, Record] = {
    **RECORDS_40,
    # A task of its own is named by its own job id.
    "openapi_job_state_resp": JOB_STATES.evolve("jobs:[@job_state_resp_job]=~job_state_entries"),
    # An update that concerned no array task has no results: printed null from v0.0.41 on.
    "openapi_job_post_response": UPDATED_40.evolve(
        "results:[@job_array_response_msg_entry]|null=~update_results"
    ),
    "job_info": JOB_INFO_40.evolve("job_resources:@job_res|null=~job_resources"),
    "job_res": record(
        "select_type:[s]=~select_type nodes:{nodes} cpus:i32=~allocated_cpus"
        " threads_per_core:u16n=-",
        nodes=record(
            "count:i32=node_count select_type:[s]=~node_select_type list:s=nodes whole:b=false"
            " allocation:[@job_res_node]=~allocated_nodes"
        ),
        required=("select_type", "cpus", "threads_per_core"),
    ),
    "job_res_node": record(
        "index:i32 name:s cpus:{cpus} memory:{memory} sockets:[@job_res_socket]",
        cpus=record("count:i32=cpus_count used:i32=cpus_used"),
        memory=record("used:i64=memory_used allocated:i64=memory_allocated"),
        required=("index", "name", "sockets"),
    ),
    "job_res_socket": record("index:i32 cores:[@job_res_core]", required=("index", "cores")),
    "job_res_core": record("index:i32 status:[s]", required=("index", "status")),
    "openapi_job_alloc_resp": envelope(
        "job_id:i32=~submitted_job_id job_submit_user_msg:s=~submitted_user_message"
    ),
}

# -- v0.0.42: per-partition priorities; exclusive, oversubscribe and show_flags gone ---------

RECORDS_42: dict[str, Record] = {
    **RECORDS_41,
    "job_info": RECORDS_41["job_info"].evolve(
        "priority_by_partition:[@part_prio]=[] required_switches:i32=0"
        " standard_error:s=~stderr_path",
        drop="exclusive minimum_switches oversubscribe show_flags",
    ),
    "part_prio": record("partition:s priority:i32"),
    "openapi_kill_job_resp": KILL_JOBS_RESPONSE,
    "openapi_job_post_response": envelope(
        "results:[@job_array_response_msg_entry]|null=~update_results"
    ),
    "openapi_job_submit_response": SUBMITTED_40.evolve(drop="result"),
}

# -- v0.0.43: streams as given and expanded apart; allocated licenses, segment size ----------

RECORDS_43: dict[str, Record] = {
    **RECORDS_42,
    "job_info": RECORDS_42["job_info"].evolve(
        "standard_error:s standard_input:s standard_output:s licenses_allocated:s=-"
        " segment_size:i32=0 stdin_expanded:s=~stdin_expanded stdout_expanded:s=~stdout_expanded"
        " stderr_expanded:s=~stderr_expanded"
    ),
}

# -- v0.0.44: the job's step id, its submit line ---------------------------------------------

RECORDS_44: dict[str, Record] = {
    **RECORDS_43,
    "job_info": RECORDS_43["job_info"].evolve(
        "step_id:{step} submit_line:s",
        # The job's own step id: the whole job ("entire").
        step=record("sluid:s=- job_id:u32n step_het_component:u32n=- step_id:s='entire'"),
    ),
}

# -- v0.0.45: container type, memory update settings, select type by name; power gone; shared
# deprecated: the daemon prints it empty whatever the job (exclusive, oversubscribe, user) -----

RECORDS_45: dict[str, Record] = {
    **RECORDS_44,
    "openapi_job_requeue_resp": envelope(
        "status:[@job_array_response_msg_entry]=items", required=("status",)
    ),
    "openapi_jobs_requeue_resp": envelope(
        "status:[[@job_array_response_msg_entry]]=~requeue_groups", required=("status",)
    ),
    "job_info": RECORDS_44["job_info"].evolve(
        "container_type:s=- memory_update_delay:i32=0 memory_update_margin:i32=0 shared:[s]=[]",
        drop="power",
    ),
    "job_res": RECORDS_44["job_res"].evolve("select_type:[s]=~select_type_45"),
}
