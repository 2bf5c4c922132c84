"""dbv0.0.38: dbv0.0.37 with a job's container, a user's flags, associations' QOS by name,
QOS added and changed, and associations removed in bulk (DELETE associations)."""

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
        "update_qos": record("QOS:[@qos]"),
    },
    responses={
        "db_association_delete": "response_associations_delete",
        "db_associations_delete": "response_associations_delete",
        "db_qos_set": "response_qos",
    },
    requests={"db_qos_set": "update_qos"},
)
