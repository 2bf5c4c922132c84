"""Accounts, users, associations, QOS and wckeys in v0.0.40 and later (/slurmdb/{version}/):
each version's records, written as the one before it changed.

The same records print the answers and read the request bodies (POST accounts, users,
associations, qos): a source names the model's attribute either way. Limits slurmdbd holds
unset print as infinite (``u32l``, ``f64l``), as it keeps them.
"""

from __future__ import annotations

from slurmgate.api.versions.dp_envelope import envelope
from slurmgate.api.versions.notation import Record, record

# -- v0.0.40 ---------------------------------------------------------------------------------

COORD = record("name:s direct:b", required=("name",))

ACCOUNT = record(
    "associations:[@assoc_short] coordinators:[@coord] description:s name:s organization:s"
    " flags:[s]",
    required=("description", "name", "organization"),
)

_USER_DEFAULT_40 = record("account:s=default_account wckey:s=default_wckey")

USER_40 = record(
    "administrator_level:[s]=~db_admin_level associations:[@assoc_short]"
    " coordinators:[@coord] default:{default} flags:[s]=~db_user_flags name:s old_name:s"
    " wckeys:[@wckey]",
    default=_USER_DEFAULT_40,
    required=("name",),
)

#: Usage over time (with_usage): slurmgate keeps none, so lists of it are always empty.
ACCOUNTING = record(
    "allocated:{allocated}=- id:i32=- start:i64=- TRES:@tres=-",
    allocated=record("seconds:i64=-"),
)

WCKEY = record(
    "accounting:[@accounting]=[] cluster:s id:i32 name:s user:s flags:[s]",
    required=("cluster", "name", "user"),
)

_ASSOC_MAX = record(
    "jobs:{jobs} tres:{tres} per:{per}",
    jobs=record(
        "per:{per} active:u32l=max_jobs accruing:u32l=max_jobs_accrue total:u32l=max_submit_jobs",
        per=record(
            "count:u32l=grp_jobs accruing:u32l=grp_jobs_accrue submitted:u32l=grp_submit_jobs"
            " wall_clock:u32l=max_wall_per_job"
        ),
    ),
    tres=record(
        "total:[@tres]=grp_tres group:{group} minutes:{minutes} per:{per}",
        group=record("minutes:[@tres]=grp_tres_mins active:[@tres]=grp_tres_run_mins"),
        minutes=record(
            "total:[@tres]=max_tres_run_mins per:{per}",
            per=record("job:[@tres]=max_tres_mins_per_job"),
        ),
        per=record("job:[@tres]=max_tres_per_job node:[@tres]=max_tres_per_node"),
    ),
    per=record("account:{account}", account=record("wall_clock:u32l=grp_wall")),
)

ASSOC_40 = record(
    "accounting:[@accounting]=[] account:s cluster:s comment:s=~db_comment default:{default}"
    " flags:[s] max:{max}=limits id:@assoc_short=~db_association_ref"
    " is_default:b=~db_association_default lineage:s min:{min}=limits parent_account:s"
    " partition:s priority:u32l qos:[s]=~db_qos_names shares_raw:i32=~db_shares user:s",
    default=record("qos:s=~db_default_qos"),
    max=_ASSOC_MAX,
    min=record("priority_threshold:u32l=min_priority_threshold"),
    required=("user",),
)

_QOS_TRES_MINUTES_PER = record(
    "qos:[@tres]=grp_tres_run_mins job:[@tres]=max_tres_mins_per_job"
    " account:[@tres]=max_tres_run_mins_per_account user:[@tres]=max_tres_run_mins_per_user"
)
_QOS_MAX_TRES_40 = record(
    "total:[@tres]=grp_tres minutes:{minutes} per:{per}",
    minutes=record("per:{per}", per=_QOS_TRES_MINUTES_PER),
    per=record(
        "account:[@tres]=max_tres_per_account job:[@tres]=max_tres_per_job"
        " node:[@tres]=max_tres_per_node user:[@tres]=max_tres_per_user"
    ),
)
_QOS_MAX_JOBS_40 = record(
    "active_jobs:{active_jobs} per:{per}",
    active_jobs=record(
        "per:{per}", per=record("account:u32l=max_jobs_per_account user:u32l=max_jobs_per_user")
    ),
    per=record("account:u32l=max_submit_jobs_per_account user:u32l=max_submit_jobs_per_user"),
)
_QOS_MAX_40 = record(
    "active_jobs:{active_jobs} tres:{tres} wall_clock:{wall_clock} jobs:{jobs} accruing:{accruing}",
    active_jobs=record("accruing:u32l=grp_jobs_accrue count:u32l=grp_jobs"),
    tres=_QOS_MAX_TRES_40,
    wall_clock=record("per:{per}", per=record("qos:u32l=grp_wall job:u32l=max_wall_per_job")),
    jobs=_QOS_MAX_JOBS_40,
    accruing=record(
        "per:{per}",
        per=record("account:u32l=max_jobs_accrue_per_account user:u32l=max_jobs_accrue_per_user"),
    ),
)

_QOS_LIMITS_40 = record(
    "grace_time:i32=~db_grace_time max:{max} factor:f64l=limit_factor min:{min}",
    max=_QOS_MAX_40,
    min=record(
        "priority_threshold:u32l=min_priority_threshold tres:{tres}",
        tres=record("per:{per}", per=record("job:[@tres]=min_tres_per_job")),
    ),
)

QOS_40 = record(
    "description:s=~db_qos_description flags:[s]=~db_qos_flags id:i32 limits:{limits}=limits"
    " name:s preempt:{preempt} priority:u32n usage_factor:f64n usage_threshold:f64l",
    limits=_QOS_LIMITS_40,
    preempt=record(
        "list:[s]=~db_qos_preempt mode:[s]=~db_qos_preempt_mode"
        " exempt_time:u32l=preempt_exempt_time"
    ),
    required=(),
)

#: What POST accounts_association and users_association set on the associations they add.
ASSOC_REC_SET = record(
    "comment:s defaultqos:s=default_qos grpjobs:u32n=grp_jobs grpjobsaccrue:u32n=grp_jobs_accrue"
    " grpsubmitjobs:u32n=grp_submit_jobs grptres:[@tres]=grp_tres grptresmins:[@tres]=grp_tres_mins"
    " grptresrunmins:[@tres]=grp_tres_run_mins grpwall:u32n=grp_wall maxjobs:u32n=max_jobs"
    " maxjobsaccrue:u32n=max_jobs_accrue maxsubmitjobs:u32n=max_submit_jobs"
    " maxtresminsperjob:[@tres]=max_tres_mins_per_job maxtresrunmins:[@tres]=max_tres_run_mins"
    " maxtresperjob:[@tres]=max_tres_per_job maxtrespernode:[@tres]=max_tres_per_node"
    " maxwalldurationperjob:u32n=max_wall_per_job minpriothresh:u32n=min_priority_threshold"
    " parent:s=parent_account priority:u32n qoslevel:[s]=qos fairshare:i32=shares"
)

_RESPONSES_40: dict[str, Record] = {
    "openapi_accounts_resp": envelope("accounts:[@account]=items", required=("accounts",)),
    "openapi_accounts_removed_resp": envelope(
        "removed_accounts:[s]=~db_changed", required=("removed_accounts",)
    ),
    "openapi_accounts_add_cond_resp": envelope(
        "association_condition:@accounts_add_cond account:@account_short"
    ),
    "openapi_accounts_add_cond_resp_str": envelope(
        "added_accounts:s=~db_changed_text", required=("added_accounts",)
    ),
    "openapi_users_resp": envelope("users:[@user]=items", required=("users",)),
    "openapi_users_add_cond_resp": envelope(
        "association_condition:@users_add_cond user:@user_short",
        required=("association_condition", "user"),
    ),
    "openapi_users_add_cond_resp_str": envelope(
        "added_users:s=~db_changed_text", required=("added_users",)
    ),
    "openapi_assocs_resp": envelope("associations:[@assoc]=items", required=("associations",)),
    "openapi_assocs_removed_resp": envelope(
        "removed_associations:[s]=~db_changed", required=("removed_associations",)
    ),
    "openapi_slurmdbd_qos_resp": envelope("qos:[@qos]=items", required=("qos",)),
    "openapi_slurmdbd_qos_removed_resp": envelope(
        "removed_qos:[s]=~db_changed", required=("removed_qos",)
    ),
    "openapi_wckey_resp": envelope("wckeys:[@wckey]=items", required=("wckeys",)),
    "openapi_wckey_removed_resp": envelope(
        "deleted_wckeys:[s]=~db_changed", required=("deleted_wckeys",)
    ),
}

RECORDS_40: dict[str, Record] = {
    **_RESPONSES_40,
    "account": ACCOUNT,
    "coord": COORD,
    "user": USER_40,
    "wckey": WCKEY,
    "accounting": ACCOUNTING,
    "assoc": ASSOC_40,
    "qos": QOS_40,
    "assoc_rec_set": ASSOC_REC_SET,
    "account_short": record("description:s organization:s"),
    "accounts_add_cond": record(
        "accounts:[s] association:@assoc_rec_set=template clusters:[s]", required=("accounts",)
    ),
    "user_short": record(
        "adminlevel:[s]=~db_admin_level defaultaccount:s=default_account"
        " defaultwckey:s=default_wckey"
    ),
    "users_add_cond": record(
        "accounts:[s] association:@assoc_rec_set=template clusters:[s] partitions:[s] users:[s]"
        " wckeys:[s]",
        required=("users",),
    ),
}

# -- v0.0.41: an association's id is a number ------------------------------------------------

RECORDS_41: dict[str, Record] = {
    **RECORDS_40,
    "assoc": ASSOC_40.evolve("id:i32"),
}

# -- v0.0.42: QOS limits on submitted jobs and TRES minutes in all; usage's alternate id --

_QOS_MAX_42 = _QOS_MAX_40.evolve(
    "jobs:{jobs} tres:{tres}",
    jobs=_QOS_MAX_JOBS_40.evolve("count:u32l=grp_submit_jobs"),
    tres=_QOS_MAX_TRES_40.evolve(
        "minutes:{minutes}",
        minutes=record("total:[@tres]=grp_tres_mins per:{per}", per=_QOS_TRES_MINUTES_PER),
    ),
)

RECORDS_42: dict[str, Record] = {
    **RECORDS_41,
    "accounting": ACCOUNTING.evolve("id_alt:i32=-"),
    "qos": QOS_40.evolve("limits:{limits}=limits", limits=_QOS_LIMITS_40.evolve(
        "max:{max}", max=_QOS_MAX_42)),
}  # fmt: skip

RECORDS_43: dict[str, Record] = {**RECORDS_42}

# -- v0.0.44: a user's default QOS -----------------------------------------------------------

RECORDS_44: dict[str, Record] = {
    **RECORDS_43,
    "user": USER_40.evolve(
        "default:{default}", default=_USER_DEFAULT_40.evolve("qos:i32=~db_default_qos_id")
    ),
    "user_short": RECORDS_43["user_short"].evolve("defaultqos:i32=~db_default_qos_id"),
    "openapi_accounts_add_cond_resp": envelope(
        "association_condition:@accounts_add_cond account:@account_short",
        required=("association_condition",),
    ),
}

RECORDS_45: dict[str, Record] = {**RECORDS_44}
