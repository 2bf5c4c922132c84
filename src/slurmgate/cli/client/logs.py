"""``slurmgate logs JOB``: a job's standard output (or error), whole or followed as it grows.

Read from slurmgate's ``GET /slurmgate/v1/job/{id}/output`` a page at a time; with ``-f``,
followed until the job ends (a pending job is waited for first). A plain slurmrestd has no
such endpoint: the command says so, and where the file is on the cluster.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, BinaryIO

from slurmgate.cli.client.discovery import OUTPUT
from slurmgate.cli.client.errors import ClientError, ServerError
from slurmgate.cli.client.job_commands import JOB_HELP, fetch_job, job_id
from slurmgate.cli.client.records import Record, number, text
from slurmgate.cli.client.session import Session

#: Seconds between reads of a pending job's state, waiting for it to start.
START_POLL = 1.0


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "logs", parents=[common], help="print a job's output (slurmgate only)",
        description="Print a job's standard output, or its standard error with --stderr; "
        "with -f, follow it until the job ends. Needs slurmgate: a plain slurmrestd serves "
        "no job output.",
    )  # fmt: skip
    parser.add_argument("job", type=job_id, metavar="JOB", help=JOB_HELP)
    parser.add_argument("-f", "--follow", action="store_true", help="follow until the job ends")
    parser.add_argument("--stderr", action="store_true", help="standard error, not output")


def run(args: argparse.Namespace, session: Session) -> int:
    server = session.server()
    stream = "stderr" if args.stderr else "stdout"
    if not server.output:
        raise ClientError(_no_endpoint(session, args.job, stream))
    path = OUTPUT.format(job_id=_job_number(session, args.job))
    out = sys.stdout.buffer
    if args.follow:
        _follow(session, args.job, path, stream, out)
    else:
        _pages(session, args.job, path, stream, out)
    return 0


def _pages(session: Session, job: str, path: str, stream: str, out: BinaryIO) -> None:
    offset = 0
    while True:
        reply = session.transport.call(
            "GET", path, f"job {job}'s {stream}", query={"stream": stream, "offset": offset}
        )
        out.write(reply.body)
        out.flush()
        following = int(reply.headers.get("x-slurmgate-next-offset", offset + len(reply.body)))
        size = int(reply.headers.get("x-slurmgate-size", following))
        if following >= size or not reply.body:
            return
        offset = following


def _follow(session: Session, job: str, path: str, stream: str, out: BinaryIO) -> None:
    offset = 0
    waiting = False
    while True:
        query: dict[str, str | int | list[str]] = {
            "stream": stream,
            "follow": "true",
            "offset": offset,
        }
        reply = session.transport.request("GET", path, query=query, stream=True)
        if reply.status == 409 and fetch_job(session, job)[0].state == "PENDING":
            if session.terminal and not waiting:
                print(f"waiting for job {job} to start...", file=sys.stderr)
            waiting = True
            time.sleep(START_POLL)
            continue
        if reply.status >= 300 or reply.stream is None:
            raise ServerError(reply.status, reply.errors(), f"job {job}'s {stream}")
        try:
            while piece := reply.stream.read1(65536):
                out.write(piece)
                out.flush()
                offset += len(piece)
        finally:
            reply.close()
        return


def _job_number(session: Session, job: str) -> str:
    """The job id of an array's task (``12_3``) or a heterogeneous job's component (``12+1``):
    the output endpoint takes job ids only."""
    if job.isdigit():
        return job
    for each in fetch_job(session, job):
        if each.display_id == job:
            return str(each.job_id)
    raise ClientError(f"job {job}: not found")


def output_file(record: Record, stream: str) -> str:
    """Where the job writes ``stream``: the path as the daemon expanded it (v0.0.44 on), or
    with the common patterns replaced (%j, %A, %a, %x, %u); stderr goes with stdout unless
    told otherwise."""
    prefix = "stderr" if stream == "stderr" else "stdout"
    expanded = text(record.get(f"{prefix}_expanded"))
    if expanded:
        return expanded
    path = text(record.get("standard_error" if stream == "stderr" else "standard_output"))
    if not path and stream == "stderr":
        path = text(record.get("standard_output"))
    array_id, task = number(record.get("array_job_id")), number(record.get("array_task_id"))
    patterns = {
        "%j": str(number(record.get("job_id")) or ""),
        "%A": str(array_id or number(record.get("job_id")) or ""),
        "%a": str(task if task is not None else ""),
        "%x": text(record.get("name")),
        "%u": text(record.get("user_name")),
    }
    for pattern, value in patterns.items():
        path = path.replace(pattern, value)
    return path


def _no_endpoint(session: Session, job: str, stream: str) -> str:
    where = ""
    try:
        record = fetch_job(session, job)[0].record
        file = output_file(record, stream)
        if file:
            where = f"; the job writes it to {file} on the cluster"
    except ClientError:
        pass
    return (
        f"the server at {session.transport.url} is no slurmgate: it serves no job output "
        f"(/slurmgate/v1/job/{{id}}/output){where}"
    )
