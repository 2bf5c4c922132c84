from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slurmgate.backends.local.store import JobStore, job_from_json, job_to_json
from slurmgate.domain.errors import BackendUnavailable, ConfigError, SlurmgateError
from slurmgate.domain.jobs import ExitStatus, Job, JobState, JobStateReason, NodeAllocation


def make_job(job_id: int, state: JobState = JobState.PENDING, **fields: object) -> Job:
    return Job(
        job_id=job_id,
        name=f"job{job_id}",
        user_id=1000,
        user_name="alice",
        group_id=1000,
        state=state,
        **fields,  # type: ignore[arg-type]
    )


async def open_store(path: Path, since: int = 0) -> tuple[JobStore, dict[int, Job], int]:
    store = JobStore(path)
    state = await store.open(keep_finished_since=since)
    return store, state.jobs, state.next_job_id


def test_job_round_trips_through_json_exactly() -> None:
    job = make_job(
        7,
        JobState.FAILED,
        state_reason=JobStateReason.NON_ZERO_EXIT_CODE,
        exit_code=ExitStatus.exited(3),
        derived_exit_code=ExitStatus.signaled(9),
        allocations=[NodeAllocation("n1", 4, 2048), NodeAllocation("n2", 2, 1024)],
        array_task_id=0,
        het_job_offset=None,
        time_limit=None,
        memory_per_cpu=0,
        flags=["KILL_INVALID_DEPEND"],
        billable_tres=1.5,
    )
    back = job_from_json(job_to_json(job))
    assert back == job
    assert back.state is JobState.FAILED
    assert back.exit_code == ExitStatus.exited(3)
    assert back.allocations[0] == NodeAllocation("n1", 4, 2048)
    assert back.array_task_id == 0 and back.het_job_offset is None
    assert back.memory_per_cpu == 0 and back.time_limit is None


async def test_saved_jobs_survive_reopening(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store, jobs, next_id = await open_store(db)
    assert jobs == {} and next_id == 1
    running = make_job(1, JobState.RUNNING, allocations=[NodeAllocation("n1", 1, 100)])
    await store.save([make_job(1), make_job(2)], next_job_id=3)
    await store.save([running])
    await store.close()

    store, jobs, next_id = await open_store(db)
    assert jobs == {1: running, 2: make_job(2)}
    assert next_id == 3
    await store.close()


async def test_open_skips_jobs_that_finished_before_the_cutoff(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store, _, _ = await open_store(db)
    old = make_job(1, JobState.COMPLETED, end_time=100)
    recent = make_job(2, JobState.COMPLETED, end_time=500)
    pending = make_job(3)
    await store.save([old, recent, pending], next_job_id=4)
    await store.close()

    store, jobs, next_id = await open_store(db, since=300)
    assert set(jobs) == {2, 3}
    assert next_id == 4
    assert await store.load_jobs(1) == [old]  # still there for /job/{id}
    await store.close()


async def test_next_job_id_never_goes_below_stored_jobs(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store, _, _ = await open_store(db)
    await store.save([make_job(41)])
    await store.save([], next_job_id=10)
    await store.close()
    store, _, next_id = await open_store(db)
    assert next_id == 42
    await store.close()


async def test_load_jobs_returns_a_job_or_every_task_of_an_array(tmp_path: Path) -> None:
    store, _, _ = await open_store(tmp_path / "jobs.db")
    tasks = [make_job(10 + i, array_job_id=10, array_task_id=i) for i in range(3)]
    await store.save([*tasks, make_job(20)])
    assert await store.load_jobs(10) == tasks
    assert await store.load_jobs(11) == [tasks[1]]
    assert await store.load_jobs(20) == [make_job(20)]
    assert await store.load_jobs(99) == []
    await store.close()


async def test_save_nowait_is_committed_by_the_next_flush(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store, _, _ = await open_store(db)
    job = make_job(5)
    store.save_nowait([job])
    job.state = JobState.RUNNING  # later changes do not leak into the queued snapshot
    await store.flush()
    assert [j.state for j in await store.load_jobs(5)] == [JobState.PENDING]
    await store.close()


async def test_concurrent_saves_share_commits_and_all_land(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store, _, _ = await open_store(db)
    await asyncio.gather(*(store.save([make_job(i)], next_job_id=i + 1) for i in range(1, 501)))
    await store.close()
    store, jobs, next_id = await open_store(db)
    assert len(jobs) == 500 and next_id == 501
    await store.close()


async def test_saving_after_close_is_refused(tmp_path: Path) -> None:
    store, _, _ = await open_store(tmp_path / "jobs.db")
    await store.close()
    with pytest.raises(BackendUnavailable):
        await store.save([make_job(1)])


async def test_database_uses_wal(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store, _, _ = await open_store(db)
    await store.save([make_job(1)])
    assert Path(f"{db}-wal").exists()
    await store.close()


async def test_corrupt_database_names_the_file(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    db.write_bytes(b"this is not an SQLite database, just bytes" * 100)
    with pytest.raises(ConfigError, match=str(db)):
        await JobStore(db).open(keep_finished_since=0)


async def test_unopenable_database_is_a_slurmgate_error_naming_the_file(tmp_path: Path) -> None:
    db = tmp_path / "dir-not-file"
    db.mkdir()
    with pytest.raises(SlurmgateError, match=str(db)):
        await JobStore(db).open(keep_finished_since=0)


async def test_database_from_a_newer_slurmgate_is_refused(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "jobs.db"
    store, _, _ = await open_store(db)
    await store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(ConfigError, match="schema version 99"):
        await JobStore(db).open(keep_finished_since=0)


_CRASHER = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from slurmgate.backends.local.store import JobStore
    from slurmgate.domain.jobs import Job, JobState

    async def main() -> None:
        store = JobStore(Path(sys.argv[1]))
        await store.open(keep_finished_since=0)
        for i in range(1, 201):
            job = Job(job_id=i, name="x", user_id=1, user_name="u", group_id=1,
                      state=JobState.RUNNING)
            await store.save([job], next_job_id=i + 1)
            print(i, flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def test_a_saved_job_survives_sigkill_of_the_process(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    acknowledged = 0
    with subprocess.Popen(
        [sys.executable, "-c", _CRASHER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as proc:
        try:
            assert proc.stdout is not None
            for line in proc.stdout:  # each line is printed after its save returned
                acknowledged = int(line)
                if acknowledged == 150:
                    break
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=10)
    assert acknowledged == 150
    store, jobs, next_id = await open_store(db)
    assert set(range(1, 151)) <= set(jobs)
    assert next_id >= 151
    await store.close()
