"""v0.0.45 (Slurm 26.05): requeue, partitions and configuration; container types."""

from __future__ import annotations

from slurmgate.api.versions import (
    dp_accounting,
    dp_associations,
    dp_cluster,
    dp_dbd,
    dp_envelope,
    dp_jobs,
    dp_requests,
)
from slurmgate.api.versions.v0044 import SPEC as V0044
from slurmgate.api.versions.version import VersionSpec

SPEC: VersionSpec = V0044.evolve(
    "v0.0.45",
    data_parser="data_parser/v0.0.45",
    records={
        **dp_envelope.RECORDS,
        **dp_jobs.RECORDS_45,
        **dp_cluster.RECORDS_45,
        **dp_requests.RECORDS_45,
        **dp_accounting.RECORDS_45,
        **dp_associations.RECORDS_45,
        **dp_dbd.RECORDS_45,
        **dp_envelope.UTIL_44,
    },
    responses={
        "job_requeue": "openapi_job_requeue_resp",
        "jobs_requeue": "openapi_jobs_requeue_resp",
    },
    requests={"jobs_requeue": "openapi_jobs_requeue_query"},
    failure_records=V0044.failure_records | {"job_requeue", "jobs_requeue"},
)
