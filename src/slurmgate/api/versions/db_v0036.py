"""dbv0.0.36, the accounting side of slurmrestd 22.05 (/slurmdb/v0.0.36/), as its plugin prints.

Records follow ``parse.c`` of the plugin, key for key: a path of the parser ("time/elapsed")
is a nested object here. Unset numbers and unset strings print ``null``; the daemon's own
document declares neither (tests/support/errata.py). Later versions are written as their
differences from this one (db_v0037.py, db_v0038.py).
"""

from __future__ import annotations

from dataclasses import replace

from slurmgate.api.versions import views_common, views_db_legacy
from slurmgate.api.versions.notation import Record, parse_fields, record
from slurmgate.api.versions.v0036 import ERROR, META
from slurmgate.api.versions.version import VersionSpec

#: The views the tables of dbv0.0.36-dbv0.0.38 may name.
DB_LEGACY = {**views_common.VIEWS, **views_db_legacy.VIEWS}


def insert_after(base: Record, name: str, fields: str, **inline: Record) -> Record:
    """``base`` with ``fields`` added after its field ``name`` (where the plugin prints them)."""
    if name not in base.names:
        raise KeyError(f"cannot insert after {name!r}: not a field of the record")
    added = parse_fields(fields, inline)
    ordered = []
    for item in base.fields:
        ordered.append(item)
        if item.name == name:
            ordered += added
    return replace(base, fields=tuple(ordered))


def inline(base: Record, name: str) -> Record:
    """The inline record of ``base``'s field ``name``."""
    found = base.field(name).record
    if found is None:
        raise KeyError(f"{name} is no inline record")
    return found


TRES = record("type:s name:s|null=~tres_name id:i count:i|null=~tres_count")
# A step's use of a TRES, with the node and task where the extreme was seen.
TRES_USAGE = record(
    "type:s name:s|null=~tres_name id:i count:i|null=~tres_count task:i|null"
    " node:s|null=~tres_usage_node"
)
EXIT_CODE = record(
    "status:s return_code:i|null signal?:{signal}",
    signal=record("signal_id:i name:s"),
)
ASSOCIATION_SHORT = record(
    "account:s cluster:s partition:s|null=~partition_or_null user:s|null=~user_or_null"
)
# CPU time as getrusage(2) splits it, each of a job and of a step.
_SYSTEM = record("seconds:i=system_seconds microseconds:i=system_microseconds")
_TOTAL = record("seconds:i=total_seconds microseconds:i=total_microseconds")
_USER = record("seconds:i=user_seconds microseconds:i=user_microseconds")

JOB = record(
    "account:s comment:{comment} allocation_nodes:i=node_count array:{array}"
    " association:@association_short|null=~job_association cluster:s constraints:s"
    " derived_exit_code:@job_exit_code=~derived_exit_code time:{time}"
    " exit_code:@job_exit_code=~exit_code flags:[s]=~job_flags group:s=group_name het:{het}"
    " job_id:i name:s mcs:{mcs} nodes:s=~job_nodes partition:s priority:i|null"
    " qos:s|null=~qos_or_null required:{needed} kill_request_user:s|null=~kill_request_user_or_null"
    " reservation:{reservation} state:{state} steps:[@job_step] tres:{tres} user:s=user_name"
    " wckey:{wckey} working_directory:s",
    comment=record(
        "administrator:s|null=~admin_comment_or_null job:s|null=~comment_or_null"
        " system:s|null=~system_comment_or_null"
    ),
    array=record(
        "job_id:i=array_job_id limits:{limits} task:s|null=~array_task_string_or_null"
        " task_id:i|null=array_task_id",
        limits=record(
            "max:{max}",
            max=record("running:{running}", running=record("tasks:i=array_max_tasks")),
        ),
    ),
    time=record(
        "elapsed:i eligible:i=eligible_time end:i=end_time start:i=start_time"
        " submission:i=submit_time suspended:i system:{system}=cpu_time"
        " limit:i|null=time_limit total:{total}=cpu_time user:{user}=cpu_time",
        system=_SYSTEM,
        total=_TOTAL,
        user=_USER,
    ),
    het=record("job_id:i=het_job_id job_offset:i|null=het_job_offset"),
    mcs=record("label:s=mcs_label"),
    needed=record("CPUs:i=required_cpus memory:i=~required_memory"),
    # The plugin reads the reservation's name as a number: 0 for a job without one.
    reservation=record("id:i=reservation_id name:i=0"),
    state=record("current:s=~job_state previous:s=state_reason"),
    tres=record("allocated:[@tres]=tres_allocated requested:[@tres]=tres_requested"),
    wckey=record("wckey:s flags:[s]=~wckey_flags"),
)

_USAGE = record("max:[@tres_usage] min:[@tres_usage] average:[@tres]=average total:[@tres]=total")
JOB_STEP = record(
    "nodes:@step_nodes=~step_nodes tres:{tres} time:{time}"
    " exit_code:@job_exit_code=~step_exit_code tasks:{tasks} pid:s|null=~pid_or_null"
    " CPU:{cpu} kill_request_user:s|null=~kill_request_user_or_null state:s=~step_state"
    " statistics:{statistics} step:{step} task:{task}",
    tres=record(
        "requested:{usage}=tres_requested consumed:{usage}=tres_consumed"
        " allocated:[@tres]=tres_allocated",
        usage=_USAGE,
    ),
    time=record(
        "elapsed:i end:i=end_time start:i=start_time suspended:i system:{system}=cpu_time"
        " total:{total}=cpu_time user:{user}=cpu_time",
        system=_SYSTEM,
        total=_TOTAL,
        user=_USER,
    ),
    tasks=record("count:i=tasks"),
    cpu=record(
        "requested_frequency:{frequency} governor:[s]=~cpu_governor",
        frequency=record("min:i|null=cpu_frequency_min max:i|null=cpu_frequency_max"),
    ),
    statistics=record(
        "CPU:{cpu} energy:{energy}",
        cpu=record("actual_frequency:i=actual_cpu_frequency"),
        energy=record("consumed:i=~energy_consumed"),
    ),
    step=record(
        "job_id:i het:{het} id:si=~step_number name:s",
        het=record("component:i|null=het_component"),
    ),
    task=record("distribution:s=~task_distribution"),
)

COORDINATOR = record("name:s direct:i=~coordinator_direct")
ACCOUNT = record(
    "associations:[@association_short] coordinators:[@coordinator] description:s name:s"
    " organization:s flags:[s]=~account_flags"
)
USER = record(
    "administrator_level:s=~admin_level associations:[@association_short]"
    " coordinators:[@coordinator] default:{default} name:s",
    default=record("account:s=default_account wckey:s=default_wckey"),
)

_PER_ACCOUNT = record("per:{per}", per=record("account:{account}", account=record(
    "wall_clock:i|null=grp_wall")))  # fmt: skip
ASSOCIATION_MAX = record(
    "jobs:{jobs} tres:{tres} per:{per}",
    jobs=record(
        "per:{per}",
        per=record(
            "count:i|null=grp_jobs accruing:i|null=grp_jobs_accrue"
            " submitted:i|null=grp_submit_jobs wall_clock:i|null=max_wall_per_job"
        ),
    ),
    tres=record(
        "total:[@tres]=grp_tres minutes:{minutes} per:{per}",
        minutes=record(
            "per:{per} total:[@tres]=max_tres_run_mins",
            per=record("job:[@tres]=max_tres_mins_per_job"),
        ),
        per=record("job:[@tres]=max_tres_per_job node:[@tres]=max_tres_per_node"),
    ),
    per=record("account:{account}", account=record("wall_clock:i|null=grp_wall")),
)
ASSOCIATION = record(
    "account:s cluster:s default:{default} flags:[s]=~association_flags"
    " max:@association_max=limits min:{min}=limits"
    " parent_account:s|null=~parent_account_or_null partition:s|null=~partition_or_null"
    " priority:i|null qos:[s]=~association_qos_ids shares_raw:i|null=shares usage:o|null=null"
    " user:s|null=~user_or_null",
    default=record("qos:s|null=~default_qos_or_null"),
    min=record("priority_threshold:i|null=min_priority_threshold"),
)

_PER_ACCOUNT_USER = "account:i|null=max_{0}_per_account user:i|null=max_{0}_per_user"
QOS_LIMITS_MAX = record(
    "active_jobs:{active} tres:{tres} wall_clock:{wall} jobs:{jobs} accruing:{accruing}",
    active=record("accruing:i|null=grp_jobs_accrue count:i|null=grp_jobs"),
    tres=record(
        "total:[@tres]=grp_tres minutes:{minutes} per:{per}",
        minutes=record("per:{per}", per=record(
            "qos:[@tres]=grp_tres_run_mins job:[@tres]=max_tres_mins_per_job"
            " account:[@tres]=max_tres_run_mins_per_account"
            " user:[@tres]=max_tres_run_mins_per_user")),
        per=record(
            "account:[@tres]=max_tres_per_account job:[@tres]=max_tres_per_job"
            " node:[@tres]=max_tres_per_node user:[@tres]=max_tres_per_user"
        ),
    ),
    wall=record("per:{per}", per=record("qos:i|null=grp_wall job:i|null=max_wall_per_job")),
    # dbv0.0.36 prints the running jobs' limits here (dbv0.0.37 moves them to active_jobs).
    jobs=record("per:{per}", per=record(_PER_ACCOUNT_USER.format("jobs"))),
    accruing=record("per:{per}", per=record(_PER_ACCOUNT_USER.format("jobs_accrue"))),
)  # fmt: skip
QOS_LIMITS_MIN = record(
    "priority_threshold:i|null=min_priority_threshold tres:{tres}",
    tres=record("per:{per}", per=record("job:[@tres]=min_tres_per_job")),
)
QOS = record(
    "description:s flags:[s]=~qos_flags id:i limits:@qos_limits=limits name:s"
    " preempt:{preempt} priority:i|null usage_factor:nd|null usage_threshold:nd|null",
    preempt=record(
        "list:[s]=~qos_preempt mode:[s]=~qos_preempt_mode exempt_time:i|null=preempt_exempt_time"
    ),
)

WCKEY = record("accounts:[s]=[] cluster:s id:i name:s user:s flags:[s]=~wckey_record_flags")
CLUSTER = record(
    "controller:{controller} flags:[s] name:s nodes:s select_plugin:s|null=-"
    " associations:{associations} rpc_version:i tres:[@tres]",
    controller=record("host:s=controller_host port:i=controller_port"),
    # slurmdbd sends no root association with a cluster: the plugin prints null.
    associations=record("root:@association_short|null=null"),
)

_TIMES = record("average:i=average_time total:i=total_time")
STATISTICS = record(
    "time_start:i rollups:[@rollup]=~dbd_rollups RPCs:[{rpc}]=rpcs users:[{user}]",
    rpc=record("rpc:s=name count:i time:{time}", time=_TIMES),
    user=record("user:s=name count:i time:{time}", time=_TIMES),
)
ROLLUP = record(
    "type:s=~rollup_type last_run:i last_cycle:i=last_duration max_cycle:i=max_duration"
    " total_time:i=total_duration total_cycles:i=count mean_cycles:i=~rollup_mean"
)

_ENVELOPE = "meta:@meta errors:[@error]=errors"

#: The plugins' paths, where they name a path parameter otherwise than later versions do.
PATHS = {
    "db_qos_one": "/qos/{qos_name}",
    "db_qos_delete": "/qos/{qos_name}",
    "db_user": "/user/{user_name}",
    "db_user_delete": "/user/{user_name}",
    "db_wckey": "/wckey/{wckey}",
    "db_wckey_delete": "/wckey/{wckey}",
}


def _listing(key: str, item: str) -> str:
    return f"{_ENVELOPE} {key}:[@{item}]=items"


SPEC = VersionSpec(
    name="dbv0.0.36",
    plugin_name="REST DB v0.0.36",
    plugin_type="openapi/dbv0.0.36",
    deprecated=True,
    records={
        "meta": META,
        "error": ERROR,
        "tres": TRES,
        "tres_usage": TRES_USAGE,
        "job_exit_code": EXIT_CODE,
        "association_short": ASSOCIATION_SHORT,
        "job": JOB,
        "job_step": JOB_STEP,
        "step_nodes": record("list?:[s] count:i range:s"),
        "coordinator": COORDINATOR,
        "account": ACCOUNT,
        "user": USER,
        "association_max": ASSOCIATION_MAX,
        "association": ASSOCIATION,
        "qos_limits": record("grace_time:i|null max:@qos_limits_max=. min:@qos_limits_min=."),
        "qos_limits_max": QOS_LIMITS_MAX,
        "qos_limits_min": QOS_LIMITS_MIN,
        "qos": QOS,
        "wckey": WCKEY,
        "cluster": CLUSTER,
        "statistics": STATISTICS,
        "rollup": ROLLUP,
        "diag": record(f"{_ENVELOPE} statistics:@statistics=~dbd_statistics"),
        "job_info": record(_listing("jobs", "job")),
        "account_info": record(_listing("accounts", "account")),
        "user_info": record(_listing("users", "user")),
        "associations_info": record(_listing("associations", "association")),
        "qos_info": record(_listing("QOS", "qos")),
        "tres_info": record(_listing("TRES", "tres")),
        "cluster_info": record(_listing("clusters", "cluster")),
        "wckey_info": record(_listing("wckeys", "wckey")),
        "config_info": record(
            f"{_ENVELOPE} clusters:[@cluster]=~config_clusters TRES:[@tres]=~config_tres"
            " accounts:[@account]=~config_accounts users:[@user]=~config_users"
            " QOS:[@qos]=~config_qos wckeys:[@wckey]=~config_wckeys"
            " associations:[@association]=~config_associations"
        ),
        # Changes answer with the envelope; removals with what they removed.
        "account_response": record(_ENVELOPE),
        "response_account_delete": record(f"{_ENVELOPE} removed_associations:[s]=~removed"),
        "response_user_update": record(_ENVELOPE),
        "response_user_delete": record(f"{_ENVELOPE} removed_users:[s]=~removed"),
        "response_association_delete": record(f"{_ENVELOPE} removed_associations:[s]=~removed"),
        "response_qos_delete": record(f"{_ENVELOPE} removed_qos:[s]=~removed"),
        "response_wckey_add": record(_ENVELOPE),
        "response_wckey_delete": record(f"{_ENVELOPE} deleted_wckeys:[s]=~removed"),
        "response_cluster_add": record(_ENVELOPE),
        "response_cluster_delete": record(f"{_ENVELOPE} deleted_clusters:[s]=~removed"),
        "response_tres": record(_ENVELOPE),
        "config_response": record(_ENVELOPE),
        # Request bodies: the records the plugin prints, listed as it lists them.
        "update_account": record("accounts:[@account]"),
        "update_users": record("users:[@user]"),
        "clusters_properties": record("clusters:[@cluster]"),
        "tres_update": record("TRES:[@tres]"),
        "set_config": record(
            "clusters:[@cluster] TRES:[@tres] accounts:[@account] users:[@user] QOS:[@qos]"
            " wckeys:[@wckey] associations:[@association]"
        ),
    },
    responses={
        "db_diag": "diag",
        "db_jobs": "job_info",
        "db_job": "job_info",
        "db_accounts": "account_info",
        "db_account": "account_info",
        "db_accounts_set": "account_response",
        "db_account_delete": "response_account_delete",
        "db_users": "user_info",
        "db_user": "user_info",
        "db_users_set": "response_user_update",
        "db_user_delete": "response_user_delete",
        "db_associations": "associations_info",
        "db_association": "associations_info",
        "db_association_delete": "response_association_delete",
        "db_qos": "qos_info",
        "db_qos_one": "qos_info",
        "db_qos_delete": "response_qos_delete",
        "db_tres": "tres_info",
        "db_tres_set": "response_tres",
        "db_clusters": "cluster_info",
        "db_cluster": "cluster_info",
        "db_clusters_set": "response_cluster_add",
        "db_cluster_delete": "response_cluster_delete",
        "db_wckeys": "wckey_info",
        "db_wckey": "wckey_info",
        "db_wckeys_set": "response_wckey_add",
        "db_wckey_delete": "response_wckey_delete",
        "db_config": "config_info",
        "db_config_set": "config_response",
        "errors": "account_response",
        "empty": "account_response",
    },
    requests={
        "db_accounts_set": "update_account",
        "db_users_set": "update_users",
        "db_wckeys_set": "wckey_info",
        "db_clusters_set": "clusters_properties",
        "db_tres_set": "tres_update",
        "db_config_set": "set_config",
    },
    views=DB_LEGACY,
    path_segment="v0.0.36",
    slurmdb_plugin=("openapi/dbv0.0.36", "REST DB v0.0.36", ""),
    paths=PATHS,
)
