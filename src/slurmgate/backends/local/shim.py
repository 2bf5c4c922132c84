"""Supervisor of one batch job: the embedded cluster's slurmstepd.

Run as ``python -I shim.py JOBDIR`` in a session of its own, so it outlives the gateway.
Standard library only. JOBDIR holds ``launch.json`` and ``script``; the shim writes ``pid``
(once the script runs) and ``status`` (its raw wait status and resource usage, or a launch
failure), each atomically, then exits. Whoever reads ``status`` may trust it is complete.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import sys
from typing import Any

LAUNCH_FAILED = 1 << 8  # wait status of "exit 1", what Slurm records for a failed launch


def proc_start_time(pid: int) -> int:
    """Field 22 of /proc/PID/stat: start time in clock ticks since boot (identifies a process)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return int(stat[stat.rindex(b")") + 2 :].split()[19])


def write_atomically(path: str, payload: dict[str, Any]) -> None:
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(payload).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    dirfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


class LaunchError(Exception):
    pass


def drop_privileges(uid: int, gid: int) -> None:
    try:
        os.initgroups(pwd.getpwuid(uid).pw_name, gid)
    except KeyError:  # no passwd entry: the primary group is all we know
        os.setgroups([gid])
    os.setgid(gid)
    os.setuid(uid)


def open_output(path: str, append: bool) -> int:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    try:
        return os.open(path, flags, 0o666)
    except OSError as exc:
        raise LaunchError(f"Could not open output file {path}: {exc.strerror}") from exc


def open_streams(spec: dict[str, Any]) -> tuple[int, int, int]:
    cwd = spec["cwd"]

    def resolve(path: str) -> str:
        return path if os.path.isabs(path) else os.path.join(cwd, path)

    stdout = resolve(spec["stdout"])
    stderr = resolve(spec["stderr"])
    out = open_output(stdout, spec["append"])
    err = out if stderr == stdout else open_output(stderr, spec["append"])
    try:
        inp = os.open(resolve(spec["stdin"]), os.O_RDONLY)
    except OSError as exc:
        raise LaunchError(f"Could not open stdin file {spec['stdin']}: {exc.strerror}") from exc
    return inp, out, err


def reset_signals() -> None:
    # Ignored dispositions survive exec; the script must start with defaults, as under slurmd.
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (ValueError, OSError):
            continue
    signal.pthread_sigmask(signal.SIG_SETMASK, ())


def exec_script(jobdir: str, spec: dict[str, Any], report: int) -> None:
    """In the forked child: become the job, set up its files and exec. Never returns.

    A failure is written to ``report`` (close-on-exec, so a successful exec leaves it empty).
    """
    try:
        if spec.get("uid") is not None:
            drop_privileges(spec["uid"], spec["gid"])
        env: dict[str, str] = spec["environment"]
        if env.get("SLURM_UMASK", "").isdigit():
            os.umask(int(env["SLURM_UMASK"], 8))
        chdir_error = None
        try:
            os.chdir(spec["cwd"])
        except OSError as exc:
            chdir_error = exc.strerror
            os.chdir("/tmp")  # noqa: S108 - slurmstepd's documented fallback directory
        inp, out, err = open_streams(spec)
        for fd, target in ((inp, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)  # dup2 makes the copy inheritable
        if chdir_error is not None:
            os.write(
                2,
                f"slurmstepd: error: couldn't chdir to `{spec['cwd']}': {chdir_error}: "
                "going to /tmp instead\n".encode(),
            )
        os.setpgid(0, 0)  # its own process group, so a signal reaches the whole job
        reset_signals()
        script = os.path.join(jobdir, "script")
        try:
            os.execve(script, [script, *spec["argv"]], env)  # noqa: S606 - argv list, no shell
        except OSError as exc:
            os.write(2, f"slurmstepd: error: execve(): {script}: {exc.strerror}\n".encode())
            raise LaunchError(f"execve(): {script}: {exc.strerror}") from exc
    except BaseException as exc:  # nothing may escape a forked child: report, then _exit
        try:
            os.write(report, (str(exc) or type(exc).__name__).encode())
        finally:
            os._exit(1)


def launch(jobdir: str, spec: dict[str, Any]) -> int:
    """Start the script; returns its pid. Raises LaunchError for Slurm's launch failures.

    The shim stays who it is (root, when jobs run as their users), like slurmstepd: the user
    can neither kill their supervisor nor forge its records.
    """
    read_end, write_end = os.pipe()  # both close-on-exec
    pid = os.fork()  # the shim has a single thread: forking it is safe
    if pid == 0:
        os.close(read_end)
        exec_script(jobdir, spec, write_end)
    os.close(write_end)
    try:
        os.setpgid(pid, pid)  # also from here, so the group exists whichever runs first
    except OSError:
        pass  # the child already exec'd or exited
    with os.fdopen(read_end, "rb") as report:
        failure = report.read()  # EOF at exec: the pipe closes with the child's copy
    if failure:
        os.waitpid(pid, 0)
        raise LaunchError(failure.decode(errors="replace"))
    return pid


def main(jobdir: str) -> int:
    with open(os.path.join(jobdir, "launch.json"), "rb") as f:
        spec = json.load(f)
    status_path = os.path.join(jobdir, "status")
    try:
        pid = launch(jobdir, spec)
    except (LaunchError, OSError) as exc:
        write_atomically(status_path, {"raw": LAUNCH_FAILED, "launch_error": str(exc)})
        return 0
    try:
        # The child is ours and unreaped, so its /proc entry exists even if it already ended.
        write_atomically(
            os.path.join(jobdir, "pid"),
            {
                "pid": pid,
                "pgid": pid,
                "start_time": proc_start_time(pid),
                "shim_pid": os.getpid(),
                "shim_start_time": proc_start_time(os.getpid()),
            },
        )
    except OSError:
        pass  # without it the job cannot be signalled, but its exit is still recorded
    # wait4: the script's CPU time and peak memory (with the children it waited for), what
    # slurmstepd records for the batch step.
    _, raw, usage = os.wait4(pid, 0)
    # Like proctrack, end whatever the script left behind in its process group.
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    write_atomically(
        status_path,
        {
            "raw": raw,
            "launch_error": None,
            "usage": {
                "pid": pid,
                "user_cpu": usage.ru_utime,
                "system_cpu": usage.ru_stime,
                "max_rss_kib": usage.ru_maxrss,
            },
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
