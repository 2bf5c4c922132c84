"""resources/{job_id} on the embedded cluster: the cores, memory and node shape a job holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from slurmgate.config import NodeConfig
from slurmgate.domain import Conflict, JobState, NotFound, PermissionDenied
from slurmgate.domain.slurm_errno import (
    ESLURM_INVALID_JOB_ID,
    ESLURM_JOB_NOT_RUNNING,
    ESLURM_USER_ID_MISSING,
)
from tests.backends.local.cluster import OTHER, ROOT, Factory, spec, submit, wait_state

#: Two sockets of two cores, two threads each: 8 CPUs.
SMT_NODE = [NodeConfig(name="node1", cpus=8, memory=8000, sockets=2, threads_per_core=2)]


async def test_running_jobs_hold_distinct_cores_shown_as_a_bitmap(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    first = await submit(backend, spec(tmp_path, "sleep 60", cpus_per_task=2, memory_per_node=500))
    second = await submit(backend, spec(tmp_path, "sleep 60"))
    await wait_state(backend, first, JobState.RUNNING)
    await wait_state(backend, second, JobState.RUNNING)

    [layout] = await backend.job_resource_layout(ROOT, first)
    assert (layout.node, layout.sockets_per_node, layout.cores_per_socket) == ("node1", 1, 4)
    assert layout.core_bitmap == "0-1" and layout.memory == 500
    [other] = await backend.job_resource_layout(ROOT, second)
    assert other.core_bitmap == "2"
    assert backend.jobs[first].allocations[0].cores == ((0, 0), (0, 1))


async def test_cores_count_threads_and_sockets(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend(nodes=SMT_NODE)
    job_id = await submit(backend, spec(tmp_path, "sleep 60", cpus_per_task=6))
    await wait_state(backend, job_id, JobState.RUNNING)

    [layout] = await backend.job_resource_layout(ROOT, job_id)

    assert (layout.sockets_per_node, layout.cores_per_socket) == (2, 2)
    assert layout.core_bitmap == "0-2"  # six CPUs are three cores of two threads
    assert backend.jobs[job_id].allocations[0].cores == ((0, 0), (0, 1), (1, 0))


async def test_a_job_that_is_not_running_has_no_layout(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, hold=True))
    with pytest.raises(Conflict) as caught:
        await backend.job_resource_layout(ROOT, job_id)
    assert caught.value.error_number == ESLURM_JOB_NOT_RUNNING
    with pytest.raises(NotFound) as missing:
        await backend.job_resource_layout(ROOT, 987654)
    assert missing.value.error_number == ESLURM_INVALID_JOB_ID


async def test_a_user_sees_only_the_layout_of_their_own_jobs(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60"))
    await wait_state(backend, job_id, JobState.RUNNING)
    with pytest.raises(PermissionDenied) as caught:
        await backend.job_resource_layout(OTHER, job_id)
    assert caught.value.error_number == ESLURM_USER_ID_MISSING


async def test_cores_survive_a_restart(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60", cpus_per_task=3))
    await wait_state(backend, job_id, JobState.RUNNING)
    await backend.stop()

    again = await make_backend()

    [layout] = await again.job_resource_layout(ROOT, job_id)
    assert layout.core_bitmap == "0-2"
