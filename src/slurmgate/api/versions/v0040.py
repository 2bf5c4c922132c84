"""v0.0.40 (Slurm 23.11, served by 24.11 too): the data_parser records; numbers that may be
unset or infinite are objects, flags and states are lists of names."""

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
from slurmgate.api.versions.version import VersionSpec
from slurmgate.api.versions.views import DATA_PARSER

#: What each versions' generated document names its shared scalar components.
COMPONENTS = {
    "u16n": "uint16_no_val",
    "u32n": "uint32_no_val",
    "u64n": "uint64_no_val",
    "f64n": "float64_no_val",
    "csv": "csv_string",
    "hostlist": "hostlist_string",
}

SPEC = VersionSpec(
    name="v0.0.40",
    plugin_type="openapi/slurmctld",
    plugin_name="Slurm OpenAPI slurmctld",
    data_parser="data_parser/v0.0.40",
    request_style="data_parser",
    submission_notices="warnings",
    warns_with_values=False,
    failure_records=frozenset({"job_update", "jobs_signal"}),
    # An unknown node, partition or reservation: the daemons print no list.
    bare_failures=frozenset({"node", "partition", "reservation"}),
    views=DATA_PARSER,
    components=COMPONENTS,
    records={
        **dp_envelope.RECORDS,
        **dp_jobs.RECORDS_40,
        **dp_cluster.RECORDS_40,
        **dp_requests.RECORDS_40,
        **dp_accounting.RECORDS_40,
        **dp_associations.RECORDS_40,
        **dp_dbd.RECORDS_40,
    },
    responses={
        "diag": "openapi_diag_resp",
        "ping": "openapi_ping_array_resp",
        "jobs": "openapi_job_info_resp",
        "jobs_state": "openapi_job_state_resp",
        "jobs_signal": "openapi_kill_jobs_resp",
        "job_get": "openapi_job_info_resp",
        "job_update": "openapi_job_post_response",
        "job_cancel": "openapi_resp",
        "job_submit": "openapi_job_submit_response",
        "nodes": "openapi_nodes_resp",
        "nodes_update": "openapi_resp",
        "node": "openapi_nodes_resp",
        "node_update": "openapi_resp",
        "node_delete": "openapi_resp",
        "partitions": "openapi_partition_resp",
        "partition": "openapi_partition_resp",
        "reservations": "openapi_reservation_resp",
        "reservation": "openapi_reservation_resp",
        "licenses": "openapi_licenses_resp",
        "shares": "openapi_shares_resp",
        "reconfigure": "openapi_resp",
        "empty": "openapi_resp",
        "errors": "openapi_resp",
        **slurmdb_operations.RESPONSES_40,
    },
    requests={
        "job_submit": "job_submit_req",
        "job_update": "job_desc_msg",
        "jobs_signal": "kill_jobs_msg",
        "nodes_update": "update_node_msg",
        "node_update": "update_node_msg",
        **slurmdb_operations.REQUESTS_40,
    },
)
