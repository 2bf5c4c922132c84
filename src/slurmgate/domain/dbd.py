"""The accounting daemon itself: its clusters, cloud instances, statistics and reachability."""

from __future__ import annotations

from dataclasses import dataclass

from slurmgate.domain.accounting import AssociationRef, Tres


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    """A cluster registered with the accounting daemon."""

    name: str
    controller_host: str = ""
    controller_port: int = 0
    #: The cluster's nodes, hostlist form.
    nodes: str = ""
    rpc_version: int = 0
    #: "DELETED", "REGISTERING", "MULTIPLE_SLURMD", "FEDERATION", "EXTERNAL".
    flags: tuple[str, ...] = ()
    #: Its TRES totals (cpu, mem, node, ...).
    tres: tuple[Tres, ...] = ()
    root_association: AssociationRef | None = None


@dataclass(frozen=True, slots=True)
class ClusterQuery:
    names: tuple[str, ...] = ()
    with_deleted: bool = False


@dataclass(frozen=True, slots=True)
class Instance:
    """A cloud instance a node ran on (23.11 on)."""

    cluster: str
    node_name: str
    instance_id: str = ""
    instance_type: str = ""
    extra: str = ""
    time_start: int = 0
    time_end: int = 0


@dataclass(frozen=True, slots=True)
class InstanceQuery:
    clusters: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    instance_ids: tuple[str, ...] = ()
    instance_types: tuple[str, ...] = ()
    #: Nodes, hostlist form.
    node_list: str = ""
    time_start: int | None = None
    time_end: int | None = None


@dataclass(frozen=True, slots=True)
class RpcCount:
    """Calls of one kind, or of one user: how many and how long they took (microseconds)."""

    #: The message type ("DBD_GET_JOBS_COND") or the user's name.
    name: str
    #: The message type's number, or the user's uid.
    id: int
    count: int
    total_time: int
    average_time: int


@dataclass(frozen=True, slots=True)
class RollupStats:
    """Usage rollups of one period ("hourly", "daily", "monthly") since ``time_start``."""

    period: str
    count: int = 0
    last_run: int = 0
    #: Microseconds (slurmdbd's units).
    last_duration: int = 0
    max_duration: int = 0
    total_duration: int = 0


@dataclass(frozen=True, slots=True)
class DbdStats:
    """What ``sacctmgr show stats`` shows: calls by type and by user since ``time_start``."""

    time_start: int
    rollups: tuple[RollupStats, ...] = ()
    rpcs: tuple[RpcCount, ...] = ()
    users: tuple[RpcCount, ...] = ()


@dataclass(frozen=True, slots=True)
class DbdPing:
    hostname: str
    responding: bool
    #: Microseconds the answer took; 0 when there was none.
    latency: int = 0
    primary: bool = True
