"""The accounting daemon in v0.0.40 and later (/slurmdb/{version}/): its clusters, TRES, cloud
instances, statistics (diag), reachability (ping) and the whole configuration at once
(config), each version's records written as the one before it changed."""

from __future__ import annotations

from slurmgate.api.versions.dp_envelope import envelope
from slurmgate.api.versions.notation import Record, record

# -- v0.0.40 ---------------------------------------------------------------------------------

CLUSTER_40 = record(
    "controller:{controller} flags:[s] name:s nodes:s select_plugin:s=- associations:{associations}"
    " rpc_version:i32 tres:[@tres]",
    controller=record("host:s=controller_host port:i32=controller_port"),
    associations=record("root:@assoc_short=~db_cluster_root"),
)

INSTANCE = record(
    "cluster:s extra:s instance_id:s instance_type:s node_name:s time:{time}",
    time=record("time_end:i64 time_start:i64"),
)

_TIMES = record("average:i64=average_time total:i64=total_time")

#: v0.0.40 prints the rollups that ran as a list, keyed as the daemon prints them (its document
#: names one key "last run", with a space: errata.py).
_ROLLUP_40 = record(
    "type:s=~db_rollup_type last_run:i64 last_cycle:i64=last_duration max_cycle:i64=max_duration"
    " total_time:i64=total_duration total_cycles:i64=count mean_cycles:i64=~db_rollup_mean"
)

STATS_40 = record(
    "time_start:i64 rollups:[{rollups}]=~db_rollups RPCs:[@stats_rpc]=rpcs"
    " users:[@stats_user]=users",
    rollups=_ROLLUP_40,
)

_CONFIG_LISTS = (
    "clusters:[@cluster_rec]=~db_config_clusters tres:[@tres]=~db_config_tres"
    " accounts:[@account]=~db_config_accounts users:[@user]=~db_config_users"
    " qos:[@qos]=~db_config_qos wckeys:[@wckey]=~db_config_wckeys"
    " associations:[@assoc]=~db_config_associations"
)

RECORDS_40: dict[str, Record] = {
    "cluster_rec": CLUSTER_40,
    "instance": INSTANCE,
    "stats_rec": STATS_40,
    "stats_rpc": record("rpc:s=name count:i32 time:{time}=.", time=_TIMES),
    "stats_user": record("user:s=name count:i32 time:{time}=.", time=_TIMES),
    "openapi_clusters_resp": envelope("clusters:[@cluster_rec]=items", required=("clusters",)),
    "openapi_clusters_removed_resp": envelope(
        "deleted_clusters:[s]=~db_changed", required=("deleted_clusters",)
    ),
    "openapi_instances_resp": envelope("instances:[@instance]=items", required=("instances",)),
    "openapi_tres_resp": envelope("TRES:[@tres]=items", required=("TRES",)),
    "openapi_slurmdbd_stats_resp": envelope(
        "statistics:@stats_rec=~db_statistics", required=("statistics",)
    ),
    "openapi_slurmdbd_config_resp": envelope(
        _CONFIG_LISTS + " instances:[@instance]=~db_config_instances"
    ),
}

# -- v0.0.41: rollups by period --------------------------------------------------------------

_PERIOD = record(
    "count:i32 last_run:i64 duration:{duration}=.",
    duration=record("last:i64=last_duration max:i64=max_duration time:i64=total_duration"),
)

RECORDS_41: dict[str, Record] = {
    **RECORDS_40,
    "stats_rec": STATS_40.evolve("rollups:@rollup_stats=."),
    "rollup_stats": record(
        "hourly:{hourly}=~db_rollup_hourly daily:{daily}=~db_rollup_daily"
        " monthly:{monthly}=~db_rollup_monthly",
        hourly=_PERIOD,
        daily=_PERIOD,
        monthly=_PERIOD,
    ),
}

# -- v0.0.42: ping ---------------------------------------------------------------------------

RECORDS_42: dict[str, Record] = {
    **RECORDS_41,
    "openapi_slurmdbd_ping_resp": envelope("pings:[@slurmdbd_ping]=items", required=("pings",)),
    "slurmdbd_ping": record(
        "hostname:s responding:b latency:i64 primary:b",
        required=("hostname", "responding", "latency", "primary"),
    ),
}

RECORDS_43: dict[str, Record] = {**RECORDS_42}
RECORDS_44: dict[str, Record] = {**RECORDS_43}

# -- v0.0.45: no select plugin; ping's status; config without instances ----------------------

RECORDS_45: dict[str, Record] = {
    **RECORDS_44,
    "cluster_rec": CLUSTER_40.evolve(drop="select_plugin"),
    "slurmdbd_ping": RECORDS_44["slurmdbd_ping"].evolve(
        "status:s=~db_ping_status",
        required=("hostname", "responding", "latency", "primary", "status"),
    ),
    "openapi_slurmdbd_config_resp": envelope(_CONFIG_LISTS),
}
