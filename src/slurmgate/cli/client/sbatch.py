"""sbatch's options, on the command line and in a script's ``#SBATCH`` lines.

As sbatch reads them: ``#SBATCH`` lines count from the script's start up to its first line
that is neither blank nor a comment, and an option given on the command line wins over the
same option in the script. Each option becomes a field of the job description, named as
every API version names it (``name``, ``tasks``, ``time_limit``, ...).
"""

from __future__ import annotations

import argparse
import math
import re
import shlex
import sys
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from slurmgate.cli.client.errors import UsageError


def minutes(value: str) -> int | str:
    """A time limit in sbatch's formats, in whole minutes (seconds round up); ``UNLIMITED``."""
    word = value.strip()
    if word.upper() in ("UNLIMITED", "INFINITE"):
        return "UNLIMITED"
    found = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", word)
    if not found:
        raise ValueError(value)
    days, first, second, third = found.groups()
    if days is not None:  # days-hours[:minutes[:seconds]]
        seconds = int(days) * 86400 + int(first) * 3600 + int(second or 0) * 60 + int(third or 0)
    elif third is not None:  # hours:minutes:seconds
        seconds = int(first) * 3600 + int(second) * 60 + int(third)
    elif second is not None:  # minutes:seconds
        seconds = int(first) * 60 + int(second)
    else:
        seconds = int(first) * 60
    return math.ceil(seconds / 60)


def megabytes(value: str) -> int:
    """A memory size in MiB, as sbatch reads it: a number of MiB, or with K, M, G or T."""
    found = re.fullmatch(r"(\d+)([KMGT]?)B?", value.strip().upper())
    if not found:
        raise ValueError(value)
    scale = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024, "": 1}[found.group(2)]
    return math.ceil(int(found.group(1)) * scale)


def _checked(convert: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    def read(value: str) -> Any:
        try:
            return convert(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what}: {value!r}") from None

    read.__name__ = what
    return read


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(value)
    return int(value)


#: (flags, field, metavar, how the value is read, help); a reader of None: a flag alone.
OPTIONS: tuple[tuple[tuple[str, ...], str, str, Callable[[str], Any] | None, str], ...] = (
    (("-J", "--job-name"), "name", "NAME", str, "the job's name"),
    (("-p", "--partition"), "partition", "PARTITION", str, "partition to run in"),
    (("-A", "--account"), "account", "ACCOUNT", str, "account to charge"),
    (("-q", "--qos"), "qos", "QOS", str, "quality of service"),
    (("-n", "--ntasks"), "tasks", "N", _checked(_positive, "task count"), "number of tasks"),
    (("-c", "--cpus-per-task"), "cpus_per_task", "N", _checked(_positive, "CPU count"),
     "CPUs for each task"),
    (("-N", "--nodes"), "nodes", "N[-M]", str, "number of nodes, N or MIN-MAX"),
    (("--mem",), "memory_per_node", "SIZE", _checked(megabytes, "memory size"),
     "memory per node (MiB, or with K/M/G/T)"),
    (("--mem-per-cpu",), "memory_per_cpu", "SIZE", _checked(megabytes, "memory size"),
     "memory per CPU (MiB, or with K/M/G/T)"),
    (("-t", "--time"), "time_limit", "TIME", _checked(minutes, "time limit"),
     "time limit: MINUTES, [H:]M:S, D-H[:M[:S]] or UNLIMITED"),
    (("-a", "--array"), "array", "INDEXES", str, "array of tasks, e.g. 1-10%%2"),
    (("-d", "--dependency"), "dependency", "TYPE:JOB", str, "e.g. afterok:12"),
    (("-o", "--output"), "standard_output", "FILE", str, "file for standard output"),
    (("-e", "--error"), "standard_error", "FILE", str, "file for standard error"),
    (("-i", "--input"), "standard_input", "FILE", str, "file for standard input"),
    (("-D", "--chdir"), "current_working_directory", "DIR", str,
     "working directory on the cluster (default: the current one, as sbatch)"),
    (("-C", "--constraint"), "constraints", "FEATURES", str, "node features required"),
    (("--comment",), "comment", "TEXT", str, "a comment"),
    (("--export",), "export", "VARS", str,
     "environment passed: ALL (default, less SLURM_JWT), NONE, or [ALL,]VAR[=VALUE],..."),
    (("-H", "--hold"), "hold", "", None, "submit the job held"),
)  # fmt: skip


def add_options(parser: argparse.ArgumentParser) -> None:
    """sbatch's options, each left out of the namespace unless given (so that two can merge)."""
    for flags, dest, metavar, reader, help_text in OPTIONS:
        if reader is None:
            parser.add_argument(
                *flags, dest=dest, action="store_true", default=argparse.SUPPRESS, help=help_text
            )
        else:
            parser.add_argument(
                *flags,
                dest=dest,
                metavar=metavar,
                type=reader,
                default=argparse.SUPPRESS,
                help=help_text,
            )


class _DirectiveParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def directives(script: str) -> list[tuple[int, list[str]]]:
    """The words of each ``#SBATCH`` line, with its line number, as sbatch reads them."""
    found = []
    for number, line in enumerate(script.splitlines(), start=1):
        stripped = line.strip()
        if number == 1 and stripped.startswith("#!"):
            continue
        if stripped and not stripped.startswith("#"):
            break
        if re.match(r"#SBATCH\s", stripped):
            try:
                found.append((number, shlex.split(stripped[len("#SBATCH") :], comments=True)))
            except ValueError as exc:
                raise UsageError(f"script line {number}: {exc}: {stripped}") from None
    return found


def script_options(script: str, name: str) -> dict[str, Any]:
    """The options of the script's ``#SBATCH`` lines; one this client does not know is
    reported and left out, where sbatch would act on it."""
    parser = _DirectiveParser(prog="#SBATCH", add_help=False)
    add_options(parser)
    options: dict[str, Any] = {}
    for number, words in directives(script):
        try:
            parsed, unknown = parser.parse_known_args(words)
        except UsageError as exc:
            raise UsageError(f"{name} line {number}: {exc.message}") from None
        for word in unknown:
            if word.startswith("-"):
                print(
                    f"slurmgate: warning: {name} line {number}: option {word} is not "
                    "supported by this client and is ignored",
                    file=sys.stderr,
                )
        options.update(vars(parsed))
    return options


def environment(export: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The job's environment as sbatch's ``--export`` chooses it: everything (ALL), or the
    SLURM_* variables and those named. The token is never sent: it is the client's credential,
    not the job's. A job with no environment is refused by every server: with nothing else,
    it carries ``SLURM_EXPORT_ENV=NONE``, the variable that means ``--export=NONE``."""
    words = [w for w in (export or "ALL").split(",") if w]
    first = words[0].upper() if words else "ALL"
    if first == "ALL":
        chosen = dict(environ)
    else:
        chosen = {k: v for k, v in environ.items() if k.startswith("SLURM_")}
    if first in ("ALL", "NONE"):
        words = words[1:]
    for word in words:
        name, sep, value = word.partition("=")
        if sep:
            chosen[name] = value
        elif name in environ:
            chosen[name] = environ[name]
    chosen.pop("SLURM_JWT", None)
    return chosen or {"SLURM_EXPORT_ENV": "NONE"}
