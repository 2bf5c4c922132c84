"""Nodes, partitions, reservations and licenses: the cluster's shape as slurmgate models it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class NodeState(StrEnum):
    """Slurm's base node states, lower case as slurmrestd v0.0.36–v0.0.38 print them."""

    UNKNOWN = "unknown"
    DOWN = "down"
    IDLE = "idle"
    ALLOCATED = "allocated"
    MIXED = "mixed"
    FUTURE = "future"
    ERROR = "error"


@dataclass(slots=True)
class Node:
    name: str
    hostname: str
    address: str
    state: NodeState
    #: Extra state flags ("DRAIN", "COMPLETING", ...), upper case as Slurm prints them.
    state_flags: list[str] = field(default_factory=list)
    cpus: int = 1
    alloc_cpus: int = 0
    sockets: int = 1
    cores: int = 1
    threads: int = 1
    boards: int = 1
    #: MiB
    real_memory: int = 0
    alloc_memory: int = 0
    free_memory: int = 0
    tmp_disk: int = 0
    #: Load average times 100, as Slurm stores it.
    cpu_load: int = 0
    architecture: str = ""
    operating_system: str = ""
    features: list[str] = field(default_factory=list)
    active_features: list[str] = field(default_factory=list)
    gres: str = ""
    gres_used: str = ""
    partitions: list[str] = field(default_factory=list)
    boot_time: int = 0
    slurmd_start_time: int = 0
    last_busy: int = 0
    reason: str = ""
    reason_set_by_user: str = ""
    reason_changed_at: int = 0
    weight: int = 1
    owner: str = ""
    version: str = ""
    tres: str = ""
    tres_used: str = ""
    tres_weighted: float = 0.0
    mcs_label: str = ""
    burstbuffer_network_address: str = ""
    port: int = 0
    #: Free text set by an administrator (scontrol update node Comment=, Extra=).
    comment: str = ""
    extra: str = ""

    @property
    def idle_cpus(self) -> int:
        return self.cpus - self.alloc_cpus


@dataclass(slots=True)
class Partition:
    name: str
    #: Hostlist expression of the partition's nodes ("n[1-4]").
    nodes: str
    node_names: list[str] = field(default_factory=list)
    is_default: bool = False
    state: str = "UP"
    total_cpus: int = 0
    total_nodes: int = 0
    #: Minutes; None = UNLIMITED.
    max_time: int | None = None
    default_time: int | None = None
    min_nodes: int = 0
    #: None = UNLIMITED.
    max_nodes: int | None = None
    max_cpus_per_node: int | None = None
    default_memory_per_cpu: int | None = None
    default_memory_per_node: int | None = None
    max_memory_per_cpu: int | None = None
    max_memory_per_node: int | None = None
    priority_job_factor: int = 1
    priority_tier: int = 1
    grace_time: int = 0
    over_time_limit: int | None = None
    #: Comma-separated PreemptMode ("OFF", "REQUEUE,GANG", ...); "" = not set (NO_VAL16).
    preemption_mode: str = "OFF"
    allowed_accounts: str = "ALL"
    allowed_groups: str = ""
    allowed_qos: str = "ALL"
    allowed_allocation_nodes: str = ""
    alternate: str = ""
    deny_accounts: str = ""
    deny_qos: str = ""
    qos: str = ""
    tres: str = ""
    billing_weights: str = ""
    flags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Reservation:
    name: str
    nodes: str = ""
    node_count: int = 0
    core_count: int = 0
    start_time: int = 0
    end_time: int = 0
    partition: str = ""
    users: str = ""
    accounts: str = ""
    groups: str = ""
    licenses: str = ""
    features: str = ""
    tres: str = ""
    burst_buffer: str = ""
    flags: list[str] = field(default_factory=list)
    max_start_delay: int = 0
    #: The PURGE_COMP flag (shown as ``purge_completed`` rather than among the flags) and its
    #: idle time in seconds.
    purge_completed: bool = False
    purge_completed_time: int = 0
    watts: int | None = None
    core_specializations: list[dict[str, object]] = field(default_factory=list)


@dataclass(slots=True)
class License:
    name: str
    total: int
    used: int = 0
    reserved: int = 0
    remote: bool = False

    @property
    def free(self) -> int:
        return max(self.total - self.used - self.reserved, 0)


@dataclass(frozen=True, slots=True)
class ControllerPing:
    hostname: str
    responding: bool
    mode: str = "primary"
    #: Slurm return code of the ping (0 = success).
    status: int = 0
    latency_us: int = 0
