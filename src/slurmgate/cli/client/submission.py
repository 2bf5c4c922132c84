"""``slurmgate submit``: a batch script and sbatch's options, as the version's job description.

v0.0.36-38 (slurmrestd 22.05) read the script at the body's top level and the environment as
an object; v0.0.40 and later read the script in the job and the environment as
``NAME=value`` items. Numbers are sent plain: every version reads them so.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from slurmgate.cli.client import sbatch
from slurmgate.cli.client.errors import UsageError
from slurmgate.cli.client.session import Session

#: slurmctld's INFINITE, the unlimited time limit where v0.0.36-38 take only numbers.
INFINITE32 = 0xFFFFFFFF


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "script", nargs="?", metavar="SCRIPT", help="the batch script; - reads standard input"
    )
    parser.add_argument(
        "--wrap", metavar="COMMAND", help="submit a script that runs COMMAND with /bin/sh"
    )
    parser.add_argument("--parsable", action="store_true", help="print only the job's id")
    sbatch.add_options(parser)


def read_script(args: argparse.Namespace) -> tuple[str, str]:
    """The script's text and the name to report it by."""
    if args.wrap is not None:
        if args.script is not None:
            raise UsageError("give either SCRIPT or --wrap, not both")
        return f"#!/bin/sh\n{args.wrap}\n", "--wrap"
    if args.script is None:
        raise UsageError("no batch script given: SCRIPT, - for standard input, or --wrap")
    if args.script == "-":
        return sys.stdin.read(), "standard input"
    try:
        with open(args.script, encoding="utf-8") as file:
            return file.read(), args.script
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {args.script}: {exc}") from None


def job_fields(
    args: argparse.Namespace, script: str, name: str, environ: Mapping[str, str]
) -> dict[str, Any]:
    """The job's fields: the script's #SBATCH options, then the command line's over them."""
    if not script.startswith("#!"):
        raise UsageError(
            f"{name} does not look like a batch script: its first line must start with #! "
            "followed by the path to an interpreter, e.g. #!/bin/sh"
        )
    fields = sbatch.script_options(script, name)
    given = {flag: value for flag, value in vars(args).items() if flag in _FIELDS}
    fields.update(given)
    fields.setdefault("current_working_directory", os.getcwd())
    if "name" not in fields:
        fields["name"] = "wrap" if args.wrap is not None else os.path.basename(name)
    fields["environment"] = sbatch.environment(fields.pop("export", None), environ)
    return fields


_FIELDS = {field for _, field, _, _, _ in sbatch.OPTIONS}


def body(fields: Mapping[str, Any], script: str, *, legacy: bool) -> dict[str, Any]:
    """The request body of ``POST /slurm/{v}/job/submit`` in the version's terms."""
    job = dict(fields)
    environment: dict[str, str] = job.pop("environment")
    nodes = job.get("nodes")
    if job.get("time_limit") == "UNLIMITED":
        job["time_limit"] = INFINITE32 if legacy else {"set": False, "infinite": True, "number": 0}
    if legacy:
        if isinstance(nodes, str) and nodes.isdigit():
            job["nodes"] = int(nodes)
        elif isinstance(nodes, str):
            low, _, high = nodes.partition("-")
            job["nodes"] = [int(low), int(high or low)] if (low + high).isdigit() else nodes
        job["environment"] = environment
        return {"script": script, "job": job}
    job["environment"] = [f"{key}={value}" for key, value in environment.items()]
    job["script"] = script
    return {"job": job}


def run(args: argparse.Namespace, session: Session) -> int:
    script, name = read_script(args)
    fields = job_fields(args, script, name, os.environ)
    server = session.server()
    reply = session.transport.call(
        "POST",
        f"/slurm/{server.version}/job/submit",
        "submission refused",
        body=body(fields, script, legacy=server.legacy),
    )
    answer = reply.json() or {}
    # 22.05 puts a held job's notice among errors beside the 200; later ones among warnings
    # (and 24.11 and 26.05 among errors too, reworded).
    notices = list(dict.fromkeys(reply.warnings() or reply.errors()))
    for notice in notices:
        # 24.11 and 26.05 say it twice, once inside a longer sentence.
        if not any(notice != other and notice in other for other in notices):
            session.warn(notice)
    job_id = answer.get("job_id") or (answer.get("result") or {}).get("job_id")
    print(job_id if args.parsable else f"Submitted batch job {job_id}")
    return 0
