"""``slurmgate watch JOB``: a job's state as it changes, until it ends; exits with its code.

On slurmgate, changes come from its event stream (``GET /slurmgate/v1/events``, filtered to
the job); a plain slurmrestd has none, so the job is read every ``--interval`` seconds. Either
way the end is decided by the job's own record (an array ends with its last task), and the
exit status is that of ``sbatch --wait`` (records.exit_status). On a terminal, the time the
job has been running is counted on a line of its own.
"""

from __future__ import annotations

import argparse
import queue
import time
from typing import Any

from slurmgate.cli.client import formats, records
from slurmgate.cli.client.discovery import EVENTS
from slurmgate.cli.client.errors import ServerError
from slurmgate.cli.client.job_commands import JOB_HELP, fetch_job, job_id
from slurmgate.cli.client.records import Job
from slurmgate.cli.client.session import Session
from slurmgate.cli.client.sse import EventReader, Frame

#: Seconds between reads of the job while events flow: only a safety net, events come first.
EVENT_RECHECK = 10.0


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "watch", parents=[common], help="follow a job's state until it ends",
        description="Show a job's state as it changes until it ends, then exit with the "
        "job's exit code (128+N if signal N ended it, 1 if it ended otherwise without one).",
    )  # fmt: skip
    parser.add_argument("job", type=job_id, metavar="JOB", help=JOB_HELP)
    parser.add_argument(
        "--poll", action="store_true", help="read the job repeatedly even where events exist"
    )
    parser.add_argument(
        "--interval", type=float, default=2.0, metavar="SECONDS",
        help="seconds between reads when polling (default 2)",
    )  # fmt: skip


class Display:
    """A line per change of state; on a terminal, a last line counting the time running."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.shown: dict[str, tuple[str, str]] = {}
        #: The last known record of each job or task.
        self.latest: dict[str, Job] = {}
        self._ticking = False

    def job(self, each: Job) -> None:
        where = each.nodes if each.state != "PENDING" else f"({each.reason or 'None'})"
        key = (each.state + "".join(f"+{f}" for f in each.flags), where)
        self.latest[each.display_id] = each
        if self.shown.get(each.display_id) == key:
            return
        self.shown[each.display_id] = key
        state = self.session.paint(key[0], each.state)
        line = f"{time.strftime('%H:%M:%S')} job {each.display_id} {state} {where}".rstrip()
        if each.finished:
            took = formats.duration(each.elapsed(time.time()))
            line += f" exit code {each.exit_code or '0:0'} after {took}"
        self._say(line)

    def _say(self, line: str) -> None:
        out = self.session.out
        if self._ticking:
            out.write("\r\x1b[K")
            self._ticking = False
        out.write(line + "\n")
        out.flush()

    def tick(self) -> None:
        if not self.session.terminal:
            return
        running = [j for j in self.latest.values() if j.state == "RUNNING" and not j.finished]
        if not running:
            return
        now = time.time()
        text = ", ".join(f"{j.display_id} {formats.duration(j.elapsed(now))}" for j in running)
        self.session.out.write(f"\r\x1b[Krunning for {text}")
        self.session.out.flush()
        self._ticking = True

    def done(self) -> None:
        if self._ticking:
            self.session.out.write("\r\x1b[K")
            self.session.out.flush()
            self._ticking = False


class EventsUnavailable(ServerError):
    """The event stream cannot be had now (full, or switched off): the job is polled."""


def run(args: argparse.Namespace, session: Session) -> int:
    server = session.server()
    display = Display(session)
    interval = max(args.interval, 0.2)
    try:
        if server.events and not args.poll:
            try:
                jobs = _by_events(args.job, session, display)
            except EventsUnavailable as exc:
                session.warn(f"{exc.message}; reading the job every {interval:g} s instead")
                jobs = _by_polling(args.job, session, display, interval)
        else:
            jobs = _by_polling(args.job, session, display, interval)
    finally:
        display.done()
    return records.exit_status(jobs)


def _show_all(jobs: list[Job], display: Display) -> bool:
    for each in jobs:
        display.job(each)
    return all(j.finished for j in jobs)


def _by_polling(job: str, session: Session, display: Display, interval: float) -> list[Job]:
    while True:
        jobs = fetch_job(session, job)
        if _show_all(jobs, display):
            return jobs
        next_read = time.monotonic() + interval
        while (left := next_read - time.monotonic()) > 0:
            display.tick()
            time.sleep(min(left, 1.0))


def _by_events(job: str, session: Session, display: Display) -> list[Job]:
    number = job.split("_")[0].split("+")[0]
    last_id: str | None = None
    while True:
        # Opened before the job is read, so that no change falls between the two; opened
        # again after the last event seen if the server ends it.
        reader = _open(session, number, last_id)
        try:
            jobs = fetch_job(session, job)
            if _show_all(jobs, display):
                return jobs
            last_id, jobs, ended = _follow(reader, session, job, jobs, display, last_id)
            if ended:
                return jobs
        finally:
            reader.close()
        time.sleep(1.0)


def _follow(
    reader: EventReader,
    session: Session,
    job: str,
    jobs: list[Job],
    display: Display,
    last_id: str | None,
) -> tuple[str | None, list[Job], bool]:
    """Show the stream's events until the job has ended (True) or the stream did (False)."""
    recheck = time.monotonic() + EVENT_RECHECK
    while True:
        try:
            frame = reader.frames.get(timeout=1.0)
        except queue.Empty:
            frame = _NOTHING
        if frame is None:
            return last_id, jobs, False
        last_id = frame.id or last_id
        ended = frame.event.startswith("job.") and _from_event(frame, job, display)
        if not ended and time.monotonic() < recheck:
            display.tick()
            continue
        jobs = _read_again(session, job, jobs)
        if _show_all(jobs, display):
            return last_id, jobs, True
        # Completing: the next read is soon, whatever the events say.
        recheck = time.monotonic() + (1.0 if _ending(jobs) else EVENT_RECHECK)


_NOTHING = Frame("", {}, None)
#: Events after which the job is read again: an end, or the completing that leads to one.
_READ_AGAIN_AFTER = frozenset(
    f"job.{name}"
    for name in ("completed", "failed", "cancelled", "timeout", "node_fail", "preempted",
                 "boot_fail", "deadline", "out_of_memory", "completing")
)  # fmt: skip


def _from_event(frame: Frame, job: str, display: Display) -> bool:
    """Show what an event says of ``job`` (the stream also tells of an array's other tasks);
    whether it tells of an end (the job is read again then)."""
    data = frame.data
    record = {
        "job_id": data.get("job_id"),
        "array_job_id": data.get("array_job_id"),
        "array_task_id": data.get("array_task_id"),
        "array_task_string": data.get("array_tasks"),
        "het_job_id": data.get("het_job_id"),
        "het_job_offset": data.get("het_job_offset"),
        "job_state": [data.get("state", "UNKNOWN"), *(data.get("state_flags") or [])],
        "state_reason": data.get("reason"),
        "nodes": data.get("nodes"),
        "start_time": data.get("start_time"),
        "end_time": data.get("end_time"),
        "exit_code": data.get("exit_code"),
    }
    each = records.job(record)
    if "_" in job and each.display_id != job:
        return False
    display.job(each)
    return frame.event in _READ_AGAIN_AFTER


def _ending(jobs: list[Job]) -> bool:
    return any(j.state in records.FINISHED or "COMPLETING" in j.flags for j in jobs)


def _read_again(session: Session, job: str, before: list[Job]) -> list[Job]:
    """The job's records now; those last seen if it is gone (ended, and purged since)."""
    try:
        return fetch_job(session, job)
    except ServerError as exc:
        if exc.http_status == 404 and before:
            return before
        raise


def _open(session: Session, number: str, last_id: str | None) -> EventReader:
    query = {"job_ids": number, "types": "job"}
    headers = {"Last-Event-ID": last_id} if last_id else None
    reply = session.transport.request("GET", EVENTS, query=query, headers=headers, stream=True)
    if reply.status in (404, 501, 503):
        raise EventsUnavailable(reply.status, reply.errors(), "no event stream")
    if reply.status >= 300 or reply.stream is None:
        raise ServerError(reply.status, reply.errors(), "opening the event stream")
    return EventReader(reply)
