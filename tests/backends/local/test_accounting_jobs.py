"""The embedded cluster's job accounting: records with their steps, kept after the job table.

Real jobs run and end here; their records are what ``sacct`` would show of them: exit code,
the batch step with its wait status and CPU time, TRES asked for and given, one record per
run of a requeued job, and the filters slurmdbd applies.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from slurmgate.domain import ExitStatus, InvalidRequest, JobState, NotFound, RequeueOptions
from slurmgate.domain.accounting import AccountingQuery
from tests.backends.local.cluster import (
    OTHER,
    ROOT,
    Factory,
    spec,
    submit,
    wait_state,
    wait_until,
)


async def test_a_finished_job_purged_from_the_job_table_keeps_its_record_and_steps(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(min_job_age=0)
    job_id = await submit(
        backend, spec(tmp_path, "python3 -c 'sum(range(3_000_000))'; exit 3", name="acct")
    )
    await wait_state(backend, job_id, JobState.FAILED)
    backend.jobs[job_id].end_time -= 5
    await backend.passes.purge(force=True)
    assert job_id not in backend.jobs

    [record] = await backend.accounting_job(ROOT, str(job_id))
    assert record.job_id == job_id and record.name == "acct" and record.user_name == "root"
    assert record.state is JobState.FAILED and record.state_reason == "NonZeroExitCode"
    assert record.exit_code == ExitStatus.exited(3)
    assert record.account == "root" and record.qos == "normal" and record.cluster
    assert record.association is not None and record.association.id > 0
    assert record.lineage == "/root/0-root/"
    assert record.start_time >= record.submit_time > 0 and record.end_time >= record.start_time
    assert record.elapsed == record.end_time - record.start_time
    assert {t.type for t in record.tres_allocated} == {"cpu", "mem", "node", "billing"}
    assert {t.id for t in record.tres_requested} == {1, 2, 4, 5}
    assert record.nodes == "node1" and record.node_count == 1

    [batch] = record.steps
    assert batch.step_id == "batch" and batch.state is JobState.FAILED
    assert batch.exit_code == ExitStatus.exited(3)
    assert batch.nodes == "node1" and batch.tasks == 1 and batch.pid.isdigit()
    assert batch.start_time == record.start_time and batch.end_time == record.end_time
    # wait4(2) measured the script: it computed, so it used CPU time and memory.
    assert batch.cpu_time.total_seconds * 1_000_000 + batch.cpu_time.total_microseconds > 0
    assert batch.tres_requested.max and batch.tres_requested.max[0].type == "mem"
    assert batch.tres_requested.max[0].count > 1024 * 1024
    assert record.cpu_time == batch.cpu_time


async def test_a_pending_then_cancelled_job_has_a_record_without_steps(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, hold=True))
    [pending] = await backend.accounting_job(ROOT, str(job_id))
    assert pending.state is JobState.PENDING and pending.start_time == 0 and not pending.steps
    assert pending.state_reason == "JobHeldAdmin"

    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    [cancelled] = await backend.accounting_job(ROOT, str(job_id))
    assert cancelled.state is JobState.CANCELLED and cancelled.end_time > 0
    assert not cancelled.steps and cancelled.nodes == "" and cancelled.tres_allocated == ()


async def test_a_cancelled_running_job_has_a_cancelled_batch_step(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 30"))
    await wait_state(backend, job_id, JobState.RUNNING)
    [running] = await backend.accounting_job(ROOT, str(job_id))
    assert running.state is JobState.RUNNING and running.end_time == 0
    [step] = running.steps
    assert step.state is JobState.RUNNING and step.exit_code is None

    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    await wait_state(backend, job_id, JobState.CANCELLED)
    [record] = await backend.accounting_job(ROOT, str(job_id))
    assert record.state is JobState.CANCELLED
    [step] = record.steps
    assert step.state is JobState.CANCELLED and step.exit_code is not None
    assert step.exit_code.signal == signal.SIGTERM


async def test_a_requeued_job_has_one_record_per_run(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    job_id = await submit(
        backend, spec(tmp_path, 'sleep "$((30 - 30 * ${SLURM_RESTART_COUNT:-0}))"')
    )
    await wait_state(backend, job_id, JobState.RUNNING)
    await backend.requeue_job(ROOT, job_id, RequeueOptions())
    await wait_until(lambda: backend.jobs[job_id].restart_count == 1)
    await wait_state(backend, job_id, JobState.COMPLETED)

    first, second = await backend.accounting_job(ROOT, str(job_id))
    assert (first.restart_count, second.restart_count) == (0, 1)
    assert first.state is JobState.PENDING and first.state_flags == ("REQUEUED",)
    assert first.end_time > 0 and [s.state for s in first.steps] == [JobState.CANCELLED]
    assert second.state is JobState.COMPLETED and second.exit_code == ExitStatus(0)
    assert [s.exit_code for s in second.steps] == [ExitStatus(0)]
    assert second.submit_time >= first.end_time

    last_only = await backend.accounting_jobs(
        ROOT, AccountingQuery(job_ids=(str(job_id),), duplicates=False)
    )
    assert [r.restart_count for r in last_only] == [1]


async def test_array_tasks_have_records_of_their_own_found_by_the_arrays_id(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    first = await submit(backend, spec(tmp_path, "exit $SLURM_ARRAY_TASK_ID", array="0-2"))
    await wait_until(lambda: all(backend.jobs[first + i].state.is_finished for i in range(3)))
    records = await backend.accounting_job(ROOT, str(first))
    assert [(r.array_job_id, r.array_task_id) for r in records] == [(first, i) for i in range(3)]
    assert [r.exit_code for r in records] == [ExitStatus.exited(i) for i in range(3)]
    [task] = await backend.accounting_job(ROOT, f"{first}_2")
    assert task.array_task_id == 2 and task.state is JobState.FAILED
    with pytest.raises(NotFound):
        await backend.accounting_job(ROOT, f"{first}_7")


async def test_filters_choose_as_slurmdbd_does(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    began = int(time.time())
    ok = await submit(backend, spec(tmp_path, "true", name="alpha"))
    bad = await submit(backend, spec(tmp_path, "exit 2", name="beta", partition="short"))
    held = await submit(backend, spec(tmp_path, hold=True, name="gamma"), OTHER)
    await wait_state(backend, ok, JobState.COMPLETED)
    await wait_state(backend, bad, JobState.FAILED)
    # Most queries below give no times: the window is today's, from local midnight.
    if time.localtime(began)[:3] != time.localtime(time.time() + 60)[:3]:
        pytest.skip("the jobs ran before local midnight and the queries would run after it")

    async def ids(**filters: object) -> list[int]:
        query = AccountingQuery(**filters)  # type: ignore[arg-type]
        return [r.job_id for r in await backend.accounting_jobs(ROOT, query)]

    assert await ids() == [ok, bad]  # today's eligible jobs: the held one never was
    assert await ids(job_names=("beta",)) == [bad]
    assert await ids(partitions=("short",)) == [bad]
    # With states and no start, slurmdbd's window is this very second: give one around the test.
    window = {"start_time": began, "end_time": int(time.time()) + 60}
    assert await ids(states=("COMPLETED",), **window) == [ok]
    assert await ids(states=("FAILED", "COMPLETED"), **window) == [ok, bad]
    assert await ids(exit_code=ExitStatus.exited(2).raw) == [bad]
    assert await ids(users=("nobody",)) == []
    assert await ids(users=("nobody",), job_ids=(str(held),)) == [held]
    assert await ids(accounts=("root",), qos=("normal",)) == [ok, bad]
    assert await ids(nodes="node1") == [ok, bad]
    assert await ids(nodes="node9") == []
    assert await ids(cpus_min=1) == [ok, bad]
    assert await ids(cpus_min=2) == []
    assert await ids(start_time=int(time.time()) + 3600) == []
    assert await ids(skip_steps=True, job_ids=(str(ok),)) == [ok]
    [bare] = await backend.accounting_jobs(
        ROOT, AccountingQuery(job_ids=(str(ok),), skip_steps=True)
    )
    assert bare.steps == ()
    [only_batch] = await backend.accounting_jobs(ROOT, AccountingQuery(job_ids=(f"{ok}.batch",)))
    assert [s.step_id for s in only_batch.steps] == ["batch"]
    [no_step] = await backend.accounting_jobs(ROOT, AccountingQuery(job_ids=(f"{ok}.0",)))
    assert no_step.steps == ()


async def test_a_bad_query_is_refused(make_backend: Factory) -> None:
    backend = await make_backend()
    for query in (
        AccountingQuery(states=("SLEEPING",)),
        AccountingQuery(job_ids=("12x",)),
        AccountingQuery(cpus_min=4, cpus_max=2),
        AccountingQuery(start_time=100, end_time=50),
    ):
        with pytest.raises(InvalidRequest):
            await backend.accounting_jobs(ROOT, query)


async def test_records_survive_a_restart(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend(min_job_age=0)
    job_id = await submit(backend, spec(tmp_path, "exit 4"))
    await wait_state(backend, job_id, JobState.FAILED)
    before = await backend.accounting_job(ROOT, str(job_id))
    await backend.stop()

    again = await make_backend(min_job_age=0)
    assert await again.accounting_job(ROOT, str(job_id)) == before


async def test_a_running_step_is_ended_by_a_restarted_gateway(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 1; exit 5"))
    await wait_state(backend, job_id, JobState.RUNNING)
    await backend.stop()  # the script runs on under its supervisor

    again = await make_backend()
    await wait_state(again, job_id, JobState.FAILED)
    [record] = await again.accounting_job(ROOT, str(job_id))
    [step] = record.steps
    assert step.exit_code == ExitStatus.exited(5) and step.end_time > 0


async def test_retention_removes_old_records_only(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend(accounting_retention=3600)
    old = await submit(backend, spec(tmp_path))
    await wait_state(backend, old, JobState.COMPLETED)
    await backend.store.flush()
    database = sqlite3.connect(backend.store.path)
    with database:
        database.execute("UPDATE acct_jobs SET end_time = end_time - 7200 WHERE job_id = ?", (old,))
    database.close()
    recent = await submit(backend, spec(tmp_path))
    await wait_state(backend, recent, JobState.COMPLETED)

    await backend.store.purge_accounting(int(time.time()) - 3600)
    with pytest.raises(NotFound):
        await backend.accounting_job(ROOT, str(old))
    assert [r.job_id for r in await backend.accounting_job(ROOT, str(recent))] == [recent]


async def test_records_of_jobs_from_before_accounting_are_made_from_the_job_table(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "exit 1"))
    await wait_state(backend, job_id, JobState.FAILED)
    path = backend.store.path
    await backend.stop()
    database = sqlite3.connect(path)  # as a database of schema 1 was: no accounting rows
    with database:
        database.execute("DELETE FROM acct_jobs")
        database.execute("DELETE FROM acct_steps")
        database.execute("UPDATE meta SET value = 1 WHERE key = 'schema_version'")
    database.close()

    again = await make_backend()
    [record] = await again.accounting_job(ROOT, str(job_id))
    assert record.state is JobState.FAILED and record.exit_code == ExitStatus.exited(1)
    assert record.steps == ()  # the batch step was not recorded then
