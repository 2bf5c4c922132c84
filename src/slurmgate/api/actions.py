"""The operations v0.0.40 and later add: signalling jobs by filter, allocations, requeues, node
changes, fair-share and resource layouts, and the host list utilities.

Each checks that the backend can do it (501 in the envelope, saying so, when it cannot), acts
as the requesting user, and tells the mirror what it changed.
"""

from __future__ import annotations

import re
import signal as _signal

from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.endpoints import begin, job_id, ok, touched
from slurmgate.api.errors import http_status
from slurmgate.api.requests import authenticated, json_body
from slurmgate.api.responses import JSONResponse
from slurmgate.api.versions import VERSIONS, Version
from slurmgate.backends.base import Backend, Capability
from slurmgate.domain import (
    BackendUnavailable,
    InvalidRequest,
    NotFound,
    NotSupported,
    Principal,
    RequeueOptions,
    SlurmgateError,
)
from slurmgate.domain import slurm_errno as errno
from slurmgate.domain.hostlist import expand

_WHAT = {
    Capability.SIGNAL_MANY: "signalling jobs chosen by filters",
    Capability.REQUEUE: "requeueing jobs",
    Capability.ALLOCATE: "allocations without a batch script",
    Capability.UPDATE_NODES: "changing nodes",
    Capability.DELETE_NODES: "removing nodes",
    Capability.SHARES: "fair-share usage (this cluster has no fair-share scheduler)",
    Capability.RESOURCE_LAYOUT: "the core-by-core layout of a job's resources",
}


def require(backend: Backend, capability: Capability) -> None:
    if capability not in backend.capabilities:
        raise NotSupported(
            f"The {backend.name} backend does not support {_WHAT.get(capability, capability)}"
        )


def _wrote(request: Request) -> None:
    principal: Principal = request.state.principal
    request.app.state.mirror.wrote(principal.user_name)


async def jobs_signal(request: Request) -> Response:
    """DELETE jobs: signal (by default cancel) every job the filters choose."""
    version, principal, backend = await begin(request, "jobs_signal")
    require(backend, Capability.SIGNAL_MANY)
    selection, signal, warnings = version.parse_selection(await json_body(request))
    if selection.is_empty:  # slurmctld's own refusal (ESLURM_SIGNAL_JOBS_INVALID)
        raise InvalidRequest(
            "No job filter given: name jobs, or a user, account, partition, state, ...",
            error_number=errno.ESLURM_SIGNAL_JOBS_INVALID,
            error="Invalid signal jobs request, at least one job id or filter is required.",
            source="slurm_kill_jobs()",
        )
    try:
        outcomes = await backend.signal_jobs(
            principal, selection, int(_signal.SIGKILL) if signal is None else signal
        )
    finally:
        _wrote(request)
    touched(request, *(o.job_id for o in outcomes))
    if "VERBOSE" not in (flag.upper() for flag in selection.flags):  # failures only, unasked
        outcomes = [o for o in outcomes if o.error_number]
    return ok(version.answer("jobs_signal", backend.info, items=outcomes, warnings=warnings))


async def job_allocate(request: Request) -> Response:
    version, principal, backend = await begin(request, "job_allocate")
    require(backend, Capability.ALLOCATE)
    submission, warnings = version.parse_allocation(await json_body(request))
    if submission.is_heterogeneous:
        raise NotSupported("Heterogeneous allocations are not supported", source="#/hetjob/")
    try:
        result = await backend.allocate(principal, submission.jobs[0])
    finally:
        _wrote(request)
    touched(request, result.job_id)
    return ok(version.answer("job_allocate", backend.info, result=result, warnings=warnings))


def _flag(request: Request, name: str) -> bool:
    """A flag given as a query parameter: present (empty or any value but false) is set."""
    value = request.query_params.get(name)
    return value is not None and value.strip().lower() not in ("false", "0", "no")


async def job_requeue(request: Request) -> Response:
    version, principal, backend = await begin(request, "job_requeue")
    require(backend, Capability.REQUEUE)
    number = job_id(request)
    touched(request, number)
    options = RequeueOptions(
        hold=_flag(request, "Hold"),
        special_exit=_flag(request, "SpecialExit"),
        incomplete=_flag(request, "Incomplete"),
    )
    try:
        await backend.requeue_job(principal, number, options)
    finally:
        _wrote(request)
    # No per-task results: as slurmctld answers a requeue of a job that is no array.
    return ok(version.answer("job_requeue", backend.info))


_REQUEUE_FLAGS = {"incomplete": "incomplete", "hold": "hold", "specialexit": "special_exit"}


async def jobs_requeue(request: Request) -> Response:
    version, principal, backend = await begin(request, "jobs_requeue")
    require(backend, Capability.REQUEUE)
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("jobs"), list) or not body["jobs"]:
        raise InvalidRequest('A list of job ids is required in "jobs"', source="#/jobs/")
    flags = body.get("flags") or []
    if not isinstance(flags, list):
        raise InvalidRequest(f"Expected a list of requeue flags, got {flags!r}", source="#/flags/")
    unknown = [f for f in flags if str(f).lower() not in _REQUEUE_FLAGS]
    if unknown:
        raise InvalidRequest(f"Unknown requeue flags {unknown}", source="#/flags/")
    options = RequeueOptions(**{_REQUEUE_FLAGS[str(f).lower()]: True for f in flags})
    numbers = [_job_number(text, f"#/jobs/{i}/") for i, text in enumerate(body["jobs"])]
    touched(request, *numbers)
    refusals: list[SlurmgateError] = []
    try:
        for number in numbers:
            try:
                await backend.requeue_job(principal, number, options)
            except (NotSupported, BackendUnavailable):
                raise
            except SlurmgateError as exc:  # as the daemon: each refusal is an error, and on
                refusals.append(exc)
    finally:
        _wrote(request)
    # No per-task results (slurmctld gives them for arrays only); the status of the first
    # refusal, if any.
    answer = version.answer("jobs_requeue", backend.info, errors=refusals)
    if refusals:
        return JSONResponse(answer, status_code=http_status(refusals[0]))
    return ok(answer)


def _job_number(text: object, path: str) -> int:
    value = str(text)
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**32:
        raise InvalidRequest(f"Invalid job id {value!r}", source=path)
    return int(value)


async def _update_nodes(request: Request, version: Version, names: list[str]) -> Response:
    backend: Backend = request.app.state.backend
    principal = request.state.principal
    given, update, warnings = version.parse_node_update(await json_body(request))
    targets = names or given
    if not targets:
        raise InvalidRequest('Name the nodes to change in "name"', source="#/name/")
    if not update.changed_fields():
        raise InvalidRequest("Nothing to change was given", source="#/")
    try:
        await backend.update_nodes(principal, targets, update)
    finally:
        _wrote(request)
    return ok(version.answer("empty", backend.info, warnings=warnings))


async def nodes_update(request: Request) -> Response:
    version, _, backend = await begin(request, "nodes_update")
    require(backend, Capability.UPDATE_NODES)
    return await _update_nodes(request, version, [])


async def node_change(request: Request) -> Response:
    """POST and DELETE node/{node_name}; GET goes to reads.node."""
    operation = "node_update" if request.method == "POST" else "node_delete"
    version, principal, backend = await begin(request, operation)
    name = request.path_params["node_name"]
    if request.method == "POST":
        require(backend, Capability.UPDATE_NODES)
        return await _update_nodes(request, version, expand(name))
    require(backend, Capability.DELETE_NODES)
    try:
        await backend.delete_nodes(principal, expand(name))
    finally:
        _wrote(request)
    return ok(version.answer("empty", backend.info))


def _csv(request: Request, name: str) -> list[str]:
    return [item for item in request.query_params.get(name, "").split(",") if item]


async def shares(request: Request) -> Response:
    version, principal, backend = await begin(request, "shares")
    require(backend, Capability.SHARES)
    found = await backend.shares(
        principal, users=_csv(request, "users"), accounts=_csv(request, "accounts")
    )
    return ok(version.answer("shares", backend.info, result=found))


async def resources(request: Request) -> Response:
    version, principal, backend = await begin(request, "resources")
    require(backend, Capability.RESOURCE_LAYOUT)
    number = job_id(request)
    touched(request, number)
    layout = await backend.job_resource_layout(principal, number)
    return ok(version.answer("resources", backend.info, items=layout))


async def reconfigure(request: Request) -> Response:
    await begin(request, "reconfigure")
    raise NotSupported("slurmgate does not reconfigure slurmctld; use scontrol reconfigure")


async def unsupported(request: Request) -> Response:
    """Operations of the newest documents slurmgate does not serve (docs/api.md)."""
    if request.path_params.get("version") not in VERSIONS:
        raise NotFound(f"Unable to find path {request.url.path}")
    await authenticated(request, "unsupported")
    raise NotSupported(
        f"{request.method} {request.url.path} is not supported by slurmgate",
        source=f"{request.method} {request.url.path}",
    )


async def hostnames(request: Request) -> Response:
    """POST util/{v}/hostnames: a hostlist expression -> the host names it names."""
    version, _, backend = await begin(request, "hostnames")
    body = await json_body(request)
    given = body.get("hostlist") if isinstance(body, dict) else None
    if isinstance(given, list) and all(isinstance(item, str) for item in given):
        given = ",".join(given)  # a hostlist_string may be given as a list, as the daemon reads it
    if not isinstance(given, str):
        raise InvalidRequest('A hostlist expression is required in "hostlist"', source="#/")
    names = expand(given)
    return ok(version.answer("hostnames", backend.info, extra={"hostnames": names}))


async def hostlist(request: Request) -> Response:
    """POST util/{v}/hostlist: host names -> one hostlist expression."""
    version, _, backend = await begin(request, "hostlist")
    body = await json_body(request)
    names = body.get("hostnames") if isinstance(body, dict) else None
    if isinstance(names, str):
        names = [n for n in names.split(",") if n]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidRequest('A list of host names is required in "hostnames"', source="#/")
    return ok(version.answer("hostlist", backend.info, extra={"hostlist": ranged(names)}))


_NUMBERED = re.compile(r"(.*?)([0-9]+)")


def ranged(names: list[str]) -> str:
    """``names`` as one hostlist expression, in their order, as slurm's hostlist_ranged_string
    gives it (neither sorted nor deduplicated, unlike hostlist.compress): neighbours sharing a
    prefix share brackets, consecutive numbers of one width make a range."""
    groups: list[tuple[str, list[list[str]] | None]] = []  # (prefix, [[first, last], ...])
    for name in filter(None, names):
        match = _NUMBERED.fullmatch(name)
        if match is None:
            groups.append((name, None))
            continue
        prefix, digits = match.groups()
        ranges = groups[-1][1] if groups and groups[-1][0] == prefix else None
        if ranges is None:
            groups.append((prefix, [[digits, digits]]))
            continue
        last = ranges[-1][1]
        unpadded = not digits.startswith("0") and not last.startswith("0")
        if int(digits) == int(last) + 1 and (len(digits) == len(last) or unpadded):
            ranges[-1][1] = digits
        else:
            ranges.append([digits, digits])
    printed = []
    for prefix, found in groups:
        if found is None:
            printed.append(prefix)
        elif len(found) == 1 and found[0][0] == found[0][1]:
            printed.append(prefix + found[0][0])
        else:
            inside = ",".join(a if a == b else f"{a}-{b}" for a, b in found)
            printed.append(f"{prefix}[{inside}]")
    return ",".join(printed)
