"""``slurmgate history``: finished and running jobs from accounting, as sacct.

``GET /slurmdb/{v}/jobs``. As sacct, it shows your own jobs (everyone's with ``-a``, as far as
the cluster lets you see them) since midnight, unless told another time. v0.0.36-38 take no
user filter and times only as dates: the users are chosen here, from the records.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from slurmgate.cli.client import formats
from slurmgate.cli.client.errors import UsageError
from slurmgate.cli.client.records import (
    ExitCode,
    Record,
    exit_code,
    number,
    section,
    text,
    words,
)
from slurmgate.cli.client.session import Session


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "history", parents=[common], help="jobs from accounting, as sacct",
        description="List jobs from the cluster's accounting, as sacct: your own since "
        "midnight unless told otherwise.",
    )  # fmt: skip
    parser.add_argument("-u", "--user", metavar="USER[,USER]", help="these users' jobs")
    parser.add_argument("-a", "--all-users", action="store_true", help="every user's jobs")
    parser.add_argument(
        "-S", "--starttime", metavar="TIME",
        help="jobs since TIME: YYYY-MM-DD[THH:MM[:SS]], or now-N[minutes|hours|days|weeks] "
        "(default: midnight)",
    )  # fmt: skip
    parser.add_argument("-E", "--endtime", metavar="TIME", help="jobs until TIME (same forms)")
    parser.add_argument("-j", "--jobs", metavar="ID[,ID]", help="only these jobs")
    parser.add_argument("-s", "--state", metavar="STATE[,STATE]", help="only these states")
    parser.add_argument("--json", action="store_true", help="the records as JSON")


_RELATIVE = re.compile(r"now(?:-(\d+)(minutes?|hours?|days?|weeks?)?)?", re.IGNORECASE)
_SCALE = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def when(value: str, now: float) -> int:
    """A time as sacct reads the common forms: ISO dates and times, and ``now-N[unit]``."""
    relative = _RELATIVE.fullmatch(value.strip())
    if relative:
        count, unit = relative.groups()
        scale = _SCALE[unit[0].lower()] if unit else 1
        return int(now) - int(count or 0) * scale
    for pattern in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return int(time.mktime(time.strptime(value.strip(), pattern)))
        except ValueError:
            continue
    raise UsageError(f"invalid time {value!r}: expected YYYY-MM-DD[THH:MM[:SS]] or now-N[unit]")


def midnight(now: float) -> int:
    today = time.localtime(now)
    return int(time.mktime((today.tm_year, today.tm_mon, today.tm_mday, 0, 0, 0, 0, 0, -1)))


@dataclass(frozen=True)
class Row:
    display_id: str
    name: str
    partition: str
    account: str
    user: str
    state: str
    exit_code: ExitCode | None
    elapsed: int
    start: int
    end: int
    record: Record


def row(record: Record) -> Row:
    times = section(record, "time")
    state = record.get("state")
    current = words(state.get("current")) if isinstance(state, dict) else words(state)
    job_id = number(record.get("job_id")) or 0
    array = section(record, "array")
    task = number(array.get("task_id"))
    shown = f"{number(array.get('job_id'))}_{task}" if task is not None else str(job_id)
    return Row(
        display_id=shown,
        name=text(record.get("name")),
        partition=text(record.get("partition")),
        account=text(record.get("account")),
        user=text(record.get("user")),
        state=current[0] if current else "UNKNOWN",
        exit_code=exit_code(record.get("exit_code")),
        elapsed=number(times.get("elapsed")) or 0,
        start=number(times.get("start")) or 0,
        end=number(times.get("end")) or 0,
        record=record,
    )


def _split(value: str | None) -> set[str]:
    return {w.strip() for w in (value or "").split(",") if w.strip()}


def run(args: argparse.Namespace, session: Session) -> int:
    version = session.accounting()
    now = time.time()
    users = set() if args.all_users else (_split(args.user) or {session.user()})
    start = when(args.starttime, now) if args.starttime else midnight(now)
    iso = "%Y-%m-%dT%H:%M:%S"
    query: dict[str, str] = {"start_time": time.strftime(iso, time.localtime(start))}
    if args.endtime:
        query["end_time"] = time.strftime(iso, time.localtime(when(args.endtime, now)))
    if users and version not in ("v0.0.36", "v0.0.37", "v0.0.38"):
        query["users"] = ",".join(sorted(users))
    answer = session.transport.call(
        "GET", f"/slurmdb/{version}/jobs", "reading accounting", query=query
    ).json()
    ids, states = _split(args.jobs), {s.upper() for s in _split(args.state)}
    rows = []
    for record in (answer or {}).get("jobs") or []:
        each = row(record)
        if users and each.user not in users:
            continue
        array_id = str(number(section(record, "array").get("job_id")) or "")
        if ids and not ids & {each.display_id, str(number(record.get("job_id"))), array_id}:
            continue
        if states and each.state not in states:
            continue
        rows.append(each)
    rows.sort(key=lambda r: number(r.record.get("job_id")) or 0)
    if args.json:
        print(json.dumps([r.record for r in rows], indent=2))
        return 0
    headers = ["JOBID", "NAME", "PARTITION", "ACCOUNT", "USER", "STATE", "EXITCODE", "ELAPSED",
               "START", "END"]  # fmt: skip
    cells = [
        [r.display_id, r.name, r.partition, r.account, r.user, r.state,
         str(r.exit_code or "0:0"), formats.duration(r.elapsed), formats.timestamp(r.start),
         formats.timestamp(r.end)]
        for r in rows
    ]  # fmt: skip

    def paint(column: int, cell: str, padded: str) -> str:
        return session.paint(padded, cell) if column == 5 else padded

    print(formats.table(headers, cells, paint))
    return 0
