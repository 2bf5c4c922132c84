"""The embedded cluster as a whole: real processes, a real SQLite store in a temporary directory."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
from pathlib import Path

import pytest

from slurmgate.backends.base import Backend, Capability
from slurmgate.backends.local import slices
from slurmgate.backends.local.payloads import Payload
from slurmgate.backends.local.users import running_as_root
from slurmgate.config import NodeConfig
from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    JobSpec,
    JobState,
    JobSubmission,
    JobUpdate,
    NotFound,
    PermissionDenied,
    Principal,
    UnprocessableRequest,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_ALREADY_DONE,
    ESLURM_DEPENDENCY,
    ESLURM_INVALID_ARRAY,
    ESLURM_INVALID_JOB_ID,
    ESLURM_INVALID_NODE_NAME,
    ESLURM_INVALID_PARTITION_NAME,
    ESLURM_JOB_FINISHED,
    ESLURM_JOB_NOT_PENDING,
    ESLURM_JOB_PENDING,
    ESLURM_MAX_JOB_COUNT,
    ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
    ESLURM_RESERVATION_INVALID,
    ESLURM_USER_ID_MISSING,
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

# -- lifecycle ------------------------------------------------------------------------------


async def test_backend_implements_the_protocol_with_every_capability_but_a_few(
    make_backend: Factory,
) -> None:
    backend = await make_backend()
    assert isinstance(backend, Backend)
    assert backend.capabilities == frozenset(Capability) - {
        Capability.SHARES,
        Capability.DELETE_NODES,
        Capability.WCKEYS,
        Capability.INSTANCES,
    }
    assert backend.info.release == "22.05.8"
    [ping] = await backend.ping(ROOT)
    assert ping.responding and ping.mode == "primary"


async def test_job_runs_to_completion_and_writes_its_output(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(
        backend, spec(tmp_path, 'echo "hello from $SLURM_JOB_ID"; sleep 0.3', name="greet")
    )
    running = await wait_state(backend, job_id, JobState.RUNNING, JobState.COMPLETED)
    assert running.start_time > 0 and running.nodes == "node1" and running.batch_host == "node1"
    job = await wait_state(backend, job_id, JobState.COMPLETED)
    assert job.exit_code is not None and job.exit_code.raw == 0
    assert job.standard_output == str(tmp_path / f"slurm-{job_id}.out")
    assert Path(job.standard_output).read_text() == f"hello from {job_id}\n"
    assert job.end_time >= job.start_time
    stats = await backend.stats(ROOT)
    assert (stats.jobs_submitted, stats.jobs_started, stats.jobs_completed) == (1, 1, 1)
    assert stats.schedule_cycle_total >= 1
    assert {r.message_type for r in stats.rpcs_by_message_type} >= {"REQUEST_SUBMIT_BATCH_JOB"}


async def test_nonzero_exit_fails_the_job_with_its_exit_code(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "exit 3"))
    job = await wait_state(backend, job_id, JobState.FAILED)
    assert job.state_reason == "NonZeroExitCode"
    assert job.exit_code is not None and job.exit_code.return_code == 3
    assert job.exit_code.raw == 768 and job.derived_exit_code == job.exit_code


async def test_a_job_killed_by_a_signal_names_it_in_its_reason(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "kill -9 $$"))
    job = await wait_state(backend, job_id, JobState.FAILED)
    assert job.state_reason == "RaisedSignal:9(Killed)"


async def test_a_script_that_cannot_be_executed_is_a_launch_failure(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, script="#!/no/such/interpreter\ntrue\n"))
    job = await wait_state(backend, job_id, JobState.FAILED)
    assert job.state_reason == "JobLaunchFailure"
    assert (await backend.stats(ROOT)).jobs_failed == 1


async def test_cancelling_a_pending_job_ends_it_at_once(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, hold=True))
    assert backend.jobs[job_id].state_reason == "JobHeldAdmin"
    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    [job] = await backend.get_job(ROOT, job_id)
    assert job.state is JobState.CANCELLED and job.end_time > 0
    with pytest.raises(Conflict) as caught:
        await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    assert caught.value.error_number == ESLURM_ALREADY_DONE


async def test_cancelling_a_running_job_terminates_its_processes(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "echo started; sleep 60"))
    await wait_state(backend, job_id, JobState.RUNNING)
    out = tmp_path / f"slurm-{job_id}.out"
    await wait_until(lambda: out.exists() and out.read_text() == "started\n")
    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    job = await wait_state(backend, job_id, JobState.CANCELLED)
    assert job.exit_code is not None and job.exit_code.signal == signal.SIGTERM
    assert (await backend.stats(ROOT)).jobs_canceled == 1


async def test_other_signals_reach_a_running_job_but_not_a_pending_one(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    script = "trap 'echo got USR1; exit 0' USR1; echo ready; while :; do sleep 0.05; done"
    job_id = await submit(backend, spec(tmp_path, script))
    out = tmp_path / f"slurm-{job_id}.out"
    await wait_until(lambda: out.exists() and "ready" in out.read_text())
    await backend.signal_job(ROOT, job_id, signal.SIGUSR1)
    await wait_state(backend, job_id, JobState.COMPLETED)
    assert "got USR1" in out.read_text()

    held = await submit(backend, spec(tmp_path, hold=True))
    with pytest.raises(Conflict) as caught:
        await backend.signal_job(ROOT, held, signal.SIGUSR1)
    assert caught.value.error_number == ESLURM_JOB_PENDING


async def test_time_limit_ends_a_job_with_timeout(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60", time_limit=1))
    job = await wait_state(backend, job_id, JobState.RUNNING)
    # A minute is long for a test: make the job look as if it started a minute ago.
    job.start_time -= 60
    backend.control.arm_time_limit(job)
    job = await wait_state(backend, job_id, JobState.TIMEOUT)
    assert job.state_reason == "TimeLimit"


async def test_a_new_time_limit_rearms_the_timer_of_a_running_job(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60"))
    job = await wait_state(backend, job_id, JobState.RUNNING)
    assert job.time_limit is None
    job.start_time -= 120  # it has been running for two minutes
    await backend.update_job(ROOT, job_id, JobUpdate(time_limit=1))
    job = await wait_state(backend, job_id, JobState.TIMEOUT)
    assert job.state_reason == "TimeLimit" and job.time_limit == 1


async def test_time_limit_falls_back_to_the_partition(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    short = await submit(backend, spec(tmp_path, partition="short", hold=True))
    unlimited = await submit(backend, spec(tmp_path, hold=True))
    assert backend.jobs[short].time_limit == 5
    assert backend.jobs[unlimited].time_limit is None


# -- arrays, dependencies, holds ------------------------------------------------------------


async def test_array_tasks_respect_the_throttle(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    first = await submit(
        backend, spec(tmp_path, "echo $SLURM_ARRAY_TASK_ID; sleep 0.2", array="0-2%1")
    )
    tasks = await backend.get_job(ROOT, first)
    assert [t.job_id for t in tasks] == [first, first + 1, first + 2]
    assert {t.array_job_id for t in tasks} == {first}
    assert [t.array_task_id for t in tasks] == [0, 1, 2]
    assert all(t.array_max_tasks == 1 for t in tasks)
    most = 0

    def done() -> bool:
        nonlocal most
        jobs = [backend.jobs[t.job_id] for t in tasks]
        most = max(most, sum(j.state is JobState.RUNNING for j in jobs))
        return all(j.state is JobState.COMPLETED for j in jobs)

    await wait_until(done)
    assert most == 1
    for task_id in range(3):
        assert (tmp_path / f"slurm-{first}_{task_id}.out").read_text() == f"{task_id}\n"


async def test_afterok_and_afternotok_follow_the_outcome(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    good = await submit(backend, spec(tmp_path, "sleep 0.2"))
    bad = await submit(backend, spec(tmp_path, "sleep 0.2; exit 1"))
    after_good = await submit(backend, spec(tmp_path, dependency=f"afterok:{good}"))
    after_bad = await submit(backend, spec(tmp_path, dependency=f"afternotok:{bad}"))
    never = await submit(backend, spec(tmp_path, dependency=f"afterok:{bad}"))
    await wait_state(backend, after_good, JobState.COMPLETED)
    await wait_state(backend, after_bad, JobState.COMPLETED)
    assert backend.jobs[after_good].start_time >= backend.jobs[good].end_time
    await wait_until(lambda: backend.jobs[never].state_reason == "DependencyNeverSatisfied")
    assert backend.jobs[never].state is JobState.PENDING


async def test_singleton_waits_for_the_earlier_job_of_the_same_name(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    first = await submit(backend, spec(tmp_path, "sleep 0.5", name="only"))
    second = await submit(backend, spec(tmp_path, name="only", dependency="singleton"))
    await wait_state(backend, first, JobState.RUNNING)
    await wait_until(lambda: backend.jobs[second].state_reason == "Dependency")
    await wait_state(backend, second, JobState.COMPLETED)
    assert backend.jobs[second].start_time >= backend.jobs[first].end_time


async def test_hold_and_release(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 0.1", hold=True))
    await asyncio.sleep(0)  # let a scheduling pass see it
    job = backend.jobs[job_id]
    assert job.state is JobState.PENDING and job.priority == 0
    before = job.last_update
    await backend.update_job(ROOT, job_id, JobUpdate(hold=False))
    assert job.priority > 0 and job.last_update >= before
    await wait_state(backend, job_id, JobState.COMPLETED)


async def test_a_user_cannot_release_an_administrators_hold(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(
        backend, spec(Path("/"), "true", standard_output="/dev/null", hold=True), OTHER
    )
    assert backend.jobs[job_id].state_reason == "JobHeldUser"
    await backend.update_job(ROOT, job_id, JobUpdate(hold=True))
    assert backend.jobs[job_id].state_reason == "JobHeldAdmin"
    with pytest.raises(PermissionDenied):
        await backend.update_job(OTHER, job_id, JobUpdate(hold=False))


async def test_priority_decreases_with_each_submission_and_nice_lowers_it(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    first = await submit(backend, spec(tmp_path, hold=True, priority=None))
    await backend.update_job(ROOT, first, JobUpdate(hold=False, begin_time=2**31))
    a = await submit(backend, spec(tmp_path, begin_time=2**31))
    b = await submit(backend, spec(tmp_path, begin_time=2**31, nice=100))
    assert backend.jobs[first].priority > backend.jobs[a].priority
    assert backend.jobs[a].priority - backend.jobs[b].priority == 101


async def test_cancelling_an_array_job_id_cancels_every_task(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    first = await submit(backend, spec(tmp_path, "sleep 60", array="0-3%2"))
    await wait_until(
        lambda: sum(backend.jobs[first + i].state is JobState.RUNNING for i in range(4)) == 2
    )
    await backend.signal_job(ROOT, first, signal.SIGKILL)
    await wait_until(
        lambda: all(backend.jobs[first + i].state is JobState.CANCELLED for i in range(4))
    )


async def test_a_burst_of_submissions_is_scheduled_in_a_few_passes(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(sched_interval=60)
    await wait_until(
        lambda: (
            backend.diag.snapshot(now=0, pending=0, running=0, uids={}).schedule_cycle_total >= 1
        )
    )
    before = (await backend.stats(ROOT)).schedule_cycle_total
    ids = await asyncio.gather(*(submit(backend, spec(tmp_path, hold=True)) for _ in range(300)))
    assert sorted(ids) == list(range(min(ids), min(ids) + 300))
    await wait_until(
        lambda: (
            (backend.diag.snapshot(now=0, pending=0, running=0, uids={}).schedule_cycle_total)
            > before
        )
    )
    stats = await backend.stats(ROOT)
    assert stats.jobs_submitted == 300 and stats.jobs_pending == 300
    # Wake-ups coalesce: passes come in tens, not one per submission.
    assert stats.schedule_cycle_total - before <= 30


async def test_work_over_every_job_lets_other_work_run_meanwhile(
    make_backend: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A scheduling pass, the purge and sdiag's counts: on a queue of 100,000 jobs, each would
    # otherwise hold up every request for tens of milliseconds.
    monkeypatch.setattr(slices, "SLICE", 2)
    backend = await make_backend(sched_interval=60)
    for _ in range(7):
        await submit(backend, spec(tmp_path, hold=True))
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    before = turns
    await backend.passes.schedule()
    await backend.passes.purge(force=True)
    stats = await backend.stats(ROOT)
    task.cancel()
    # Seven jobs, two at a time: three turns of the loop in each of the three.
    assert turns - before >= 9
    assert stats.jobs_pending == 7


# -- updates ---------------------------------------------------------------------------------


async def test_update_changes_pending_fields_and_refuses_them_once_running(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60", hold=True))
    await backend.update_job(
        ROOT, job_id, JobUpdate(name="renamed", partition="short", time_limit=3, tasks=2)
    )
    job = backend.jobs[job_id]
    assert (job.name, job.partition, job.time_limit, job.cpus) == ("renamed", "short", 3, 2)
    await backend.update_job(ROOT, job_id, JobUpdate(hold=False))
    await wait_state(backend, job_id, JobState.RUNNING)
    with pytest.raises(Conflict) as caught:
        await backend.update_job(ROOT, job_id, JobUpdate(partition="debug"))
    assert caught.value.error_number == ESLURM_JOB_NOT_PENDING
    await backend.update_job(ROOT, job_id, JobUpdate(comment="still running"))
    assert job.comment == "still running"
    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    await wait_state(backend, job_id, JobState.CANCELLED)
    with pytest.raises(Conflict) as caught:
        await backend.update_job(ROOT, job_id, JobUpdate(name="late"))
    assert caught.value.error_number == ESLURM_JOB_FINISHED


async def test_annotating_jobs_costs_no_scheduling_pass_but_reprioritising_one_does(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(sched_interval=60)

    def cycles() -> int:
        return backend.diag.snapshot(now=0, pending=0, running=0, uids={}).schedule_cycle_total

    job_id = await submit(backend, spec(tmp_path, hold=True))
    await wait_until(lambda: cycles() >= 1)
    await asyncio.sleep(0.5)  # the submission's pass, coalesced, is over
    before = cycles()
    for n in range(20):
        await backend.update_job(ROOT, job_id, JobUpdate(comment=f"note {n}"))
    await asyncio.sleep(0.5)
    assert cycles() == before and backend.jobs[job_id].comment == "note 19"
    await backend.update_job(ROOT, job_id, JobUpdate(priority=5))
    await wait_until(lambda: cycles() > before)


async def test_users_may_lower_but_not_raise_a_time_limit(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(
        backend,
        spec(Path("/"), standard_output="/dev/null", hold=True, time_limit=10),
        OTHER,
    )
    await backend.update_job(OTHER, job_id, JobUpdate(time_limit=5))
    assert backend.jobs[job_id].time_limit == 5
    with pytest.raises(PermissionDenied):
        await backend.update_job(OTHER, job_id, JobUpdate(time_limit=20))
    with pytest.raises(PermissionDenied):
        await backend.update_job(OTHER, job_id, JobUpdate(priority=5))


# -- ownership -------------------------------------------------------------------------------


async def test_another_users_job_cannot_be_cancelled_or_updated(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, hold=True))
    with pytest.raises(PermissionDenied) as caught:
        await backend.signal_job(OTHER, job_id, signal.SIGKILL)
    assert caught.value.error_number == ESLURM_ACCESS_DENIED
    with pytest.raises(PermissionDenied):
        await backend.update_job(OTHER, job_id, JobUpdate(name="mine"))
    assert backend.jobs[job_id].state is JobState.PENDING


async def test_unknown_job_is_not_found(make_backend: Factory) -> None:
    backend = await make_backend()
    for call in (
        backend.get_job(ROOT, 999),
        backend.signal_job(ROOT, 999, signal.SIGKILL),
        backend.update_job(ROOT, 999, JobUpdate(name="x")),
    ):
        with pytest.raises(NotFound) as caught:
            await call
        assert caught.value.error_number == ESLURM_INVALID_JOB_ID


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error", "number"),
    [
        ({"script": None}, InvalidRequest, 2009),
        ({"script": "echo no interpreter\n"}, InvalidRequest, None),
        ({"partition": "nosuch"}, InvalidRequest, ESLURM_INVALID_PARTITION_NAME),
        ({"tasks": 64}, InvalidRequest, ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE),
        ({"min_nodes": 2}, InvalidRequest, ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE),
        ({"memory_per_node": 99999}, InvalidRequest, ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE),
        ({"constraints": "gpu"}, InvalidRequest, ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE),
        ({"array": "0-5%x"}, InvalidRequest, ESLURM_INVALID_ARRAY),
        ({"array": "0-5000"}, InvalidRequest, ESLURM_INVALID_ARRAY),
        ({"dependency": "afterfoo:1"}, InvalidRequest, ESLURM_DEPENDENCY),
        ({"reservation": "nosuch"}, InvalidRequest, ESLURM_RESERVATION_INVALID),
        ({"required_nodes": "node9"}, InvalidRequest, ESLURM_INVALID_NODE_NAME),
        ({"current_working_directory": "relative/dir"}, InvalidRequest, None),
    ],
)
async def test_invalid_submissions_are_refused_with_slurms_error(
    make_backend: Factory,
    tmp_path: Path,
    fields: dict[str, object],
    error: type[Exception],
    number: int | None,
) -> None:
    backend = await make_backend()
    with pytest.raises(error) as caught:
        await submit(backend, spec(tmp_path, **fields))
    if number is not None:
        assert getattr(caught.value, "error_number") == number  # noqa: B009
    assert not backend.jobs


async def test_refusals_explain_themselves(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    with pytest.raises(InvalidRequest) as caught:
        await submit(backend, spec(tmp_path, partition="nosuch"))
    assert "nosuch" in caught.value.description
    assert "debug" in caught.value.description and "short" in caught.value.description
    with pytest.raises(InvalidRequest) as caught:
        await submit(backend, spec(tmp_path, script="echo hi"))
    assert caught.value.description.startswith("This does not look like a batch script.")


async def test_a_dependency_on_an_unknown_job_is_dropped(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, dependency="afterok:4242"))
    assert backend.jobs[job_id].dependency == ""
    await wait_state(backend, job_id, JobState.COMPLETED)


async def test_only_the_unknown_part_of_a_dependency_is_dropped(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    held = await submit(backend, spec(tmp_path, hold=True))
    after_all = await submit(backend, spec(tmp_path, dependency=f"afterok:4242,afterok:{held}"))
    after_any = await submit(backend, spec(tmp_path, dependency=f"afterok:4242?afterany:{held}"))
    blocked = await submit(backend, spec(tmp_path, hold=True))
    updated = await submit(backend, spec(tmp_path, hold=True))
    await backend.update_job(ROOT, updated, JobUpdate(dependency=f"afterok:{blocked}:4242"))
    assert backend.jobs[after_all].dependency == f"afterok:{held}"
    assert backend.jobs[after_any].dependency == f"afterany:{held}"
    assert backend.jobs[updated].dependency == f"afterok:{blocked}"
    await backend.update_job(ROOT, updated, JobUpdate(hold=False))
    for job_id in (after_all, after_any, updated):
        await wait_until(lambda j=job_id: backend.jobs[j].state_reason == "Dependency")
    await backend.update_job(ROOT, held, JobUpdate(hold=False))
    await wait_state(backend, after_all, JobState.COMPLETED)
    await wait_state(backend, after_any, JobState.COMPLETED)
    assert backend.jobs[updated].state is JobState.PENDING
    await backend.update_job(ROOT, updated, JobUpdate(dependency="afterok:4243"))
    assert backend.jobs[updated].dependency == ""
    await wait_state(backend, updated, JobState.COMPLETED)


async def test_priority_and_negative_nice_are_for_administrators(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    for fields in ({"priority": 100}, {"nice": -5}):
        with pytest.raises(PermissionDenied):
            await submit(backend, spec(Path("/"), standard_output="/dev/null", **fields), OTHER)
    job_id = await submit(
        backend, spec(tmp_path, priority=100, nice=-5, hold=False, begin_time=2**31)
    )
    assert backend.jobs[job_id].priority == 100


async def test_max_job_count_refuses_more_jobs(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend(max_job_count=3)
    await submit(backend, spec(tmp_path, array="0-1", hold=True))
    with pytest.raises(UnprocessableRequest) as caught:
        await submit(backend, spec(tmp_path, array="0-1", hold=True))
    assert caught.value.error_number == ESLURM_MAX_JOB_COUNT


async def test_without_root_jobs_run_as_the_gateway_but_carry_the_callers_name(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    backend.rules.as_root = False  # what a gateway started by an ordinary user does
    caller = Principal("someone-without-an-account")
    job_id = await submit(backend, spec(tmp_path, "id -u"), caller)
    job = await wait_state(backend, job_id, JobState.COMPLETED)
    assert job.user_name == "someone-without-an-account"
    assert job.user_id == os.geteuid()
    assert (tmp_path / f"slurm-{job_id}.out").read_text() == f"{os.geteuid()}\n"


@pytest.mark.skipif(not running_as_root(), reason="jobs run as their user only under root")
async def test_unknown_user_cannot_submit_when_jobs_run_as_their_user(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    with pytest.raises(PermissionDenied) as caught:
        await submit(backend, spec(tmp_path), Principal("no-such-user-here"))
    assert caught.value.error_number == ESLURM_USER_ID_MISSING
    assert "no-such-user-here" in caught.value.description


async def test_defaults_fill_in_what_the_submission_left_out(make_backend: Factory) -> None:
    backend = await make_backend()
    me = pwd.getpwuid(os.geteuid()).pw_name
    job_id = await submit(backend, JobSpec(script="#!/bin/sh\ntrue\n", hold=True), Principal(me))
    job = backend.jobs[job_id]
    assert job.partition == "debug" and job.name == ""
    # The job's user is the account the gateway runs as, whose home is the process's HOME.
    assert job.current_working_directory == os.environ["HOME"]
    assert job.standard_output == os.path.join(job.current_working_directory, "slurm-%j.out")
    assert job.standard_error == job.standard_output
    assert job.standard_input == "/dev/null"
    assert (job.tasks, job.cpus, job.node_count) == (1, 1, 1)
    assert job.memory_per_cpu == 1000  # node memory / node CPUs
    stored = await backend.store.load_payload(job_id)
    assert stored is not None
    payload = Payload.decode(stored)
    assert payload.environment["LANG"] == "C.UTF-8"
    assert payload.environment["USER"] == me


# -- heterogeneous jobs ------------------------------------------------------------------------


async def test_heterogeneous_job_runs_its_leader_and_ends_together(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    result = await backend.submit(
        ROOT,
        JobSubmission([spec(tmp_path, "sleep 0.3"), JobSpec(tasks=2)]),
    )
    leader, member = result.job_id, result.job_id + 1
    assert backend.jobs[member].het_job_id == leader
    assert backend.jobs[member].het_job_offset == 1
    assert backend.jobs[leader].het_job_id_set == f"{leader}-{member}"
    await wait_state(backend, leader, JobState.COMPLETED)
    assert backend.jobs[member].state is JobState.COMPLETED


# -- views ------------------------------------------------------------------------------------


async def test_nodes_and_partitions_reflect_running_jobs(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(licenses={"matlab": 2})
    [node] = (await backend.list_nodes(ROOT)).items
    assert node.state.value == "idle" and node.tres == "cpu=4,mem=4000M,billing=4"
    assert node.version == "22.05.8" and node.partitions == ["debug", "short"]
    job_id = await submit(backend, spec(tmp_path, "sleep 60", tasks=2, licenses="matlab:1"))
    await wait_state(backend, job_id, JobState.RUNNING)
    node = await backend.get_node(ROOT, "node1")
    assert node.state.value == "mixed" and node.alloc_cpus == 2
    [matlab] = (await backend.list_licenses(ROOT)).items
    assert (matlab.total, matlab.used) == (2, 1)
    debug = await backend.get_partition(ROOT, "debug")
    assert debug.is_default and debug.total_cpus == 4 and debug.nodes == "node1"
    with pytest.raises(NotFound) as caught:
        await backend.get_node(ROOT, "node9")
    assert caught.value.error_number == ESLURM_INVALID_NODE_NAME
    with pytest.raises(NotFound) as caught:
        await backend.get_partition(ROOT, "nosuch")
    assert caught.value.error_number == ESLURM_INVALID_PARTITION_NAME
    with pytest.raises(NotFound) as caught:
        await backend.get_reservation(ROOT, "nosuch")
    assert caught.value.error_number == ESLURM_RESERVATION_INVALID


async def test_a_node_configured_down_runs_nothing(make_backend: Factory, tmp_path: Path) -> None:
    down = NodeConfig(name="node1", cpus=4, memory=4000, state="DOWN", reason="maintenance")
    backend = await make_backend(nodes=[down])
    [node] = (await backend.list_nodes(ROOT)).items
    assert node.state.value == "down" and node.reason == "maintenance"
    job_id = await submit(backend, spec(tmp_path))
    await wait_until(lambda: backend.jobs[job_id].state_reason not in ("None", ""))
    assert backend.jobs[job_id].state is JobState.PENDING


async def test_stats_count_calls_by_type_and_user(make_backend: Factory) -> None:
    backend = await make_backend()
    await backend.ping(ROOT)
    await backend.list_jobs(OTHER)
    stats = await backend.stats(ROOT)
    by_type = {r.message_type: r for r in stats.rpcs_by_message_type}
    assert by_type["REQUEST_PING"].type_id == 1008 and by_type["REQUEST_PING"].count == 1
    assert by_type["REQUEST_JOB_INFO"].type_id == 2003
    users = {r.user: r for r in stats.rpcs_by_user}
    assert users["nobody"].user_id == 65534 and users["root"].user_id == 0


async def test_detected_host_is_the_only_node_by_default(
    make_backend: Factory,
) -> None:
    backend = await make_backend(nodes=[], partitions=[])
    [node] = (await backend.list_nodes(ROOT)).items
    assert node.name == backend.host.hostname and node.cpus >= 1 and node.real_memory > 0
    [partition] = (await backend.list_partitions(ROOT)).items
    assert partition.name == "debug" and partition.is_default and partition.max_time is None


async def test_job_list_honours_updated_since(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    await submit(backend, spec(tmp_path, hold=True))
    listed = await backend.list_jobs(ROOT)
    assert len(listed.items) == 1 and listed.changed
    # As slurmctld: changes made in the second passed are reported, earlier ones are not.
    unchanged = await backend.list_jobs(ROOT, updated_since=listed.last_update + 1)
    assert unchanged.items == [] and not unchanged.changed
    assert (await backend.list_jobs(ROOT, updated_since=listed.last_update)).items


async def test_job_list_stamps_change_exactly_for_the_jobs_changed_since_the_last_listing(
    make_backend: Factory, tmp_path: Path
) -> None:
    # Finer than last_update's seconds: the mirror renders again only what changed.
    backend = await make_backend(sched_interval=60)
    ids = [await submit(backend, spec(tmp_path, hold=True)) for _ in range(3)]
    first = await backend.list_jobs(ROOT)
    assert first.stamps is not None and first.stamps.keys() == set(ids)
    await backend.update_job(ROOT, ids[1], JobUpdate(comment="one"))
    second = await backend.list_jobs(ROOT, updated_since=first.last_update)
    assert second.stamps is not None
    assert [second.stamps[i] != first.stamps[i] for i in ids] == [False, True, False]
    # Listed again within that second: listed as changed, with the same stamps.
    third = await backend.list_jobs(ROOT, updated_since=second.last_update)
    assert not third.changed or third.stamps == second.stamps
    # A whole listing renews every stamp, and none goes back.
    whole = await backend.list_jobs(ROOT)
    assert whole.stamps is not None
    assert all(whole.stamps[i] > second.stamps[i] for i in ids)


# -- restarts ---------------------------------------------------------------------------------


async def test_restart_keeps_queue_and_history_and_readopts_running_jobs(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    done = await submit(backend, spec(tmp_path, "true"))
    await wait_state(backend, done, JobState.COMPLETED)
    held = await submit(backend, spec(tmp_path, hold=True))
    gate = tmp_path / "gate"
    running = await submit(
        backend, spec(tmp_path, f"while [ ! -e {gate} ]; do sleep 0.05; done; echo finished")
    )
    await wait_state(backend, running, JobState.RUNNING)
    await backend.stop()

    again = await make_backend()
    assert again.jobs[done].state is JobState.COMPLETED
    assert again.jobs[held].state is JobState.PENDING
    assert again.jobs[running].state is JobState.RUNNING
    gate.touch()
    job = await wait_state(again, running, JobState.COMPLETED)
    assert (tmp_path / f"slurm-{running}.out").read_text() == "finished\n"
    assert job.exit_code is not None and job.exit_code.raw == 0
    newer = await submit(again, spec(tmp_path, hold=True))
    assert newer > running


async def test_a_cancel_under_way_at_shutdown_is_finished_after_restart(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(kill_wait=1)
    job_id = await submit(backend, spec(tmp_path, "trap '' TERM; echo armed; sleep 60"))
    out = tmp_path / f"slurm-{job_id}.out"
    await wait_until(lambda: out.exists() and out.read_text() == "armed\n")
    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    await backend.stop()  # before KillWait is over: SIGTERM was ignored, SIGKILL not yet sent
    assert backend.jobs[job_id].state is JobState.RUNNING

    again = await make_backend(kill_wait=1)
    job = await wait_state(again, job_id, JobState.CANCELLED)
    assert job.exit_code is not None and job.exit_code.signal == signal.SIGKILL


async def test_a_job_lost_while_the_gateway_was_down_is_node_fail(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60"))
    await wait_state(backend, job_id, JobState.RUNNING)
    pid_file = tmp_path / "state" / "spool" / str(job_id) / "pid"
    await wait_until(pid_file.exists)
    await backend.stop()
    record = json.loads(pid_file.read_text())
    # The whole machine "rebooted": supervisor and script vanish without a word.
    os.killpg(int(record["pgid"]), signal.SIGKILL)
    os.kill(int(record["shim_pid"]), signal.SIGKILL)
    await wait_until(
        lambda: (
            not Path(f"/proc/{record['shim_pid']}").exists()
            or "Z" in Path(f"/proc/{record['shim_pid']}/stat").read_text().split()[2]
        )
    )

    again = await make_backend()
    job = again.jobs[job_id]
    assert job.state is JobState.NODE_FAIL and job.state_reason == "NodeDown"
    assert job.end_time > 0


async def test_finished_jobs_leave_the_list_after_min_job_age_but_stay_findable(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(min_job_age=0)
    job_id = await submit(backend, spec(tmp_path, hold=True))
    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    backend.jobs[job_id].end_time -= 10  # ended a while ago
    assert (await backend.list_jobs(ROOT)).items == []
    await backend.passes.purge(force=True)
    assert job_id not in backend.jobs
    [job] = await backend.get_job(ROOT, job_id)
    assert job.state is JobState.CANCELLED
