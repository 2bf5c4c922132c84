"""v0.0.38: v0.0.37 with containers and preferences, per-node job resources, licenses and RPC
statistics."""

from __future__ import annotations

from slurmgate.api.versions.notation import record
from slurmgate.api.versions.v0037 import SPEC as V0037
from slurmgate.api.versions.version import VersionSpec

_RECORDS = V0037.records

SPEC: VersionSpec = V0037.evolve(
    "v0.0.38",
    plugin_name="Slurm OpenAPI v0.0.38",
    records={
        "job_properties": _RECORDS["job_properties"].evolve(
            "container:s nice:i oversubscribe:b prefer:s"
        ),
        "job_response_properties": _RECORDS["job_response_properties"].evolve(
            "container:s group_name:s prefer:s flags:[s]"
            " job_resources?:@job_resources=~job_resources"
        ),
        # allocated_cores where slurmctld allocates cores or sockets (CR_Core, CR_Socket),
        # allocated_cpus with CR_CPU.
        "job_resources": record(
            "nodes:s allocated_cores?:i allocated_cpus?:i allocated_hosts:i"
            " allocated_nodes:[@node_allocation]"
        ),
        # Sockets keyed by socket id, each with its allocated cores keyed by core id.
        "node_allocation": record(
            "sockets:o nodename:s cpus_used:i memory_used:i memory_allocated:i"
        ),
        "partition": _RECORDS["partition"].evolve(
            "preemption_mode:[s]=~preemption_mode default_memory_per_cpu:i64|null"
            " default_memory_per_node:i64|null maximum_memory_per_cpu:i64|null=max_memory_per_cpu"
            " maximum_memory_per_node:i64|null=max_memory_per_node"
        ),
        "statistics": _RECORDS["statistics"].evolve(
            "rpcs_by_message_type:[@diag_rpcm] rpcs_by_user:[@diag_rpcu] bf_table_size:i"
            " bf_table_size_mean:i bf_queue_len_mean:i"
        ),
        "diag_rpcm": record("message_type:s type_id:i count:i average_time:i total_time:i"),
        "diag_rpcu": record("user:s user_id:i count:i average_time:i total_time:i"),
        "license": record(
            "LicenseName:s=name Total:i=total Used:i=used Free:i=free Reserved:i=reserved"
            " Remote:b=remote"
        ),
        "licenses": record("meta:@meta errors:[@error]=errors licenses:[@license]=items"),
    },
    responses={"licenses": "licenses"},
)
