"""v0.0.37: v0.0.36 plus reservations, integer times, node usage and partition state."""

from __future__ import annotations

from typing import Any

from slurmgate.api.versions import common
from slurmgate.api.versions.common import Schema, evolve, obj, optional
from slurmgate.api.versions.v0036 import SCHEMAS as V0036_SCHEMAS
from slurmgate.api.versions.v0036 import V0036, old_preemption_modes
from slurmgate.domain import Node, Partition

_BASE = V0036_SCHEMAS

SCHEMAS: dict[str, Schema] = {
    **_BASE,
    "job_properties": evolve(
        _BASE["job_properties"],
        "account_gather_frequency:s begin_time:i64 cluster_constraint:s standard_input:s"
        " standard_output:s",
        drop="account_gather_freqency cluster_constraints standard_in standard_out",
    ),
    "job_response_properties": evolve(
        _BASE["job_response_properties"],
        "accrue_time:i64 eligible_time:i64 end_time:i64 preempt_time:i64 pre_sus_time:i64"
        " resize_time:i64 start_time:i64 submit_time:i64 suspend_time:i64",
    ),
    "node": evolve(
        _BASE["node"],
        "state_flags:[s] next_state_after_reboot_flags:[s] partitions:[s] tres_used:s"
        " tres_weighted:nd alloc_cpus:i64 idle_cpus:i64 alloc_memory:i64 extra:s last_busy:i64",
    ),
    # The daemon spells min_nodes_per_job "min nodes per job" from v0.0.37 on.
    "partition": optional(
        evolve(_BASE["partition"], "preemption_mode:[s] state:s", drop="nodes_online"),
        "min_nodes_per_job",
    ),
    "reservation": optional(
        obj(
            "accounts:s burst_buffer:s core_count:i core_spec_cnt:i end_time:i features:s"
            " flags:[s] groups:s licenses:s max_start_delay:i name:s node_count:i node_list:s"
            " partition:s purge_completed:{purge_completed} start_time:i watts:i tres:s"
            " users:s",
            purge_completed=obj("time:i"),
        ),
        "purge_completed",  # only with the PURGE_COMP flag
    ),
    "reservations_response": obj("meta:@meta errors:[@error] reservations:[@reservation]"),
}
SCHEMAS["partition"]["properties"]["min nodes per job"] = {"type": "integer"}


class V0037(V0036):
    name = "v0.0.37"
    plugin_name = "Slurm OpenAPI v0.0.37"
    deprecated = False
    schemas = SCHEMAS
    _operations = V0036._operations | {"reservations", "reservation"}

    def node(self, node: Node) -> dict[str, Any]:
        return self._shape("node", common.node_row(node))

    def partition(self, part: Partition) -> dict[str, Any]:
        row = common.partition_row(part)
        row["min nodes per job"] = row.pop("min_nodes_per_job")
        if self.name == "v0.0.37":  # v0.0.38 reads an unset mode as disabled
            row["preemption_mode"] = old_preemption_modes(part)
        return self._shape("partition", row)
