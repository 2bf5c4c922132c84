"""What administrators change on the embedded cluster's nodes (``scontrol update node``).

A node starts as configured (``local.nodes``: state UP, DOWN or DRAIN, a reason); updates are
kept per node on top of that and in the job store, so a drained node stays drained across
restarts, as slurmctld keeps node state in its state save location. The rules are
slurmctld's ``update_node``:

- DRAIN (or FAIL) stops new jobs from starting on the node; running jobs go on (the node is
  "draining" while any runs, then "drained"). UNDRAIN clears DRAIN. RESUME clears DRAIN and
  FAIL and brings a DOWN node back; it is refused (ESLURM_INVALID_NODE_STATE) on a node that
  is none of those. DOWN also ends the jobs running there. IDLE is RESUME for a node that runs
  nothing (refused while it runs jobs).
- A reason is recorded with its time and who gave it. A node that ends up neither down,
  drained nor failing has no reason: slurmctld clears it when the node is "up".
- Features, active features (a subset of the features, ESLURM_ACTIVE_FEATURE_NOT_SUBSET),
  GRES, weight, comment and extra replace the configured values. Features decide where jobs
  may run; GRES and weight are shown only (the embedded scheduler has neither).
- Power saving, reboots, FUTURE and addresses have no meaning on one machine's nodes:
  refused with ESLURM_INVALID_NODE_STATE or as not supported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from slurmgate.config import NodeConfig
from slurmgate.domain import InvalidRequest, NodeUpdate, NotFound, NotSupported, hostlist
from slurmgate.domain.slurm_errno import (
    ESLURM_ACTIVE_FEATURE_NOT_SUBSET,
    ESLURM_INVALID_NODE_NAME,
    ESLURM_INVALID_NODE_STATE,
)

#: States the embedded cluster can take; the rest of Slurm's are refused.
_KNOWN = frozenset({"DOWN", "DRAIN", "FAIL", "RESUME", "UNDRAIN", "IDLE"})
_UNSUPPORTED_FIELDS = ("address", "hostname", "topology", "cpu_bind")


@dataclass(slots=True)
class NodeStatus:
    """A node's administrative state: its configuration, then the updates applied to it."""

    down: bool = False
    drain: bool = False
    fail: bool = False
    reason: str = ""
    reason_time: int = 0
    reason_user: str = ""
    #: None keeps the configured value.
    features: list[str] | None = None
    active_features: list[str] | None = None
    gres: str | None = None
    weight: int | None = None
    comment: str = ""
    extra: str = ""
    #: Seconds since the epoch at which a DOWN or DRAIN node resumes by itself (0: never).
    resume_after: int = 0
    #: Set once an update changed the node: only those are stored.
    updated: bool = field(default=False, compare=False)

    @property
    def available(self) -> bool:
        """Whether new jobs may start on the node."""
        return not (self.down or self.drain or self.fail)

    def encode(self) -> bytes:
        return orjson.dumps(dataclasses.asdict(self))

    @classmethod
    def decode(cls, data: bytes) -> NodeStatus:
        values = orjson.loads(data)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _invalid_state(name: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid node state specified for node {name}: {what}",
        error_number=ESLURM_INVALID_NODE_STATE,
        error="Invalid node state specified",
        source="state",
    )


class NodeStates:
    """Every node's ``NodeStatus``, from the configuration and what the store kept."""

    def __init__(self, configs: Mapping[str, NodeConfig], started_at: int) -> None:
        self._configs = configs
        self._status = {
            name: NodeStatus(
                down=config.state == "DOWN",
                drain=config.state == "DRAIN",
                reason=config.reason,
                reason_time=started_at if config.reason else 0,
            )
            for name, config in configs.items()
        }

    def restore(self, stored: Mapping[str, bytes]) -> None:
        """Apply the states a previous run stored; nodes no longer configured are ignored."""
        for name, data in stored.items():
            if name in self._status:
                self._status[name] = NodeStatus.decode(data)

    def __getitem__(self, name: str) -> NodeStatus:
        return self._status[name]

    def expand(self, names: Iterable[str]) -> list[str]:
        """Node names from names and hostlist expressions; NotFound for an unknown one."""
        found: list[str] = []
        for item in names:
            for name in hostlist.expand(item):
                if name not in self._status:
                    raise NotFound(
                        f"Node {name} does not exist: Invalid node name specified",
                        error_number=ESLURM_INVALID_NODE_NAME,
                        error="Invalid node name specified",
                        source="node_names",
                    )
                if name not in found:
                    found.append(name)
        if not found:
            raise NotFound(
                "No node names given: Invalid node name specified",
                error_number=ESLURM_INVALID_NODE_NAME,
                error="Invalid node name specified",
                source="node_names",
            )
        return found

    def apply(
        self,
        names: list[str],
        update: NodeUpdate,
        *,
        user: str,
        busy: set[str],
        now: int,
    ) -> dict[str, NodeStatus]:
        """The nodes' new states, checked whole before any changes (all or nothing).

        ``busy`` are the nodes running jobs; returns the changed nodes' states, which the
        caller stores, then installs with ``install``.
        """
        for name in _UNSUPPORTED_FIELDS:
            if getattr(update, name) is not None:
                raise NotSupported(
                    f"The embedded cluster's nodes all run on this machine: {name} cannot change",
                    source=name,
                )
        states = list(update.state or ())
        unknown = [s for s in states if s not in _KNOWN]
        if unknown:
            raise _invalid_state(
                names[0],
                f"{', '.join(unknown)} (the embedded cluster has no power saving, reboots or "
                "future nodes)",
            )
        if len(states) > 1:
            raise _invalid_state(names[0], f"one state at a time, not {', '.join(states)}")
        state = states[0] if states else None
        new = {name: dataclasses.replace(self._status[name]) for name in names}
        for name, status in new.items():
            self._apply_one(name, status, state, update, busy, user, now)
        return new

    def install(self, changed: Mapping[str, NodeStatus]) -> None:
        self._status.update(changed)

    def _apply_one(
        self,
        name: str,
        status: NodeStatus,
        state: str | None,
        update: NodeUpdate,
        busy: set[str],
        user: str,
        now: int,
    ) -> None:
        config = self._configs[name]
        if update.features is not None or update.active_features is not None:
            available = update.features if update.features is not None else status.features
            if available is None:
                available = list(config.features)
            active = update.active_features if update.active_features is not None else available
            if not set(active) <= set(available):
                raise InvalidRequest(
                    f"Invalid ActiveFeatures ({','.join(active)} not subset of "
                    f"{','.join(available)} on node {name})",
                    error_number=ESLURM_ACTIVE_FEATURE_NOT_SUBSET,
                    error="Active features not subset of available features",
                    source="active_features",
                )
            status.features, status.active_features = list(available), list(active)
        for attribute in ("gres", "weight", "comment", "extra"):
            value = getattr(update, attribute)
            if value is not None:
                setattr(status, attribute, value)
        if state == "RESUME" and status.available:
            raise _invalid_state(name, "RESUME of a node that is not down, drained or failing")
        if state == "IDLE" and name in busy:
            raise _invalid_state(name, "IDLE while jobs run on the node")
        if state in ("RESUME", "IDLE"):
            status.down = status.drain = status.fail = False
        elif state == "UNDRAIN":
            status.drain = False
        elif state in ("DRAIN", "FAIL"):
            status.drain, status.fail = state == "DRAIN", state == "FAIL"
        elif state == "DOWN":
            status.down = True
        if update.reason:
            status.reason, status.reason_time = update.reason, now
            status.reason_user = update.reason_user or user
        if state in ("DOWN", "DRAIN") and update.resume_after is not None:
            status.resume_after = now + update.resume_after if update.resume_after else 0
        elif state is not None:
            status.resume_after = 0
        if status.available:  # slurmctld's node_up clears the reason of a node back in service
            status.reason, status.reason_time, status.reason_user = "", 0, ""
        status.updated = True

    def resumable(self, now: int) -> list[str]:
        """Nodes whose ResumeAfter time has come."""
        return [
            name
            for name, status in self._status.items()
            if status.resume_after and status.resume_after <= now and not status.available
        ]
