"""v0.0.42 (Slurm 24.11): per-partition priorities; a cancellation reports each job's status;
the shared scalar components are named ``*_struct``."""

from __future__ import annotations

from slurmgate.api.versions import (
    dp_accounting,
    dp_associations,
    dp_cluster,
    dp_dbd,
    dp_envelope,
    dp_jobs,
    dp_requests,
    slurmdb_operations,
)
from slurmgate.api.versions.v0040 import COMPONENTS
from slurmgate.api.versions.v0041 import SPEC as V0041
from slurmgate.api.versions.version import VersionSpec

SPEC: VersionSpec = V0041.evolve(
    "v0.0.42",
    data_parser="data_parser/v0.0.42",
    components={
        **COMPONENTS,
        **{code: f"{name}_struct" for code, name in COMPONENTS.items() if "no_val" in name},
    },
    records={
        **dp_envelope.RECORDS,
        **dp_jobs.RECORDS_42,
        **dp_cluster.RECORDS_42,
        **dp_requests.RECORDS_42,
        **dp_accounting.RECORDS_42,
        **dp_associations.RECORDS_42,
        **dp_dbd.RECORDS_42,
    },
    responses={"job_cancel": "openapi_kill_job_resp", **slurmdb_operations.RESPONSES_42},
    # From 24.11's v0.0.42 on, as the daemons answer.
    not_modified=frozenset({"nodes", "partitions", "reservations"}),
    warn_unchanged_jobs=True,
    # A cancellation's answer lists what failed; printed, empty, beside the error.
    failure_records=V0041.failure_records | {"job_cancel"},
)
