"""``GET /slurmgate/v1/job/{job_id}/output``: a page of a job's standard output or error, or
its tail followed while the job runs (``follow=true``). See docs/events.md.

Only the job's owner and administrators (``auth.admins``, the cluster's operators) may ask,
and only for a file that the user asking could read themselves (output/files.py). Pages are
at most ``output.page_bytes``: with ``offset`` (and ``limit``) an answer is 200 and says where
the next page begins; with an HTTP ``Range`` it is 206 with ``Content-Range``.
"""

from __future__ import annotations

import asyncio
import os

from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.endpoints import job_id, touched
from slurmgate.api.errors import ServerBusy, error_response
from slurmgate.api.output_follow import FollowedOutput, job_ended
from slurmgate.api.requests import authenticated
from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    Job,
    JobState,
    NotFound,
    PermissionDenied,
    Principal,
)
from slurmgate.domain import slurm_errno as errno
from slurmgate.events.hub import EventHub
from slurmgate.mirror import Mirror, Resource
from slurmgate.output.files import Identity, identity, open_for
from slurmgate.output.paths import STREAMS, output_path

MEDIA_TYPE = "application/octet-stream"
#: Seconds a job that has just started is given to create its output file.
APPEARS_WITHIN = 5.0


class RangeNotSatisfiable(InvalidRequest):
    default_error_name = "Requested range not satisfiable"


def _number(request: Request, name: str, minimum: int) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()) or int(text) < minimum:
        raise InvalidRequest(
            f"{name} must be a whole number of at least {minimum}, not {text!r}",
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            source=name,
        )
    return int(text)


def _choice(request: Request, name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, default).lower()
    if value not in choices:
        raise InvalidRequest(
            f"{name} must be one of {', '.join(choices)}, not {value!r}",
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            source=name,
        )
    return value


async def job_output(request: Request) -> Response:
    principal = await authenticated(request, "job_output")
    number = job_id(request)
    touched(request, number)
    stream = _choice(request, "stream", STREAMS, "stdout")
    follow = _choice(request, "follow", ("true", "false", "1", "0"), "false") in ("true", "1")
    offset = _number(request, "offset", 0)
    limit = _number(request, "limit", 1)
    byte_range = request.headers.get("range")
    if follow and byte_range:
        raise InvalidRequest("follow=true reads from offset: send no Range", source="range")
    mirror: Mirror = request.app.state.mirror
    job = await _job(request, mirror, number, principal)
    await _check_owner(mirror, principal, job)
    if job.state is JobState.PENDING and not job.start_time:
        raise Conflict(
            f"Job {number} is pending: it has no output yet (follow it once it started)",
            source="state",
        )
    path = output_path(job, stream)
    if not path or path == "/dev/null":
        raise NotFound(f"Job {number} writes no {stream} file ({path or 'none'})", source=stream)
    who = await asyncio.to_thread(identity, principal.user_name)
    fd, size = await _open(path, who, waits=not job_ended(job))
    page = request.app.state.settings.output.page_bytes
    if follow:
        hub: EventHub = request.app.state.events
        if not hub.acquire():
            os.close(fd)
            raise ServerBusy(
                f"The gateway serves its maximum of {hub.settings.max_streams} streams "
                "(events.max_streams): retry later",
                source="events.max_streams",
            )
        return FollowedOutput(hub, mirror, job, fd, offset or 0, page)
    try:
        return await _page(request, job, fd, size, offset, limit, byte_range, page)
    finally:
        os.close(fd)


async def _job(request: Request, mirror: Mirror, number: int, principal: Principal) -> Job:
    """The job's record: from the mirror, else (ended and purged, say) from the cluster, read
    as the mirror's service user, who sees every job."""
    table = await mirror.read(Resource.JOBS, reader=principal.user_name)
    found = mirror.job_index(table).get(number)
    if found is not None:
        return found
    records = await request.app.state.backend.get_job(mirror.service.principal(), number)
    if not records:
        raise NotFound(f"Job {number} not found", error_number=errno.ESLURM_INVALID_JOB_ID)
    chosen: Job = next((j for j in records if j.job_id == number), records[0])
    return chosen


async def _check_owner(mirror: Mirror, principal: Principal, job: Job) -> None:
    if job.user_name == principal.user_name or principal.is_admin:
        return
    if (await mirror.access()).is_operator(principal.user_name):
        return
    raise PermissionDenied(
        f"Job {job.job_id} belongs to {job.user_name}: only its owner and administrators may "
        "read its output",
        error_number=errno.ESLURM_ACCESS_DENIED,
        source="job_id",
    )


async def _open(path: str, who: Identity, *, waits: bool) -> tuple[int, int]:
    """Open ``path`` for ``who``; a running job's file may not be there yet: waited for."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + (APPEARS_WITHIN if waits else 0.0)
    while True:
        try:
            fd, info = await asyncio.to_thread(open_for, path, who)
        except NotFound:
            if loop.time() >= give_up:
                raise
            await asyncio.sleep(0.1)
            continue
        return fd, info.st_size


def _headers(job: Job, start: int, length: int, size: int) -> dict[str, str]:
    following = start + length
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "X-Slurmgate-Offset": str(start),
        "X-Slurmgate-Next-Offset": str(following),
        "X-Slurmgate-Size": str(size),
        "X-Slurmgate-Job-State": job.state.value,
        # All there is: the job has ended and this page reaches the end of the file.
        "X-Slurmgate-Output-Complete": "true" if job_ended(job) and following >= size else "false",
    }
    return headers


async def _page(
    request: Request,
    job: Job,
    fd: int,
    size: int,
    offset: int | None,
    limit: int | None,
    byte_range: str | None,
    page: int,
) -> Response:
    wanted = min(limit or page, page)
    status = 200
    if byte_range is not None and byte_range.strip().lower().startswith("bytes="):
        chosen = _resolve_range(byte_range, size)
        if chosen is None:
            return _unsatisfiable(request, f"Range {byte_range[:60]!r}", size, "range")
        start, last = chosen
        wanted, status = min(last - start + 1, wanted), 206
    else:
        start = offset or 0
        if start > size:
            return _unsatisfiable(request, f"offset {start}", size, "offset")
    body = await asyncio.to_thread(os.pread, fd, wanted, start)
    headers = _headers(job, start, len(body), size)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{start + len(body) - 1}/{size}"
    elif start + len(body) < size:
        following = request.url.include_query_params(offset=start + len(body))
        headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return Response(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _unsatisfiable(request: Request, what: str, size: int, source: str) -> Response:
    """416 in the envelope, with the file's size as RFC 9110 says (``bytes */size``)."""
    error = RangeNotSatisfiable(f"{what} is past the end of the file ({size} bytes)", source=source)
    response = error_response(request, error, {"Content-Range": f"bytes */{size}"})
    response.status_code = 416
    return response


def _resolve_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte of a single ``bytes=`` range; None when not satisfiable."""
    spec = header.strip()[len("bytes=") :].strip()
    if "," in spec:
        raise InvalidRequest("Only one byte range is served at a time", source="range")
    first, dash, last = spec.partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first or last) or not (first + last).isdigit():
        raise InvalidRequest(f"Range {header[:60]!r} is not a byte range", source="range")
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return None
        return max(size - count, 0), size - 1
    start = int(first)
    if last and int(last) < start:
        raise InvalidRequest(f"Range {header[:60]!r} ends before it begins", source="range")
    if start >= size:
        return None
    return start, min(int(last) if last else size - 1, size - 1)
