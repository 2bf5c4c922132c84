"""scontrol requeue and requeuehold on the embedded cluster."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    JobState,
    JobUpdate,
    NotFound,
    PermissionDenied,
    RequeueOptions,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_BATCH_ONLY,
    ESLURM_DISABLED,
    ESLURM_INVALID_JOB_ID,
    ESLURM_JOB_PENDING,
)
from tests.backends.local.cluster import (
    OTHER,
    ROOT,
    Factory,
    spec,
    submit,
    wait_state,
    wait_until,
)

#: Appends a line per run to runs.txt, then waits to be requeued or cancelled.
COUNTING = 'echo "run ${SLURM_RESTART_COUNT:-0}" >> runs.txt; sleep 60'


def runs(tmp_path: Path) -> list[str]:
    path = tmp_path / "runs.txt"
    return path.read_text().splitlines() if path.exists() else []


async def test_a_running_job_is_pending_at_once_and_runs_again(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, COUNTING))
    await wait_until(lambda: len(runs(tmp_path)) == 1)

    await backend.requeue_job(ROOT, job_id, RequeueOptions())

    [job] = await backend.get_job(ROOT, job_id)
    assert job.state is JobState.PENDING and job.restart_count == 1
    assert "COMPLETING" in job.state_flags  # its processes are still being ended
    await wait_until(lambda: len(runs(tmp_path)) == 2)
    job = backend.jobs[job_id]
    assert job.state is JobState.RUNNING and job.state_flags == []
    assert job.start_time > 0 and job.end_time == 0
    assert runs(tmp_path) == ["run 0", "run 1"]  # SLURM_RESTART_COUNT, once requeued


async def test_a_finished_job_is_requeued_with_its_script(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "echo ran >> runs.txt"))
    await wait_state(backend, job_id, JobState.COMPLETED)

    await backend.requeue_job(ROOT, job_id, RequeueOptions())

    await wait_until(lambda: len(runs(tmp_path)) == 2)
    job = await wait_state(backend, job_id, JobState.COMPLETED)
    assert job.restart_count == 1


async def test_requeue_hold_keeps_the_job_held_until_it_is_released(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "echo ran >> runs.txt"))
    await wait_state(backend, job_id, JobState.COMPLETED)

    await backend.requeue_job(ROOT, job_id, RequeueOptions(hold=True))

    job = backend.jobs[job_id]
    assert job.state is JobState.PENDING and job.priority == 0
    assert job.state_reason == "JobHeldUser"
    assert job.state_description == "job requeued in held state"
    await backend.update_job(ROOT, job_id, JobUpdate(hold=False))
    await wait_until(lambda: len(runs(tmp_path)) == 2)


async def test_a_special_exit_is_held_and_flagged(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "exit 3"))
    await wait_state(backend, job_id, JobState.FAILED)

    await backend.requeue_job(ROOT, job_id, RequeueOptions(special_exit=True))

    job = backend.jobs[job_id]
    assert job.state is JobState.PENDING and job.priority == 0
    assert job.state_flags == ["SPECIAL_EXIT"]
    assert job.state_description == "job requeued in special exit state"


async def test_incomplete_leaves_a_finished_job_as_it_is(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path))
    await wait_state(backend, job_id, JobState.COMPLETED)

    await backend.requeue_job(ROOT, job_id, RequeueOptions(incomplete=True))

    job = backend.jobs[job_id]
    assert job.state is JobState.COMPLETED and job.restart_count == 0


async def test_a_pending_job_cannot_be_requeued(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, hold=True))
    with pytest.raises(Conflict) as caught:
        await backend.requeue_job(ROOT, job_id, RequeueOptions())
    assert caught.value.error_number == ESLURM_JOB_PENDING


async def test_a_job_submitted_not_requeueable_is_refused(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, requeue=False))
    await wait_state(backend, job_id, JobState.COMPLETED)
    with pytest.raises(Conflict) as caught:
        await backend.requeue_job(ROOT, job_id, RequeueOptions())
    assert caught.value.error_number == ESLURM_DISABLED
    assert backend.jobs[job_id].requeue is False


async def test_job_requeue_false_makes_jobs_not_requeueable_by_default(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(job_requeue=False)
    job_id = await submit(backend, spec(tmp_path))
    await wait_state(backend, job_id, JobState.COMPLETED)
    with pytest.raises(Conflict) as caught:
        await backend.requeue_job(ROOT, job_id, RequeueOptions())
    assert caught.value.error_number == ESLURM_DISABLED


async def test_a_user_cannot_requeue_another_users_job(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path))
    await wait_state(backend, job_id, JobState.COMPLETED)
    with pytest.raises(PermissionDenied) as caught:
        await backend.requeue_job(OTHER, job_id, RequeueOptions())
    assert caught.value.error_number == ESLURM_ACCESS_DENIED
    assert backend.jobs[job_id].state is JobState.COMPLETED


async def test_an_allocation_cannot_be_requeued(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    result = await backend.allocate(ROOT, spec(tmp_path, script=None))
    await wait_state(backend, result.job_id, JobState.RUNNING)
    with pytest.raises(InvalidRequest) as caught:
        await backend.requeue_job(ROOT, result.job_id, RequeueOptions())
    assert caught.value.error_number == ESLURM_BATCH_ONLY


async def test_an_unknown_job_is_not_found(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(NotFound) as caught:
        await backend.requeue_job(ROOT, 424242, RequeueOptions())
    assert caught.value.error_number == ESLURM_INVALID_JOB_ID


async def test_cancelling_a_requeued_job_whose_processes_still_end_cancels_it(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "trap '' TERM; " + COUNTING))
    await wait_until(lambda: len(runs(tmp_path)) == 1)
    await backend.requeue_job(ROOT, job_id, RequeueOptions())
    assert "COMPLETING" in backend.jobs[job_id].state_flags

    await backend.signal_job(ROOT, job_id, int(signal.SIGKILL))

    job = await wait_state(backend, job_id, JobState.CANCELLED)
    assert runs(tmp_path) == ["run 0"]
    assert job.end_time > 0


async def test_a_requeue_under_way_when_the_gateway_stops_completes_after_its_restart(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(kill_wait=30)
    job_id = await submit(backend, spec(tmp_path, "trap '' TERM; " + COUNTING))
    await wait_until(lambda: len(runs(tmp_path)) == 1)
    await backend.requeue_job(ROOT, job_id, RequeueOptions())
    await backend.stop()  # SIGTERM is ignored: the old run still runs

    again = await make_backend(kill_wait=1)

    await wait_until(lambda: len(runs(tmp_path)) == 2, timeout=20)
    job = again.jobs[job_id]
    assert job.restart_count == 1 and job.state is JobState.RUNNING
