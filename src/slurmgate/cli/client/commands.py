"""The client subcommands: their shared options, and which function runs each."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slurmgate.cli.client import (
    cluster_commands,
    history,
    job_commands,
    logs,
    submission,
    watch,
)
from slurmgate.cli.client.session import Session
from slurmgate.cli.client.settings import load_settings

Command = Callable[[argparse.Namespace, Session], int]

RUNS: dict[str, Command] = {
    "submit": submission.run,
    "jobs": job_commands.list_jobs,
    "show": job_commands.show,
    "watch": watch.run,
    "logs": logs.run,
    "cancel": job_commands.change,
    "hold": job_commands.change,
    "release": job_commands.change,
    "nodes": cluster_commands.nodes,
    "partitions": cluster_commands.partitions,
    "history": history.run,
}


def common_options() -> argparse.ArgumentParser:
    """Where to connect and as whom: every client command takes these."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("server")
    group.add_argument(
        "--url", help="the server: http(s)://HOST:PORT or unix:/PATH "
        "(SLURMGATE_URL; default http://localhost:6820)",
    )  # fmt: skip
    group.add_argument("--token", help="the JWT to send (SLURM_JWT)")
    group.add_argument(
        "--config", type=Path, metavar="FILE.toml",
        help="client settings (default: $XDG_CONFIG_HOME/slurmgate/client.toml)",
    )  # fmt: skip
    group.add_argument(
        "--api-version", metavar="VERSION",
        help="the API version to speak (default: the newest both sides know)",
    )  # fmt: skip
    return common


def add_parsers(commands: Any) -> None:
    common = common_options()
    submit: argparse.ArgumentParser = commands.add_parser(
        "submit",
        parents=[common],
        help="submit a batch script, as sbatch",
        description="Submit a batch script, as sbatch does: its #SBATCH lines are read, and "
        "options given here win over them. Prints the job's id.",
    )
    submission.add_options(submit)
    job_commands.add_parsers(commands, common)
    watch.add_parser(commands, common)
    logs.add_parser(commands, common)
    cluster_commands.add_parsers(commands, common)
    history.add_parser(commands, common)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(
        os.environ,
        config=args.config,
        url=args.url,
        token=args.token,
        api_version=args.api_version,
    )
    session = Session(settings)
    try:
        return RUNS[args.command](args, session)
    finally:
        session.close()
