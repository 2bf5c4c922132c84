"""v0.0.36: the first view, and the base the later versions change.

Schemas follow the 22.05 daemon's published document (src/plugins/openapi/v0.0.36/openapi.json):
almost every job number is declared as a string there, so it is printed as one.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from slurmgate.api import submission
from slurmgate.api.versions import common
from slurmgate.api.versions.common import Schema, obj, optional
from slurmgate.backends.base import ClusterInfo
from slurmgate.domain import (
    ControllerPing,
    Job,
    JobSubmission,
    JobUpdate,
    License,
    Node,
    NodeState,
    Partition,
    Reservation,
    SlurmgateError,
    Stats,
    SubmitResult,
)

_STATISTICS = optional(
    obj(
        "parts_packed:i req_time:i req_time_start:i server_thread_count:i agent_queue_size:i"
        " agent_count:i agent_thread_count:i dbd_agent_queue_size:i gettimeofday_latency:i"
        " schedule_cycle_max:i schedule_cycle_last:i schedule_cycle_total:i schedule_cycle_mean:i"
        " schedule_cycle_mean_depth:i schedule_cycle_per_minute:i schedule_queue_length:i"
        " jobs_submitted:i jobs_started:i jobs_completed:i jobs_canceled:i jobs_failed:i"
        " jobs_pending:i jobs_running:i job_states_ts:i bf_backfilled_jobs:i"
        " bf_last_backfilled_jobs:i bf_backfilled_het_jobs:i bf_cycle_counter:i bf_cycle_mean:i"
        " bf_cycle_max:i bf_last_depth:i bf_last_depth_try:i bf_depth_mean:i bf_depth_mean_try:i"
        " bf_cycle_last:i bf_queue_len:i bf_queue_len_mean:i bf_when_last_cycle:i bf_active:b"
    ),
    "bf_last_depth",  # declared, never printed by the daemon
    "bf_last_depth_try",
)

SIGNALS = "HUP,INT,QUIT,ABRT,KILL,ALRM,TERM,USR1,USR2,URG,CONT,STOP,TSTP,TTIN,TTOU"

#: ``meta`` as v0.0.36 and v0.0.37 print it, though their documents do not declare it.
_META = obj(
    "plugin:{plugin} Slurm:{Slurm}",
    plugin=obj("type:s name:s"),
    Slurm=obj("version:{version} release:s", version=obj("major:i micro:i minor:i")),
)
_PARTITION_STATES = {"INACTIVE": 0, "DOWN": 1, "DRAIN": 2, "UP": 3}  # slurm.h PARTITION_*

SCHEMAS: dict[str, Schema] = {
    "meta": _META,
    # slurmgate's entries carry every key any version's clients look for (errno for these
    # versions, error_number/description/source as v0.0.38 and later print them).
    "error": obj("error:s errno:i error_number:i description:s source:s"),
    "signal": {"type": "string", "format": "int32", "enum": SIGNALS.split(",")},
    "diag": obj("meta:@meta errors:[@error] statistics:{statistics}", statistics=_STATISTICS),
    "ping": obj("hostname:s ping:s=UP,DOWN mode:s status:i"),
    "pings": obj("meta:@meta errors:[@error] pings:[@ping]"),
    # An empty object for a job that never got resources.
    "job_resources": optional(
        obj("nodes:s allocated_cpus:i allocated_hosts:i allocated_nodes:[@node_allocation]"),
        "nodes",
        "allocated_cpus",
        "allocated_hosts",
        "allocated_nodes",
    ),
    # sockets and cores map socket and core ids to "unassigned" (or "assigned": in use by a
    # step). The daemon prints cpus as a number; its document declares an object.
    "node_allocation": obj("memory:i cpus:o sockets:o cores:o"),
    "job_response_properties": obj(
        "account:s accrue_time:s admin_comment:s array_job_id:s array_task_id:s"
        " array_max_tasks:s array_task_string:s association_id:s batch_features:s batch_flag:b"
        " batch_host:s flags:[s] burst_buffer:s burst_buffer_state:s cluster:s"
        " cluster_features:s command:s comment:s contiguous:b core_spec:s thread_spec:s"
        " cores_per_socket:s billable_tres:s cpus_per_task:s cpu_frequency_minimum:s"
        " cpu_frequency_maximum:s cpu_frequency_governor:s cpus_per_tres:s deadline:s"
        " delay_boot:s dependency:s derived_exit_code:s eligible_time:s end_time:s"
        " excluded_nodes:s exit_code:i features:s federation_origin:s"
        " federation_siblings_active:s federation_siblings_viable:s gres_detail:[s] group_id:s"
        " job_id:s job_resources:@job_resources job_state:s last_sched_evaluation:s licenses:s"
        " max_cpus:s max_nodes:s mcs_label:s memory_per_tres:s name:s nodes:s nice:s"
        " tasks_per_core:s tasks_per_node:i tasks_per_socket:s tasks_per_board:s cpus:s"
        " node_count:s tasks:s"
        " het_job_id:s het_job_id_set:s het_job_offset:s partition:s memory_per_node:s"
        " memory_per_cpu:s minimum_cpus_per_node:s minimum_tmp_disk_per_node:s preempt_time:s"
        " pre_sus_time:s priority:s profile:[s] qos:s reboot:b required_nodes:s requeue:b"
        " resize_time:s restart_cnt:s resv_name:s shared:s show_flags:[s] sockets_per_board:s"
        " sockets_per_node:s start_time:s state_description:s state_reason:s standard_error:s"
        " standard_input:s standard_output:s submit_time:s suspend_time:s system_comment:s"
        " time_limit:s time_minimum:s threads_per_core:s tres_bind:s tres_freq:s"
        " tres_per_job:s tres_per_node:s tres_per_socket:s tres_per_task:s tres_req_str:s"
        " tres_alloc_str:s user_id:s user_name:s wckey:s current_working_directory:s"
    ),
    "jobs_response": obj("meta:@meta errors:[@error] jobs:[@job_response_properties]"),
    "job_properties": obj(
        "account:s account_gather_freqency:s argv:[s] array:s batch_features:s begin_time:s"
        " burst_buffer:s cluster_constraints:s comment:s constraints:s core_specification:i"
        " cores_per_socket:i cpu_binding:s cpu_binding_hint:s cpu_frequency:s cpus_per_gpu:s"
        " cpus_per_task:i current_working_directory:s deadline:s delay_boot:i dependency:s"
        " distribution:s environment:o exclusive:s=user,mcs,true,false get_user_environment:b"
        " gres:s gres_flags:s=disable-binding,enforce-binding gpu_binding:s gpu_frequency:s"
        " gpus:s gpus_per_node:s gpus_per_socket:s gpus_per_task:s hold:b"
        " kill_on_invalid_dependency:b licenses:s mail_type:s mail_user:s mcs_label:s"
        " memory_binding:s memory_per_cpu:i memory_per_gpu:i memory_per_node:i"
        " minimum_cpus_per_node:i minimum_nodes:b name:s nice:s no_kill:b nodes:[i]"
        " open_mode:s=append,truncate partition:s priority:s qos:s requeue:b reservation:s"
        " signal:s sockets_per_node:i spread_job:b standard_error:s standard_in:s"
        " standard_out:s tasks:i tasks_per_core:i tasks_per_node:i tasks_per_socket:i"
        " thread_specification:i threads_per_core:i time_limit:i time_minimum:i"
        " wait_all_nodes:b wckey:s",
        required=("environment",),
    ),
    "job_submission": {
        **obj("script:s job:@job_properties jobs:[@job_properties]"),
        "required": ["script"],
    },
    # ``warnings`` (as v0.0.39 and later name them) is slurmgate's: what it accepted but
    # will not act on.
    "warning": obj("description:s source:s"),
    "job_submission_response": obj(
        "meta:@meta errors:[@error] job_id:i step_id:s job_submit_user_msg:s warnings:[@warning]"
    ),
    "node": obj(
        "architecture:s burstbuffer_network_address:s boards:i boot_time:i64 comment:s cores:i"
        " cpu_binding:i cpu_load:i64 free_memory:i cpus:i features:s active_features:s gres:s"
        " gres_drained:s gres_used:s mcs_label:s name:s next_state_after_reboot:s address:s"
        " hostname:s state:s operating_system:s owner:s port:i real_memory:i reason:s"
        " reason_changed_at:i reason_set_by_user:s slurmd_start_time:i64 sockets:i threads:i"
        " temporary_disk:i weight:i tres:s slurmd_version:s"
    ),
    "nodes_response": obj("meta:@meta errors:[@error] nodes:[@node]"),
    "partition": obj(
        "flags:[s] preemption_mode:s allowed_allocation_nodes:s allowed_accounts:s"
        " allowed_groups:s allowed_qos:s alternative:s billing_weights:s"
        " default_memory_per_cpu:i64 default_time_limit:i64 denied_accounts:s denied_qos:s"
        " preemption_grace_time:i64 maximum_cpus_per_node:i maximum_memory_per_node:i64"
        " maximum_nodes_per_job:i max_time_limit:i64 min_nodes_per_job:i name:s nodes:s"
        " over_time_limit:i priority_job_factor:i priority_tier:i qos:s nodes_online:i"
        " total_cpus:i total_nodes:i tres:s"
    ),
    "partitions_response": obj("meta:@meta errors:[@error] partitions:[@partition]"),
}


# (keys to drop, keys to print as strings, a getter of their values)
_Plan = tuple[tuple[str, ...], tuple[str, ...], Callable[[dict[str, Any]], Any]]


def _warnings(warnings: list[str] | None) -> list[dict[str, str]]:
    return [{"description": w, "source": w.split(":", 1)[0]} for w in warnings or ()]


def old_preemption_modes(part: Partition) -> list[str]:
    """As v0.0.36/v0.0.37 print them: from the raw bits, so that an unset mode (NO_VAL16)
    reads as requeue and gang_schedule; no "within"."""
    if part.preemption_mode == "":
        return ["requeue", "gang_schedule"]
    return common.preemption_modes(part, within=False)


class V0036:
    """slurmrestd 22.05's openapi/v0.0.36 plugin (deprecated there, and here)."""

    name = "v0.0.36"
    plugin_name = "REST v0.0.36"
    error_key = "errno"
    with_meta = True
    #: The official v0.0.38 document declares meta's version parts as strings.
    meta_numbers_as_text = False
    deprecated = True
    schemas = SCHEMAS
    _operations = frozenset(
        {
            "diag",
            "ping",
            "jobs",
            "job_get",
            "job_update",
            "job_cancel",
            "job_submit",
            "nodes",
            "node",
            "partitions",
            "partition",
        }
    )

    def __init__(self) -> None:
        self.plugin_type = f"openapi/{self.name}"
        # Per schema: the canonical row's keys this version lacks, and the numbers it prints
        # as strings. Learnt from the first row (a canonical key's type never changes), so
        # that each later row is fixed in place.
        self._plans: dict[str, _Plan] = {}

    # -- envelope ---------------------------------------------------------------------------

    def operations(self) -> frozenset[str]:
        return self._operations

    def _envelope(self, info: ClusterInfo) -> dict[str, Any]:
        if self.with_meta:
            return {"meta": self._meta(info), "errors": []}
        return {"errors": []}

    def _meta(self, info: ClusterInfo) -> dict[str, Any]:
        return common.meta(
            info, self.plugin_type, self.plugin_name, numbers_as_text=self.meta_numbers_as_text
        )

    def _shape(self, schema: str, row: dict[str, Any]) -> dict[str, Any]:
        drop, strs, values = self._plans.get(schema) or self._plan(schema, row)
        for k in drop:
            del row[k]
        if strs:  # C-level loops: this runs for every job of a listing
            row.update(zip(strs, map(str, values(row)), strict=True))
        return row

    def _plan(self, schema: str, row: dict[str, Any]) -> _Plan:
        props = self.schemas[schema]["properties"]
        missing = set(props) - set(row) - set(self.schemas[schema].get("x-optional", ()))
        if missing:  # a programming error: the schema declares what no row provides
            raise KeyError(f"{self.name} {schema}: rows lack {sorted(missing)}")
        strs = tuple(
            k
            for k, v in row.items()
            if k in props and props[k].get("type") == "string" and not isinstance(v, str)
        )
        # itemgetter of one key returns the value itself, not a 1-tuple.
        values = itemgetter(*strs) if len(strs) > 1 else lambda r: tuple(r[k] for k in strs)
        plan = (tuple(k for k in row if k not in props), strs, values)
        self._plans[schema] = plan
        return plan

    def empty(self, info: ClusterInfo, *, warnings: list[str] | None = None) -> dict[str, object]:
        # The daemon answers a successful update or signal with meta and no errors, in
        # every version (populate_response_format in api.c).
        return {
            "meta": self._meta(info),
            "errors": [],
            "warnings": _warnings(warnings),
        }

    def error_entry(self, error: SlurmgateError) -> dict[str, Any]:
        return {
            "error": error.error,
            self.error_key: error.error_number,
            "error_number": error.error_number,
            "description": error.description,
            "source": error.source,
        }

    def errors(self, errors: list[SlurmgateError], info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["errors"] = [self.error_entry(e) for e in errors]
        return body

    # -- resources --------------------------------------------------------------------------

    def job(self, job: Job) -> dict[str, Any]:
        row = common.job_row(job)
        row["job_resources"] = self._resources(job)
        if "JOB_CPUS_SET" in job.flags:  # spelt with a trailing space by these versions
            row["flags"] = [f if f != "JOB_CPUS_SET" else "JOB_CPUS_SET " for f in row["flags"]]
        return self._shape("job_response_properties", row)

    @staticmethod
    def _resources(job: Job) -> dict[str, Any]:
        """job_resources as v0.0.36/v0.0.37 print it: sockets and cores keyed by id alone."""
        if not job.allocations:
            return {}
        nodes = []
        for a in job.allocations:
            cores = a.cores or ()
            nodes.append(
                {
                    "sockets": {str(socket): "unassigned" for socket, _ in cores},
                    "cores": {str(core): "unassigned" for _, core in cores},
                    "memory": a.memory,
                    "cpus": {},
                }
            )
        return {
            "nodes": job.nodes,
            "allocated_cpus": sum(a.cpus for a in job.allocations),
            "allocated_hosts": len(job.allocations),
            "allocated_nodes": nodes,
        }

    def jobs(self, jobs: list[Job], info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["jobs"] = [self.job(j) for j in jobs]
        return body

    def job_submitted(
        self, result: SubmitResult, info: ClusterInfo, *, warnings: list[str] | None = None
    ) -> dict[str, object]:
        body = self._envelope(info)
        step = result.step_id
        # jobs.c names the special steps in upper case ("BATCH").
        body["job_id"] = result.job_id
        body["step_id"] = step.upper() if not step.isdigit() else step
        body["job_submit_user_msg"] = result.user_message
        body["warnings"] = _warnings(warnings)
        return body

    def node(self, node: Node) -> dict[str, Any]:
        row = common.node_row(node)
        if self.name == "v0.0.36" and node.state is NodeState.MIXED:
            row["state"] = "allocated"  # its plugin loads nodes without SHOW_MIXED
        return self._shape("node", row)

    def nodes(self, nodes: list[Node], info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["nodes"] = [self.node(n) for n in nodes]
        return body

    def partition(self, part: Partition) -> dict[str, Any]:
        row = common.partition_row(part)
        # The daemon prints a list; the document declares a string.
        row["preemption_mode"] = ",".join(old_preemption_modes(part))
        row["nodes_online"] = _PARTITION_STATES.get(part.state, 0)  # the raw state, as printed
        return self._shape("partition", row)

    def partitions(self, partitions: list[Partition], info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["partitions"] = [self.partition(p) for p in partitions]
        return body

    def reservations(self, reservations: list[Reservation], info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["reservations"] = [common.reservation_row(r) for r in reservations]
        return body

    def licenses(self, licenses: list[License], info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["licenses"] = [common.license_row(lic) for lic in licenses]
        return body

    def diag(self, stats: Stats, info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["statistics"] = self._statistics(common.stats_row(stats))
        return body

    def _statistics(self, row: dict[str, Any]) -> dict[str, Any]:
        names = common.keys(self.schemas["diag"]["properties"]["statistics"])
        if self.name == "v0.0.36":  # its plugin divides the table-size sum here
            row["bf_queue_len_mean"] = row["bf_table_size_mean"]
        return {k: row[k] for k in names if k in row}

    def ping(self, pings: list[ControllerPing], info: ClusterInfo) -> dict[str, object]:
        body = self._envelope(info)
        body["pings"] = [common.ping_row(p) for p in pings]
        return body

    # -- requests ---------------------------------------------------------------------------

    def parse_submission(self, body: object) -> tuple[JobSubmission, list[str]]:
        return submission.parse_submission(body, self.name)

    def parse_update(self, body: object) -> tuple[JobUpdate, list[str]]:
        return submission.parse_update(body, self.name)
