"""v0.0.38: v0.0.37 with a ``meta`` block, integer job numbers, licenses and RPC statistics."""

from __future__ import annotations

from typing import Any

from slurmgate.api.versions import common
from slurmgate.api.versions.common import Schema, evolve, keyed_by_id, obj, optional
from slurmgate.api.versions.v0037 import SCHEMAS as V0037_SCHEMAS
from slurmgate.api.versions.v0037 import V0037
from slurmgate.domain import Job

_BASE = V0037_SCHEMAS
_META = "meta:@meta"

_RESPONSES = (
    "diag",
    "pings",
    "jobs_response",
    "job_submission_response",
    "nodes_response",
    "partitions_response",
    "reservations_response",
)

SCHEMAS: dict[str, Schema] = {
    **_BASE,
    **{name: evolve(_BASE[name], _META) for name in _RESPONSES},
    "meta": obj(
        "plugin:{plugin} Slurm:{Slurm}",
        plugin=obj("type:s name:s"),
        Slurm=obj("version:{version} release:s", version=obj("major:s micro:s minor:s")),
    ),
    "error": obj("error:s error_number:i description:s source:s"),
    "errors": {"type": "array", "items": {"$ref": "error"}},
    "diag_rpcm": obj("message_type:s type_id:i count:i average_time:i total_time:i"),
    "diag_rpcu": obj("user:s user_id:i count:i average_time:i total_time:i"),
    "license": obj("LicenseName:s Total:i Used:i Free:i Reserved:i Remote:b"),
    # The daemon prints meta here too, though its document does not declare it.
    "licenses": obj("meta:@meta errors:[@error] licenses:[@license]"),
    "job_properties": evolve(
        _BASE["job_properties"], "container:s nice:i oversubscribe:b prefer:s"
    ),
    "job_response_properties": optional(
        evolve(
            _BASE["job_response_properties"],
            "group_name:s prefer:s array_job_id:i array_task_id:i array_max_tasks:i"
            " association_id:i billable_tres:n container:s cpus:i deadline:i delay_boot:i"
            " derived_exit_code:i group_id:i job_id:i"
            " last_sched_evaluation:i max_cpus:i max_nodes:i nice:i tasks_per_core:i"
            " tasks_per_socket:i tasks_per_board:i node_count:i tasks:i het_job_id:i"
            " het_job_offset:i memory_per_node:i memory_per_cpu:i minimum_cpus_per_node:i"
            " minimum_tmp_disk_per_node:i priority:i restart_cnt:i sockets_per_board:i"
            " sockets_per_node:i time_limit:i64 time_minimum:i64 threads_per_core:i user_id:i64",
        ),
        "job_resources",  # left out for a job that never got resources
    ),
    # allocated_cores where slurmctld allocates cores or sockets (CR_Core, CR_Socket),
    # allocated_cpus with CR_CPU.
    "job_resources": optional(
        obj(
            "nodes:s allocated_cores:i allocated_cpus:i allocated_hosts:i"
            " allocated_nodes:[@node_allocation]"
        ),
        "allocated_cores",
        "allocated_cpus",
    ),
    # As the daemon prints it: sockets keyed by socket id, each with its allocated cores keyed
    # by core id; memory and cpus, which the document declares, are not printed.
    "node_allocation": optional(
        obj(
            "memory:i cpus:i sockets:{sockets} nodename:s cpus_used:i memory_used:i"
            " memory_allocated:i",
            sockets=keyed_by_id(obj("cores:o")),
        ),
        "memory",
        "cpus",
    ),
    "partition": evolve(
        _BASE["partition"], "maximum_memory_per_cpu:i64 default_memory_per_node:i64"
    ),
}
SCHEMAS["diag"] = evolve(
    SCHEMAS["diag"],
    "statistics:{statistics}",
    statistics=evolve(
        _BASE["diag"]["properties"]["statistics"],
        "bf_table_size:i bf_table_size_mean:i rpcs_by_message_type:[@diag_rpcm]"
        " rpcs_by_user:[@diag_rpcu]",
    ),
)


class V0038(V0037):
    name = "v0.0.38"
    plugin_name = "Slurm OpenAPI v0.0.38"
    error_key = "error_number"
    with_meta = True
    meta_numbers_as_text = True
    schemas = SCHEMAS
    _operations = V0037._operations | {"licenses"}

    def job(self, job: Job) -> dict[str, Any]:
        # The canonical row is this version's shape exactly (checked by the tests).
        return common.job_row(job)
