"""Runs batch scripts as real processes, each under a supervisor (``shim.py``) that outlives us.

The spool holds one directory per running job (``<spool>/<job_id>/``): ``script``,
``launch.json``, then ``pid`` and ``status`` written by the shim. Shims are watched through
pidfds, which work as well for a shim we re-adopt after a restart (no longer our child) as for
one we started. Forking happens in a worker thread: the event loop never waits for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import shutil
import signal as signals
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slurmgate.backends.local import shim
from slurmgate.domain.errors import BackendUnavailable, Conflict
from slurmgate.domain.jobs import ExitStatus

log = logging.getLogger(__name__)

SHIM_PATH = Path(shim.__file__).resolve()
#: How often a signal sent before the shim recorded the script's pid is retried.
_PENDING_SIGNAL_POLL = 0.01


@dataclass(frozen=True)
class LaunchSpec:
    job_id: int
    script: str
    argv: list[str]
    environment: dict[str, str]
    cwd: str
    stdout: str
    stderr: str
    stdin: str
    append: bool
    uid: int | None  # uid/gid only when running as root
    gid: int | None


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    """What a job's script used, as wait4(2) reports it."""

    pid: int
    user_cpu: float
    system_cpu: float
    #: Peak resident memory, KiB.
    max_rss_kib: int


@dataclass
class _Watched:
    pidfd: int
    shim_pid: int
    pending: list[int] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class Executor:
    def __init__(self, spool_dir: Path, on_exit: Callable[[int, ExitStatus | None], None]) -> None:
        self._spool = spool_dir
        self._on_exit = on_exit
        self._jobs: dict[int, _Watched] = {}
        self._launch_errors: dict[int, str] = {}
        self._usage: dict[int, ProcessUsage] = {}
        self._launching: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def jobdir(self, job_id: int) -> Path:
        return self._spool / str(job_id)

    def running(self) -> set[int]:
        return set(self._jobs)

    def launch_error(self, job_id: int) -> str | None:
        """Why the job's last run failed to start (Slurm's JobLaunchFailure), else None.

        Valid from the on_exit call (or recover result) that reported it until the job is
        launched again.
        """
        return self._launch_errors.get(job_id)

    def usage(self, job_id: int) -> ProcessUsage | None:
        """What the job's last run used, once, after the on_exit call (or recover result)
        that reported its end; None when not recorded (or already taken)."""
        return self._usage.pop(job_id, None)

    async def launch(self, spec: LaunchSpec) -> None:
        """Start ``spec``'s script; returns once its supervisor runs. on_exit reports the end."""
        job_id = spec.job_id
        if job_id in self._jobs or job_id in self._launching:
            raise Conflict(f"job {job_id} is already running")
        self._loop = loop = asyncio.get_running_loop()
        self._launch_errors.pop(job_id, None)
        self._usage.pop(job_id, None)
        self._launching.add(job_id)
        started = loop.run_in_executor(None, self._start, spec)
        try:
            # Shielded: once the shim is forked it must be watched, even if our caller gives up.
            pid = await asyncio.shield(started)
        except asyncio.CancelledError:
            started.add_done_callback(lambda f: self._watch_started(job_id, f))
            raise
        except OSError as exc:
            self._launching.discard(job_id)
            raise BackendUnavailable(
                f"cannot launch job {job_id} in {self.jobdir(job_id)}: {exc}"
            ) from exc
        self._launching.discard(job_id)
        # Until we reap it, the shim's pid stays ours (a zombie at worst): this pidfd is its.
        self._watch(job_id, pid, os.pidfd_open(pid))

    def _watch_started(self, job_id: int, started: asyncio.Future[int]) -> None:
        self._launching.discard(job_id)
        if not started.cancelled() and started.exception() is None:
            pid = started.result()
            self._watch(job_id, pid, os.pidfd_open(pid))

    def signal(self, job_id: int, sig: int) -> bool:
        """Send ``sig`` to the job's process group; False if the job is not running here.

        A signal sent before the script's pid is known is kept and delivered once it is.
        """
        watched = self._jobs.get(job_id)
        if watched is None:
            return False
        if watched.pending:  # keep the order of signals already waiting
            watched.pending.append(sig)
            return True
        record = self._read_pid(job_id)
        if record is None:
            watched.pending.append(sig)
            self._schedule_pending(job_id, watched)
            return True
        _killpg(int(record["pgid"]), sig)
        return True

    async def recover(self, job_ids: Iterable[int]) -> dict[int, ExitStatus | None]:
        """Re-adopt live jobs; report those that ended while we were away (None if lost)."""
        self._loop = asyncio.get_running_loop()
        result: dict[int, ExitStatus | None] = {}
        for job_id in job_ids:
            if job_id in self._jobs:
                continue
            adopted = self._adopt(job_id)
            if adopted:
                continue
            # Read the status only now: a shim that ended during _adopt has written it.
            result[job_id] = self._consume_status(job_id)
        return result

    async def close(self) -> None:
        """Stop watching; the jobs keep running and a later ``recover`` re-adopts them."""
        for job_id in list(self._jobs):
            self._unwatch(job_id)

    # --- launching ------------------------------------------------------------------------

    def _start(self, spec: LaunchSpec) -> int:
        jobdir = self.jobdir(spec.job_id)
        if jobdir.exists():  # left over from an earlier run of a requeued job
            shutil.rmtree(jobdir)
        self._spool.mkdir(parents=True, exist_ok=True, mode=0o711)
        if spec.uid is not None:
            # Users must traverse the spool to exec their script; they cannot list it.
            os.chmod(self._spool, 0o711)  # noqa: S103 - traverse only, no listing
        jobdir.mkdir(mode=0o700)
        script = jobdir / "script"
        _write(script, spec.script.encode(), 0o700)
        _write(jobdir / "launch.json", json.dumps(dataclasses.asdict(spec)).encode(), 0o600)
        if spec.uid is not None and spec.gid is not None:
            # The job's user execs its script; the shim's records stay root's (as slurmd's).
            os.chown(script, spec.uid, spec.gid)
            os.chmod(jobdir, 0o711)  # noqa: S103 - traverse only: the user reaches the script
        # posix_spawn rather than Popen: we reap the shim ourselves (or never, if we stop
        # first), and a session of its own keeps it out of the gateway's signals.
        return os.posix_spawn(
            sys.executable,
            [sys.executable, "-I", str(SHIM_PATH), str(jobdir)],
            _shim_environment(),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
            setsid=True,
            setsigmask=(),
        )

    # --- watching ---------------------------------------------------------------------------

    def _watch(self, job_id: int, shim_pid: int, pidfd: int) -> None:
        assert self._loop is not None  # noqa: S101 - set by launch/recover before any watch
        self._jobs[job_id] = _Watched(pidfd=pidfd, shim_pid=shim_pid)
        self._loop.add_reader(pidfd, self._shim_exited, job_id)

    def _unwatch(self, job_id: int) -> _Watched | None:
        watched = self._jobs.pop(job_id, None)
        if watched is None:
            return None
        if self._loop is not None:
            self._loop.remove_reader(watched.pidfd)
        os.close(watched.pidfd)
        if watched.timer is not None:
            watched.timer.cancel()
        return watched

    def _shim_exited(self, job_id: int) -> None:
        watched = self._unwatch(job_id)
        if watched is None:
            return
        _reap(watched.shim_pid)
        status = self._consume_status(job_id)
        try:
            self._on_exit(job_id, status)
        except Exception:
            log.exception("on_exit failed for job %d", job_id)

    def _consume_status(self, job_id: int) -> ExitStatus | None:
        """The recorded exit of a finished job, then its spool directory is removed."""
        jobdir = self.jobdir(job_id)
        status: ExitStatus | None = None
        try:
            record = json.loads((jobdir / "status").read_bytes())
            status = ExitStatus(int(record["raw"]))
            if record.get("launch_error"):
                self._launch_errors[job_id] = str(record["launch_error"])
            usage = record.get("usage")
            if usage:  # absent for a launch failure, and from an older supervisor
                self._usage[job_id] = ProcessUsage(
                    int(usage["pid"]),
                    float(usage["user_cpu"]),
                    float(usage["system_cpu"]),
                    int(usage["max_rss_kib"]),
                )
        except FileNotFoundError:
            # The shim died unrecorded; its script may still run: end it, the job is lost.
            pid = self._read_pid(job_id)
            if pid is not None and _start_time(int(pid["pid"])) == pid["start_time"]:
                _killpg(int(pid["pgid"]), signals.SIGKILL)
            log.warning("job %d: supervisor ended without recording an exit status", job_id)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("job %d: unreadable exit status: %s", job_id, exc)
        shutil.rmtree(jobdir, ignore_errors=True)
        return status

    def _read_pid(self, job_id: int) -> dict[str, Any] | None:
        try:
            record: dict[str, Any] = json.loads((self.jobdir(job_id) / "pid").read_bytes())
        except (OSError, ValueError):
            return None
        return record

    def _adopt(self, job_id: int) -> bool:
        """Watch the job's shim if it still runs; True if it does."""
        jobdir = self.jobdir(job_id)
        if (jobdir / "status").exists():
            return False
        record = self._read_pid(job_id)
        if record is not None:
            shim_pid, start = int(record["shim_pid"]), int(record["shim_start_time"])
        else:  # crashed before the shim recorded the script: find the shim by its argv
            found = _find_shim(jobdir)
            if found is None:
                return False
            shim_pid, start = found
        try:
            pidfd = os.pidfd_open(shim_pid)
        except ProcessLookupError:
            return False
        # Checked after opening: the pidfd then pins the very process whose start time matched.
        if _start_time(shim_pid) != start:
            os.close(pidfd)
            return False
        self._watch(job_id, shim_pid, pidfd)
        return True

    # --- signals before the pid is known ---------------------------------------------------

    def _schedule_pending(self, job_id: int, watched: _Watched) -> None:
        assert self._loop is not None  # noqa: S101 - a watched job implies a loop
        watched.timer = self._loop.call_later(_PENDING_SIGNAL_POLL, self._deliver_pending, job_id)

    def _deliver_pending(self, job_id: int) -> None:
        watched = self._jobs.get(job_id)
        if watched is None:  # the shim ended (launch failure): nothing left to signal
            return
        watched.timer = None
        record = self._read_pid(job_id)
        if record is None:
            self._schedule_pending(job_id, watched)
            return
        for sig in watched.pending:
            _killpg(int(record["pgid"]), sig)
        watched.pending.clear()


def _write(path: Path, data: bytes, mode: int) -> None:
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as f:
        f.write(data)


def _shim_environment() -> dict[str, str]:
    # The shim needs nothing from us (-I ignores PYTHON*); the job's environment is in
    # launch.json. A minimal PATH and locale keep the interpreter's start-up predictable.
    return {"PATH": os.defpath, "LC_ALL": "C.UTF-8"}


def _reap(pid: int) -> None:
    """Collect the shim's exit if it is our child; a re-adopted one is init's to reap."""
    try:
        # Blocking is fine: we are called once its pidfd reported the exit.
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:  # the script already ended; the shim reports it shortly
        pass


def _start_time(pid: int) -> int | None:
    try:
        return shim.proc_start_time(pid)
    except (OSError, ValueError, IndexError):
        return None


def _find_shim(jobdir: Path) -> tuple[int, int] | None:
    wanted = [str(SHIM_PATH).encode(), str(jobdir).encode()]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[2:4] == wanted:
            start = _start_time(int(entry))
            if start is not None:
                return int(entry), start
    return None
