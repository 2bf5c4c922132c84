"""Changing and removing nodes: ``slurm_update_node`` and ``slurm_delete_node``, as the user.

slurmctld decides who may: only its super users (root, SlurmUser, AdminLevel Administrator);
others get ESLURM_USER_ID_MISSING. The message is filled as scontrol fills it: state names
become the node_state value (a base state and flags, or-ed, as slurmrestd reads a state list),
lists are comma-separated. slurmctld records the requesting user as the one who set a reason,
whatever the request says (from 26.05 the message has no field for it).

An unknown node is NotFound, as the embedded cluster answers; nodes still in use cannot be
removed (Conflict).
"""

from __future__ import annotations

import pwd
from typing import Any

from slurmgate.backends.slurm.client import Call
from slurmgate.backends.slurm.cvalues import cstring
from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    NodeUpdate,
    NotFound,
    NotSupported,
    SlurmgateError,
)

#: State names (slurmrestd's and scontrol's) -> slurm.h constants.
_STATES = {
    "UNKNOWN": "NODE_STATE_UNKNOWN",
    "DOWN": "NODE_STATE_DOWN",
    "IDLE": "NODE_STATE_IDLE",
    "ALLOCATED": "NODE_STATE_ALLOCATED",
    "ERROR": "NODE_STATE_ERROR",
    "MIXED": "NODE_STATE_MIXED",
    "FUTURE": "NODE_STATE_FUTURE",
    "DRAIN": "NODE_STATE_DRAIN",
    "FAIL": "NODE_STATE_FAIL",
    "RESUME": "NODE_RESUME",
    "UNDRAIN": "NODE_STATE_UNDRAIN",
    "NO_RESPOND": "NODE_STATE_NO_RESPOND",
    "NOT_RESPONDING": "NODE_STATE_NO_RESPOND",
    "POWER_DOWN": "NODE_STATE_POWER_DOWN",
    "POWER_UP": "NODE_STATE_POWER_UP",
    "POWER_DRAIN": "NODE_STATE_POWER_DRAIN",
    "POWERED_DOWN": "NODE_STATE_POWERED_DOWN",
    "CANCEL_REBOOT": "NODE_STATE_REBOOT_CANCEL",
    "REBOOT_CANCELED": "NODE_STATE_REBOOT_CANCEL",
}


def node_state(call: Call, names: list[str]) -> int:
    value = 0
    for name in names:
        constant = _STATES.get(name.upper())
        if constant is None:
            raise InvalidRequest(
                f"Invalid node state specified: {name} (known: {', '.join(sorted(_STATES))})",
                error_number=call.errors.number("ESLURM_INVALID_NODE_STATE"),
                error="Invalid node state specified",
                source="state",
            )
        value |= int(getattr(call.lib, constant))
    return value


def msg_names(names: list[str]) -> str:
    return ",".join(names)


def _uid(user: str) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _refusal(call: Call, source: str, description: str) -> SlurmgateError:
    error = call.errors.last_error(source, description)
    if error.error_number == call.errors.number("ESLURM_INVALID_NODE_NAME"):
        return NotFound(
            error.description, error_number=error.error_number, error=error.error, source=source
        )
    if error.error_number == call.errors.number("ESLURM_NODES_BUSY"):
        return Conflict(
            error.description, error_number=error.error_number, error=error.error, source=source
        )
    return error


def update_nodes(call: Call, names: list[str], update: NodeUpdate, *, user: str) -> None:
    ffi, lib = call.ffi, call.lib
    keep: list[Any] = []
    msg = ffi.new("update_node_msg_t *")
    lib.slurm_init_update_node_msg(msg)
    msg.node_names = cstring(ffi, keep, ",".join(names))
    for field, value in (
        ("comment", update.comment),
        ("extra", update.extra),
        ("features", None if update.features is None else ",".join(update.features)),
        (
            "features_act",
            None if update.active_features is None else ",".join(update.active_features),
        ),
        ("gres", update.gres),
        ("reason", update.reason),
        ("node_addr", None if update.address is None else ",".join(update.address)),
        ("node_hostname", None if update.hostname is None else ",".join(update.hostname)),
    ):
        if value is not None:
            setattr(msg, field, cstring(ffi, keep, value))
    if update.weight is not None:
        if not 0 <= update.weight < 0xFFFFFFFE:
            raise InvalidRequest(f"Invalid weight {update.weight}", source="weight")
        msg.weight = update.weight
    if update.cpu_bind is not None:
        msg.cpu_bind = update.cpu_bind
    if update.state:
        msg.node_state = node_state(call, update.state)
    if update.reason:
        uid = _uid(update.reason_user or user)
        if uid is not None:
            lib.slurmgate_node_msg_set_reason_uid(msg, uid)
    if update.resume_after is not None:
        if lib.slurmgate_node_msg_set_resume_after(msg, update.resume_after) != 0:
            raise NotSupported("ResumeAfter needs Slurm 23.02 or later", source="resume_after")
    if update.topology is not None:
        topology = cstring(ffi, keep, update.topology)
        if lib.slurmgate_node_msg_set_topology(msg, topology) != 0:
            raise NotSupported("Node topology needs Slurm 25.05 or later", source="topology")
    if lib.slurm_update_node(msg) != 0:
        raise _refusal(call, "slurm_update_node", f"Failure to update node {msg_names(names)}")


def delete_nodes(call: Call, names: list[str]) -> None:
    ffi, lib = call.ffi, call.lib
    keep: list[Any] = []
    msg = ffi.new("update_node_msg_t *")
    lib.slurm_init_update_node_msg(msg)
    msg.node_names = cstring(ffi, keep, ",".join(names))
    if lib.slurm_delete_node(msg) != 0:
        raise _refusal(call, "slurm_delete_node", f"Failure to delete node {msg_names(names)}")
