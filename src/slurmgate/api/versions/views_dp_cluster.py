"""Values of nodes, partitions, reservations, licenses, pings, statistics and shares that
v0.0.40 and later print and the model does not hold as such.

Each follows what the data_parser plugins print (``parsers.c`` of each version): flags and
states as lists of names in the order of the plugin's tables, limits the model holds as None
for UNLIMITED as ``INFINITE``, and, where the model does not hold a value, what the daemon
prints for a cluster that never set it (each such view says so).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence

from slurmgate.api.versions.answer import Answer
from slurmgate.api.versions.codecs import INFINITE, Infinite
from slurmgate.domain import (
    ControllerPing,
    Node,
    NodeResourceLayout,
    Partition,
    Reservation,
    ShareEntry,
    Shares,
    TresValue,
)

#: slurm.h: INFINITE16, which over_time_limit holds for UNLIMITED.
INFINITE16 = 0xFFFF
#: slurm.h: NO_VAL, a 32-bit limit never set.
NO_VAL = 0xFFFFFFFE
#: slurm.h: the bit that marks a memory amount as per CPU.
MEM_PER_CPU = 1 << 63
#: slurmctld's purge_comp_time when a reservation was given none (reservation.c).
DEFAULT_PURGE_TIME = 300

# -- nodes -----------------------------------------------------------------------------------

# NODE_STATES' flags in the order of parsers.c (the base state comes first).
_NODE_FLAG_ORDER = {
    name: i
    for i, name in enumerate(
        "RESERVED UNDRAIN CLOUD RESUME DRAIN COMPLETING NOT_RESPONDING POWERED_DOWN FAIL"
        " POWERING_UP MAINTENANCE REBOOT_REQUESTED REBOOT_CANCELED POWERING_DOWN DYNAMIC_FUTURE"
        " REBOOT_ISSUED PLANNED INVALID_REG POWER_DOWN POWER_UP POWER_DRAIN POWER_DOWN_ASAP"
        " POWER_DOWN_FORCE DYNAMIC_NORM BLOCKED".split()
    )
}


def node_state(node: Node) -> list[str]:
    """The base state, then its flags: ``["MIXED", "DRAIN"]``."""
    flags = sorted(node.state_flags, key=lambda f: _NODE_FLAG_ORDER.get(f, len(_NODE_FLAG_ORDER)))
    return [node.state.value.upper(), *flags]


def node_free_mem(node: Node) -> int | Infinite | None:
    """The model keeps what slurmrestd 22.05 printed: NO_VAL64 (not reported yet) as -2."""
    if node.free_memory == -2:
        return None
    return INFINITE if node.free_memory == -1 else node.free_memory


def node_next_state(node: Node) -> list[str]:
    """No reboot asked for: slurmctld holds NO_VAL, printed "INVALID" (the model holds none)."""
    return ["INVALID"]


def node_reason_user(node: Node) -> str:
    """v0.0.45 names who set the reason only while there is one."""
    return node.reason_set_by_user if node.reason else ""


def node_suspend_time(node: Node) -> Infinite:
    """SuspendTime not set (power saving off), as the model cannot say otherwise."""
    return INFINITE


# -- partitions ------------------------------------------------------------------------------


def partition_state(part: Partition) -> list[str]:
    return [part.state]


def _unlimited(value: int | None) -> int | Infinite | None:
    """None is UNLIMITED in the model; NO_VAL (never set) is printed unset."""
    if value is None:
        return INFINITE
    return None if value == NO_VAL else value


def max_time(part: Partition) -> int | Infinite | None:
    return _unlimited(part.max_time)


def max_nodes(part: Partition) -> int | Infinite | None:
    return _unlimited(part.max_nodes)


def max_cpus_per_node(part: Partition) -> int | Infinite | None:
    return _unlimited(part.max_cpus_per_node)


def max_cpus_per_socket(part: Partition) -> Infinite:
    """MaxCPUsPerSocket unset (UNLIMITED): the model does not hold it."""
    return INFINITE


def over_time_limit(part: Partition) -> int | Infinite | None:
    """None is NO_VAL16 (unset); INFINITE16 is OverTimeLimit=UNLIMITED."""
    if part.over_time_limit == INFINITE16:
        return INFINITE
    return part.over_time_limit


def _raw_memory(per_cpu: int | None, per_node: int | None) -> int:
    """Slurm's one field for both, printed through int64 (a per-CPU amount is negative)."""
    if per_cpu is not None:
        return (per_cpu | MEM_PER_CPU) - (1 << 64)
    return per_node or 0


def _per_node(per_cpu: int | None, per_node: int | None) -> int | None:
    """Unset only when the amount is per CPU: 0 (no limit) is a per-node amount of 0."""
    if per_cpu is not None:
        return None
    return per_node or 0


def default_memory_raw(part: Partition) -> int:
    return _raw_memory(part.default_memory_per_cpu, part.default_memory_per_node)


def default_memory_per_node(part: Partition) -> int | None:
    return _per_node(part.default_memory_per_cpu, part.default_memory_per_node)


def max_memory_raw(part: Partition) -> int:
    return _raw_memory(part.max_memory_per_cpu, part.max_memory_per_node)


def max_memory_per_node(part: Partition) -> int | None:
    return _per_node(part.max_memory_per_cpu, part.max_memory_per_node)


# PARTITION_FLAGS of v0.0.45 (the model keeps slurmrestd 22.05's names for two of them);
# the exclusive ones are printed apart (partition/exclusive).
_PARTITION_FLAGS = {"RESERVATION_REQUIRED": "REQ_RESV", "LEAST_LOADED_NODES": "LLN"}
_PARTITION_FLAG_ORDER = "DEFAULT HIDDEN NO_ROOT ROOT_ONLY REQ_RESV LLN PDOI".split()


def partition_flags(part: Partition) -> list[str]:
    names = {_PARTITION_FLAGS.get(flag.upper(), flag.upper()) for flag in part.flags}
    if part.is_default:
        names.add("DEFAULT")
    return [name for name in _PARTITION_FLAG_ORDER if name in names]


def partition_exclusive(part: Partition) -> str:
    """Exclusive= as ``scontrol show partition`` says it (OverSubscribe taken as NO)."""
    return "USER" if "EXCLUSIVE_USER" in (f.upper() for f in part.flags) else "NO"


_PREEMPT_MODES = ("SUSPEND", "REQUEUE", "CANCEL", "PRIORITY")


def preempt_mode(part: Partition) -> list[str]:
    """v0.0.45's names: unset is the cluster's mode; GANG and WITHIN are not shown."""
    mode = part.preemption_mode.upper()
    if mode == "":
        return ["CLUSTER_GLOBAL"]
    if mode == "OFF":
        return ["DISABLED"]
    given = set(mode.split(","))
    return [name for name in _PREEMPT_MODES if name in given]


def partition_select_type(part: Partition) -> list[str]:
    """v0.0.45: no SelectTypeParameters of its own (the cluster's apply), as the model says
    nothing of them."""
    return ["NONE"]


# -- reservations ----------------------------------------------------------------------------

# RESERVATION_FLAGS in the order of parsers.c: v0.0.40, then what v0.0.41 and v0.0.44 added.
_RESERVATION_FLAGS_40 = (
    "MAINT NO_MAINT DAILY NO_DAILY WEEKLY NO_WEEKLY IGNORE_JOBS NO_IGNORE_JOBS ANY_NODES"
    " STATIC NO_STATIC PART_NODES NO_PART_NODES OVERLAP SPEC_NODES TIME_FLOAT REPLACE ALL_NODES"
    " PURGE_COMP WEEKDAY NO_WEEKDAY WEEKEND NO_WEEKEND FLEX NO_FLEX DURATION_PLUS DURATION_MINUS"
    " NO_HOLD_JOBS_AFTER_END NO_PURGE_COMP MAGNETIC SKIP HOURLY NO_HOURLY REOCCURRING"
).split()
_RESERVATION_FLAGS_41 = [
    *_RESERVATION_FLAGS_40[:-1], "USER_DELETE", "NO_USER_DELETE", "REOCCURRING"
]  # fmt: skip
_RESERVATION_FLAGS_44 = (
    "MAINT NO_MAINT DAILY NO_DAILY WEEKLY NO_WEEKLY IGNORE_JOBS NO_IGNORE_JOBS ANY_NODES"
    " NO_ANY_NODES STATIC NO_STATIC PART_NODES NO_PART_NODES OVERLAP SPEC_NODES TIME_FLOAT"
    " REPLACE ALL_NODES PURGE_COMP WEEKDAY NO_WEEKDAY WEEKEND NO_WEEKEND FLEX NO_FLEX"
    " DURATION_PLUS DURATION_MINUS NO_HOLD_JOBS_AFTER_END REPLACE_DOWN NO_PURGE_COMP MAGNETIC"
    " NO_MAGNETIC SKIP HOURLY NO_HOURLY USER_DELETE FORCE_START NO_USER_DELETE REOCCURRING"
    " TRES_PER_NODE"
).split()


def _reservation_flags(resv: Reservation, table: Sequence[str]) -> list[str]:
    """The flags this version knows, in its order; the model keeps PURGE_COMP apart."""
    given = set(resv.flags) | ({"PURGE_COMP"} if resv.purge_completed else set())
    return [name for name in table if name in given]


def reservation_flags_40(resv: Reservation) -> list[str]:
    return _reservation_flags(resv, _RESERVATION_FLAGS_40)


def reservation_flags_41(resv: Reservation) -> list[str]:
    return _reservation_flags(resv, _RESERVATION_FLAGS_41)


def reservation_flags_44(resv: Reservation) -> list[str]:
    return _reservation_flags(resv, _RESERVATION_FLAGS_44)


def purge_completed_time(resv: Reservation) -> int:
    """Printed whether PURGE_COMP is set or not: slurmctld's default when it is not."""
    return resv.purge_completed_time if resv.purge_completed else DEFAULT_PURGE_TIME


# -- pings -----------------------------------------------------------------------------------

#: slurm_strerror's texts for what slurm_ping returns.
_PING_ERRORS = {
    0: "No error",
    -1: "Unspecified error",
    1001: "Communication connection failure",
    1002: "Message send failure",
    1003: "Message receive failure",
    1800: "Unable to contact slurm controller (connect failure)",
    5004: "Socket timed out on send/recv operation",
}


def pinged(ping: ControllerPing) -> str:
    return "UP" if ping.responding else "DOWN"


def ping_primary(ping: ControllerPing) -> bool:
    return ping.mode == "primary"


def ping_status(ping: ControllerPing) -> str:
    """slurm_strerror() of the ping's return code (libc's text below Slurm's numbers)."""
    if ping.status in _PING_ERRORS:
        return _PING_ERRORS[ping.status]
    if 0 < ping.status < 1000:
        return os.strerror(ping.status)
    return f"Unknown error {ping.status}"


# -- shares ----------------------------------------------------------------------------------


def shares_result(answer: Answer) -> Shares:
    """shares' one record: the HTTP layer passes a ``Shares`` as the answer's result."""
    shares: Shares = answer.result
    return shares


def _no_val(value: float | None) -> float | Infinite | None:
    """A double that may be unset (None, NaN) or infinite (math.inf), as FLOAT64_NO_VAL."""
    if value is None or math.isnan(value):
        return None
    return INFINITE if math.isinf(value) else value


#: What slurmctld's doubles hold for "unset" (NO_VAL), printed as is by v0.0.40/41.
_NO_VAL_DOUBLE = 4294967294.0


def _plain(value: float | None) -> float:
    """v0.0.40/41 print the double as it is: NO_VAL for unset. JSON has no infinity (the
    daemon prints ``Infinity``, which JSON parsers refuse): the largest double instead."""
    if value is None or math.isnan(value):
        return _NO_VAL_DOUBLE
    return math.copysign(sys.float_info.max, value) if math.isinf(value) else value


def share_shares_normalized(entry: ShareEntry) -> float | Infinite | None:
    return _no_val(entry.shares_normalized)


def share_usage_normalized(entry: ShareEntry) -> float | Infinite | None:
    return _no_val(entry.usage_normalized)


def share_effective_usage(entry: ShareEntry) -> float | Infinite | None:
    return _no_val(entry.effective_usage)


def share_fairshare_factor(entry: ShareEntry) -> float | Infinite | None:
    return _no_val(entry.fairshare_factor)


def share_fairshare_level(entry: ShareEntry) -> float | Infinite | None:
    return _no_val(entry.fairshare_level)


def share_effective_usage_plain(entry: ShareEntry) -> float:
    return _plain(entry.effective_usage)


def share_fairshare_factor_plain(entry: ShareEntry) -> float:
    return _plain(entry.fairshare_factor)


def share_fairshare_level_plain(entry: ShareEntry) -> float:
    return _plain(entry.fairshare_level)


def share_type(entry: ShareEntry) -> list[str]:
    return [entry.kind]


def tres_count(tres: TresValue) -> int | Infinite | None:
    """TRES-seconds and TRES-minute limits: None unset, math.inf no limit (INFINITE64)."""
    if tres.value is None or math.isnan(tres.value):
        return None
    return INFINITE if math.isinf(tres.value) else int(tres.value)


def tres_amount(tres: TresValue) -> float:
    return 0.0 if tres.value is None else tres.value


# -- resource layouts ------------------------------------------------------------------------


def core_mask(layout: NodeResourceLayout) -> str:
    """The allocated cores ("0-3,8") as slurmctld's hexadecimal mask of the node's cores
    ("0x10F"), one digit per four cores."""
    mask = 0
    for part in filter(None, layout.core_bitmap.split(",")):
        first, _, last = part.partition("-")
        for core in range(int(first), int(last or first) + 1):
            mask |= 1 << core
    digits = max(1, -(-(layout.sockets_per_node * layout.cores_per_socket) // 4))
    return f"0x{mask:0{digits}X}"


def resource_layouts(answer: Answer) -> list[NodeResourceLayout]:
    """resources/{job_id}: the HTTP layer passes the job's nodes as the answer's items."""
    layouts: list[NodeResourceLayout] = list(answer.items)
    return layouts


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__
         and not isinstance(value, type)}  # fmt: skip
