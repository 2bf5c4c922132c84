"""v0.0.44 (Slurm 25.11): a job's step id and submit line; resource layouts; host lists."""

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
from slurmgate.api.versions.v0043 import SPEC as V0043
from slurmgate.api.versions.version import VersionSpec

SPEC: VersionSpec = V0043.evolve(
    "v0.0.44",
    data_parser="data_parser/v0.0.44",
    records={
        **dp_envelope.RECORDS,
        **dp_jobs.RECORDS_44,
        **dp_cluster.RECORDS_44,
        **dp_requests.RECORDS_44,
        **dp_accounting.RECORDS_44,
        **dp_associations.RECORDS_44,
        **dp_dbd.RECORDS_44,
        **dp_envelope.UTIL_44,
    },
    responses={
        "resources": "openapi_resource_layout_resp",
        "hostnames": "openapi_hostnames_req_resp",
        "hostlist": "openapi_hostlist_req_resp",
    },
    requests={"hostnames": "openapi_hostlist_req_resp", "hostlist": "openapi_hostnames_req_resp"},
    # The host list utilities are the daemon's util plugin (/util/{version}/...).
    plugins={op: ("openapi/util", "Slurm OpenAPI util") for op in ("hostnames", "hostlist")},
    # A failed layout prints its (empty) list of nodes.
    failure_records=V0043.failure_records | {"resources"},
)
