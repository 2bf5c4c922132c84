from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from slurmgate.backends.local.executor import Executor, LaunchSpec
from slurmgate.domain.errors import Conflict
from slurmgate.domain.jobs import ExitStatus

TIMEOUT = 20


class Exits:
    """Collects on_exit calls and lets a test wait for one."""

    def __init__(self) -> None:
        self.seen: dict[int, ExitStatus | None] = {}
        self._event = asyncio.Event()

    def __call__(self, job_id: int, status: ExitStatus | None) -> None:
        self.seen[job_id] = status
        self._event.set()

    async def wait_for(self, job_id: int) -> ExitStatus | None:
        async with asyncio.timeout(TIMEOUT):
            while job_id not in self.seen:
                self._event.clear()
                await self._event.wait()
        return self.seen[job_id]


@pytest.fixture
async def exits() -> Exits:
    return Exits()


@pytest.fixture
async def executor(tmp_path: Path, exits: Exits) -> AsyncIterator[Executor]:
    ex = Executor(tmp_path / "spool", exits)
    yield ex
    for job_id in ex.running():
        ex.signal(job_id, signal.SIGKILL)
    await ex.close()


def spec(tmp_path: Path, job_id: int, body: str, **fields: object) -> LaunchSpec:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    values: dict[str, object] = {
        "job_id": job_id,
        "script": f"#!/bin/sh\n{body}\n",
        "argv": [],
        "environment": {"PATH": "/usr/bin:/bin", "SLURM_JOB_ID": str(job_id)},
        "cwd": str(work),
        "stdout": str(work / f"slurm-{job_id}.out"),
        "stderr": str(work / f"slurm-{job_id}.out"),
        "stdin": "/dev/null",
        "append": False,
        "uid": None,
        "gid": None,
    }
    values.update(fields)
    return LaunchSpec(**values)  # type: ignore[arg-type]


async def wait_for_file(path: Path) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not path.exists():
            await asyncio.sleep(0.01)


async def test_script_output_lands_in_the_output_file(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    body = 'echo "hello $SLURM_JOB_ID $1 $(pwd)"; echo oops >&2'
    await executor.launch(spec(tmp_path, 1, body, argv=["arg1"]))
    assert await exits.wait_for(1) == ExitStatus.exited(0)
    out = (tmp_path / "work" / "slurm-1.out").read_text()
    assert out == f"hello 1 arg1 {tmp_path / 'work'}\noops\n"
    assert executor.launch_error(1) is None
    assert not (tmp_path / "spool" / "1").exists()  # spool tidied once the exit was reported


async def test_separate_error_file_and_append_mode(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    out, err = tmp_path / "work" / "o.txt", tmp_path / "work" / "e.txt"
    (tmp_path / "work").mkdir()
    out.write_text("before\n")
    await executor.launch(
        spec(tmp_path, 2, "echo out; echo err >&2", stdout=str(out), stderr=str(err), append=True)
    )
    await exits.wait_for(2)
    assert out.read_text() == "before\nout\n"
    assert err.read_text() == "err\n"


async def test_script_gets_exactly_the_given_environment(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    await executor.launch(spec(tmp_path, 3, "env | sort"))
    await exits.wait_for(3)
    lines = set((tmp_path / "work" / "slurm-3.out").read_text().splitlines())
    assert {"PATH=/usr/bin:/bin", "SLURM_JOB_ID=3"} <= lines
    assert not any(line.startswith("PYTHON") for line in lines)


async def test_nonzero_exit_is_reported(tmp_path: Path, executor: Executor, exits: Exits) -> None:
    await executor.launch(spec(tmp_path, 4, "exit 3"))
    status = await exits.wait_for(4)
    assert status == ExitStatus.exited(3)
    assert status is not None and status.return_code == 3


async def test_signalled_job_reports_the_signal(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    marker = tmp_path / "work" / "started"
    await executor.launch(spec(tmp_path, 5, f"touch {marker}; sleep 60"))
    await wait_for_file(marker)
    assert executor.signal(5, signal.SIGTERM) is True
    assert await exits.wait_for(5) == ExitStatus.signaled(signal.SIGTERM)
    assert executor.signal(5, signal.SIGTERM) is False


async def test_signal_sent_right_after_launch_is_not_lost(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    await executor.launch(spec(tmp_path, 6, "sleep 60"))
    assert executor.signal(6, signal.SIGTERM) is True
    assert await exits.wait_for(6) == ExitStatus.signaled(signal.SIGTERM)


async def test_missing_working_directory_falls_back_to_tmp_with_slurms_message(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    gone = tmp_path / "no-such-dir"
    await executor.launch(spec(tmp_path, 7, "pwd", cwd=str(gone)))
    assert await exits.wait_for(7) == ExitStatus.exited(0)
    out = (tmp_path / "work" / "slurm-7.out").read_text()
    assert out == (
        f"slurmstepd: error: couldn't chdir to `{gone}': No such file or directory: "
        "going to /tmp instead\n/tmp\n"
    )


async def test_unopenable_output_is_a_launch_failure(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    missing = tmp_path / "missing-dir" / "out.txt"
    await executor.launch(spec(tmp_path, 8, "echo hi", stdout=str(missing), stderr=str(missing)))
    assert await exits.wait_for(8) == ExitStatus.exited(1)
    assert "missing-dir" in (executor.launch_error(8) or "")
    assert not missing.parent.exists()  # Slurm does not create it


async def test_unexecutable_script_is_a_launch_failure(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    launch = spec(tmp_path, 9, "", script="#!/nonexistent/interpreter\n")
    await executor.launch(launch)
    assert await exits.wait_for(9) == ExitStatus.exited(1)
    assert "execve" in (executor.launch_error(9) or "")


async def test_launching_a_running_job_twice_is_refused(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    await executor.launch(spec(tmp_path, 10, "sleep 60"))
    assert executor.running() == {10}
    with pytest.raises(Conflict):
        await executor.launch(spec(tmp_path, 10, "true"))
    executor.signal(10, signal.SIGKILL)
    assert await exits.wait_for(10) == ExitStatus.signaled(signal.SIGKILL)
    assert executor.running() == set()


async def test_a_launch_whose_caller_gave_up_is_still_watched(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    task = asyncio.create_task(executor.launch(spec(tmp_path, 16, "exit 4")))
    await asyncio.sleep(0)  # the fork is under way in a worker thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await exits.wait_for(16) == ExitStatus.exited(4)


async def test_restarted_gateway_readopts_a_running_job_and_gets_its_exit(
    tmp_path: Path, exits: Exits
) -> None:
    go = tmp_path / "work" / "go"
    marker = tmp_path / "work" / "started"
    first = Executor(tmp_path / "spool", exits)
    await first.launch(
        spec(tmp_path, 11, f"touch {marker}; while [ ! -e {go} ]; do sleep 0.05; done; exit 5")
    )
    await wait_for_file(marker)
    await first.close()  # the gateway goes away; the job keeps running

    second_exits = Exits()
    second = Executor(tmp_path / "spool", second_exits)
    assert await second.recover([11]) == {}
    assert second.running() == {11}
    go.touch()
    assert await second_exits.wait_for(11) == ExitStatus.exited(5)
    assert 11 not in exits.seen
    await second.close()


async def test_job_that_ended_while_the_gateway_was_down_reports_its_status(
    tmp_path: Path, exits: Exits
) -> None:
    first = Executor(tmp_path / "spool", exits)
    go = tmp_path / "work" / "go"
    await first.launch(spec(tmp_path, 12, f"while [ ! -e {go} ]; do sleep 0.05; done; exit 7"))
    await wait_for_file(tmp_path / "spool" / "12" / "pid")
    await first.close()
    go.touch()
    await wait_for_file(tmp_path / "spool" / "12" / "status")

    second = Executor(tmp_path / "spool", Exits())
    assert await second.recover([12]) == {12: ExitStatus.exited(7)}
    assert not (tmp_path / "spool" / "12").exists()
    await second.close()


async def test_killed_supervisor_means_the_job_is_lost(
    tmp_path: Path, executor: Executor, exits: Exits
) -> None:
    await executor.launch(spec(tmp_path, 13, "sleep 60"))
    pid_file = tmp_path / "spool" / "13" / "pid"
    await wait_for_file(pid_file)
    record = json.loads(pid_file.read_text())
    os.kill(record["shim_pid"], signal.SIGKILL)
    assert await exits.wait_for(13) is None
    # The orphaned script is ended too: a lost job holds no resources.
    async with asyncio.timeout(TIMEOUT):
        while _alive(record["pid"]):
            await asyncio.sleep(0.01)


async def test_recover_reports_unknown_jobs_as_lost(tmp_path: Path, exits: Exits) -> None:
    ex = Executor(tmp_path / "spool", exits)
    assert await ex.recover([99]) == {99: None}
    await ex.close()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def world_traversable_dir() -> Iterator[Path]:
    # pytest's tmp_path sits under a 0700 directory the job's user could not cross.
    path = Path(tempfile.mkdtemp(prefix="slurmgate-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="running jobs as another user needs root")
async def test_job_runs_as_its_user_while_the_supervisor_stays_root(
    world_traversable_dir: Path, exits: Exits
) -> None:
    base = world_traversable_dir
    work = base / "work"
    work.mkdir()
    os.chown(work, 65534, 65534)
    ex = Executor(base / "spool", exits)
    marker = work / "started"
    await ex.launch(spec(base, 14, f"id -u; id -g; touch {marker}; sleep 60", uid=65534, gid=65534))
    await wait_for_file(marker)
    # The shim records the job's pid once it has started it: the job may be running before.
    await wait_for_file(base / "spool" / "14" / "pid")
    shim_pid = json.loads((base / "spool" / "14" / "pid").read_text())["shim_pid"]
    assert os.stat(f"/proc/{shim_pid}").st_uid == 0
    ex.signal(14, signal.SIGTERM)
    assert await exits.wait_for(14) == ExitStatus.signaled(signal.SIGTERM)
    out = work / "slurm-14.out"
    assert out.read_text() == "65534\n65534\n"
    assert out.stat().st_uid == 65534
    await ex.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="running jobs as another user needs root")
async def test_output_the_user_may_not_write_is_a_launch_failure(
    world_traversable_dir: Path, exits: Exits
) -> None:
    base = world_traversable_dir
    (base / "work").mkdir()  # root's, 0755: nobody cannot create files there
    ex = Executor(base / "spool", exits)
    await ex.launch(spec(base, 15, "echo hi", uid=65534, gid=65534))
    assert await exits.wait_for(15) == ExitStatus.exited(1)
    assert "Permission denied" in (ex.launch_error(15) or "")
    assert not (base / "work" / "slurm-15.out").exists()
    await ex.close()
