"""Request bodies of v0.0.36-v0.0.38 -> domain types, as slurmrestd 22.05 reads them.

The rules follow src/plugins/openapi/v0.0.3x/jobs.c and src/common/slurm_opt.c (22.05):
keys are case-insensitive, sbatch's aliases are accepted ("ntasks", "cwd", ...), an unknown or
disabled key fails the whole request, and scalar values are converted the way the daemon does
("4" is a fine integer, 4 a fine string, time limits may be "1-00:00:00"). Every failure is an
``InvalidRequest`` naming the field path. Warnings report what was accepted but will not act.

Two liberties, both reported as warnings or documented: the script may sit in the job
(``job.script``, where v0.0.41 and later put it), and a job without ``environment`` is passed
on for the backend to give its default (22.05 refuses it with ESLURM_ENVIRONMENT_MISSING).
"""

from __future__ import annotations

import json
import math
import re
import signal as _signal
import time
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any

from slurmgate.domain import InvalidRequest, JobSpec, JobSubmission, JobUpdate
from slurmgate.domain import slurm_errno as errno

Converter = Callable[[object, str], Any]

_FAIL_PARSING = "Failure during parsing"


def fail(path: str, message: str) -> InvalidRequest:
    """The error for one bad field; jobs.c fails the request with ESLURM_REST_FAIL_PARSING."""
    return InvalidRequest(
        f"{path}: {message}",
        error_number=errno.ESLURM_REST_FAIL_PARSING,
        error=_FAIL_PARSING,
        source=path,
    )


def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else json.dumps(value)


# Scalars convert as data_get_*_converted() does: numbers read as strings and back, into
# int64 (what the daemon converts to, and what the store holds). Digits are ASCII only:
# Python's int() and \d also read other scripts' digits ("１", "²"), which Slurm does not.

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Largest count or duration a uint32 field holds below Slurm's NO_VAL and INFINITE.
UINT32_MAX = 0xFFFFFFFD


def bounded(number: int, path: str, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    if not low <= number <= high:
        raise fail(path, f"{number} is out of range ({low} to {high})")
    return number


def as_str(value: object, path: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise fail(path, f"expected a string, got {_shown(value)}")


def as_int(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return bounded(value, path)
    if isinstance(value, float) and value.is_integer():
        return bounded(int(value), path)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return bounded(int(value), path)
    raise fail(path, f"expected an integer, got {_shown(value)}")


def as_bool(value: object, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return _BOOLEANS[value.strip().lower()]
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise fail(path, f"expected a boolean, got {_shown(value)}")


_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def as_strings(value: object, path: str) -> list[str]:
    if not isinstance(value, list):
        raise fail(path, f"expected an array of strings, got {_shown(value)}")
    return [as_str(v, f"{path}[{i}]") for i, v in enumerate(value)]


def as_environment(value: object, path: str) -> dict[str, str]:
    """A dictionary of variables; numbers and booleans read as strings (_parse_env)."""
    if not isinstance(value, dict):
        raise fail(path, f"expected an object of NAME: value, got {_shown(value)}")
    env: dict[str, str] = {}
    for name, item in value.items():
        if item is None or isinstance(item, dict | list):
            raise fail(f"{path}.{name}", f"expected a string, got {_shown(item)}")
        env[str(name)] = as_str(item, f"{path}.{name}")
    return env


_TIME = re.compile(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", re.ASCII)


def _time_seconds(text: str) -> int | None:
    """Slurm's time string ("M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S") in seconds."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    days, first, second, third = (int(g) if g else None for g in match.groups())
    assert first is not None  # noqa: S101 - the pattern requires it
    if days is not None:  # D-H[:M[:S]]
        return ((days * 24 + first) * 60 + (second or 0)) * 60 + (third or 0)
    if third is not None:  # H:M:S
        return (first * 60 + (second or 0)) * 60 + third
    return first * 60 + (second or 0)  # M[:S]


def as_minutes(value: object, path: str) -> int | None:
    """A time limit in minutes; 0, -1, "UNLIMITED" mean unlimited (None), as time_str2mins."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        minutes = as_int(value, path)
    else:
        text = as_str(value, path).strip()
        if text.upper() in ("UNLIMITED", "INFINITE", "-1"):
            return None
        seconds = _time_seconds(text)
        if seconds is None:
            raise fail(path, f"expected an integer (minutes) or a time string, got {_shown(value)}")
        minutes = (seconds + 59) // 60
    if minutes == -1 or minutes == 0:
        return None
    if minutes < 0:
        raise fail(path, f"expected a positive number of minutes, got {minutes}")
    return bounded(minutes, path, 1, UINT32_MAX)  # minutes are uint32 in Slurm


def as_seconds(value: object, path: str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return bounded(as_int(value, path), path, 0, UINT32_MAX)
    seconds = _time_seconds(as_str(value, path))
    if seconds is None:
        raise fail(path, f"expected a number of seconds or a time string, got {_shown(value)}")
    return bounded(seconds, path, 0, UINT32_MAX)


_MEMORY = re.compile(r"(\d+)\s*([KMGT]?)B?", re.IGNORECASE | re.ASCII)
_MEMORY_SCALE = {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024 * 1024}


def as_memory(value: object, path: str) -> int:
    """MiB, from a number or "512M", "4G", ... (str_to_mbytes)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return as_int(value, path)
    match = _MEMORY.fullmatch(as_str(value, path).strip())
    if not match:
        raise fail(path, f'expected a memory size in MiB or like "4G", got {_shown(value)}')
    mebibytes = int(match.group(1)) * _MEMORY_SCALE[match.group(2).upper()]
    return bounded(math.ceil(mebibytes), path)


_UNITS = {"": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
          "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800,
          "weeks": 604800}  # fmt: skip


def as_time(value: object, path: str) -> int:
    """Unix seconds from a number, "now[+N[units]]" or an ISO date and time (parse_time)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return as_int(value, path)
    text = as_str(value, path).strip()
    if text.isascii() and text.isdigit():
        return bounded(int(text), path)
    relative = re.fullmatch(r"now(?:\+([0-9]+)([a-z]*))?", text.lower())
    if relative and relative.group(2) in _UNITS | {None: 1}:
        count = int(relative.group(1) or 0)
        return bounded(int(time.time()) + count * _UNITS[relative.group(2) or ""], path)
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        raise fail(
            path, f'expected a Unix time, "now+N<units>" or an ISO time, got {_shown(value)}'
        ) from None


# JobSpec field -> converter, under the v0.0.38 property name where it differs.
_FIELDS: dict[str, tuple[str, Converter]] = {
    name: (name, conv)
    for conv, names in (
        (
            as_str,
            "account account_gather_frequency array batch_features burst_buffer"
            " cluster_constraint comment constraints container cpu_binding cpu_binding_hint"
            " cpu_frequency current_working_directory dependency distribution gpu_binding"
            " gpu_frequency gpus gpus_per_node gpus_per_socket gpus_per_task gres licenses"
            " mail_type mail_user mcs_label memory_binding name partition prefer qos"
            " reservation signal standard_error standard_input standard_output wckey"
            " excluded_nodes required_nodes",
        ),
        (
            as_int,
            "core_specification cores_per_socket cpus_per_gpu minimum_cpus_per_node nice"
            " sockets_per_node tasks tasks_per_core tasks_per_node tasks_per_socket"
            " thread_specification threads_per_core",
        ),
        (
            as_bool,
            "get_user_environment hold kill_on_invalid_dependency minimum_nodes no_kill"
            " oversubscribe requeue spread_job wait_all_nodes",
        ),
        (as_memory, "memory_per_cpu memory_per_gpu memory_per_node"),
        (as_minutes, "time_limit time_minimum"),
        (as_time, "begin_time deadline"),
        (as_seconds, "delay_boot"),
        (as_environment, "environment"),
        (as_strings, "argv"),
    )
    for name in names.split()
}

# sbatch's other names for the same options (job_params[] in jobs.c).
_ALIASES = {
    "constraint": "constraints",
    "cwd": "current_working_directory",
    "exclude_nodes": "excluded_nodes",
    "job_name": "name",
    "license": "licenses",
    "nodelist": "required_nodes",
    "node_list": "required_nodes",
    "ntasks": "tasks",
    "ntasks_per_core": "tasks_per_core",
    "ntasks_per_node": "tasks_per_node",
    "ntasks_per_socket": "tasks_per_socket",
}

# Accepted by slurmrestd 22.05 but not carried by slurmgate's model.
_IGNORED = frozenset(
    "ntasks_per_gpu ntasks_per_tres profile temporary_disk_per_node test_only umask".split()
)

# Keys jobs.c knows but refuses ("Disabled key"), except cpu_binding, which every version's
# document declares.
_DISABLED = frozenset(
    """accelerator_binding allocation_node_list bell burst_buffer_file cluster clusters
    compress contiguous cpu_binding debugger_test disable_status epilog excluded_nodes
    export_file export extra_node_info group_id help ignore_pbs immediate job_id kill_command
    kill_on_bad_exit label max_threads message_timeout mpi multiple_program network
    no_allocation no_bell nodefile no_shell overcommit hetjob_group parsable power_flags
    preserve_environment prolog propagate pty quiet quit_on_interrupt reboot relative
    required_nodes required_switches reserve_port reserve_ports slurmd_debug task_epilog
    task_prolog threads unbuffered unknown usage user_id version verbose wait_for_switch wait
    wrap x11""".split()
) - {"cpu_binding"}

# Names with their own rules in _apply().
_SPECIAL = frozenset(
    "nodes exclusive no_requeue priority open_mode gres_flags nice cpus_per_task".split()
)

# What each version changes in the table (jobs.c of each plugin).
_VERSION_ALIASES: dict[str, dict[str, str]] = {
    "v0.0.36": {
        "standard_in": "standard_input",
        "standard_out": "standard_output",
        "account_gather_freqency": "account_gather_frequency",
        "cluster_constraints": "cluster_constraint",
    },
}
_VERSION_DISABLED = {"v0.0.36": {"priority"}, "v0.0.37": {"oversubscribe"}}
_VERSION_UNKNOWN = {"v0.0.36": {"container", "prefer"}, "v0.0.37": {"container", "prefer"}}


def _canonical_key(key: str, version: str, path: str) -> str | None:
    """The v0.0.38 name of ``key``, or None for an accepted but ignored key."""
    given = key.lower()
    if given in _VERSION_UNKNOWN.get(version, ()):
        raise fail(path, "unknown field")
    # Refused by the name given: "nodelist" works where "required_nodes" does not.
    if given in _DISABLED or given in _VERSION_DISABLED.get(version, ()):
        raise fail(path, "disabled field, not accepted by slurmrestd")
    name = _VERSION_ALIASES.get(version, {}).get(given, _ALIASES.get(given, given))
    if name in _IGNORED:
        return None
    if name in _FIELDS or name in _SPECIAL or name == "script":
        return name
    raise fail(path, "unknown field")


def _nodes(value: object, path: str) -> tuple[int, int]:
    """``nodes``: 4, "4", "2-4" or [2, 4] (arg_set_data_nodes in slurm_opt.c)."""
    if isinstance(value, list):
        if len(value) != 2:
            raise fail(path, f"expected [minimum, maximum], got {len(value)} items")
        low, high = (as_int(v, f"{path}[{i}]") for i, v in enumerate(value))
    else:
        text = as_str(value, path).strip()
        match = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", text)
        if not match:
            raise fail(path, f'expected a node count, "min-max" or [min, max], got "{text}"')
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
    if low < 0 or high < low:
        raise fail(path, f"invalid node count range {low}-{high}")
    return bounded(low, path, 0, UINT32_MAX), bounded(high, path, 0, UINT32_MAX)


def _priority(value: object, path: str) -> int:
    if isinstance(value, str) and value.strip().upper() == "TOP":
        return 0xFFFFFFFD  # NO_VAL - 1, what --priority=TOP sets
    number = as_int(value, path)
    if not 0 < number < 0xFFFFFFFE:
        raise fail(path, f"priority must be between 1 and {0xFFFFFFFD}, got {number}")
    return number


def _choice(value: object, path: str, choices: tuple[str, ...]) -> str:
    text = as_str(value, path)
    if text.lower() not in choices:
        raise fail(path, f'expected one of {", ".join(choices)}, got "{text}"')
    return text.lower()


def _apply(spec: JobSpec, name: str, value: object, path: str) -> None:
    if name == "nodes":
        spec.min_nodes, spec.max_nodes = _nodes(value, path)
    elif name == "exclusive":
        # arg_set_data_exclusive, plus the "true"/"false" the v0.0.3x documents list.
        mode = _choice(
            str(value).lower() if isinstance(value, bool) else value,
            path,
            ("exclusive", "true", "false", "oversubscribe", "user", "mcs"),
        )
        if mode in ("exclusive", "true"):
            spec.exclusive = True
        elif mode == "false":
            spec.exclusive = False
        elif mode == "oversubscribe":
            spec.oversubscribe = True
        else:
            spec.exclusive, spec.exclusive_scope = True, mode
    elif name == "no_requeue":
        if as_bool(value, path):
            spec.requeue = False
    elif name == "priority":
        spec.priority = _priority(value, path)
    elif name == "open_mode":
        spec.open_mode = _choice(value, path, ("append", "truncate"))
    elif name == "gres_flags":
        spec.gres_flags = _choice(value, path, ("disable-binding", "enforce-binding"))
    elif name == "nice":
        nice = as_int(value, path)
        if abs(nice) >= 0x7FFFFFFD:  # NICE_OFFSET - 3
            raise fail(path, f"nice value out of range: {nice}")
        spec.nice = nice
    elif name == "cpus_per_task":
        cpus = as_int(value, path)
        if cpus < 1:
            raise fail(path, f"must be greater than 0, got {cpus}")
        spec.cpus_per_task = cpus
    else:
        attr, conv = _FIELDS[name]
        setattr(spec, attr, conv(value, path))


def parse_job(
    body: object, path: str, version: str, warnings: list[str]
) -> tuple[JobSpec, set[str]]:
    """One job_properties object -> (JobSpec, the v0.0.38 names that were given)."""
    if not isinstance(body, dict):
        raise InvalidRequest(
            f"{path}: expected an object, got {_type_name(body)}",
            error_number=errno.ESLURM_REST_INVALID_JOBS_DESC,
            error="Jobs description entry not found, empty or not dictionary or list",
            source=path,
        )
    spec = JobSpec()
    given: set[str] = set()
    for key, value in body.items():
        field_path = f"{path}.{key}"
        name = _canonical_key(str(key), version, field_path)
        if name is None:
            warnings.append(f"{field_path}: accepted but not supported by slurmgate; ignored")
            continue
        if value is None:  # JSON null reads as "not given"
            continue
        if name == "script":
            spec.script = as_str(value, field_path)
        else:
            _apply(spec, name, value, field_path)
        given.add(name)
    return spec, given


def _type_name(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def parse_submission(body: object, version: str) -> tuple[JobSubmission, list[str]]:
    """POST /slurm/{version}/job/submit -> JobSubmission (and warnings)."""
    warnings: list[str] = []
    if not isinstance(body, dict):
        raise InvalidRequest(
            f"request body: expected an object, got {_type_name(body)}", source="job/submit"
        )
    for key in body:
        if key not in ("script", "job", "jobs"):
            warnings.append(f"{key}: unknown field; ignored")
    script = body.get("script")
    if script is not None and not isinstance(script, str):
        raise fail("script", f"expected a string, got {_type_name(script)}")
    # "job" first, then "jobs"; either may be one object or a list (a heterogeneous job).
    given_key = "job" if body.get("job") is not None else "jobs"
    desc = body.get(given_key)
    if "job" in body and "jobs" in body and given_key == "job":
        warnings.append('jobs: ignored because "job" is given')
    if isinstance(desc, dict):
        items, paths = [desc], [given_key]
    elif isinstance(desc, list) and desc:
        items, paths = desc, [f"{given_key}[{i}]" for i in range(len(desc))]
    else:
        raise InvalidRequest(
            f"{given_key}: a job description (object) or a list of them is required",
            error_number=errno.ESLURM_REST_INVALID_JOBS_DESC,
            error="Jobs description entry not found, empty or not dictionary or list",
            source="job/submit",
        )
    jobs = []
    for item, path in zip(items, paths, strict=True):
        spec, _ = parse_job(item, path, version, warnings)
        if spec.environment is None:
            # slurmrestd 22.05 refuses this (ESLURM_ENVIRONMENT_MISSING); slurmgate lets the
            # backend supply its default environment and says so.
            warnings.append(f"{path}.environment: not given; the cluster's default is used")
        jobs.append(spec)
    if script is not None:
        if jobs[0].script is not None and jobs[0].script != script:
            warnings.append(f"{paths[0]}.script: ignored because a top-level script is given")
        jobs[0].script = script  # the batch script belongs to the first component
    if jobs[0].script is None:
        raise InvalidRequest(
            "script: a batch script is required (top level, or in the job)",
            error_number=errno.ESLURM_JOB_SCRIPT_MISSING,
            error="Job script not specified",
            source="job/submit",
        )
    return JobSubmission(jobs=jobs), warnings


_UPDATABLE = {f.name for f in fields(JobUpdate)}


def parse_update(body: object, version: str) -> tuple[JobUpdate, list[str]]:
    """POST /slurm/{version}/job/{job_id}: job_properties -> JobUpdate (and warnings)."""
    warnings: list[str] = []
    if isinstance(body, list):
        raise InvalidRequest(
            "request body: a heterogeneous job cannot be updated in one request",
            error_number=errno.ESLURM_REST_FAIL_PARSING,
            error=_FAIL_PARSING,
            source="job update",
        )
    spec, given = parse_job(body, "job", version, warnings)
    update = JobUpdate()
    for name in sorted(given):
        if name == "nodes":
            update.min_nodes, update.max_nodes = spec.min_nodes, spec.max_nodes
        elif name in _UPDATABLE:
            setattr(update, name, getattr(spec, name))
        else:
            warnings.append(f"job.{name}: cannot be changed after submission; ignored")
    return update, warnings


# sig_name2num in src/common/proc_args.c: these names, with or without "SIG", any case.
_SIGNAL_LIST = "HUP INT QUIT ABRT KILL ALRM TERM USR1 USR2 URG CONT STOP TSTP TTIN TTOU XCPU"
_SIGNAL_NAMES = {name: int(getattr(_signal, f"SIG{name}")) for name in _SIGNAL_LIST.split()}
_SIGRTMAX = int(getattr(_signal, "SIGRTMAX", 64))


def parse_signal(value: str | int | None) -> int:
    """DELETE ?signal=: a number or a signal name; none means SIGKILL (cancel)."""
    if value is None:
        return int(_signal.SIGKILL)
    number = 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?[0-9]+", text):
            number = int(text)
        else:
            name = text.upper().removeprefix("SIG")
            number = _SIGNAL_NAMES.get(name, 0)
    if not 1 <= number < _SIGRTMAX:
        raise InvalidRequest(
            f"invalid signal: {value}",
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            error="Query empty or not RFC7320 compliant",
            source="HTTP request: signal",
        )
    return number


__all__ = ["parse_job", "parse_signal", "parse_submission", "parse_update"]
