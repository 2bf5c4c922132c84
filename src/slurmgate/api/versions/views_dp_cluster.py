"""Values of nodes, partitions, reservations, licenses, pings, statistics and shares that
v0.0.40 and later print and the model does not hold as such."""

from __future__ import annotations

from slurmgate.api.versions.codecs import INFINITE, Infinite
from slurmgate.domain import ControllerPing, Node, Partition, Reservation


def node_state(node: Node) -> list[str]:
    return [node.state.value.upper(), *node.state_flags]


def node_free_memory(node: Node) -> int:
    return node.free_memory


def partition_state(part: Partition) -> list[str]:
    return [part.state]


def partition_flags_dp(part: Partition) -> list[str]:
    return [flag.upper() for flag in part.flags] or (["DEFAULT"] if part.is_default else [])


def _unlimited(value: int | None) -> int | Infinite:
    return INFINITE if value is None else value


def max_time(part: Partition) -> int | Infinite:
    return _unlimited(part.max_time)


def max_nodes(part: Partition) -> int | Infinite:
    return _unlimited(part.max_nodes)


def max_cpus_per_node(part: Partition) -> int | Infinite:
    return _unlimited(part.max_cpus_per_node)


def max_cpus_per_socket(part: Partition) -> Infinite:
    return INFINITE


def reservation_flags(resv: Reservation) -> list[str]:
    return list(resv.flags)


def purge_completed_time(resv: Reservation) -> int | None:
    return resv.purge_completed_time if resv.purge_completed else None


def pinged(ping: ControllerPing) -> str:
    return "UP" if ping.responding else "DOWN"


def ping_responding(ping: ControllerPing) -> bool:
    return ping.responding


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__
         and not isinstance(value, type)}  # fmt: skip
