"""v0.0.36, as slurmrestd 22.05's openapi/v0.0.36 plugin prints it (deprecated there too).

The daemon prints numbers as numbers and unset values as ``null`` where its document declares
strings; clients were written against the daemon, so slurmgate prints what it prints
(docs/api.md lists where the document is wrong).
"""

from __future__ import annotations

from slurmgate.api.versions.notation import record
from slurmgate.api.versions.version import VersionSpec

META = record(
    "plugin:{plugin} Slurm:{slurm}",
    plugin=record("type:s=plugin_type name:s=plugin_name"),
    slurm=record(
        "version:{version} release:s",
        version=record("major:i micro:i minor:i"),
    ),
)

# slurmgate's entries carry every key any version's clients look for: errno (v0.0.36/37's
# documents), error_number, description and source (the daemon's from v0.0.37 on).
ERROR = record(
    "error:s errno:i=error_number error_number:i error_code:i=error_number description:s source:s"
)

# What slurmgate accepted but will not act on, as v0.0.39 and later name them.
WARNING = record("description:s=~warning_description source:s=~warning_source")

JOB = record(
    "account:s accrue_time:i64 admin_comment:s array_job_id:i array_task_id:i|null"
    " array_max_tasks:i array_task_string:s association_id:i batch_features:s batch_flag:b"
    " batch_host:s flags:[s]=~job_flags_spaced burst_buffer:s burst_buffer_state:s cluster:s"
    " cluster_features:s command:s comment:s contiguous:b core_spec:i|null=~core_spec"
    " thread_spec:i|null=~thread_spec cores_per_socket:i|null billable_tres:nd|null"
    " cpus_per_task:i|null cpu_frequency_minimum:i|null cpu_frequency_maximum:i|null"
    " cpu_frequency_governor:i|null cpus_per_tres:s deadline:i64 delay_boot:i dependency:s"
    " derived_exit_code:i=~derived_exit_code_raw eligible_time:i64 end_time:i64"
    " excluded_nodes:s exit_code:i=~exit_code_raw features:s federation_origin:s=-"
    " federation_siblings_active:s=- federation_siblings_viable:s=- gres_detail:[s]=-"
    " group_id:i job_id:i job_resources:@job_resources=~job_resources_keyed job_state:s=~job_state"
    " last_sched_evaluation:i64 licenses:s max_cpus:i max_nodes:i mcs_label:s"
    " memory_per_tres:s name:s nodes:s nice:i|null=~nice tasks_per_core:i|null"
    " tasks_per_node:i=~tasks_per_node tasks_per_socket:i|null tasks_per_board:i cpus:i"
    " node_count:i tasks:i het_job_id:i het_job_id_set:s het_job_offset:i=~het_job_offset"
    " partition:s memory_per_node:i|null memory_per_cpu:i|null minimum_cpus_per_node:i"
    " minimum_tmp_disk_per_node:i preempt_time:i64 pre_sus_time:i64 priority:i64"
    " profile:[s]|null=null qos:s reboot:b required_nodes:s requeue:b resize_time:i64"
    " restart_cnt:i=restart_count resv_name:s=reservation shared:s|null=~shared show_flags:[s]"
    " sockets_per_board:i sockets_per_node:i|null start_time:i64 state_description:s"
    " state_reason:s standard_error:s standard_input:s standard_output:s submit_time:i64"
    " suspend_time:i64 system_comment:s time_limit:i|null time_minimum:i"
    " threads_per_core:i|null tres_bind:s tres_freq:s tres_per_job:s tres_per_node:s"
    " tres_per_socket:s tres_per_task:s tres_req_str:s tres_alloc_str:s user_id:i user_name:s"
    " wckey:s current_working_directory:s"
)

NODE = record(
    "architecture:s burstbuffer_network_address:s boards:i boot_time:i64 comment:s cores:i"
    " cpu_binding:i=0 cpu_load:i free_memory:i cpus:i features:s=~node_features"
    " active_features:s=~node_active_features gres:s gres_drained:s='N/A' gres_used:s"
    " mcs_label:s name:s next_state_after_reboot:s='invalid' address:s hostname:s"
    " state:s=~node_state_v0036 operating_system:s owner:s|null=~node_owner port:i"
    " real_memory:i reason:s reason_changed_at:i64"
    " reason_set_by_user:s|null=~node_reason_set_by_user slurmd_start_time:i64 sockets:i"
    " threads:i temporary_disk:i=tmp_disk weight:i tres:s slurmd_version:s=version"
)

PARTITION = record(
    "flags:[s]=~partition_flags preemption_mode:[s]=~preemption_mode_old"
    " allowed_allocation_nodes:s allowed_accounts:s allowed_groups:s allowed_qos:s"
    " alternative:s=alternate billing_weights:s"
    " default_memory_per_cpu:i64=~default_memory_per_cpu_raw"
    " default_time_limit:i|null=default_time denied_accounts:s=deny_accounts"
    " denied_qos:s=deny_qos preemption_grace_time:i64=grace_time"
    " maximum_cpus_per_node:i=~maximum_cpus_per_node"
    " maximum_memory_per_node:i64=~maximum_memory_per_node_raw"
    " maximum_nodes_per_job:i=~maximum_nodes_per_job max_time_limit:i=~max_time_limit"
    " min_nodes_per_job:i=min_nodes name:s nodes:s over_time_limit:i|null"
    " priority_job_factor:i priority_tier:i qos:s nodes_online:i=~partition_state_number"
    " total_cpus:i total_nodes:i tres:s"
)

STATISTICS = record(
    "parts_packed:i req_time:i64 req_time_start:i64 server_thread_count:i agent_queue_size:i"
    " agent_count:i agent_thread_count:i dbd_agent_queue_size:i gettimeofday_latency:i"
    " schedule_cycle_max:i schedule_cycle_last:i schedule_cycle_total:i schedule_cycle_mean:i"
    " schedule_cycle_mean_depth:i schedule_cycle_per_minute:i schedule_queue_length:i"
    " jobs_submitted:i jobs_started:i jobs_completed:i jobs_canceled:i jobs_failed:i"
    " jobs_pending:i jobs_running:i job_states_ts:i64 bf_backfilled_jobs:i"
    " bf_last_backfilled_jobs:i bf_backfilled_het_jobs:i bf_cycle_counter:i bf_cycle_mean:i"
    " bf_depth_mean:i bf_depth_mean_try:i bf_cycle_last:i bf_cycle_max:i bf_queue_len:i"
    " bf_queue_len_mean:i=~bf_queue_len_mean_v0036 bf_when_last_cycle:i64 bf_active:b"
)

# Request bodies: sbatch's options by their long names (api/submission.py reads them).
JOB_PROPERTIES = record(
    "account:s account_gather_freqency:s argv:[s] array:s batch_features:s begin_time:s"
    " burst_buffer:s cluster_constraints:s comment:s constraints:s core_specification:i"
    " cores_per_socket:i cpu_binding:s cpu_binding_hint:s cpu_frequency:s cpus_per_gpu:s"
    " cpus_per_task:i current_working_directory:s deadline:s delay_boot:i dependency:s"
    " distribution:s environment:o exclusive:s=user,mcs,true,false get_user_environment:b"
    " gres:s gres_flags:s=disable-binding,enforce-binding gpu_binding:s gpu_frequency:s"
    " gpus:s gpus_per_node:s gpus_per_socket:s gpus_per_task:s hold:b"
    " kill_on_invalid_dependency:b licenses:s mail_type:s mail_user:s mcs_label:s"
    " memory_binding:s memory_per_cpu:i memory_per_gpu:i memory_per_node:i"
    " minimum_cpus_per_node:i minimum_nodes:b name:s nice:s no_kill:b nodes:[i]"
    " open_mode:s=append,truncate partition:s priority:s qos:s requeue:b reservation:s"
    " signal:s sockets_per_node:i spread_job:b standard_error:s standard_in:s"
    " standard_out:s tasks:i tasks_per_core:i tasks_per_node:i tasks_per_socket:i"
    " thread_specification:i threads_per_core:i time_limit:i time_minimum:i"
    " wait_all_nodes:b wckey:s",
    required=("environment",),
)


SPEC = VersionSpec(
    name="v0.0.36",
    plugin_name="REST v0.0.36",
    deprecated=True,
    # The plugin lists everything whatever update_time says.
    since_filtered=frozenset(),
    records={
        "meta": META,
        "error": ERROR,
        "warning": WARNING,
        "statistics": STATISTICS,
        "job_response_properties": JOB,
        # Allocated nodes keyed by their index, each with its sockets and cores keyed by id
        # (sockets and cores "unassigned"), memory and CPU count; {} for a job that never got
        # resources.
        "job_resources": record(
            "nodes?:s allocated_cpus?:i allocated_hosts?:i allocated_nodes?:o",
            extra={"description": "the allocation; empty for a job that never got one"},
        ),
        "node": NODE,
        "partition": PARTITION,
        "ping": record("hostname:s ping:s=~ping_state status:i mode:s"),
        "diag": record("meta:@meta errors:[@error]=errors statistics:@statistics=~statistics"),
        "pings": record("meta:@meta errors:[@error]=errors pings:[@ping]=items"),
        "jobs_response": record(
            "meta:@meta errors:[@error]=errors jobs:[@job_response_properties]=items"
        ),
        "job_submission_response": record(
            "meta:@meta errors:[@error]=errors job_id:i=~submitted_job_id"
            " step_id:s=~submitted_step_id job_submit_user_msg:s=~submitted_user_message"
            " warnings:[@warning]=warnings"
        ),
        "nodes_response": record("meta:@meta errors:[@error]=errors nodes:[@node]=items"),
        "partitions_response": record(
            "meta:@meta errors:[@error]=errors partitions:[@partition]=items"
        ),
        "job_update_response": record(
            "meta:@meta errors:[@error]=errors warnings:[@warning]=warnings"
        ),
        "errors_response": record("meta:@meta errors:[@error]=errors"),
        "job_properties": JOB_PROPERTIES,
        "job_submission": record(
            "script:s job:@job_properties jobs:[@job_properties]", required=("script",)
        ),
    },
    responses={
        "diag": "diag",
        "ping": "pings",
        "jobs": "jobs_response",
        "job_get": "jobs_response",
        "job_update": "job_update_response",
        "job_cancel": "job_update_response",
        "job_submit": "job_submission_response",
        "nodes": "nodes_response",
        "node": "nodes_response",
        "partitions": "partitions_response",
        "partition": "partitions_response",
        "empty": "job_update_response",
        "errors": "errors_response",
    },
    requests={"job_submit": "job_submission", "job_update": "job_properties"},
)
