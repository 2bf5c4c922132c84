"""``update_nodes`` for the embedded cluster: who may, what it does to running jobs, storage.

Only administrators (``auth.admins``) may change nodes: slurmctld lets only its super users
(root, SlurmUser, AdminLevel Administrator) send UPDATE_NODE and answers ESLURM_USER_ID_MISSING
to others. The change itself is ``node_states``'; it is stored before it takes effect, so what
a client was told survives a restart. Jobs running on a node set DOWN end: requeued if they
may be, else NODE_FAIL, as slurmctld's kill_running_job_by_node_name does.
"""

from __future__ import annotations

import time
from typing import Protocol

from slurmgate.backends.local.node_states import NodeStates
from slurmgate.backends.local.table import JobTable
from slurmgate.domain import (
    Job,
    JobState,
    NodeUpdate,
    PermissionDenied,
    Principal,
)
from slurmgate.domain.slurm_errno import ESLURM_USER_ID_MISSING


class Cluster(Protocol):
    """What node updates need of the cluster."""

    @property
    def node_states(self) -> NodeStates: ...

    @property
    def table(self) -> JobTable: ...

    def is_admin(self, principal: Principal) -> bool: ...

    def nodes_changed(self) -> None:
        """Nodes' availability or features changed: schedule with the new ones."""


class Control(Protocol):
    def node_down(self, job: Job, now: int) -> None: ...


def _running_on(jobs: dict[int, Job], names: set[str]) -> list[Job]:
    return [
        job
        for job in jobs.values()
        if job.state is JobState.RUNNING and names & {a.node_name for a in job.allocations}
    ]


async def update_nodes(
    cluster: Cluster,
    control: Control,
    principal: Principal,
    names: list[str],
    update: NodeUpdate,
) -> None:
    update.check()  # scontrol's rules come first, as on a real cluster
    if not cluster.is_admin(principal):
        raise PermissionDenied(
            f"User {principal.user_name!r} may not change nodes: only administrators may",
            error_number=ESLURM_USER_ID_MISSING,
            error="Invalid user id",
        )
    states = cluster.node_states
    targets = states.expand(names)
    running = _running_on(cluster.table.jobs, set(targets))
    busy = {a.node_name for job in running for a in job.allocations}
    now = int(time.time())
    changed = states.apply(targets, update, user=principal.user_name, busy=busy, now=now)
    await cluster.table.store.save_nodes({name: s.encode() for name, s in changed.items()})
    states.install(changed)
    if "DOWN" in (update.state or ()):
        for job in running:
            control.node_down(job, now)
    cluster.nodes_changed()


async def resume_due(cluster: Cluster, now: int) -> None:
    """Bring back the DOWN or DRAIN nodes whose ResumeAfter time has come."""
    states = cluster.node_states
    due = states.resumable(now)
    if not due:
        return
    changed = states.apply(due, NodeUpdate(state=["RESUME"]), user="", busy=set(), now=now)
    await cluster.table.store.save_nodes({name: s.encode() for name, s in changed.items()})
    states.install(changed)
    cluster.nodes_changed()
