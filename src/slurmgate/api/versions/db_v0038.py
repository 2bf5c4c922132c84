"""dbv0.0.38: dbv0.0.37 with a job's container, a user's flags, associations' QOS by name,
and request bodies declared for every change (the records they read are the ones listed)."""

from __future__ import annotations

from slurmgate.api.versions.db_v0036 import insert_after
from slurmgate.api.versions.db_v0037 import SPEC as DBV0037
from slurmgate.api.versions.notation import record
from slurmgate.api.versions.version import VersionSpec

_RECORDS = DBV0037.records
_ENVELOPE = "meta:@meta errors:[@error]=errors"

SPEC: VersionSpec = DBV0037.evolve(
    "dbv0.0.38",
    plugin_name="Slurm OpenAPI DB v0.0.38",
    plugin_type="openapi/dbv0.0.38",
    path_segment="v0.0.38",
    slurmdb_plugin=("openapi/dbv0.0.38", "Slurm OpenAPI DB v0.0.38", ""),
    records={
        "job": insert_after(_RECORDS["job"], "constraints", "container:s|null=~container_or_null"),
        "user": insert_after(_RECORDS["user"], "default", "flags:[s]=~user_flags"),
        "association": _RECORDS["association"].evolve("qos:[s]=~association_qos"),
        "response_association_delete": None,
        "response_associations_delete": record(f"{_ENVELOPE} removed_associations:[s]=~removed"),
        "response_qos": record(_ENVELOPE),
        # Request bodies.
        "update_account": record("accounts:[@account]"),
        "update_users": record("users:[@user]"),
        "update_qos": record("QOS:[@qos]"),
        "clusters_properties": record("clusters:[@cluster]"),
        "tres_update": record("TRES:[@tres]"),
        "set_config": record(
            "clusters:[@cluster] TRES:[@tres] accounts:[@account] users:[@user] QOS:[@qos]"
            " wckeys:[@wckey] associations:[@association]"
        ),
    },
    responses={
        "db_association_delete": "response_associations_delete",
        "db_associations_delete": "response_associations_delete",
        "db_qos_set": "response_qos",
    },
    requests={
        "db_accounts_set": "update_account",
        "db_users_set": "update_users",
        "db_qos_set": "update_qos",
        "db_associations_set": "associations_info",
        "db_wckeys_set": "wckey_info",
        "db_clusters_set": "clusters_properties",
        "db_tres_set": "tres_update",
        "db_config_set": "set_config",
    },
)
