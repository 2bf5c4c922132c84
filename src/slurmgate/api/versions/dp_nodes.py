"""Nodes and partitions in v0.0.40 and later: each version's records, written as the one before
it changed.

Sources follow what slurmrestd's data_parser prints (NODE and PARTITION_INFO in each plugin's
parsers.c). ``-`` marks what slurmgate does not model, printed as the type's unset value; a
constant is what the daemon prints for a cluster that never set the value (``'N/A'``, 0).
Fields a later version adds come last (the daemon prints them among the others).
"""

from __future__ import annotations

from slurmgate.api.versions.dp_envelope import envelope
from slurmgate.api.versions.notation import Record, record

# -- v0.0.40 ---------------------------------------------------------------------------------

# Energy accounting is not modelled: the zeroes slurmctld sends without an energy plugin.
ENERGY = record(
    "average_watts:i32=- base_consumed_energy:i64=- consumed_energy:i64=- current_watts:u32n=0"
    " previous_consumed_energy:i64=- last_collected:i64=-"
)

NODE_40 = record(
    "architecture:s burstbuffer_network_address:s boards:i32 boot_time:u64n cluster_name:s=-"
    " cores:i32 specialized_cores:i32=- cpu_binding:i32=- cpu_load:i32"
    " free_mem:u64n=~node_free_mem cpus:i32 effective_cpus:i32=cpus specialized_cpus:s=-"
    " energy:@acct_gather_energy=. external_sensors:o=- extra:s power:o=- features:[s]"
    " active_features:[s] gres:s gres_drained:s='N/A' gres_used:s instance_id:s=-"
    " instance_type:s=- last_busy:u64n mcs_label:s specialized_memory:i64=- name:s"
    " next_state_after_reboot:[s]=~node_next_state address:s hostname:s state:[s]=~node_state"
    " operating_system:s owner:s partitions:[s] port:i32 real_memory:i64 comment:s reason:s"
    " reason_changed_at:u64n reason_set_by_user:s resume_after:u64n=0 reservation:s=-"
    " alloc_memory:i64 alloc_cpus:i32 alloc_idle_cpus:i32=idle_cpus tres_used:s"
    " tres_weighted:nd slurmd_start_time:u64n sockets:i32 threads:i32"
    " temporary_disk:i32=tmp_disk weight:i32 tres:s version:s"
)

NODES_RESPONSE = envelope("nodes:[@node]=items last_update:u64n", required=("nodes", "last_update"))

# The groups of PARTITION_INFO ("maximums/time" is printed in "maximums"), in their order.
_PART_NODES = record("allowed_allocation:s=allowed_allocation_nodes configured:s=nodes"
                     " total:i32=total_nodes")  # fmt: skip
_PART_CPUS_40 = record("task_binding:i32=- total:i32=total_cpus")
# The raw DefMemPerCPU/DefMemPerNode field, then each as a number (unset for the other one).
_PART_DEFAULTS_40 = record(
    "memory_per_cpu:i64=~default_memory_raw partition_memory_per_cpu:u64n=default_memory_per_cpu"
    " partition_memory_per_node:u64n=~default_memory_per_node time:u32n=default_time job:s=-"
)
# OverSubscribe is not modelled: NO (one job per resource) is shares 1.
_PART_MAXIMUMS_40 = record(
    "cpus_per_node:u32n=~max_cpus_per_node cpus_per_socket:u32n=~max_cpus_per_socket"
    " memory_per_cpu:i64=~max_memory_raw partition_memory_per_cpu:u64n=max_memory_per_cpu"
    " partition_memory_per_node:u64n=~max_memory_per_node nodes:u32n=~max_nodes shares:i32=1"
    " oversubscribe:{oversubscribe} time:u32n=~max_time over_time_limit:u16n=~over_time_limit",
    oversubscribe=record("jobs:i32=1 flags:[s]=[]"),
)

PARTITION_40 = record(
    "nodes:{nodes} accounts:{accounts} groups:{groups} qos:{qos} alternate:s tres:{tres}"
    " cluster:s=- cpus:{cpus} defaults:{defaults} grace_time:i32 maximums:{maximums}"
    " minimums:{minimums} name:s node_sets:s=- priority:{priority} timeouts:{timeouts}"
    " partition:{partition} suspend_time:u32n=-",
    nodes=_PART_NODES,
    accounts=record("allowed:s=allowed_accounts deny:s=deny_accounts"),
    groups=record("allowed:s=allowed_groups"),
    qos=record("allowed:s=allowed_qos deny:s=deny_qos assigned:s=qos"),
    tres=record("billing_weights:s configured:s=tres"),
    cpus=_PART_CPUS_40,
    defaults=_PART_DEFAULTS_40,
    maximums=_PART_MAXIMUMS_40,
    minimums=record("nodes:i32=min_nodes"),
    priority=record("job_factor:i32=priority_job_factor tier:i32=priority_tier"),
    # ResumeTimeout and SuspendTimeout are not modelled: unset is the cluster's (GLOBAL).
    timeouts=record("resume:u16n=- suspend:u16n=-"),
    partition=record("state:[s]=~partition_state"),
)

PARTITIONS_RESPONSE = envelope(
    "partitions:[@partition_info]=items last_update:u64n",
    required=("partitions", "last_update"),
)

RECORDS_40: dict[str, Record] = {
    "node": NODE_40,
    "acct_gather_energy": ENERGY,
    "openapi_nodes_resp": NODES_RESPONSE,
    "partition_info": PARTITION_40,
    "openapi_partition_resp": PARTITIONS_RESPONSE,
}

# -- v0.0.41: GPU core specialization; partitions' select_type --------------------------------

RECORDS_41: dict[str, Record] = {
    **RECORDS_40,
    "node": NODE_40.evolve("gpu_spec:s=- res_cores_per_gpu:i32=-"),
    # CR_TYPE of a partition without its own SelectTypeParameters: no flags.
    "partition_info": PARTITION_40.evolve("select_type:[s]=[]"),
}

# -- v0.0.42: the same records ---------------------------------------------------------------

RECORDS_42: dict[str, Record] = {**RECORDS_41}

# -- v0.0.43: TLS certificates and topology --------------------------------------------------

RECORDS_43: dict[str, Record] = {
    **RECORDS_42,
    "node": RECORDS_42["node"].evolve(
        "tls_cert_last_renewal:u64n=0 cert_flags:[s]=[] topology:s=-"
    ),
    "partition_info": RECORDS_42["partition_info"].evolve("topology:s=-"),
}

# -- v0.0.44: the same records ---------------------------------------------------------------

RECORDS_44: dict[str, Record] = {**RECORDS_43}

# -- v0.0.45: power and sensors gone; partition flags, preemption and OverSubscribe by name ---

# The raw memory field, shares and oversubscribe are removed fields: printed as zeroes.
_PART_MAXIMUMS_45 = _PART_MAXIMUMS_40.evolve(
    "memory_per_cpu:i64=0 shares:i32=0 oversubscribe:{oversubscribe}",
    oversubscribe=record("jobs:i32=0 flags:[s]=[]"),
)

RECORDS_45: dict[str, Record] = {
    **RECORDS_44,
    "node": RECORDS_44["node"].evolve(
        "reason_set_by_user:s=~node_reason_user suspend_time:u32n=~node_suspend_time",
        drop="external_sensors power tres_weighted",
    ),
    "partition_info": RECORDS_44["partition_info"].evolve(
        "select_type:[s]=~partition_select_type cpus:{cpus} defaults:{defaults}"
        " maximums:{maximums} partition:{partition} flags:[s]=~partition_flags"
        " preempt_mode:[s]=~preempt_mode",
        cpus=_PART_CPUS_40.evolve("task_binding:[s]=-"),
        defaults=_PART_DEFAULTS_40.evolve("memory_per_cpu:i64=0"),
        maximums=_PART_MAXIMUMS_45,
        # OverSubscribe is not modelled: NO.
        partition=record(
            "exclusive:s=~partition_exclusive oversubscribe:s='NO' state:[s]=~partition_state"
        ),
    ),
}
