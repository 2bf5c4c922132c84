"""DELETE /jobs on the embedded cluster: jobs chosen by filters, one outcome per job."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from slurmgate.domain import InvalidRequest, JobSelection, JobState, JobSubmission, SignalOutcome
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_ALREADY_DONE,
    ESLURM_INVALID_JOB_ID,
    ESLURM_JOB_PENDING,
    ESLURM_JOB_SIGNAL_FAILED,
    ESLURM_SIGNAL_JOBS_INVALID,
)
from tests.backends.local.cluster import (
    OTHER,
    ROOT,
    Factory,
    spec,
    submit,
    wait_state,
    wait_until,
    with_accounts,
)

KILL = int(signal.SIGKILL)


def by_job(outcomes: list[SignalOutcome]) -> dict[int, SignalOutcome]:
    return {o.job_id: o for o in outcomes}


async def test_an_empty_selection_is_refused_before_any_job_is_looked_at(
    make_backend: Factory,
) -> None:
    backend = await make_backend()
    with pytest.raises(InvalidRequest) as caught:
        await backend.signal_jobs(ROOT, JobSelection(flags=["VERBOSE"]), KILL)
    assert caught.value.error_number == ESLURM_SIGNAL_JOBS_INVALID


@pytest.mark.parametrize(
    "selection",
    [
        JobSelection(states=["PENDING", "RUNNING"]),
        JobSelection(states=["WAITING"]),
        JobSelection(account="a", flags=["NOW"]),
        JobSelection(job_ids=["12_x"]),
    ],
    ids=["two states", "unknown state", "unknown flag", "bad job id"],
)
async def test_a_selection_slurmctld_cannot_read_is_refused(
    make_backend: Factory, selection: JobSelection
) -> None:
    backend = await make_backend()
    with pytest.raises(InvalidRequest):
        await backend.signal_jobs(ROOT, selection, KILL)


async def test_a_name_filter_cancels_only_the_jobs_of_that_name(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    first = await submit(backend, spec(tmp_path, hold=True, name="sweep"))
    second = await submit(backend, spec(tmp_path, "sleep 60", name="sweep"))
    other = await submit(backend, spec(tmp_path, hold=True, name="keep"))
    await wait_state(backend, second, JobState.RUNNING)

    outcomes = await backend.signal_jobs(ROOT, JobSelection(job_name="sweep"), KILL)

    assert by_job(outcomes).keys() == {first, second}
    assert all(o.error_number == 0 for o in outcomes)
    assert {o.selected_id for o in outcomes} == {str(first), str(second)}
    assert backend.jobs[first].state is JobState.CANCELLED
    await wait_state(backend, second, JobState.CANCELLED)
    assert backend.jobs[other].state is JobState.PENDING


async def test_a_user_cannot_signal_another_users_jobs_the_filters_choose(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    mine = await submit(backend, spec(tmp_path, hold=True, name="batch"), OTHER)
    roots = await submit(backend, spec(tmp_path, hold=True, name="batch"))

    outcomes = by_job(await backend.signal_jobs(OTHER, JobSelection(job_name="batch"), KILL))

    assert outcomes[mine].error_number == 0
    assert outcomes[roots].error_number == ESLURM_ACCESS_DENIED
    assert outcomes[roots].error == "Access/permission denied"
    assert backend.jobs[mine].state is JobState.CANCELLED
    assert backend.jobs[roots].state is JobState.PENDING


async def test_a_user_filter_leaves_other_users_jobs_out_silently(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    mine = await submit(backend, spec(tmp_path, hold=True), OTHER)
    await submit(backend, spec(tmp_path, hold=True))

    outcomes = await backend.signal_jobs(OTHER, JobSelection(user_name="nobody"), KILL)

    assert [(o.job_id, o.error_number) for o in outcomes] == [(mine, 0)]


async def test_named_jobs_are_each_answered_even_when_they_cannot_be_signalled(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(**with_accounts("physics", "chemistry"))
    done = await submit(backend, spec(tmp_path))
    await wait_state(backend, done, JobState.COMPLETED)
    other_account = await submit(backend, spec(tmp_path, hold=True, account="physics"))
    chosen = await submit(backend, spec(tmp_path, hold=True, account="chemistry"))

    ids = [str(done), str(other_account), str(chosen), "999999"]
    outcomes = await backend.signal_jobs(ROOT, JobSelection(job_ids=ids, account="chemistry"), KILL)

    found = {o.selected_id: o for o in outcomes}
    assert found[str(done)].error_number == ESLURM_ALREADY_DONE
    assert found[str(other_account)].error_number == ESLURM_JOB_SIGNAL_FAILED
    assert found[str(other_account)].description == (
        "Job account physics != filter account chemistry: Cannot signal job"
    )
    assert found["999999"].error_number == ESLURM_INVALID_JOB_ID
    assert found["999999"].job_id == 0
    assert found[str(chosen)].error_number == 0
    assert backend.jobs[chosen].state is JobState.CANCELLED
    assert backend.jobs[other_account].state is JobState.PENDING


async def test_array_tasks_can_be_chosen_by_expression(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    array = await submit(backend, spec(tmp_path, hold=True, array="0-3"))

    outcomes = await backend.signal_jobs(ROOT, JobSelection(job_ids=[f"{array}_[1-2]"]), KILL)

    assert sorted(o.selected_id for o in outcomes) == [f"{array}_1", f"{array}_2"]
    states = {job.array_task_id: job.state for job in backend.targets(array)}
    assert states == {
        0: JobState.PENDING,
        1: JobState.CANCELLED,
        2: JobState.CANCELLED,
        3: JobState.PENDING,
    }


async def test_a_state_filter_chooses_pending_jobs_and_spares_running_ones(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    running = await submit(backend, spec(tmp_path, "sleep 60"))
    pending = await submit(backend, spec(tmp_path, hold=True))
    await wait_state(backend, running, JobState.RUNNING)

    outcomes = await backend.signal_jobs(ROOT, JobSelection(states=["PENDING"]), KILL)

    assert [o.job_id for o in outcomes] == [pending]
    assert backend.jobs[running].state is JobState.RUNNING


async def test_signals_other_than_kill_reach_running_jobs_and_refuse_pending_ones(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    script = "trap 'echo got USR1; exit 0' USR1; echo ready; while :; do sleep 0.05; done"
    running = await submit(backend, spec(tmp_path, script, name="usr1"))
    held = await submit(backend, spec(tmp_path, hold=True, name="usr1"))
    out = tmp_path / f"slurm-{running}.out"
    await wait_until(lambda: out.exists() and "ready" in out.read_text())

    outcomes = by_job(
        await backend.signal_jobs(ROOT, JobSelection(job_name="usr1"), int(signal.SIGUSR1))
    )

    assert outcomes[running].error_number == 0
    assert outcomes[held].error_number == ESLURM_JOB_PENDING
    await wait_state(backend, running, JobState.COMPLETED)
    assert "got USR1" in out.read_text()
    assert backend.jobs[held].state is JobState.PENDING


async def test_steps_only_signals_nothing_on_jobs_without_steps(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60"))
    await wait_state(backend, job_id, JobState.RUNNING)

    selection = JobSelection(job_ids=[str(job_id)], flags=["FULL_STEPS_ONLY"])
    [outcome] = await backend.signal_jobs(ROOT, selection, KILL)

    assert outcome.error_number == 0
    assert backend.jobs[job_id].state is JobState.RUNNING


async def test_a_het_job_is_signalled_through_its_leader(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    result = await backend.submit(
        ROOT, JobSubmission([spec(tmp_path, hold=True, name="het"), spec(tmp_path, hold=True)])
    )
    leader = result.job_id

    outcomes = await backend.signal_jobs(ROOT, JobSelection(job_ids=[str(leader)]), KILL)

    assert [(o.job_id, o.error_number) for o in outcomes] == [(leader, 0)]
    assert {job.state for job in backend.targets(leader)} == {JobState.CANCELLED}
