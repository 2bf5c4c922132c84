"""A running job's resources core by core (``resources/{job_id}``), from its allocations.

As slurmctld answers REQUEST_RESOURCE_LAYOUT: an unknown job is ESLURM_INVALID_JOB_ID, someone
else's job (for a user who is not an administrator) ESLURM_USER_ID_MISSING, a job that is not
running ESLURM_JOB_NOT_RUNNING. Per node: the memory held, the node's sockets and cores per
socket, and the cores held (``cores``) as a bitmap of the node's cores. The embedded cluster
has no GRES and no network channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from slurmgate.backends.local.cores import Shape, core_bitmap
from slurmgate.backends.local.ownership import may_act, not_found
from slurmgate.domain import (
    Conflict,
    Job,
    JobState,
    NodeResourceLayout,
    PermissionDenied,
    Principal,
)
from slurmgate.domain.slurm_errno import ESLURM_JOB_NOT_RUNNING, ESLURM_USER_ID_MISSING


class Jobs(Protocol):
    @property
    def jobs(self) -> dict[int, Job]: ...

    def is_admin(self, principal: Principal) -> bool: ...


def job_layout(
    cluster: Jobs, shapes: Mapping[str, Shape], principal: Principal, job_id: int
) -> list[NodeResourceLayout]:
    job = cluster.jobs.get(job_id)
    if job is None:
        raise not_found(job_id)
    if not may_act(cluster, principal, job):
        raise PermissionDenied(
            f"User {principal.user_name!r} may not see the resources of job {job_id} of user "
            f"{job.user_name!r}",
            error_number=ESLURM_USER_ID_MISSING,
            error="Invalid user id",
        )
    if job.state is not JobState.RUNNING:
        raise Conflict(
            f"Job {job_id} is not running",
            error_number=ESLURM_JOB_NOT_RUNNING,
            error="Job is not running",
        )
    layouts = []
    for allocation in job.allocations:
        shape = shapes.get(allocation.node_name, Shape(1, 1, 1))
        layouts.append(
            NodeResourceLayout(
                node=allocation.node_name,
                sockets_per_node=shape.sockets,
                cores_per_socket=shape.cores_per_socket,
                memory=allocation.memory,
                core_bitmap=core_bitmap(allocation.cores or (), shape.cores_per_socket),
            )
        )
    return layouts
