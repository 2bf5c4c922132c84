"""libslurm's node, partition, reservation and license messages as domain objects.

Each function reads a message the caller loaded and will free; nothing here keeps a pointer
into it. Values are read the way slurmrestd 22.05's openapi plugins read them (nodes.c,
partitions.c, reservations.c, diag.c), so that the rendered JSON matches the daemon's.

A few helpers exported by libslurmfull.so have no prototype in any installed header; they are
looked up in the process (the binding loads the library with RTLD_GLOBAL) and called through
function pointers of the types their sources declare (the same in 22.05 to 26.05).
"""

from __future__ import annotations

import ctypes
import functools
import pwd
import threading
from typing import Any

from slurmgate.backends.slurm.cvalues import INFINITE, NO_VAL, NO_VAL16, NO_VAL64, pointer, text
from slurmgate.domain import (
    License,
    Node,
    NodeState,
    Partition,
    Reservation,
    SlurmgateError,
    hostlist,
)

#: slurm.h: the bit that marks a memory amount as per CPU rather than per node.
MEM_PER_CPU = 1 << 63

# name -> C type, from src/common/slurm_protocol_defs.h of 22.05 to 26.05 (const char *
# where 24.11 made it so: the same call).
_INTERNAL = {
    "slurm_node_state_base_string": "const char *(*)(uint32_t)",
    "slurm_node_state_flag_string_single": "const char *(*)(uint32_t *)",
    "slurm_valid_base_state": "_Bool (*)(uint32_t)",
    "rpc_num2string": "char *(*)(uint16_t)",
    "slurm_free_stats_response_msg": "void (*)(stats_info_response_msg_t *)",
}
_resolved: dict[tuple[int, str], Any] = {}
_resolve_lock = threading.Lock()


def internal(ffi: Any, name: str) -> Any:
    """A callable for one of libslurm's header-less exports (see ``_INTERNAL``)."""
    key = (id(ffi), name)
    found = _resolved.get(key)
    if found is None:
        with _resolve_lock:
            # RTLD_DEFAULT scope: the binding made libslurmfull's symbols global.
            address = ctypes.cast(getattr(ctypes.CDLL(None), name), ctypes.c_void_p).value
            found = _resolved[key] = ffi.cast(_INTERNAL[name], address)
    return found


@functools.lru_cache(maxsize=4096)
def user_name(uid: int) -> str:
    """The account name of ``uid``, "" when there is none (uid_to_string_or_null)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return ""


def _i64(value: int) -> int:
    # slurmrestd prints uint64 fields through int64_t: NO_VAL64 comes out as -2.
    return value - (1 << 64) if value >= 1 << 63 else value


def _csv(value: str) -> list[str]:
    return [item for item in value.split(",") if item]


# -- nodes ---------------------------------------------------------------------------------


def node_state(ffi: Any, state: int) -> tuple[NodeState, list[str]]:
    """Base state and flags as nodes.c names them (node_state_base_string, lower case)."""
    base = text(ffi, internal(ffi, "slurm_node_state_base_string")(state)).lower()
    try:
        found = NodeState(base)
    except ValueError:  # "invalid": a base value this release does not know
        found = NodeState.UNKNOWN
    flags: list[str] = []
    if internal(ffi, "slurm_valid_base_state")(state):  # nodes.c: no flags for unknown bases
        remaining = ffi.new("uint32_t *", state)
        single = internal(ffi, "slurm_node_state_flag_string_single")
        while (flag := single(remaining)) != ffi.NULL:
            flags.append(text(ffi, flag))
    return found, flags


def _allocated(ffi: Any, lib: Any, node: Any) -> tuple[int, int, str, float]:
    """Allocated CPUs, memory, TRES text and weighted TRES (0 since 25.05, which sends none):
    from the select plugin's data before 25.05, from the node record since (releases.py)."""
    cpus = ffi.new("uint16_t *")
    memory = ffi.new("uint64_t *")
    tres = ffi.new("char **")
    weighted = ffi.new("double *")
    # On a failure slurmrestd fails the request; a node with what was read is more useful.
    lib.slurmgate_node_alloc(pointer(ffi, node), cpus, memory, tres, weighted)
    used = text(ffi, tres[0])
    lib.slurmgate_node_alloc_free(tres[0])
    return int(cpus[0]), int(memory[0]), used, float(weighted[0])


def nodes_from_msg(ffi: Any, lib: Any, msg: Any, partitions: Any = None) -> list[Node]:
    """The nodes of a slurm_load_node message (slurmrestd loads with SHOW_ALL|SHOW_DETAIL|
    SHOW_MIXED).

    With a partition message, each node's partitions are filled in first by
    slurm_populate_node_partitions, as slurmrestd does. That call matches partitions to nodes
    by index into the controller's node table, so it is right only for a message holding every
    node (slurm_load_node), not for slurm_load_node_single.
    """
    if partitions is not None and partitions != ffi.NULL:
        lib.slurm_populate_node_partitions(msg, partitions)
    nodes: list[Node] = []
    for i in range(msg.record_count):
        node = msg.node_array[i]
        if node.name == ffi.NULL:  # a defunct (removed dynamic) node, skipped as nodes.c does
            continue
        nodes.append(_node(ffi, lib, node))
    return nodes


def _node(ffi: Any, lib: Any, node: Any) -> Node:
    state, flags = node_state(ffi, node.node_state)
    alloc_cpus, alloc_memory, tres_used, weighted = _allocated(ffi, lib, node)
    return Node(
        name=text(ffi, node.name),
        hostname=text(ffi, node.node_hostname),
        address=text(ffi, node.node_addr),
        state=state,
        state_flags=flags,
        cpus=node.cpus,
        alloc_cpus=alloc_cpus,
        sockets=node.sockets,
        cores=node.cores,
        threads=node.threads,
        boards=node.boards,
        real_memory=_i64(node.real_memory),
        alloc_memory=_i64(alloc_memory),
        free_memory=_i64(node.free_mem),
        tmp_disk=node.tmp_disk,
        cpu_load=node.cpu_load,
        architecture=text(ffi, node.arch),
        operating_system=text(ffi, node.os),
        features=_csv(text(ffi, node.features)),
        active_features=_csv(text(ffi, node.features_act)),
        gres=text(ffi, node.gres),
        gres_used=text(ffi, node.gres_used),
        partitions=_csv(text(ffi, node.partitions)),
        boot_time=int(node.boot_time),
        slurmd_start_time=int(node.slurmd_start_time),
        last_busy=int(node.last_busy),
        reason=text(ffi, node.reason),
        reason_set_by_user=user_name(node.reason_uid),
        reason_changed_at=int(node.reason_time),
        weight=node.weight,
        owner="" if node.owner == NO_VAL else user_name(node.owner),
        version=text(ffi, node.version),
        tres=text(ffi, node.tres_fmt_str),
        tres_used=tres_used,
        tres_weighted=weighted,
        mcs_label=text(ffi, node.mcs_label),
        burstbuffer_network_address=text(ffi, node.bcast_address),
        port=node.port,
        comment=text(ffi, node.comment),
        extra=text(ffi, node.extra),
    )


# -- partitions ----------------------------------------------------------------------------


def _names(table: str) -> tuple[tuple[str, str], ...]:
    """``"A B:C"`` -> (("A", "A"), ("B", "C")): constant suffixes, and their printed names."""
    return tuple((item.split(":")[0], item.split(":")[-1]) for item in table.split())


# Both in the order partitions.c tests them; the renderer lower-cases the flags.
_PART_FLAGS = _names(
    "DEFAULT HIDDEN NO_ROOT ROOT_ONLY REQ_RESV:RESERVATION_REQUIRED LLN:LEAST_LOADED_NODES"
    " EXCLUSIVE_USER"
)
_PREEMPT_MODES = _names("SUSPEND REQUEUE CANCEL GANG WITHIN")
_PARTITION_STATES = _names("UP DOWN INACTIVE DRAIN")


def _bits(lib: Any, prefix: str, table: tuple[tuple[str, str], ...], value: int) -> list[str]:
    return [name for bit, name in table if value & getattr(lib, prefix + bit)]


def _preempt_mode(lib: Any, mode: int) -> str:
    if mode == NO_VAL16:
        return ""
    if mode == lib.PREEMPT_MODE_OFF:
        return "OFF"
    return ",".join(_bits(lib, "PREEMPT_MODE_", _PREEMPT_MODES, mode))


def _partition_state(lib: Any, state: int) -> str:
    found = (name for c, name in _PARTITION_STATES if state == getattr(lib, "PARTITION_" + c))
    return next(found, "UNKNOWN")


def _memory(value: int) -> tuple[int | None, int | None]:
    """(per CPU, per node) MiB from Slurm's encoding: MEM_PER_CPU marks a per-CPU value."""
    amount = value & ~MEM_PER_CPU
    if value == NO_VAL64 or not amount:  # unset, or DEFAULT_(MAX_)MEM_PER_CPU (0)
        return None, None
    if value & MEM_PER_CPU:
        return amount, None
    return None, value


def _limit(value: int) -> int | None:
    return None if value in (INFINITE, NO_VAL) else value


def partitions_from_msg(ffi: Any, lib: Any, msg: Any) -> list[Partition]:
    """The partitions of a slurm_load_partitions message (slurmrestd loads with SHOW_ALL)."""
    return [_partition(ffi, lib, msg.partition_array[i]) for i in range(msg.record_count)]


def _partition(ffi: Any, lib: Any, part: Any) -> Partition:
    nodes = text(ffi, part.nodes)
    try:
        names = hostlist.expand(nodes) if nodes else []
    except SlurmgateError:  # an expression the Python parser refuses: keep the text only
        names = []
    def_cpu, def_node = _memory(part.def_mem_per_cpu)
    max_cpu, max_node = _memory(part.max_mem_per_cpu)
    return Partition(
        name=text(ffi, part.name),
        nodes=nodes,
        node_names=names,
        is_default=bool(part.flags & lib.PART_FLAG_DEFAULT),
        state=_partition_state(lib, part.state_up),
        total_cpus=part.total_cpus,
        total_nodes=part.total_nodes,
        # partitions.c prints INFINITE as -1 (None here); NO_VAL is printed as the number.
        max_time=None if part.max_time == INFINITE else part.max_time,
        default_time=_limit(part.default_time),
        min_nodes=part.min_nodes,
        max_nodes=None if part.max_nodes == INFINITE else part.max_nodes,
        max_cpus_per_node=_limit(part.max_cpus_per_node),
        default_memory_per_cpu=def_cpu,
        default_memory_per_node=def_node,
        max_memory_per_cpu=max_cpu,
        max_memory_per_node=max_node,
        priority_job_factor=part.priority_job_factor,
        priority_tier=part.priority_tier,
        grace_time=part.grace_time,
        over_time_limit=None if part.over_time_limit == NO_VAL16 else part.over_time_limit,
        preemption_mode=_preempt_mode(lib, part.preempt_mode),
        allowed_accounts=text(ffi, part.allow_accounts),
        allowed_groups=text(ffi, part.allow_groups),
        allowed_qos=text(ffi, part.allow_qos),
        allowed_allocation_nodes=text(ffi, part.allow_alloc_nodes),
        alternate=text(ffi, part.alternate),
        deny_accounts=text(ffi, part.deny_accounts),
        deny_qos=text(ffi, part.deny_qos),
        qos=text(ffi, part.qos_char),
        tres=text(ffi, part.tres_fmt_str),
        billing_weights=text(ffi, part.billing_weights_str),
        flags=_bits(lib, "PART_FLAG_", _PART_FLAGS, part.flags),
    )


# -- reservations --------------------------------------------------------------------------

# reservations.c's table, in its order; PURGE_COMP is shown as purge_completed instead.
_RESERVE_FLAGS = _names(
    "MAINT NO_MAINT FLEX OVERLAP IGN_JOBS:IGNORE_JOBS HOURLY NO_HOURLY DAILY NO_DAILY WEEKDAY"
    " WEEKEND WEEKLY NO_WEEKLY SPEC_NODES ALL_NODES ANY_NODES NO_ANY_NODES STATIC NO_STATIC"
    " PART_NODES NO_PART_NODES FIRST_CORES TIME_FLOAT REPLACE REPLACE_DOWN"
    " NO_HOLD_JOBS:NO_HOLD_JOBS_AFTER_END MAGNETIC NO_MAGNETIC"
)


def reservation_flags(lib: Any, flags: int) -> list[str]:
    return _bits(lib, "RESERVE_FLAG_", _RESERVE_FLAGS, flags)


def reservations_from_msg(ffi: Any, lib: Any, msg: Any) -> list[Reservation]:
    """The reservations of a slurm_load_reservations message."""
    return [_reservation(ffi, lib, msg.reservation_array[i]) for i in range(msg.record_count)]


def _reservation(ffi: Any, lib: Any, resv: Any) -> Reservation:
    purge = bool(resv.flags & lib.RESERVE_FLAG_PURGE_COMP)
    specs: list[dict[str, object]] = []
    if resv.core_spec != ffi.NULL:
        for i in range(resv.core_spec_cnt):
            spec = resv.core_spec[i]
            specs.append({"node": text(ffi, spec.node_name), "core": text(ffi, spec.core_id)})
    return Reservation(
        name=text(ffi, resv.name),
        nodes=text(ffi, resv.node_list),
        node_count=resv.node_cnt,
        core_count=resv.core_cnt,
        start_time=int(resv.start_time),
        end_time=int(resv.end_time),
        partition=text(ffi, resv.partition),
        users=text(ffi, resv.users),
        accounts=text(ffi, resv.accounts),
        groups=text(ffi, resv.groups),
        licenses=text(ffi, resv.licenses),
        features=text(ffi, resv.features),
        tres=text(ffi, resv.tres_str),
        burst_buffer=text(ffi, resv.burst_buffer),
        flags=reservation_flags(lib, resv.flags),
        max_start_delay=resv.max_start_delay,
        purge_completed=purge,
        # Set only with PURGE_COMP, when reservations.c prints it; otherwise a stale default.
        purge_completed_time=resv.purge_comp_time if purge else 0,
        # reservations.c prints the number as stored; gone since 24.05 (NO_VAL from the shim).
        watts=None if (watts := lib.slurmgate_resv_watts(pointer(ffi, resv))) == NO_VAL else watts,
        core_specializations=specs,
    )


# -- licenses ------------------------------------------------------------------------------


def licenses_from_msg(ffi: Any, lib: Any, msg: Any) -> list[License]:
    """The licenses of a slurm_load_licenses message."""
    found = (msg.lic_array[i] for i in range(msg.num_lic))
    return [
        License(text(ffi, lic.name), lic.total, lic.in_use, lic.reserved, bool(lic.remote))
        for lic in found
    ]
