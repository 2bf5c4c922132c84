"""dbv0.0.37: dbv0.0.36 with associations' limits of their own users' running jobs, TRES
minutes of the group and whether they are a user's default, the QOS's limit factor and its
limits of submitted jobs, and a job's last reason keyed ``reason``."""

from __future__ import annotations

from slurmgate.api.versions.db_v0036 import SPEC as DBV0036
from slurmgate.api.versions.db_v0036 import inline, insert_after
from slurmgate.api.versions.notation import record
from slurmgate.api.versions.version import VersionSpec

_RECORDS = DBV0036.records
_MAX = _RECORDS["association_max"]
_PER_ACCOUNT_USER = "account:i|null=max_{0}_per_account user:i|null=max_{0}_per_user"

SPEC: VersionSpec = DBV0036.evolve(
    "dbv0.0.37",
    plugin_name="Slurm OpenAPI DB v0.0.37",
    plugin_type="openapi/dbv0.0.37",
    path_segment="v0.0.37",
    slurmdb_plugin=("openapi/dbv0.0.37", "Slurm OpenAPI DB v0.0.37", ""),
    deprecated=False,
    records={
        "job": _RECORDS["job"].evolve(
            "state:{state}", state=record("current:s=~job_state reason:s=state_reason")
        ),
        "association_max": _MAX.evolve(
            "jobs:{jobs} tres:{tres}",
            jobs=inline(_MAX, "jobs").evolve(
                "active:i|null=max_jobs accruing:i|null=max_jobs_accrue"
                " total:i|null=max_submit_jobs"
            ),
            tres=insert_after(
                inline(_MAX, "tres"),
                "minutes",
                "group:{group}",
                group=record("minutes:[@tres]=grp_tres_mins active:[@tres]=grp_tres_run_mins"),
            ),
        ),
        "association": insert_after(
            _RECORDS["association"], "max", "is_default:i=~association_is_default"
        ),
        "qos_limits_max": _RECORDS["qos_limits_max"].evolve(
            "jobs:{jobs}",
            jobs=record(
                "active_jobs:{active} per:{per}",
                active=record("per:{per}", per=record(_PER_ACCOUNT_USER.format("jobs"))),
                per=record(_PER_ACCOUNT_USER.format("submit_jobs")),
            ),
        ),
        "qos_limits": insert_after(_RECORDS["qos_limits"], "max", "factor:nd|null=limit_factor"),
        "response_associations": record("meta:@meta errors:[@error]=errors"),
    },
    responses={"db_associations_set": "response_associations"},
    requests={"db_associations_set": "associations_info"},
)
