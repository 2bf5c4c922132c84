"""Nodes, partitions, reservations, licenses, pings, scheduler statistics, shares and resource
layouts in v0.0.40 and later: each version's records, written as the one before it changed.

Sources follow what slurmrestd's data_parser prints (each plugin's parsers.c); ``-`` marks
what slurmgate does not model, printed as the type's unset value. Nodes and partitions are in
dp_nodes.py; ``RECORDS_4x`` here hold them all.
"""

from __future__ import annotations

from slurmgate.api.versions import dp_nodes
from slurmgate.api.versions.dp_envelope import envelope
from slurmgate.api.versions.notation import Record, record

# -- v0.0.40 ---------------------------------------------------------------------------------

# PURGE_COMP is among the flags; its time is printed whether the flag is set or not. Watts,
# removed in Slurm 24.05, is printed as an empty object.
RESERVATION_40 = record(
    "accounts:s burst_buffer:s core_count:i32 core_specializations:[@reservation_core_spec]"
    " end_time:u64n features:s flags:[s]=~reservation_flags_40 groups:s licenses:s"
    " max_start_delay:i32 name:s node_count:i32 node_list:s=nodes partition:s"
    " purge_completed:{purge} start_time:u64n watts:o=- tres:s users:s",
    purge=record("time:u32n=~purge_completed_time"),
)

LICENSE_40 = record(
    "LicenseName:s=name Total:i32=total Used:i32=used Free:i32=free Remote:b=remote"
    " Reserved:i32=reserved LastConsumed:i32=- LastDeficit:i32=- LastUpdate:i64=-"
)

PING_40 = record("hostname:s pinged:s=~pinged latency:i64=latency_us mode:s")

# What ended the scheduling cycles is not modelled: zero counts.
SCHEDULE_EXIT = record(
    "end_job_queue:i32=- default_queue_depth:i32=- max_job_start:i32=- max_rpc_cnt:i32=-"
    " max_sched_time:i32=- licenses:i32=-"
)
BF_EXIT = record(
    "end_job_queue:i32=- bf_max_job_start:i32=- bf_max_job_test:i32=- bf_max_time:i32=-"
    " bf_node_space_size:i32=- state_changed:i32=-"
)

# v0.0.40 prints the backfill queue's mean length as bf_table_size_mean too (parsers.c names
# the same function for both) and no bf_cycle_max.
STATS_40 = record(
    "parts_packed:i32 req_time:u64n req_time_start:u64n server_thread_count:i32"
    " agent_queue_size:i32 agent_count:i32 agent_thread_count:i32 dbd_agent_queue_size:i32"
    " gettimeofday_latency:i32 schedule_cycle_max:i32 schedule_cycle_last:i32"
    " schedule_cycle_total:i32 schedule_cycle_mean:i64 schedule_cycle_mean_depth:i64"
    " schedule_cycle_per_minute:i64 schedule_queue_length:i32"
    " schedule_exit:@schedule_exit_fields=. jobs_submitted:i32 jobs_started:i32"
    " jobs_completed:i32 jobs_canceled:i32 jobs_failed:i32 jobs_pending:i32 jobs_running:i32"
    " job_states_ts:u64n bf_backfilled_jobs:i32 bf_last_backfilled_jobs:i32"
    " bf_backfilled_het_jobs:i32 bf_cycle_counter:i32 bf_cycle_mean:i64 bf_depth_mean:i64"
    " bf_depth_mean_try:i64 bf_cycle_sum:i64 bf_cycle_last:i32 bf_last_depth:i32"
    " bf_last_depth_try:i32 bf_depth_sum:i32 bf_depth_try_sum:i32 bf_queue_len:i32"
    " bf_queue_len_mean:i64 bf_queue_len_sum:i32 bf_table_size:i32"
    " bf_table_size_mean:i64=bf_queue_len_mean bf_when_last_cycle:u64n bf_active:b"
    " bf_exit:@bf_exit_fields=. rpcs_by_message_type:[@stats_msg_rpc_type]"
    " rpcs_by_user:[@stats_msg_rpc_user]"
)
RPC_TYPE_40 = record("message_type:s type_id:i32 count:i64 average_time:i64 total_time:i64")
RPC_USER_40 = record("user:s user_id:i32 count:i64 average_time:i64 total_time:i64")

SHARE_40 = record(
    "id:i32 cluster:s name:s parent:s partition:s"
    " shares_normalized:f64n=~share_shares_normalized shares:u32n tres:{tres}"
    " effective_usage:nd=~share_effective_usage_plain"
    " usage_normalized:f64n=~share_usage_normalized usage:i64 fairshare:{fairshare}"
    " type:[s]=~share_type",
    tres=record(
        "run_seconds:[@shares_uint64_tres]=tres_run_seconds"
        " group_minutes:[@shares_uint64_tres]=tres_group_minutes"
        " usage:[@shares_float128_tres]=tres_usage"
    ),
    fairshare=record(
        "factor:nd=~share_fairshare_factor_plain level:nd=~share_fairshare_level_plain"
    ),
)

RECORDS_40: dict[str, Record] = {
    **dp_nodes.RECORDS_40,
    "reservation_info": RESERVATION_40,
    "reservation_core_spec": record("node:s core:s"),
    "openapi_reservation_resp": envelope(
        "reservations:[@reservation_info]=items last_update:u64n",
        required=("reservations", "last_update"),
    ),
    "license": LICENSE_40,
    "openapi_licenses_resp": envelope(
        "licenses:[@license]=items last_update:u64n", required=("licenses", "last_update")
    ),
    "controller_ping": PING_40,
    "openapi_ping_array_resp": envelope("pings:[@controller_ping]=items", required=("pings",)),
    "stats_msg": STATS_40,
    "schedule_exit_fields": SCHEDULE_EXIT,
    "bf_exit_fields": BF_EXIT,
    "stats_msg_rpc_type": RPC_TYPE_40,
    "stats_msg_rpc_user": RPC_USER_40,
    "openapi_diag_resp": envelope("statistics:@stats_msg=~statistics", required=("statistics",)),
    # The HTTP layer passes a Shares as the answer's result (shares_result).
    "openapi_shares_resp": envelope("shares:@shares_resp_msg=~shares_result", required=("shares",)),
    "shares_resp_msg": record("shares:[@assoc_shares_obj_wrap]=entries total_shares:i64"),
    "assoc_shares_obj_wrap": SHARE_40,
    # TRES-seconds and TRES-minute limits (math.inf: none), then usage amounts.
    "shares_uint64_tres": record("name:s value:u64n=~tres_count"),
    "shares_float128_tres": record("name:s value:n=~tres_amount"),
}

# -- v0.0.41: pending RPCs, more cycle counts; reservations' USER_DELETE ----------------------

RECORDS_41: dict[str, Record] = {
    **RECORDS_40,
    **dp_nodes.RECORDS_41,
    "reservation_info": RESERVATION_40.evolve("flags:[s]=~reservation_flags_41"),
    # Queued RPCs are not modelled: none pending.
    "stats_msg": STATS_40.evolve(
        "bf_table_size_mean:i64 schedule_cycle_sum:i32=- schedule_cycle_depth:i32=-"
        " bf_cycle_max:i32 bf_table_size_sum:i32=- pending_rpcs:[@stats_msg_rpc_queue]=[]"
        " pending_rpcs_by_hostlist:[@stats_msg_rpc_dump]=[]"
    ),
    "stats_msg_rpc_type": RPC_TYPE_40.evolve(
        "count:i32 average_time:u64n queued:i32=- dropped:i64=- cycle_last:i32=- cycle_max:i32=-",
        required=tuple(
            "type_id message_type count queued dropped cycle_last cycle_max total_time"
            " average_time".split()
        ),
    ),
    "stats_msg_rpc_user": RPC_USER_40.evolve(
        "count:i32 average_time:u64n",
        required=("user_id", "user", "count", "total_time", "average_time"),
    ),
    "stats_msg_rpc_queue": record(
        "type_id:i32 message_type:s count:i32", required=("type_id", "message_type", "count")
    ),
    "stats_msg_rpc_dump": record(
        "type_id:i32 message_type:s count:hostlist",
        required=("type_id", "message_type", "count"),
    ),
}

# -- v0.0.42: pings say whether they were answered and by the primary; shares' doubles may be
# unset or infinite ---------------------------------------------------------------------------

RECORDS_42: dict[str, Record] = {
    **RECORDS_41,
    **dp_nodes.RECORDS_42,
    "controller_ping": PING_40.evolve(
        "responding:b primary:b=~ping_primary", required=("responding", "primary")
    ),
    "stats_msg": RECORDS_41["stats_msg"].evolve("schedule_cycle_sum:i64=-"),
    "assoc_shares_obj_wrap": SHARE_40.evolve(
        "effective_usage:f64n=~share_effective_usage fairshare:{fairshare}",
        fairshare=record("factor:f64n=~share_fairshare_factor level:f64n=~share_fairshare_level"),
    ),
}

# -- v0.0.43: topology -----------------------------------------------------------------------

RECORDS_43: dict[str, Record] = {**RECORDS_42, **dp_nodes.RECORDS_43}

# -- v0.0.44: licenses held by nodes; more reservation flags; resource layouts ----------------

RECORDS_44: dict[str, Record] = {
    **RECORDS_43,
    **dp_nodes.RECORDS_44,
    "reservation_info": RECORDS_43["reservation_info"].evolve("flags:[s]=~reservation_flags_44"),
    "license": LICENSE_40.evolve("Nodes:s=-"),
    # The HTTP layer passes the job's nodes as the answer's items (resource_layouts).
    "openapi_resource_layout_resp": envelope(
        "nodes:[@node_resource_layout]=~resource_layouts", required=("nodes",)
    ),
    "node_resource_layout": record(
        "node:s sockets_per_node:i32 cores_per_socket:i32 mem_alloc:i64=memory"
        " core_bitmap:s=~core_mask channel:u32n gres:[@node_gres_layout]",
        required=("node",),
    ),
    "node_gres_layout": record("name:s type:s count:i64 index:s", required=("name",)),
}

# -- v0.0.45: a ping's status by name; watts and parts_packed gone ----------------------------

RECORDS_45: dict[str, Record] = {
    **RECORDS_44,
    **dp_nodes.RECORDS_45,
    "reservation_info": RECORDS_44["reservation_info"].evolve(drop="watts"),
    "controller_ping": RECORDS_44["controller_ping"].evolve(
        "status:s=~ping_status", drop="pinged mode"
    ),
    "stats_msg": RECORDS_44["stats_msg"].evolve(drop="parts_packed"),
}
