"""Fair-share usage (``sshare``) and a running job's resources core by core, as the user.

Shares come from slurmctld's association cache (slurm_associations_get_shares, or on releases
before 23.11 the message sshare sends itself: ``shims_actions``). Values are kept as slurmctld
computes them: NO_VAL (never computed, as priority/basic leaves most of them) is None, an
association with no usage may have an infinite fair-share level. slurmctld shows a user who is
not an operator only their own associations under PrivateData=usage.

Resource layouts are slurm_get_resource_layout's (25.11+). slurmctld sends each node's cores as
a hexadecimal mask ("0x0F"); they are read into Slurm's list form ("0-3"), as the domain keeps
them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slurmgate.backends.slurm.access_read import slurm_list
from slurmgate.backends.slurm.client import Call
from slurmgate.backends.slurm.cvalues import INFINITE64, NO_VAL, NO_VAL64, cstring, text
from slurmgate.domain import GresLayout, NodeResourceLayout, ShareEntry, Shares, TresValue

#: What slurmctld leaves in a double it has nothing to say about: NO_VAL64, or NO_VAL where
#: the value went through a 32-bit NO_VAL first (usage_norm on 22.05).
_UNSET = (float(NO_VAL64), float(NO_VAL))


def _float(value: float) -> float | None:
    return None if value in _UNSET else float(value)


def _counter(value: int) -> float | None:
    return None if value in (NO_VAL64, INFINITE64) else float(value)


def _names_list(call: Call, names: list[str], keep: list[Any]) -> Any:
    """A Slurm list of ``names`` (NULL for none: every user or account); items stay ours."""
    if not names:
        return call.ffi.NULL
    items = call.lib.slurm_list_create(call.ffi.NULL)
    for name in names:
        call.lib.slurm_list_append(items, cstring(call.ffi, keep, name))
    return items


def shares(call: Call, users: list[str], accounts: list[str]) -> Shares:
    ffi, lib = call.ffi, call.lib
    keep: list[Any] = []
    request = ffi.new("slurmgate_shares_request_t *")
    request.user_list = _names_list(call, users, keep)
    request.acct_list = _names_list(call, accounts, keep)
    out = ffi.new("slurmgate_shares_response_t **")
    try:
        rc = lib.slurmgate_get_shares(request, out)
    finally:
        for items in (request.user_list, request.acct_list):
            if items != ffi.NULL:
                lib.slurm_list_destroy(items)
    if rc != 0:
        raise call.errors.last_error("slurm_associations_get_shares", "Unable to query shares")
    response = out[0]
    if response == ffi.NULL:
        return Shares(entries=(), total_shares=0)
    try:
        tres = [text(ffi, response.tres_names[i]) for i in range(response.tres_cnt)]
        entries = tuple(_entry(ffi, item, tres) for item in _items(ffi, lib, response))
        return Shares(entries=entries, total_shares=int(response.tot_shares))
    finally:
        lib.slurm_free_shares_response_msg(response)


def _items(ffi: Any, lib: Any, response: Any) -> Iterator[Any]:
    return slurm_list(ffi, lib, response.assoc_shares_list, "slurmgate_assoc_shares_t")


def _values(ffi: Any, names: list[str], array: Any, read: Any) -> tuple[TresValue, ...]:
    if array == ffi.NULL:
        return ()
    return tuple(TresValue(name, read(array[i])) for i, name in enumerate(names))


def _entry(ffi: Any, item: Any, tres: list[str]) -> ShareEntry:
    return ShareEntry(
        id=int(item.assoc_id),
        cluster=text(ffi, item.cluster),
        name=text(ffi, item.name),
        parent=text(ffi, item.parent),
        partition=text(ffi, item.partition),
        kind="USER" if item.user == 1 else "ASSOCIATION",
        shares=None if item.shares_raw == NO_VAL else int(item.shares_raw),
        shares_normalized=_float(item.shares_norm),
        usage=int(item.usage_raw),
        usage_normalized=_float(item.usage_norm),
        effective_usage=_float(item.usage_efctv),
        fairshare_factor=_float(item.fs_factor),
        fairshare_level=_float(item.level_fs),
        tres_run_seconds=_values(ffi, tres, item.tres_run_secs, _counter),
        tres_group_minutes=_values(ffi, tres, item.tres_grp_mins, _counter),
        tres_usage=_values(ffi, tres, item.usage_tres_raw, float),
    )


def cores_from_mask(mask: str) -> str:
    """ "0x0F" -> "0-3": a hexadecimal core mask in Slurm's list form."""
    try:
        bits = int(mask, 16) if mask else 0
    except ValueError:
        return mask  # not a mask: keep what slurmctld sent
    indexes = [i for i in range(bits.bit_length()) if bits >> i & 1]
    ranges: list[list[int]] = []
    for index in indexes:
        if ranges and ranges[-1][1] == index - 1:
            ranges[-1][1] = index
        else:
            ranges.append([index, index])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def resource_layout(call: Call, job_id: int) -> list[NodeResourceLayout]:
    ffi, lib = call.ffi, call.lib
    out = ffi.new("slurmgate_layout_msg_t **")
    rc = int(lib.slurmgate_get_resource_layout(job_id, out))
    if rc != 0:
        raise call.errors.error(rc, "slurm_get_resource_layout", f"Unable to query JobId={job_id}")
    message = out[0]
    if message == ffi.NULL:
        return []
    try:
        return [
            _node_layout(call, node)
            for node in slurm_list(ffi, lib, message.nodes, "slurmgate_node_layout_t")
        ]
    finally:
        lib.slurmgate_free_resource_layout(message)


def _node_layout(call: Call, node: Any) -> NodeResourceLayout:
    ffi, lib = call.ffi, call.lib
    gres = []
    index = ffi.new("char[]", 1024)
    for item in slurm_list(ffi, lib, node.gres, "slurmgate_gres_layout_t"):
        lib.slurmgate_bits(item.index, index, 1024)
        gres.append(
            GresLayout(
                name=text(ffi, item.name),
                type=text(ffi, item.type),
                count=int(item.count),
                index=text(ffi, index),
            )
        )
    return NodeResourceLayout(
        node=text(ffi, node.node),
        sockets_per_node=int(node.sockets_per_node),
        cores_per_socket=int(node.cores_per_socket),
        memory=int(node.mem_alloc),
        core_bitmap=cores_from_mask(text(ffi, node.core_bitmap)),
        channel=None if node.channel == NO_VAL else int(node.channel),
        gres=tuple(gres),
    )
