"""v0.0.37: v0.0.36 plus reservations, node usage and partition state."""

from __future__ import annotations

from slurmgate.api.versions.notation import record
from slurmgate.api.versions.v0036 import SPEC as V0036
from slurmgate.api.versions.version import VersionSpec

_RECORDS = V0036.records

SPEC: VersionSpec = V0036.evolve(
    "v0.0.37",
    plugin_name="Slurm OpenAPI v0.0.37",
    deprecated=False,
    # Unchanged since update_time: 304 Not Modified, as slurmrestd 22.05 answers.
    since_filtered=frozenset({"jobs", "nodes", "partitions", "reservations"}),
    not_modified=frozenset({"jobs", "nodes", "partitions", "reservations"}),
    records={
        "job_properties": _RECORDS["job_properties"].evolve(
            "account_gather_frequency:s begin_time:i64 cluster_constraint:s standard_input:s"
            " standard_output:s",
            drop="account_gather_freqency cluster_constraints standard_in standard_out",
        ),
        "node": _RECORDS["node"].evolve(
            "extra:s last_busy:i64 state:s state_flags:[s] next_state_after_reboot_flags:[s]=[]"
            " partitions:[s] alloc_memory:i64 alloc_cpus:i64 idle_cpus:i64"
            " tres_used:s|null=~node_tres_used"
            " tres_weighted:nd"
        ),
        # The daemon spells min_nodes_per_job "min nodes per job" from v0.0.37 on.
        "partition": _RECORDS["partition"].evolve(
            "state:s", drop="nodes_online", rename={"min_nodes_per_job": "min nodes per job"}
        ),
        "reservation": record(
            "flags:[s] accounts:s burst_buffer:s core_count:i core_spec_cnt:i=~core_spec_count"
            " end_time:i64 features:s groups:s licenses:s max_start_delay:i name:s node_count:i"
            " node_list:s=nodes partition:s purge_completed?:{purge}=~purge_completed"
            " start_time:i64 watts:i=~reservation_watts tres:s users:s",
            purge=record("time:i"),
        ),
        "reservations_response": record(
            "meta:@meta errors:[@error]=errors reservations:[@reservation]=items"
        ),
    },
    responses={"reservations": "reservations_response", "reservation": "reservations_response"},
)
