"""v0.0.43 (Slurm 25.05): expanded standard streams, topology; reservations can be created."""

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
from slurmgate.api.versions.v0042 import SPEC as V0042
from slurmgate.api.versions.version import VersionSpec

SPEC: VersionSpec = V0042.evolve(
    "v0.0.43",
    data_parser="data_parser/v0.0.43",
    records={
        **dp_envelope.RECORDS,
        **dp_jobs.RECORDS_43,
        **dp_cluster.RECORDS_43,
        **dp_requests.RECORDS_43,
        **dp_accounting.RECORDS_43,
        **dp_associations.RECORDS_43,
        **dp_dbd.RECORDS_43,
    },
)
