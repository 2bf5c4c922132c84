"""The slurmdb operations (``/slurmdb/{version}/...``, answered by slurmrestd's slurmdbd plugin).

Their names begin with ``db_``; a version serves those its ``VersionSpec.responses`` maps to a
record, as for the /slurm/ operations. Each lists the domain records its answer prints (the
hints its render functions are compiled with) and its method, path and summary.
"""

from __future__ import annotations

from slurmgate.domain.accounting import AccountingJob, Tres
from slurmgate.domain.associations import Account, Association, Qos, User, Wckey
from slurmgate.domain.dbd import ClusterRecord, DbdPing, Instance

#: The model of the records an operation lists.
SLURMDB_ITEM_MODELS: dict[str, type] = {
    "db_jobs": AccountingJob,
    "db_job": AccountingJob,
    "db_accounts": Account,
    "db_account": Account,
    "db_users": User,
    "db_user": User,
    "db_associations": Association,
    "db_association": Association,
    "db_qos": Qos,
    "db_qos_one": Qos,
    "db_tres": Tres,
    "db_clusters": ClusterRecord,
    "db_cluster": ClusterRecord,
    "db_wckeys": Wckey,
    "db_wckey": Wckey,
    "db_instances": Instance,
    "db_instance": Instance,
    "db_ping": DbdPing,
}

# operation -> (method, path under /slurmdb/{version}, summary).
SLURMDB_OPERATIONS: dict[str, tuple[str, str, str]] = {
    "db_diag": ("get", "/diag/", "get slurmdb diagnostics"),
    "db_ping": ("get", "/ping/", "ping test"),
    "db_jobs": ("get", "/jobs/", "get job list"),
    "db_job": ("get", "/job/{job_id}", "get job info"),
    "db_config": ("get", "/config", "dump all configuration information"),
    "db_config_set": ("post", "/config", "load all configuration information"),
    "db_tres": ("get", "/tres/", "get tres info"),
    "db_tres_set": ("post", "/tres/", "add tres"),
    "db_qos": ("get", "/qos/", "get QOS list"),
    "db_qos_set": ("post", "/qos/", "add or update QOSs"),
    "db_qos_one": ("get", "/qos/{qos}", "get QOS info"),
    "db_qos_delete": ("delete", "/qos/{qos}", "delete QOS"),
    "db_associations": ("get", "/associations/", "get association list"),
    "db_associations_set": ("post", "/associations/", "set associations info"),
    "db_associations_delete": ("delete", "/associations/", "delete associations"),
    "db_association": ("get", "/association/", "get association info"),
    "db_association_delete": ("delete", "/association/", "delete association"),
    "db_instances": ("get", "/instances/", "get instance list"),
    "db_instance": ("get", "/instance/", "get instance info"),
    "db_users": ("get", "/users/", "get user list"),
    "db_users_set": ("post", "/users/", "update users"),
    "db_user": ("get", "/user/{name}", "get user info"),
    "db_user_delete": ("delete", "/user/{name}", "delete user"),
    "db_users_association": (
        "post", "/users_association/", "add users with conditional association"),
    "db_clusters": ("get", "/clusters/", "get cluster list"),
    "db_clusters_set": ("post", "/clusters/", "add clusters"),
    "db_cluster": ("get", "/cluster/{cluster_name}", "get cluster info"),
    "db_cluster_delete": ("delete", "/cluster/{cluster_name}", "delete cluster"),
    "db_wckeys": ("get", "/wckeys/", "get wckey list"),
    "db_wckeys_set": ("post", "/wckeys/", "add or update wckeys"),
    "db_wckey": ("get", "/wckey/{id}", "get wckey info"),
    "db_wckey_delete": ("delete", "/wckey/{id}", "delete wckey"),
    "db_accounts": ("get", "/accounts/", "get account list"),
    "db_accounts_set": ("post", "/accounts/", "add or update accounts"),
    "db_account": ("get", "/account/{account_name}", "get account info"),
    "db_account_delete": ("delete", "/account/{account_name}", "delete account"),
    "db_accounts_association": (
        "post", "/accounts_association/", "add accounts with conditional association"),
    "db_jobs_update": ("post", "/jobs/", "update jobs"),
    "db_job_update": ("post", "/job/{job_id}", "update job"),
    "db_conf": ("get", "/conf", "dump slurmdbd's configuration"),
}  # fmt: skip

#: Which record answers each slurmdb operation from v0.0.40 on (v0.0.42 adds ping).
RESPONSES_40: dict[str, str] = {
    "db_diag": "openapi_slurmdbd_stats_resp",
    "db_jobs": "openapi_slurmdbd_jobs_resp",
    "db_job": "openapi_slurmdbd_jobs_resp",
    "db_config": "openapi_slurmdbd_config_resp",
    "db_tres": "openapi_tres_resp",
    "db_qos": "openapi_slurmdbd_qos_resp",
    "db_qos_one": "openapi_slurmdbd_qos_resp",
    "db_qos_set": "openapi_resp",
    "db_qos_delete": "openapi_slurmdbd_qos_removed_resp",
    "db_associations": "openapi_assocs_resp",
    "db_association": "openapi_assocs_resp",
    "db_associations_set": "openapi_resp",
    "db_associations_delete": "openapi_assocs_removed_resp",
    "db_association_delete": "openapi_assocs_removed_resp",
    "db_instances": "openapi_instances_resp",
    "db_instance": "openapi_instances_resp",
    "db_users": "openapi_users_resp",
    "db_user": "openapi_users_resp",
    "db_users_set": "openapi_resp",
    "db_user_delete": "openapi_resp",
    "db_users_association": "openapi_users_add_cond_resp_str",
    "db_clusters": "openapi_clusters_resp",
    "db_cluster": "openapi_clusters_resp",
    "db_wckeys": "openapi_wckey_resp",
    "db_wckey": "openapi_wckey_resp",
    "db_accounts": "openapi_accounts_resp",
    "db_account": "openapi_accounts_resp",
    "db_accounts_set": "openapi_resp",
    "db_account_delete": "openapi_accounts_removed_resp",
    "db_accounts_association": "openapi_accounts_add_cond_resp_str",
}
#: Which record each slurmdb request body is.
REQUESTS_40: dict[str, str] = {
    "db_qos_set": "openapi_slurmdbd_qos_resp",
    "db_associations_set": "openapi_assocs_resp",
    "db_users_set": "openapi_users_resp",
    "db_users_association": "openapi_users_add_cond_resp",
    "db_accounts_set": "openapi_accounts_resp",
    "db_accounts_association": "openapi_accounts_add_cond_resp",
}
RESPONSES_42: dict[str, str] = {"db_ping": "openapi_slurmdbd_ping_resp"}
