"""v0.0.41 (Slurm 24.05): job resources by node, socket and core; allocations."""

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
from slurmgate.api.versions.v0040 import SPEC as V0040
from slurmgate.api.versions.version import VersionSpec

SPEC: VersionSpec = V0040.evolve(
    "v0.0.41",
    data_parser="data_parser/v0.0.41",
    warns_with_values=True,
    records={
        **dp_envelope.RECORDS,
        **dp_jobs.RECORDS_41,
        **dp_cluster.RECORDS_41,
        **dp_requests.RECORDS_41,
        **dp_accounting.RECORDS_41,
        **dp_associations.RECORDS_41,
        **dp_dbd.RECORDS_41,
    },
    responses={"job_allocate": "openapi_job_alloc_resp"},
    requests={"job_allocate": "job_alloc_req"},
)
