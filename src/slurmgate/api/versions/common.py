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


def optional(schema: Schema, *names: str) -> Schema:
    """``schema`` with ``names`` marked as keys a response may leave out, as the daemon does
    (``x-optional``; every other declared key is always printed)."""
    return {**schema, "x-optional": [*schema.get("x-optional", ()), *names]}


def keyed_by_id(schema: Schema) -> Schema:
    """An object keyed by ids (sockets, cores) whose values are ``schema``: the declared
    properties stay, as the official document gives them."""
    return {**schema, "additionalProperties": schema}


def keys(schema: Schema) -> tuple[str, ...]:
    return tuple(schema["properties"])


def meta(
    info: ClusterInfo, plugin_type: str, plugin_name: str, *, numbers_as_text: bool = True
) -> dict[str, Any]:
    """The daemon prints the version parts as numbers; v0.0.38's document declares strings."""
    major, minor, micro = info.slurm_version
    version: dict[str, Any] = {"major": major, "micro": micro, "minor": minor}
    if numbers_as_text:
        version = {k: str(v) for k, v in version.items()}
    return {
        "plugin": {"type": plugin_type, "name": plugin_name},
        "Slurm": {"version": version, "release": info.release},
    }


def _opt(value: int | None, unset: int = 0) -> int:
    return unset if value is None else value


def _allocation(job: Job) -> dict[str, Any] | None:
    """``job_resources`` as v0.0.38 prints it; None for a job that never got resources."""
    if not job.allocations:
        return None
    resources: dict[str, Any] = {"nodes": job.nodes}
    if job.allocation_unit:  # allocated_cores with CR_Core/CR_Socket, allocated_cpus with CR_CPU
        resources[f"allocated_{job.allocation_unit}"] = sum(a.cpus for a in job.allocations)
    resources["allocated_hosts"] = len(job.allocations)
    resources["allocated_nodes"] = [
        {
            "sockets": _sockets(a.cores or ()),
            "nodename": a.node_name,
            "cpus_used": a.cpus_used,
            "memory_used": a.memory_used,
            "memory_allocated": a.memory,
        }
        for a in job.allocations
    ]
    return resources


def _sockets(cores: tuple[tuple[int, int], ...]) -> dict[str, Any]:
    """Allocated cores keyed by socket id, then core id within the socket."""
    sockets: dict[str, Any] = {}
    for socket, core in cores:
        sockets.setdefault(str(socket), {"cores": {}})["cores"][str(core)] = "allocated"
    return sockets


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


#: slurm.h: set in core_spec when the count is of threads.
CORE_SPEC_THREAD = 0x8000


# What slurmgate does not model, printed as the daemon prints an unset value. Shared by every
# row: arrays are tuples so that no caller can change them for all jobs at once.
_JOB_CONSTANTS: dict[str, Any] = {
    "federation_origin": "",
    "federation_siblings_active": "",
    "federation_siblings_viable": "",
    "gres_detail": (),
    "profile": (),
}


def job_row(job: Job) -> dict[str, Any]:
    """One job as v0.0.38 prints it (dump_job_info in jobs.c)."""
    exit_code = job.exit_code.raw if job.exit_code else 0
    derived = job.derived_exit_code.raw if job.derived_exit_code else 0
    shared = job.shared or ("none" if job.exclusive else "")
    row = {
        **_JOB_CONSTANTS,
        "admin_comment": job.admin_comment,
        "association_id": job.association_id,
        "batch_features": job.batch_features,
        "burst_buffer": job.burst_buffer,
        "burst_buffer_state": job.burst_buffer_state,
        "cluster_features": job.cluster_features,
        "container": job.container,
        # 22.05 prints the two crossed: a thread count (with CORE_SPEC_THREAD) as core_spec,
        # a core count as thread_spec.
        "core_spec": (
            ""
            if job.thread_specification is None
            else str(job.thread_specification | CORE_SPEC_THREAD)
        ),
        "thread_spec": _text(job.core_specification),
        "cores_per_socket": _text(job.cores_per_socket),
        "cpu_frequency_minimum": _text(job.cpu_frequency_minimum),
        "cpu_frequency_maximum": _text(job.cpu_frequency_maximum),
        "cpu_frequency_governor": _text(job.cpu_frequency_governor),
        "cpus_per_tres": job.cpus_per_tres,
        "delay_boot": job.delay_boot,
        "mcs_label": job.mcs_label,
        "memory_per_tres": job.memory_per_tres,
        "tasks_per_core": _opt(job.tasks_per_core),
        "tasks_per_node": _opt(job.tasks_per_node),
        "tasks_per_socket": _opt(job.tasks_per_socket),
        "tasks_per_board": job.tasks_per_board,
        "minimum_tmp_disk_per_node": job.minimum_tmp_disk_per_node,
        "pre_sus_time": job.pre_sus_time,
        "reboot": job.reboot,
        "show_flags": list(job.show_flags),
        "sockets_per_board": job.sockets_per_board,
        "sockets_per_node": _opt(job.sockets_per_node),
        "system_comment": job.system_comment,
        "threads_per_core": _opt(job.threads_per_core),
        "tres_bind": job.tres_bind,
        "tres_freq": job.tres_freq,
        "tres_per_job": job.tres_per_job,
        "tres_per_socket": job.tres_per_socket,
        "tres_per_task": job.tres_per_task,
        "group_name": job.group_name,
        "prefer": job.prefer,
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
        # job_state_string(): a state flag, when one is set, is shown instead of the base state.
        "job_state": job.state_flags[0] if job.state_flags else job.state.value,
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
    if row["job_resources"] is None:  # the daemon leaves the key out
        del row["job_resources"]
    return row


def node_row(node: Node) -> dict[str, Any]:
    """One node as v0.0.37/v0.0.38 print it (_dump_node in nodes.c): base state lower case."""
    return {
        "architecture": node.architecture,
        "burstbuffer_network_address": node.burstbuffer_network_address,
        "boards": node.boards,
        "boot_time": node.boot_time,
        "comment": node.comment,
        "cores": node.cores,
        "cpu_binding": 0,
        "cpu_load": node.cpu_load,
        "free_memory": node.free_memory,
        "cpus": node.cpus,
        "extra": node.extra,
        "features": ",".join(node.features),
        "active_features": ",".join(node.active_features),
        "gres": node.gres,
        "gres_drained": "N/A",
        "gres_used": node.gres_used,
        "last_busy": node.last_busy,
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


_PREEMPTION_MODES = {"suspend": "suspend", "requeue": "requeue", "gang": "gang_schedule"}


def preemption_modes(partition: Partition, *, within: bool = True) -> list[str]:
    """As v0.0.38 prints them: unset or OFF is "disabled"; CANCEL is not shown."""
    mode = partition.preemption_mode.lower()
    if mode in ("off", ""):
        return ["disabled"]
    names = dict(_PREEMPTION_MODES, within="within") if within else _PREEMPTION_MODES
    return [names[m] for m in mode.split(",") if m in names]


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
    row = {
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
        "start_time": resv.start_time,
        "watts": _opt(resv.watts, NO_VAL),
        "tres": resv.tres,
        "users": resv.users,
    }
    if resv.purge_completed:  # printed only with the PURGE_COMP flag
        row["purge_completed"] = {"time": resv.purge_completed_time}
    return row


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
    # The daemon prints neither of these in any version.
    del row["bf_last_depth"], row["bf_last_depth_try"]
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
