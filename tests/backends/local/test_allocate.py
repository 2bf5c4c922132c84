"""job/allocate on the embedded cluster: allocations hold resources and run nothing."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from slurmgate.domain import InvalidRequest, JobState
from slurmgate.domain.slurm_errno import ESLURM_INVALID_ARRAY
from tests.backends.local.cluster import (
    OTHER,
    ROOT,
    Factory,
    spec,
    submit,
    wait_state,
    wait_until,
)


async def test_an_allocation_holds_its_cpus_until_it_is_cancelled(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    result = await backend.allocate(ROOT, spec(tmp_path, script=None, cpus_per_task=4))

    job = await wait_state(backend, result.job_id, JobState.RUNNING)
    assert job.batch_flag is False and job.command == ""
    assert job.nodes == "node1" and job.cpus == 4
    [node] = (await backend.list_nodes(ROOT)).items
    assert node.alloc_cpus == 4 and node.state.value == "allocated"
    waiting = await submit(backend, spec(tmp_path))
    await wait_until(lambda: backend.jobs[waiting].state_reason == "Resources")
    assert backend.jobs[waiting].state is JobState.PENDING

    await backend.signal_job(ROOT, result.job_id, int(signal.SIGKILL))
    await wait_state(backend, result.job_id, JobState.CANCELLED)
    await wait_state(backend, waiting, JobState.COMPLETED)


async def test_an_allocation_ends_at_its_time_limit(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    result = await backend.allocate(ROOT, spec(tmp_path, script=None, time_limit=1))
    job = await wait_state(backend, result.job_id, JobState.RUNNING)
    job.start_time -= 60  # as if it had held its resources for its whole minute
    backend.control.arm_time_limit(job)
    job = await wait_state(backend, result.job_id, JobState.TIMEOUT)
    assert job.state_reason == "TimeLimit"


async def test_an_allocation_cannot_be_an_array(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    with pytest.raises(InvalidRequest) as caught:
        await backend.allocate(ROOT, spec(tmp_path, script=None, array="1-3"))
    assert caught.value.error_number == ESLURM_INVALID_ARRAY


async def test_an_allocation_belongs_to_its_user(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    result = await backend.allocate(OTHER, spec(tmp_path, script=None))
    job = await wait_state(backend, result.job_id, JobState.RUNNING)
    assert job.user_name == "nobody"


async def test_an_allocation_still_holds_its_resources_after_a_restart(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    result = await backend.allocate(ROOT, spec(tmp_path, script=None))
    await wait_state(backend, result.job_id, JobState.RUNNING)
    await backend.stop()

    again = await make_backend()

    job = again.jobs[result.job_id]
    assert job.state is JobState.RUNNING
    [node] = (await again.list_nodes(ROOT)).items
    assert node.alloc_cpus == job.cpus
