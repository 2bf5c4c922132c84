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

import re
from dataclasses import fields

from slurmgate.api.signals import parse_signal
from slurmgate.api.values import (
    FAIL_PARSING,
    UINT32_MAX,
    Converter,
    as_bool,
    as_environment,
    as_int,
    as_memory,
    as_minutes,
    as_seconds,
    as_str,
    as_strings,
    as_time,
    bounded,
    fail,
)
from slurmgate.domain import InvalidRequest, JobSpec, JobSubmission, JobUpdate
from slurmgate.domain import slurm_errno as errno

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
            error=FAIL_PARSING,
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


__all__ = ["parse_job", "parse_signal", "parse_submission", "parse_update"]
