"""Which cores of its nodes a job of the embedded cluster holds while it runs.

The scheduler counts CPUs. When a job starts, its CPUs on each node become whole cores there, the
lowest-numbered cores no running job holds, socket by socket, as select/cons_tres gives them with
CR_Core: a node's cores are its CPUs divided by its threads per core, split evenly between its
sockets, and a job holds its CPUs divided by the threads per core, rounded up. Should a node have
fewer free cores than that (threads rounding up), the job shares the lowest-numbered busy ones.

The cores are kept in the job's ``NodeAllocation.cores`` as (socket, core within the socket)
pairs, what real Slurm reports; the resource layout prints them as a bitmap of the node's cores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from slurmgate.config import NodeConfig
from slurmgate.domain import Job, NodeAllocation


@dataclass(frozen=True, slots=True)
class Shape:
    """A node's cores: ``sockets`` x ``cores_per_socket``, ``threads`` CPUs each."""

    sockets: int
    cores_per_socket: int
    threads: int

    @property
    def cores(self) -> int:
        return self.sockets * self.cores_per_socket


def shape(config: NodeConfig) -> Shape:
    per_socket = max(config.cpus // (config.sockets * config.threads_per_core), 1)
    return Shape(config.sockets, per_socket, config.threads_per_core)


def assign(
    allocations: Iterable[NodeAllocation],
    shapes: Mapping[str, Shape],
    running: Iterable[Job],
) -> list[NodeAllocation]:
    """``allocations`` with the cores each takes on its node, given what ``running`` hold."""
    busy: dict[str, set[int]] = {}
    for job in running:
        for held in job.allocations:
            node = shapes.get(held.node_name)
            if node is not None and held.cores:
                busy.setdefault(held.node_name, set()).update(
                    socket * node.cores_per_socket + core for socket, core in held.cores
                )
    placed = []
    for allocation in allocations:
        node = shapes.get(allocation.node_name)
        if node is None:
            placed.append(allocation)
            continue
        taken = busy.setdefault(allocation.node_name, set())
        wanted = min(-(-allocation.cpus // node.threads), node.cores)
        free = [i for i in range(node.cores) if i not in taken]
        chosen = sorted((free + [i for i in range(node.cores) if i in taken])[:wanted])
        taken.update(chosen)
        pairs = tuple(divmod(index, node.cores_per_socket) for index in chosen)
        placed.append(replace(allocation, cores=pairs))
    return placed


def core_bitmap(cores: Iterable[tuple[int, int]], cores_per_socket: int) -> str:
    """The node-wide core indexes of ``cores`` as Slurm prints a bitmap: "0-3,8"."""
    indexes = sorted({socket * cores_per_socket + core for socket, core in cores})
    ranges: list[str] = []
    for index in indexes:
        if ranges and index == _last(ranges) + 1:
            first = ranges[-1].split("-")[0]
            ranges[-1] = f"{first}-{index}"
        else:
            ranges.append(str(index))
    return ",".join(ranges)


def _last(ranges: list[str]) -> int:
    return int(ranges[-1].split("-")[-1])
