"""Helpers shared by the v0.0.36-v0.0.38 views: schema declarations and canonical rows.

Schemas are declared once, in a compact notation (``name:type`` tokens), and serve both the
OpenAPI document and the tests that hold renderers to exactly the declared keys. Type codes:
``s`` string, ``i`` integer (``i64``/``i32`` with a format), ``n`` number (``nd`` double),
``b`` boolean, ``o`` free-form object, ``s=a,b`` string enum, ``[x]`` array of x, ``@name``
reference to the version's component ``name``, ``{name}`` inline object given by keyword.

Rows are built the way slurmrestd 22.05's v0.0.38 plugin prints them (``jobs.c``, ``nodes.c``,
``partitions.c``, ``reservations.c``, ``diag.c``), as plain dicts: rendering is a hot path.
Where the daemon prints ``null`` (unset or infinite values) the declared type is kept instead:
``NO_VAL``/``INFINITE`` as Slurm stores them for ids and limits, 0 or "" for the rest.
"""

from __future__ import annotations

from typing import Any

from slurmgate.backends.base import ClusterInfo
from slurmgate.domain import (
    ControllerPing,
    Job,
    License,
    Node,
    Partition,
    Reservation,
    Stats,
)

Schema = dict[str, Any]

NO_VAL = 0xFFFFFFFE
INFINITE = 0xFFFFFFFF

_SCALARS: dict[str, Schema] = {
    "s": {"type": "string"},
    "i": {"type": "integer"},
    "i32": {"type": "integer", "format": "int32"},
    "i64": {"type": "integer", "format": "int64"},
    "n": {"type": "number"},
    "nd": {"type": "number", "format": "double"},
    "b": {"type": "boolean"},
    "o": {"type": "object"},
}


def _type(code: str, inline: dict[str, Schema]) -> Schema:
    if code.startswith("["):
        return {"type": "array", "items": _type(code[1:-1], inline)}
    if code.startswith("@"):
        return {"$ref": code[1:]}  # resolved per version by the OpenAPI builder
    if code.startswith("{"):
        return inline[code[1:-1]]
    if "=" in code:
        base, values = code.split("=", 1)
        return {**_SCALARS[base], "enum": values.split(",")}
    return dict(_SCALARS[code])


def _props(fields: str, inline: dict[str, Schema]) -> dict[str, Schema]:
    props: dict[str, Schema] = {}
    for token in fields.split():
        name, code = token.split(":", 1)
        props[name] = _type(code, inline)
    return props


def obj(fields: str, *, required: tuple[str, ...] = (), **inline: Schema) -> Schema:
    """An object schema from ``name:type`` tokens."""
    schema: Schema = {"type": "object", "properties": _props(fields, inline)}
    if required:
        schema["required"] = list(required)
    return schema


def evolve(base: Schema, fields: str = "", *, drop: str = "", **inline: Schema) -> Schema:
    """``base`` with some properties retyped or added (``fields``) and others dropped."""
    props = {k: v for k, v in base["properties"].items() if k not in drop.split()}
    props.update(_props(fields, inline))
    return {**base, "properties": props}


def keys(schema: Schema) -> tuple[str, ...]:
    return tuple(schema["properties"])


def meta(info: ClusterInfo, plugin_type: str, plugin_name: str) -> dict[str, Any]:
    major, minor, micro = info.slurm_version
    return {
        "plugin": {"type": plugin_type, "name": plugin_name},
        "Slurm": {
            # The spec declares the version parts as strings.
            "version": {"major": str(major), "micro": str(micro), "minor": str(minor)},
            "release": info.release,
        },
    }


def _opt(value: int | None, unset: int = 0) -> int:
    return unset if value is None else value


def _allocation(job: Job) -> dict[str, Any]:
    return {
        "nodes": job.nodes,
        "allocated_cpus": sum(a.cpus for a in job.allocations),
        "allocated_hosts": len(job.allocations),
        # Core-level detail (socket -> core -> state) is not in the domain model.
        "allocated_nodes": [
            {"memory": a.memory, "cpus": a.cpus, "sockets": {"cores": {}}, "nodename": a.node_name}
            for a in job.allocations
        ],
    }


# What slurmgate does not model, printed as the daemon prints an unset value. Shared by every
# row: arrays are tuples so that no caller can change them for all jobs at once.
_JOB_CONSTANTS: dict[str, Any] = {
    "admin_comment": "",
    "association_id": 0,
    "batch_features": "",
    "burst_buffer": "",
    "burst_buffer_state": "",
    "cluster_features": "",
    "container": "",
    "core_spec": "",
    "thread_spec": "",
    "cores_per_socket": "",
    "cpu_frequency_minimum": "",
    "cpu_frequency_maximum": "",
    "cpu_frequency_governor": "",
    "cpus_per_tres": "",
    "delay_boot": 0,
    "federation_origin": "",
    "federation_siblings_active": "",
    "federation_siblings_viable": "",
    "gres_detail": (),
    "mcs_label": "",
    "memory_per_tres": "",
    "tasks_per_core": 0,
    "tasks_per_socket": 0,
    "tasks_per_board": 0,
    "minimum_tmp_disk_per_node": 0,
    "pre_sus_time": 0,
    "profile": (),
    "reboot": False,
    "show_flags": ("SHOW_ALL", "SHOW_DETAIL"),  # the flags the daemon loads jobs with
    "sockets_per_board": 0,
    "sockets_per_node": 0,
    "system_comment": "",
    "threads_per_core": 0,
    "tres_bind": "",
    "tres_freq": "",
    "tres_per_job": "",
    "tres_per_socket": "",
    "tres_per_task": "",
}


def job_row(job: Job) -> dict[str, Any]:
    """One job as v0.0.38 prints it (dump_job_info in jobs.c)."""
    exit_code = job.exit_code.raw if job.exit_code else 0
    derived = job.derived_exit_code.raw if job.derived_exit_code else 0
    shared = job.shared or ("none" if job.exclusive else "")
    return {
        **_JOB_CONSTANTS,
        "account": job.account,
        "accrue_time": job.accrue_time,
        "array_job_id": job.array_job_id,
        "array_task_id": NO_VAL if job.array_task_id is None else job.array_task_id,
        "array_max_tasks": job.array_max_tasks,
        "array_task_string": job.array_task_string,
        "batch_flag": job.batch_flag,
        "batch_host": job.batch_host,
        "flags": list(job.flags),
        "cluster": job.cluster,
        "command": job.command,
        "comment": job.comment,
        "contiguous": job.contiguous,
        "billable_tres": job.billable_tres,
        "cpus_per_task": str(job.cpus_per_task or 1),
        "deadline": job.deadline,
        "dependency": job.dependency,
        "derived_exit_code": derived,
        "eligible_time": job.eligible_time,
        "end_time": job.end_time,
        "excluded_nodes": job.excluded_nodes,
        "exit_code": exit_code,
        "features": job.features,
        "group_id": job.group_id,
        "job_id": job.job_id,
        "job_resources": _allocation(job),
        "job_state": job.state.value,
        "last_sched_evaluation": job.last_sched_evaluation,
        "licenses": job.licenses,
        "max_cpus": job.max_cpus,
        "max_nodes": job.max_nodes,
        "name": job.name,
        "nodes": job.nodes,
        "nice": job.nice,
        "cpus": job.cpus,
        "node_count": job.node_count,
        "tasks": job.tasks,
        "het_job_id": job.het_job_id,
        "het_job_id_set": job.het_job_id_set,
        "het_job_offset": job.het_job_offset or 0,
        "partition": job.partition,
        "memory_per_node": job.memory_per_node or 0,
        "memory_per_cpu": job.memory_per_cpu or 0,
        "minimum_cpus_per_node": job.minimum_cpus_per_node,
        "preempt_time": job.preempt_time,
        "priority": job.priority,
        "qos": job.qos,
        "required_nodes": job.required_nodes,
        "requeue": job.requeue,
        "resize_time": job.resize_time,
        "restart_cnt": job.restart_count,
        "resv_name": job.reservation,
        "shared": shared,
        "start_time": job.start_time,
        "state_description": job.state_description,
        "state_reason": job.state_reason,
        "standard_error": job.standard_error,
        "standard_input": job.standard_input,
        "standard_output": job.standard_output,
        "submit_time": job.submit_time,
        "suspend_time": job.suspend_time,
        "time_limit": INFINITE if job.time_limit is None else job.time_limit,
        "time_minimum": job.time_minimum,
        "tres_per_node": job.tres_per_node,
        "tres_req_str": job.tres_req_str,
        "tres_alloc_str": job.tres_alloc_str,
        "user_id": job.user_id,
        "user_name": job.user_name,
        "wckey": job.wckey,
        "current_working_directory": job.current_working_directory,
    }


def node_row(node: Node) -> dict[str, Any]:
    """One node as v0.0.37/v0.0.38 print it (_dump_node in nodes.c): base state lower case."""
    return {
        "architecture": node.architecture,
        "burstbuffer_network_address": node.burstbuffer_network_address,
        "boards": node.boards,
        "boot_time": node.boot_time,
        "cores": node.cores,
        "cpu_binding": 0,
        "cpu_load": node.cpu_load,
        "free_memory": node.free_memory,
        "cpus": node.cpus,
        "features": ",".join(node.features),
        "active_features": ",".join(node.active_features),
        "gres": node.gres,
        "gres_drained": "N/A",
        "gres_used": node.gres_used,
        "mcs_label": node.mcs_label,
        "name": node.name,
        "next_state_after_reboot": "invalid",
        "next_state_after_reboot_flags": [],
        "address": node.address,
        "hostname": node.hostname,
        "state": node.state.value,
        "state_flags": list(node.state_flags),
        "operating_system": node.operating_system,
        "owner": node.owner,
        "partitions": list(node.partitions),
        "port": node.port,
        "real_memory": node.real_memory,
        "reason": node.reason,
        "reason_changed_at": node.reason_changed_at,
        "reason_set_by_user": node.reason_set_by_user,
        "slurmd_start_time": node.slurmd_start_time,
        "sockets": node.sockets,
        "threads": node.threads,
        "temporary_disk": node.tmp_disk,
        "weight": node.weight,
        "tres": node.tres,
        "tres_used": node.tres_used,
        "tres_weighted": node.tres_weighted,
        "slurmd_version": node.version,
        "alloc_cpus": node.alloc_cpus,
        "idle_cpus": node.idle_cpus,
        "alloc_memory": node.alloc_memory,
    }


def _limit(value: int | None) -> int:
    return -1 if value is None else value  # partitions.c prints INFINITE limits as -1


def preemption_modes(partition: Partition) -> list[str]:
    mode = partition.preemption_mode.lower()
    if mode in ("off", ""):
        return ["disabled"]
    return [m.replace("gang", "gang_schedule") for m in mode.split(",")]


def partition_row(part: Partition) -> dict[str, Any]:
    """One partition as v0.0.38 prints it (_dump_part in partitions.c)."""
    flags = [f.lower() for f in part.flags]
    if part.is_default and "default" not in flags:  # a backend may list DEFAULT itself
        flags.append("default")
    return {
        "flags": flags,
        "preemption_mode": preemption_modes(part),
        "allowed_allocation_nodes": part.allowed_allocation_nodes,
        "allowed_accounts": part.allowed_accounts,
        "allowed_groups": part.allowed_groups,
        "allowed_qos": part.allowed_qos,
        "alternative": part.alternate,
        "billing_weights": part.billing_weights,
        "default_memory_per_cpu": _opt(part.default_memory_per_cpu),
        "default_time_limit": _limit(part.default_time),
        "denied_accounts": part.deny_accounts,
        "denied_qos": part.deny_qos,
        "preemption_grace_time": part.grace_time,
        "maximum_cpus_per_node": _limit(part.max_cpus_per_node),
        "maximum_memory_per_node": _opt(part.max_memory_per_node),
        "maximum_nodes_per_job": _limit(part.max_nodes),
        "max_time_limit": _limit(part.max_time),
        "min_nodes_per_job": part.min_nodes,
        "name": part.name,
        "nodes": part.nodes,
        "over_time_limit": _opt(part.over_time_limit),
        "priority_job_factor": part.priority_job_factor,
        "priority_tier": part.priority_tier,
        "qos": part.qos,
        "state": part.state,
        "total_cpus": part.total_cpus,
        "total_nodes": part.total_nodes,
        "tres": part.tres,
        "maximum_memory_per_cpu": _opt(part.max_memory_per_cpu),
        "default_memory_per_node": _opt(part.default_memory_per_node),
    }


def reservation_row(resv: Reservation) -> dict[str, Any]:
    return {
        "accounts": resv.accounts,
        "burst_buffer": resv.burst_buffer,
        "core_count": resv.core_count,
        "core_spec_cnt": len(resv.core_specializations),
        "end_time": resv.end_time,
        "features": resv.features,
        "flags": list(resv.flags),
        "groups": resv.groups,
        "licenses": resv.licenses,
        "max_start_delay": resv.max_start_delay,
        "name": resv.name,
        "node_count": resv.node_count,
        "node_list": resv.nodes,
        "partition": resv.partition,
        "purge_completed": {"time": resv.purge_completed_time},
        "start_time": resv.start_time,
        "watts": _opt(resv.watts, NO_VAL),
        "tres": resv.tres,
        "users": resv.users,
    }


def license_row(lic: License) -> dict[str, Any]:
    return {
        "LicenseName": lic.name,
        "Total": lic.total,
        "Used": lic.used,
        "Free": lic.free,
        "Reserved": lic.reserved,
        "Remote": lic.remote,
    }


def ping_row(ping: ControllerPing) -> dict[str, Any]:
    return {
        "hostname": ping.hostname,
        "ping": "UP" if ping.responding else "DOWN",
        "mode": ping.mode,
        "status": ping.status,
    }


def stats_row(stats: Stats) -> dict[str, Any]:
    """``statistics`` as v0.0.38 prints it; older versions keep a subset."""
    row: dict[str, Any] = {
        name: getattr(stats, name)
        for name in Stats.__slots__
        if name not in ("rpcs_by_message_type", "rpcs_by_user", "bf_active")
    }
    # Counters the domain does not track (backfill table sizes).
    row["bf_table_size"] = 0
    row["bf_table_size_mean"] = 0
    row["bf_active"] = stats.bf_active
    row["rpcs_by_message_type"] = [
        {
            "message_type": r.message_type,
            "type_id": r.type_id,
            "count": r.count,
            "average_time": r.average_time,
            "total_time": r.total_time,
        }
        for r in stats.rpcs_by_message_type
    ]
    row["rpcs_by_user"] = [
        {
            "user": r.user,
            "user_id": r.user_id,
            "count": r.count,
            "average_time": r.average_time,
            "total_time": r.total_time,
        }
        for r in stats.rpcs_by_user
    ]
    return row
