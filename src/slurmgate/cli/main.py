"""Entry point of the ``slurmgate`` command."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from slurmgate import __version__
from slurmgate.cli.client import commands as client_commands
from slurmgate.cli.client.errors import ClientError


def build_parser(*, client_only: bool = False) -> argparse.ArgumentParser:
    """The command's parser; ``client_only``: the client's commands alone, which start
    without importing the gateway (its settings, its web stack)."""
    parser = argparse.ArgumentParser(
        prog="slurmgate",
        description="A slurmrestd-compatible REST gateway for Slurm, and a client of any "
        "slurmrestd-compatible server (submit, jobs, watch, ...: see docs/cli.md).",
    )
    parser.add_argument("-V", "--version", action="version", version=f"slurmgate {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    if not client_only:
        from slurmgate.cli import serve_cmd, token_cmd

        serve_cmd.add_parser(commands)
        token_cmd.add_parser(commands)
        commands.add_parser("version", help="print the version", description="Print the version.")
    client_commands.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in client_commands.RUNS:
        args = build_parser(client_only=True).parse_args(words)
        try:
            return client_commands.run(args)
        except ClientError as exc:
            print(f"slurmgate: error: {exc.message}", file=sys.stderr)
            return exc.status
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:  # `slurmgate jobs | head`: the reader has all it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 128 + signal.SIGPIPE
    from slurmgate.cli import serve_cmd, token_cmd
    from slurmgate.cli.common import EXIT_USAGE, CommandError, report

    parser = build_parser()
    args = parser.parse_args(words)
    try:
        if args.command == "serve":
            return serve_cmd.run(args)
        if args.command == "token":
            return token_cmd.run(args)
        if args.command == "version":
            print(f"slurmgate {__version__}")
            return 0
    except CommandError as exc:
        report(exc.message)
        return exc.status
    except KeyboardInterrupt:
        return 130
    parser.print_help(sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
