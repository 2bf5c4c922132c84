"""Request bodies of v0.0.40 and later -> domain types, read through the version's records.

Each body is read field by field as its record declares (requests_values.py); the rules here
turn what has no plain place in the domain types (an environment, flags, a node count range,
a signal) into it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from slurmgate.api.signals import parse_signal
from slurmgate.api.versions.codecs import INFINITE
from slurmgate.api.versions.notation import Record
from slurmgate.api.versions.requests_values import (
    Reading,
    conversion_error,
    read_integer,
    read_list,
    read_record,
    read_string,
    shown,
)
from slurmgate.domain import (
    JobSelection,
    JobSpec,
    JobSubmission,
    JobUpdate,
    NodeUpdate,
    UnprocessableRequest,
)
from slurmgate.domain import slurm_errno as errno

# -- jobs ------------------------------------------------------------------------------------


def _environment(spec: JobSpec, value: object, path: str, reading: Reading) -> None:
    if isinstance(value, dict):  # as v0.0.38 took it
        reading.converted(path, "array", value)
        spec.environment = {
            str(k): read_string(v, f"{path}{k}/", reading) for k, v in value.items()
        }
        return
    env = {}
    for i, entry in enumerate(read_list(value, path, reading)):
        name, sep, text = entry.partition("=")
        if not sep or not name:
            raise conversion_error(f"{path}{i}/", f'Expected NAME=value but got "{entry}"')
        env[name] = text
    spec.environment = env


_JOB_FLAGS = {
    "KILL_INVALID_DEPENDENCY": ("kill_on_invalid_dependency", True),
    "NO_KILL_INVALID_DEPENDENCY": ("kill_on_invalid_dependency", False),
    "SPREAD_JOB": ("spread_job", True),
    "PREFER_MINIMUM_NODE_COUNT": ("minimum_nodes", True),
}


def _flags(spec: JobSpec, value: object, path: str, reading: Reading) -> None:
    for flag in read_list(value, path, reading):
        found = _JOB_FLAGS.get(flag.upper())
        if found is None:
            reading.warn(path, f"flag {flag} is accepted but not supported by slurmgate; ignored")
            continue
        setattr(spec, *found)


def _mail_type(spec: JobSpec, value: object, path: str, reading: Reading) -> None:
    spec.mail_type = ",".join(read_list(value, path, reading)) or None


def _open_mode(spec: JobSpec, value: object, path: str, reading: Reading) -> None:
    modes = [m.lower() for m in read_list(value, path, reading)]
    if not set(modes) <= {"append", "truncate"} or len(modes) > 1:
        raise conversion_error(path, f"Expected one of APPEND, TRUNCATE but got {modes}")
    spec.open_mode = modes[0] if modes else None


def _shared(spec: JobSpec, value: object, path: str, reading: Reading) -> None:
    for mode in (m.lower() for m in read_list(value, path, reading)):
        if mode in ("none", "true"):
            spec.exclusive = True
        elif mode in ("oversubscribe", "false"):
            spec.oversubscribe = True
        elif mode in ("user", "mcs"):
            spec.exclusive, spec.exclusive_scope = True, mode
        else:
            raise conversion_error(path, f'Unknown sharing "{mode}"')


def _nodes(spec: JobSpec, value: object, path: str, reading: Reading) -> None:
    text = read_string(value, path, reading).strip()
    match = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", text)
    if not match:
        raise conversion_error(path, f'Expected a node count or "min-max" but got "{text}"')
    spec.min_nodes = int(match.group(1))
    spec.max_nodes = int(match.group(2)) if match.group(2) else spec.min_nodes


JOB_RULES: dict[str, Callable[[Any, object, str, Reading], None]] = {
    "environment": _environment,
    "flags": _flags,
    "mail_type": _mail_type,
    "open_mode": _open_mode,
    "shared": _shared,
    "exclusive": _shared,
    "nodes": _nodes,
}


#: Where an infinite number means what the model's None means: no limit.
_UNLIMITED = ("time_limit", "time_minimum")


def _no_infinite(target: Any, path: str, given: set[str], unlimited: tuple[str, ...] = ()) -> None:
    """Infinite numbers become None where that is "no limit"; elsewhere they are refused.
    Only attributes the body gave (``given``) can hold one; the first refused is named in
    the target's field order."""
    infinite = [name for name in given if getattr(target, name, None) is INFINITE]
    for name in sorted(infinite, key=target.__slots__.index):
        if name not in unlimited:
            raise conversion_error(f"{path}{name}/", f"{name} cannot be infinite")
        setattr(target, name, None)


def _job(body: object, records: Mapping[str, Record], path: str, reading: Reading) -> JobSpec:
    spec = JobSpec()
    read_record(body, records["job_desc_msg"], spec, path, reading, "job_desc_msg")
    _no_infinite(spec, path, reading.given, _UNLIMITED)
    return spec


def parse_submission(
    body: object,
    records: Mapping[str, Record],
    *,
    operation: str = "job_submit",
    with_values: bool = True,
) -> tuple[JobSubmission, list[str]]:
    """POST job/submit (and job/allocate, whose components are ``hetjob``): the script, the
    components, the job, then the keys the request does not know, as the daemons read them."""
    reading = Reading(records, JOB_RULES, with_values=with_values)
    if not isinstance(body, dict):
        raise conversion_error("#/", f"Expected object but got {shown(body)}")
    many = "hetjob" if operation == "job_allocate" else "jobs"
    given = body.get("script")
    script = None if given is None else read_string(given, "#/script/", reading)
    if body.get("job") is not None:
        jobs = [_job(body["job"], records, "#/job/", reading)]
    elif isinstance(body.get(many), list) and body[many]:
        jobs = [_job(j, records, f"#/{many}/{i}/", reading) for i, j in enumerate(body[many])]
    else:
        raise UnprocessableRequest(
            f'Populated "job" or "{many}" field is required',
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            error="Query empty or not RFC7320 compliant",
            source="job/submit",
        )
    for key, value in body.items():
        if key not in ("script", "job", many):
            request = "job_alloc_req" if operation == "job_allocate" else "job_submit_req"
            reading.unknown(f"#/{key}/", key, value, request.upper())
    if script is not None:
        jobs[0].script = script
    if operation == "job_submit" and not jobs[0].script:
        raise UnprocessableRequest(
            'Populated "script" field is required for job submission',
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            error="Query empty or not RFC7320 compliant",
            source="_job_post",
        )
    return JobSubmission(jobs=jobs), reading.warnings


_UPDATABLE = set(JobUpdate.__slots__)


def parse_update(
    body: object, records: Mapping[str, Record], *, with_values: bool = True
) -> tuple[JobUpdate, list[str]]:
    """POST job/{job_id}: a job_desc_msg whose given fields are the changes."""
    reading = Reading(records, JOB_RULES, with_values=with_values)
    spec = _job(body, records, "#/", reading)
    update = JobUpdate()
    for name in sorted(reading.given):
        if name == "nodes":
            update.min_nodes, update.max_nodes = spec.min_nodes, spec.max_nodes
        elif name in _UPDATABLE:
            setattr(update, name, getattr(spec, name))
        else:
            reading.warn(f"#/{name}/", "cannot be changed after submission; ignored")
    return update, reading.warnings


# -- job selections and nodes ----------------------------------------------------------------


def _user_id(target: JobSelection, value: object, path: str, reading: Reading) -> None:
    target.user_id = read_integer(value, path, reading)


def _signal(target: JobSelection, value: object, path: str, reading: Reading) -> None:
    reading.extra["signal"] = parse_signal(read_string(value, path, reading))


def _hostlist(target: JobSelection, value: object, path: str, reading: Reading) -> None:
    target.nodes = read_list(value, path, reading)


def _names(target: NodeUpdate, value: object, path: str, reading: Reading) -> None:
    reading.extra["names"] = read_list(value, path, reading)


def _csv_list(attribute: str) -> Callable[[Any, object, str, Reading], None]:
    def read(target: Any, value: object, path: str, reading: Reading) -> None:
        setattr(target, attribute, read_list(value, path, reading))

    return read


SELECTION_RULES: dict[str, Callable[[Any, object, str, Reading], None]] = {
    "user_id": _user_id,
    "signal": _signal,
    "nodes": _hostlist,
}
NODE_RULES: dict[str, Callable[[Any, object, str, Reading], None]] = {
    "names": _names,
    "features": _csv_list("features"),
    "active_features": _csv_list("active_features"),
    "address": _csv_list("address"),
    "hostname": _csv_list("hostname"),
}


def parse_selection(
    body: object, records: Mapping[str, Record], *, with_values: bool = True
) -> tuple[JobSelection, int | None, list[str]]:
    """DELETE jobs: kill_jobs_msg -> (the selection, the signal if given, warnings)."""
    reading = Reading(records, SELECTION_RULES, with_values=with_values)
    selection = JobSelection()
    read_record(body, records["kill_jobs_msg"], selection, "#/", reading, "kill_jobs_msg")
    return selection, reading.extra.get("signal"), reading.warnings


def parse_node_update(
    body: object, records: Mapping[str, Record], *, with_values: bool = True
) -> tuple[list[str], NodeUpdate, list[str]]:
    """POST nodes / node/{name}: update_node_msg -> (the names it gives, the update, warnings)."""
    reading = Reading(records, NODE_RULES, with_values=with_values)
    update = NodeUpdate()
    read_record(body, records["update_node_msg"], update, "#/", reading, "update_node_msg")
    _no_infinite(update, "#/", reading.given)
    if isinstance(update.state, list):
        update.state = [s.upper() for s in update.state]
    return reading.extra.get("names", []), update, reading.warnings
