"""The embedded cluster's shape (nodes, partitions, reservations, licenses) and how it looks now.

``ClusterLayout`` is built once from ``LocalSettings`` and the detected host:

- no ``nodes`` configured: one node named after this host (short name) with all its CPUs and
  MemTotal;
- no ``partitions`` configured: one partition ``debug``, the default, holding every node,
  MaxTime UNLIMITED;
- a partition's ``nodes = ["ALL"]`` means every node; reservations likewise.

Node state follows the allocations of running jobs: IDLE with none, ALLOCATED when every CPU
is taken, MIXED in between; DOWN, or the DRAIN and FAIL flags, as configured or as an
administrator set them since (``node_states``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from slurmgate.backends.local.node_states import NodeStates, NodeStatus
from slurmgate.backends.local.pass_state import NodeResources
from slurmgate.backends.local.resources import HostInfo
from slurmgate.config import LocalSettings, NodeConfig
from slurmgate.domain import (
    ConfigError,
    Job,
    License,
    Node,
    NodeState,
    NotFound,
    Partition,
    Reservation,
    hostlist,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_INVALID_NODE_NAME,
    ESLURM_INVALID_PARTITION_NAME,
    ESLURM_RESERVATION_INVALID,
)

SLURM_VERSION = "22.05.8"


def tres_string(cpus: int, memory: int, nodes: int | None = None) -> str:
    """Slurm's TRES text: ``cpu=2,mem=7961M,billing=2`` (``node=`` when given)."""
    parts = [f"cpu={cpus}", f"mem={memory}M"]
    if nodes is not None:
        parts.append(f"node={nodes}")
    parts.append(f"billing={cpus}")
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class NodeLive:
    """Readings taken from the host right now, shared by every node (they all run here)."""

    cpu_load: float
    free_memory: int
    now: int


class ClusterLayout:
    """Nodes, partitions, reservations and licenses as configured; renders their current view."""

    def __init__(self, settings: LocalSettings, host: HostInfo) -> None:
        self.host = host
        configs = settings.nodes or [
            NodeConfig(name=host.hostname, cpus=host.cpus, memory=host.memory)
        ]
        self.node_configs: dict[str, NodeConfig] = {}
        for config in configs:
            if config.name in self.node_configs:
                raise ConfigError(f"node {config.name!r} is configured twice")
            self.node_configs[config.name] = config
        self.partitions: dict[str, Partition] = {}
        self.default_partition: str | None = None
        self._build_partitions(settings)
        self._partitions_of: dict[str, list[str]] = {name: [] for name in self.node_configs}
        for partition in self.partitions.values():
            for node_name in partition.node_names:
                self._partitions_of[node_name].append(partition.name)
        self.license_totals = dict(settings.licenses)
        #: What administrators changed on the nodes since; the backend sets it at start.
        self.states: NodeStates | None = None
        self._reservations = [
            self._reservation(
                r.name, r.nodes, r.start_time, r.end_time, r.users, r.accounts, r.flags
            )
            for r in settings.reservations
        ]

    def _expand_nodes(self, names: Iterable[str], owner: str) -> list[str]:
        names = list(names)
        if names == ["ALL"] or not names:
            return list(self.node_configs)
        expanded: list[str] = []
        for item in names:
            for name in hostlist.expand(item):
                if name not in self.node_configs:
                    raise ConfigError(f"{owner} names unknown node {name!r}")
                if name not in expanded:
                    expanded.append(name)
        return expanded

    def _build_partitions(self, settings: LocalSettings) -> None:
        if not settings.partitions:
            names = list(self.node_configs)
            self.partitions["debug"] = self._partition_view(
                "debug",
                names,
                is_default=True,
                max_time=None,
                default_time=None,
                max_nodes=None,
                state="UP",
                priority_tier=1,
                default_memory_per_cpu=None,
            )
            self.default_partition = "debug"
            return
        for config in settings.partitions:
            if config.name in self.partitions:
                raise ConfigError(f"partition {config.name!r} is configured twice")
            if config.default and self.default_partition is not None:
                raise ConfigError(
                    f"partitions {self.default_partition!r} and {config.name!r} are both default"
                )
            names = self._expand_nodes(config.nodes, f"partition {config.name!r}")
            self.partitions[config.name] = self._partition_view(
                config.name,
                names,
                is_default=config.default,
                max_time=config.max_time,
                default_time=config.default_time,
                max_nodes=config.max_nodes,
                state=config.state,
                priority_tier=config.priority_tier,
                default_memory_per_cpu=config.default_memory_per_cpu,
            )
            if config.default:
                self.default_partition = config.name

    def _partition_view(
        self,
        name: str,
        node_names: list[str],
        *,
        is_default: bool,
        max_time: int | None,
        default_time: int | None,
        max_nodes: int | None,
        state: str,
        priority_tier: int,
        default_memory_per_cpu: int | None,
    ) -> Partition:
        cpus = sum(self.node_configs[n].cpus for n in node_names)
        memory = sum(self.node_configs[n].memory for n in node_names)
        flags = ["DEFAULT"] if is_default else []
        return Partition(
            name=name,
            nodes=hostlist.compress(node_names),
            node_names=list(node_names),
            is_default=is_default,
            state=state,
            total_cpus=cpus,
            total_nodes=len(node_names),
            max_time=max_time,
            default_time=default_time,
            max_nodes=max_nodes,
            default_memory_per_cpu=default_memory_per_cpu,
            priority_tier=priority_tier,
            tres=tres_string(cpus, memory, len(node_names)),
            flags=flags,
        )

    def _reservation(
        self,
        name: str,
        nodes: list[str],
        start: int,
        end: int,
        users: list[str],
        accounts: list[str],
        flags: list[str],
    ) -> Reservation:
        names = self._expand_nodes(nodes, f"reservation {name!r}")
        cores = sum(self.node_configs[n].cpus for n in names)
        return Reservation(
            name=name,
            nodes=hostlist.compress(names),
            node_count=len(names),
            core_count=cores,
            start_time=start,
            end_time=end,
            users=",".join(users),
            accounts=",".join(accounts),
            tres=f"cpu={cores}",
            flags=list(flags),
        )

    # -- lookups ---------------------------------------------------------------------------

    def partition(self, name: str) -> Partition:
        found = self.partitions.get(name)
        if found is None:
            raise NotFound(
                f"Partition {name!r} does not exist",
                error_number=ESLURM_INVALID_PARTITION_NAME,
                error="Invalid partition name specified",
            )
        return found

    def reservation(self, name: str) -> Reservation:
        for reservation in self._reservations:
            if reservation.name == name:
                return reservation
        raise NotFound(
            f"Reservation {name!r} does not exist",
            error_number=ESLURM_RESERVATION_INVALID,
            error="Requested reservation is invalid",
        )

    def reservations(self) -> list[Reservation]:
        return list(self._reservations)

    def features(self, name: str) -> list[str]:
        """A node's available features: configured, or as an administrator set them since."""
        found = self.states[name].features if self.states is not None else None
        return list(self.node_configs[name].features) if found is None else list(found)

    def node_resources(self, states: NodeStates) -> list[NodeResources]:
        """What the scheduler may hand out: only nodes neither down, drained nor failing."""
        resources = []
        for c in self.node_configs.values():
            status = states[c.name]
            features = c.features if status.active_features is None else status.active_features
            resources.append(
                NodeResources(
                    name=c.name,
                    cpus=c.cpus,
                    memory=c.memory,
                    features=frozenset(features),
                    available=status.available,
                )
            )
        return resources

    # -- current views ---------------------------------------------------------------------

    def nodes(
        self,
        running: Iterable[Job],
        live: NodeLive,
        *,
        started_at: int,
        last_busy: Mapping[str, int],
        states: NodeStates,
    ) -> list[Node]:
        alloc_cpus = dict.fromkeys(self.node_configs, 0)
        alloc_memory = dict.fromkeys(self.node_configs, 0)
        for job in running:
            for allocation in job.allocations:
                if allocation.node_name in alloc_cpus:
                    alloc_cpus[allocation.node_name] += allocation.cpus
                    alloc_memory[allocation.node_name] += allocation.memory
        return [
            self._node(
                c,
                alloc_cpus[c.name],
                alloc_memory[c.name],
                live,
                started_at,
                last_busy.get(c.name, 0),
                states[c.name],
            )
            for c in self.node_configs.values()
        ]

    def node(self, name: str) -> NodeConfig:
        config = self.node_configs.get(name)
        if config is None:
            raise NotFound(
                f"Node {name!r} does not exist",
                error_number=ESLURM_INVALID_NODE_NAME,
                error="Invalid node name specified",
            )
        return config

    def _node(
        self,
        config: NodeConfig,
        cpus: int,
        memory: int,
        live: NodeLive,
        started_at: int,
        last_busy: int,
        status: NodeStatus,
    ) -> Node:
        flags: list[str] = []
        if status.down:
            state = NodeState.DOWN
        elif cpus == 0:
            state = NodeState.IDLE
        elif cpus >= config.cpus:
            state = NodeState.ALLOCATED
        else:
            state = NodeState.MIXED
        # In slurmctld's order (node_state_flag_string_single): DRAIN, then FAIL.
        if status.drain:
            flags.append("DRAIN")
        if status.fail:
            flags.append("FAIL")
        features = config.features if status.features is None else status.features
        active = features if status.active_features is None else status.active_features
        threads = config.threads_per_core
        cores = max(config.cpus // (config.sockets * threads), 1)
        return Node(
            name=config.name,
            hostname=self.host.hostname,
            address=self.host.hostname,
            state=state,
            state_flags=flags,
            cpus=config.cpus,
            alloc_cpus=cpus,
            sockets=config.sockets,
            cores=cores,
            threads=threads,
            real_memory=config.memory,
            alloc_memory=memory,
            free_memory=min(live.free_memory, config.memory),
            cpu_load=round(live.cpu_load * 100),
            architecture=self.host.architecture,
            operating_system=self.host.operating_system,
            features=list(features),
            active_features=list(active),
            gres=status.gres or "",
            partitions=list(self._partitions_of[config.name]),
            boot_time=self.host.boot_time,
            slurmd_start_time=started_at,
            last_busy=live.now if cpus else last_busy,
            reason=status.reason,
            reason_set_by_user=status.reason_user,
            reason_changed_at=status.reason_time,
            weight=1 if status.weight is None else status.weight,
            comment=status.comment,
            extra=status.extra,
            version=SLURM_VERSION,
            tres=tres_string(config.cpus, config.memory),
            tres_used=tres_string(cpus, memory) if cpus else "",
            tres_weighted=float(cpus),
        )

    def licenses(self, running: Iterable[Job]) -> list[License]:
        used = dict.fromkeys(self.license_totals, 0)
        for job in running:
            for name, count in parse_licenses(job.licenses).items():
                if name in used:
                    used[name] += count
        return [License(name=n, total=t, used=used[n]) for n, t in self.license_totals.items()]


def parse_licenses(text: str) -> dict[str, int]:
    """``"matlab:2,fluent"`` -> {"matlab": 2, "fluent": 1}; ValueError on bad text."""
    result: dict[str, int] = {}
    if not text:
        return result
    for item in text.split(","):
        name, sep, count = item.strip().partition(":")
        if not name or (sep and not count.isdigit()):
            raise ValueError(f"bad license specification {item!r}")
        result[name] = result.get(name, 0) + (int(count) if sep else 1)
    return result
