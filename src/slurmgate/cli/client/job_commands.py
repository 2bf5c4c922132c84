"""``jobs`` (as squeue), ``show`` (as scontrol show job), ``cancel``, ``hold``, ``release``."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import Any

from slurmgate.cli.client import formats, records
from slurmgate.cli.client.errors import ClientError, ServerError, Unreachable, UsageError
from slurmgate.cli.client.records import SHORT, Job
from slurmgate.cli.client.session import Session

#: The states ``jobs`` lists unless told otherwise: those squeue lists by default.
ACTIVE = frozenset({"PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING"})
_LONG = {short: long for long, short in SHORT.items()}
_JOB_ID = re.compile(r"\d+(_\d+)?(\+\d+)?")


JOB_HELP = "a job id: 12, an array's task 12_3, a heterogeneous job's part 12+1"


def job_id(value: str) -> str:
    if not _JOB_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(f"invalid job id: {value!r}")
    return value


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    jobs = commands.add_parser(
        "jobs",
        parents=[common],
        help="list jobs, as squeue",
        description="List the cluster's jobs, as squeue: pending and running ones unless "
        "--state says otherwise.",
    )
    jobs.add_argument("-u", "--user", metavar="USER[,USER]", help="only these users' jobs")
    jobs.add_argument("--me", action="store_true", help="only your own jobs")
    jobs.add_argument("-p", "--partition", metavar="NAME[,NAME]", help="only these partitions")
    jobs.add_argument(
        "-t", "--state", metavar="STATE[,STATE]",
        help="only jobs in these states (RUNNING or R, PENDING or PD, ...; all for every one)",
    )  # fmt: skip
    jobs.add_argument("-j", "--jobs", metavar="ID[,ID]", help="only these jobs")
    jobs.add_argument("--json", action="store_true", help="the jobs' records as JSON")

    show = commands.add_parser(
        "show", parents=[common], help="a job's details, as scontrol show job",
        description="Show a job's details (every task of an array).",
    )  # fmt: skip
    show.add_argument("job", type=job_id, metavar="JOB", help=JOB_HELP)
    show.add_argument("--json", action="store_true", help="the job's records as JSON")

    for name, what in (
        ("cancel", "cancel jobs, as scancel"),
        ("hold", "hold pending jobs, as scontrol hold"),
        ("release", "release held jobs, as scontrol release"),
    ):
        parser = commands.add_parser(
            name, parents=[common], help=what, description=what.capitalize() + "."
        )
        parser.add_argument("jobs", type=job_id, nargs="+", metavar="JOB", help=JOB_HELP)
        if name == "cancel":
            parser.add_argument(
                "-s", "--signal", metavar="SIGNAL", help="send SIGNAL instead of cancelling"
            )


def _split(value: str | None) -> set[str]:
    return {w.strip() for w in (value or "").split(",") if w.strip()}


def states_wanted(value: str | None) -> frozenset[str] | None:
    """The states asked for, by their names or squeue's short ones; None: every state."""
    if value is None:
        return ACTIVE
    chosen = {_LONG.get(word.upper(), word.upper()) for word in _split(value)}
    if "ALL" in chosen:
        return None
    unknown = sorted(chosen - set(SHORT))
    if unknown:
        raise UsageError(f"unknown job state {unknown[0]!r}")
    return frozenset(chosen)


def list_jobs(args: argparse.Namespace, session: Session) -> int:
    users = _split(args.user)
    if args.me:
        users.add(session.user())
    partitions = _split(args.partition)
    ids = _split(args.jobs)
    states = states_wanted(args.state)
    server = session.server()
    # slurmgate chooses the jobs itself (a slurmrestd would refuse the query): less to send.
    query: dict[str, str | int | list[str]] = {}
    if server.slurmgate:
        for name, wanted in (("users", users), ("partitions", partitions)):
            if wanted:
                query[name] = ",".join(sorted(wanted))
    answer = session.transport.call(
        "GET", f"/slurm/{server.version}/jobs", "listing jobs", query=query
    ).json()
    chosen = []
    for record in (answer or {}).get("jobs") or []:
        each = records.job(record)
        if users and each.user not in users:
            continue
        if partitions and not partitions & set(each.partition.split(",")):
            continue
        if ids and not ids & {
            str(each.job_id),
            each.display_id,
            re.split(r"[_+]", each.display_id)[0],
        }:
            continue
        if states is not None and each.state not in states and not states & set(each.flags):
            continue
        chosen.append(each)
    chosen.sort(key=lambda j: (j.job_id, j.display_id))
    if args.json:
        print(json.dumps([j.record for j in chosen], indent=2))
        return 0
    now = time.time()
    rows = [
        [
            j.display_id,
            j.partition,
            j.name,
            j.user,
            "CG" if "COMPLETING" in j.flags else SHORT.get(j.state, j.state[:2]),
            formats.duration(j.elapsed(now)),
            str(j.node_count if j.node_count is not None else ""),
            j.nodes if j.state != "PENDING" or not j.reason else f"({j.reason})",
        ]
        for j in chosen
    ]
    headers = ["JOBID", "PARTITION", "NAME", "USER", "ST", "TIME", "NODES", "NODELIST(REASON)"]

    def paint(column: int, cell: str, padded: str) -> str:
        return session.paint(padded, _LONG.get(cell, cell)) if column == 4 else padded

    print(formats.table(headers, rows, paint))
    return 0


def fetch_job(session: Session, job: str) -> list[Job]:
    """A job's records (an array's: every task's). An array's task (``12_3``) or a
    heterogeneous job's component (``12+1``) is found among its job's records: every server
    takes the job's own id, not every one takes those."""
    version = session.server().version
    number = re.split(r"[_+]", job)[0]
    answer = session.transport.call("GET", f"/slurm/{version}/job/{number}", f"job {job}").json()
    found = [records.job(r) for r in (answer or {}).get("jobs") or []]
    if number != job:
        chosen = [each for each in found if each.display_id == job]
        if not chosen:  # a task still in its array's pending rest: the server may know it
            answer = session.transport.call("GET", f"/slurm/{version}/job/{job}", f"job {job}")
            chosen = [records.job(r) for r in (answer.json() or {}).get("jobs") or []]
        found = chosen
    if not found:
        raise ClientError(f"job {job}: not found")
    return found


def resolve(session: Session, job: str) -> str:
    """The id to act on: an array's task split off from its array has a job id of its own."""
    if "_" not in job:
        return job
    try:
        found = fetch_job(session, job)
    except (ServerError, ClientError) as exc:
        if isinstance(exc, Unreachable):
            raise
        return job  # the server is asked as told, and answers for itself
    return str(found[0].job_id) if len(found) == 1 else job


def show(args: argparse.Namespace, session: Session) -> int:
    jobs = fetch_job(session, args.job)
    if args.json:
        print(json.dumps([j.record for j in jobs], indent=2))
        return 0
    now = time.time()
    print("\n\n".join(_details(j, now, session) for j in jobs))
    return 0


def _details(job: Job, now: float, session: Session) -> str:
    r = job.record
    number, text = records.number, records.text
    memory = number(r.get("memory_per_node"))
    per_cpu = number(r.get("memory_per_cpu"))
    state = session.paint(job.state, job.state) + "".join(f"+{f}" for f in job.flags)
    lines = [
        f"JobId={job.display_id} JobName={job.name}",
        f"UserId={job.user} Account={job.account} QOS={text(r.get('qos'))}",
        f"JobState={state} Reason={job.reason or 'None'} "
        f"ExitCode={job.exit_code or '0:0'} Priority={number(r.get('priority'))}",
        f"SubmitTime={formats.timestamp(job.submit_time)} "
        f"StartTime={formats.timestamp(job.start_time)} EndTime={formats.timestamp(job.end_time)}",
        f"RunTime={formats.duration(job.elapsed(now))} TimeLimit={formats.limit(job.time_limit)}",
        f"Partition={job.partition} NodeList={job.nodes or '(null)'} "
        f"NumNodes={job.node_count if job.node_count is not None else ''}",
        f"NumTasks={number(r.get('tasks'))} CPUs/Task={number(r.get('cpus_per_task')) or 1} "
        f"NumCPUs={number(r.get('cpus'))} "
        + (f"MinMemoryCPU={per_cpu}M" if per_cpu else f"MinMemoryNode={memory or 0}M"),
        f"Dependency={text(r.get('dependency')) or '(null)'} "
        f"ArrayTasks={text(r.get('array_task_string')) or '(null)'}",
        f"WorkDir={text(r.get('current_working_directory'))}",
        f"StdOut={text(r.get('standard_output'))}",
        f"StdErr={text(r.get('standard_error'))}",
    ]
    if text(r.get("comment")):
        lines.append(f"Comment={text(r.get('comment'))}")
    return "\n   ".join(lines)


def change(args: argparse.Namespace, session: Session) -> int:
    """cancel, hold or release each job named; every failure is told, and fails the command."""
    version = session.server().version
    failed = 0
    for job in args.jobs:
        try:
            target = resolve(session, job)
            if args.command == "cancel":
                query = {"signal": args.signal} if args.signal else None
                reply = session.transport.call(
                    "DELETE", f"/slurm/{version}/job/{target}", f"job {job}", query=query
                )
                refusals = _refusals(reply.json())
                if refusals:
                    raise ClientError(f"job {job}: " + "; ".join(refusals))
            else:
                session.transport.call(
                    "POST",
                    f"/slurm/{version}/job/{target}",
                    f"job {job}",
                    body={"hold": args.command == "hold"},
                )
        except (ServerError, ClientError) as exc:
            if isinstance(exc, UsageError | Unreachable):
                raise
            print(f"slurmgate: error: {exc.message}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _refusals(answer: object) -> list[str]:
    """The failures v0.0.42 and later list in a cancellation's ``status`` beside a 200."""
    status = answer.get("status") if isinstance(answer, dict) else None
    found = []
    for entry in status if isinstance(status, list) else []:
        error = entry.get("error") if isinstance(entry, dict) else None
        if isinstance(error, dict) and error.get("code"):
            found.append(str(error.get("message") or error.get("string") or error["code"]))
    return found
