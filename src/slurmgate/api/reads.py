"""slurmrestd's reads, served from the mirror: no call to slurmctld per request.

A list is rendered once per change of its data, per API version and per view, and sent as
stored bytes (ETag, gzip, ``X-Slurmgate-Data-Age``: see cached.py). Where PrivateData shows a
user only part of a resource in a way the mirror does not reproduce (nodes, partitions,
reservations, usage), and for records the mirror does not hold, the request goes to the
backend as that user, so slurmctld's own answer comes back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.cached import cached_response, fresh_response
from slurmgate.api.endpoints import begin, job_id, ok, touched, update_time
from slurmgate.api.versions import ApiVersion
from slurmgate.backends.base import Backend, ClusterInfo, Listing
from slurmgate.domain import Job, NotFound, Principal, UnprocessableRequest
from slurmgate.domain import slurm_errno as errno
from slurmgate.domain.access import AccessRules
from slurmgate.mirror import Mirror, RenderCache, Resource, Table, stamps
from slurmgate.mirror.pieces import Pieces, assemble, split_envelope
from slurmgate.mirror.rendered import Built, Headers
from slurmgate.mirror.selection import JobQuery, select

#: Every viewer who sees a resource whole shares one rendering.
WHOLE = "*"


def _mirror(request: Request) -> Mirror:
    mirror: Mirror = request.app.state.mirror
    return mirror


def _pieces(request: Request) -> Pieces:
    pieces: Pieces = request.app.state.pieces
    return pieces


async def _rendered(
    request: Request,
    key: tuple[object, ...],
    stamp: object,
    resource: Resource,
    table: Table[Any],
    render: Callable[[], tuple[bytes, Headers]],
) -> Response:
    """A response rendered by ``render``, kept while ``table`` shows the same state."""
    cache: RenderCache = request.app.state.responses
    backend: Backend = request.app.state.backend
    # Records of their own are rendered in a thread, so the event loop serves other
    # requests meanwhile; live records must be rendered before anything else runs.
    rendered = await cache.get(
        key,
        stamp,
        render,
        in_thread=not backend.live_records,
        current_at=table.loaded_at,
        oldest=_oldest(request, resource),
    )
    return await cached_response(request, rendered)


async def _assembled(
    request: Request,
    key: tuple[object, ...],
    stamp: object,
    resource: Resource,
    table: Table[Any],
    build: Callable[[], Awaitable[Built]],
) -> Response:
    """A response made by ``build`` (from pieces: see pieces.assemble), kept while ``table``
    shows the same state."""
    cache: RenderCache = request.app.state.responses
    rendered = await cache.built(
        key, stamp, build, current_at=table.loaded_at, oldest=_oldest(request, resource)
    )
    return await cached_response(request, rendered)


def _oldest(request: Request, resource: Resource) -> float:
    """The earliest state the reader may be answered with: see Mirror.oldest."""
    principal: Principal = request.state.principal
    return _mirror(request).oldest(resource, principal.user_name)


def _body(content: object) -> tuple[bytes, Headers]:
    return orjson.dumps(content), ()


async def diag(request: Request) -> Response:
    version, _, backend = await begin(request, "diag")
    # PrivateData=usage limits association usage, not slurmctld's statistics.
    table = await _mirror(request).read(Resource.STATS)
    return await _rendered(
        request,
        ("diag", version.name),
        table.generation,
        Resource.STATS,
        table,
        lambda: _body(version.diag(table.items[0], backend.info)),
    )


async def ping(request: Request) -> Response:
    version, _, backend = await begin(request, "ping")
    table = await _mirror(request).read(Resource.PING)
    return await _rendered(
        request,
        ("ping", version.name),
        table.generation,
        Resource.PING,
        table,
        lambda: _body(version.ping(table.items, backend.info)),
    )


def _since(request: Request, version: ApiVersion, listing: str) -> int:
    """The request's update_time, where the version reads it for this listing (else 0)."""
    return update_time(request) if listing in version.spec.since_filtered else 0


async def jobs(request: Request) -> Response:
    version, principal, backend = await begin(request, "jobs")
    mirror = _mirror(request)
    since = _since(request, version, "jobs")
    query = JobQuery.parse(request.query_params)
    table = await mirror.read(Resource.JOBS, reader=principal.user_name)
    rules = await mirror.access()
    viewer = principal.user_name if rules.restricts("jobs", principal.user_name) else WHOLE
    unchanged = bool(since) and table.changed_at < since
    if unchanged and "jobs" in version.spec.not_modified:
        return Response(status_code=304)

    def choose() -> tuple[list[Job], Headers]:
        page = select(table.items, query, None if viewer == WHOLE else viewer, rules)
        headers: Headers = ()
        if page.next_cursor is not None:
            following = request.url.include_query_params(cursor=page.next_cursor)
            headers = (
                ("X-Slurmgate-Next-Cursor", page.next_cursor),
                ("Link", f'<{following.path}?{following.query}>; rel="next"'),
            )
        return page.jobs, headers

    async def build() -> Built:
        when = times(mirror, table)
        if unchanged:
            return Built(_unchanged_jobs(version, backend.info, since, when))
        return await assemble(
            _pieces(request).store(("jobs", version.name)),
            table,
            choose,
            stamps.JOBS.key,
            partial(_job_json, version),
            split_envelope(_jobs_envelope(version, backend.info, when), "jobs"),
            live=backend.live_records,
        )

    stamp = (table.generation, mirror.access_generation if viewer != WHOLE else 0)
    key = ("jobs", version.name, viewer, query.key(), unchanged)
    return await _assembled(request, key, stamp, Resource.JOBS, table, build)


async def job(request: Request) -> Response:
    """GET job/{job_id}: a plain job from the mirror; arrays, heterogeneous jobs, jobs the
    mirror lacks or the user may not see, from the backend (slurmctld's exact answer)."""
    version, principal, backend = await begin(request, "job_get")
    number = job_id(request)
    touched(request, number)
    mirror = _mirror(request)
    table = await mirror.read(Resource.JOBS, reader=principal.user_name)
    found = mirror.job_index(table).get(number)
    rules = await mirror.access()
    if (
        found is None
        or not _single(found)
        or not rules.sees_job(principal.user_name, found.user_name, found.account)
    ):
        found_jobs = await backend.get_job(principal, number)
        return ok(version.jobs(found_jobs, backend.info, last_update=int(time.time())))
    body = jobs_body(version, [found], backend.info, times(mirror, table))
    return fresh_response(request, body, table.age)


async def jobs_state(request: Request) -> Response:
    """GET jobs/state?job_id=1&job_id=2: the jobs named (every job the user may see without
    one), from the mirror."""
    version, principal, backend = await begin(request, "jobs_state")
    # The daemons take the parameter once per job (job_id=1&job_id=2); slurmgate also takes
    # a comma-separated list.
    wanted = _job_ids(",".join(request.query_params.getlist("job_id")))
    mirror = _mirror(request)
    table = await mirror.read(Resource.JOBS, reader=principal.user_name)
    rules = await mirror.access()
    if wanted:
        index = mirror.job_index(table)
        chosen = [index[number] for number in wanted if number in index]
    else:
        chosen = table.items
    visible = [j for j in chosen if rules.sees_job(principal.user_name, j.user_name, j.account)]
    touched(request, *(j.job_id for j in visible))
    body = version.answer("jobs_state", backend.info, items=visible, last_update=table.last_update)
    return fresh_response(request, orjson.dumps(body), table.age)


def _job_ids(text: str) -> list[int]:
    found = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if not (item.isascii() and item.isdigit()) or not 0 < int(item) < 2**32:
            # The daemons refuse the whole query, as one they cannot parse.
            raise UnprocessableRequest(
                f"Invalid job id {item!r} in job_id",
                error_number=errno.ESLURM_REST_INVALID_QUERY,
                error="Query empty or not RFC7320 compliant",
                source="job_id",
            )
        found.append(int(item))
    return found


def _unchanged_jobs(version: ApiVersion, info: ClusterInfo, since: int, when: Times) -> bytes:
    """The answer for a job list that did not change after ``since``: empty; from v0.0.42 on
    with a warning and no times, as the daemons answer it."""
    if not version.spec.warn_unchanged_jobs:
        return jobs_body(version, [], info, when)
    try:
        stamp = datetime.fromtimestamp(since).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):  # beyond what a calendar date can show
        stamp = str(since)
    warning = f"op_handler_jobs: No job changes since update_time[{since}]={stamp}"
    return orjson.dumps(version.answer("jobs", info, items=[], warnings=[warning]))


@dataclass(frozen=True, slots=True)
class Times:
    """When a job listing was made, and when the backfill scheduler last ran (0: unknown)."""

    last_update: int = 0
    last_backfill: int = 0


def times(mirror: Mirror, table: Table[Job]) -> Times:
    """The listing's times; the backfill's from the last diag the mirror holds, if any (a job
    listing does not make it load one)."""
    stats = mirror.latest(Resource.STATS)
    backfill = stats.items[0].bf_when_last_cycle if stats is not None and stats.items else 0
    return Times(table.last_update, backfill)


def _jobs_envelope(version: ApiVersion, info: ClusterInfo, when: Times) -> bytes:
    return orjson.dumps(
        version.jobs([], info, last_update=when.last_update, last_backfill=when.last_backfill)
    )


def _job_json(version: ApiVersion, job: Job) -> bytes:
    return orjson.dumps(version.job(job))


def jobs_body(
    version: ApiVersion, jobs: list[Job], info: ClusterInfo, when: Times = Times()
) -> bytes:
    """``version.jobs`` as JSON, one job at a time: the whole list as dicts would take several
    times the memory of its JSON (10,000 jobs: hundreds of MB for a moment)."""
    head, tail = split_envelope(_jobs_envelope(version, info, when), "jobs")
    return b"".join((head, b",".join([_job_json(version, job) for job in jobs]), tail))


def _single(job: Job) -> bool:
    """Whether job/{id} shows this record alone: not an array's or a het job's leader."""
    if job.het_job_id == job.job_id:
        return False
    return not (job.array_job_id == job.job_id or job.array_task_string)


@dataclass(frozen=True, slots=True)
class _Named:
    """A resource of named records, listed whole: nodes, partitions, reservations, licenses."""

    resource: Resource
    listing: str  # the list's operation, e.g. "nodes"
    record: str  # the single record's operation and path parameter, e.g. "node"
    #: The PrivateData kind that hides it from a user who is no operator ("" if none).
    private: str
    render: Callable[[ApiVersion, list[Any], ClusterInfo, int], dict[str, object]]
    list_direct: Callable[[Backend, Principal], Awaitable[Listing[Any]]]
    get_direct: Callable[[Backend, Principal, str], Awaitable[Any]] | None = None

    async def list(self, request: Request) -> Response:
        version, principal, backend = await begin(request, self.listing)
        mirror = _mirror(request)
        since = _since(request, version, self.listing)
        if self._restricted(await mirror.access(), principal):
            listing = await self.list_direct(backend, principal)
            return ok(self.render(version, listing.items, backend.info, listing.last_update))
        table = await mirror.read(self.resource, reader=principal.user_name)
        unchanged = bool(since) and table.changed_at < since
        if unchanged and self.listing in version.spec.not_modified:
            return Response(status_code=304)
        key = (self.listing, version.name, unchanged)
        if unchanged or table.stamps is None:
            items = [] if unchanged else table.items
            return await _rendered(
                request,
                key,
                table.generation,
                self.resource,
                table,
                lambda: _body(self.render(version, items, backend.info, table.last_update)),
            )
        record = version.item(self.listing)

        async def build() -> Built:
            envelope = orjson.dumps(self.render(version, [], backend.info, table.last_update))
            return await assemble(
                _pieces(request).store((self.listing, version.name)),
                table,
                lambda: (table.items, ()),
                stamps.KEYED_BY[self.resource.value].key,
                lambda item: orjson.dumps(record(item)),
                split_envelope(envelope, self.listing),
                live=backend.live_records,
            )

        return await _assembled(request, key, table.generation, self.resource, table, build)

    async def one(self, request: Request) -> Response:
        version, principal, backend = await begin(request, self.record)
        name = request.path_params[f"{self.record}_name"]
        mirror = _mirror(request)
        if not self._restricted(await mirror.access(), principal):
            table = await mirror.read(self.resource, reader=principal.user_name)
            found = next((item for item in table.items if item.name == name), None)
            if found is not None:
                body = orjson.dumps(self.render(version, [found], backend.info, table.last_update))
                return fresh_response(request, body, table.age)
        # slurmctld's own answer: its error for an unknown name, or what it shows this user.
        if self.get_direct is None:  # licenses: no single-record endpoint routes here
            raise NotFound(f"Unable to find {self.record} {name}")
        record = await self.get_direct(backend, principal, name)
        return ok(self.render(version, [record], backend.info, int(time.time())))

    def _restricted(self, rules: AccessRules, principal: Principal) -> bool:
        return bool(self.private) and rules.restricts(self.private, principal.user_name)


_NODES = _Named(
    Resource.NODES,
    "nodes",
    "node",
    "nodes",
    lambda version, items, info, when: version.nodes(items, info, last_update=when),
    lambda backend, principal: backend.list_nodes(principal),
    lambda backend, principal, name: backend.get_node(principal, name),
)
_PARTITIONS = _Named(
    Resource.PARTITIONS,
    "partitions",
    "partition",
    "partitions",
    lambda version, items, info, when: version.partitions(items, info, last_update=when),
    lambda backend, principal: backend.list_partitions(principal),
    lambda backend, principal, name: backend.get_partition(principal, name),
)
_RESERVATIONS = _Named(
    Resource.RESERVATIONS,
    "reservations",
    "reservation",
    "reservations",
    lambda version, items, info, when: version.reservations(items, info, last_update=when),
    lambda backend, principal: backend.list_reservations(principal),
    lambda backend, principal, name: backend.get_reservation(principal, name),
)
_LICENSES = _Named(
    Resource.LICENSES,
    "licenses",
    "license",
    "",
    lambda version, items, info, when: version.licenses(items, info, last_update=when),
    lambda backend, principal: backend.list_licenses(principal),
)

nodes, node = _NODES.list, _NODES.one
partitions, partition = _PARTITIONS.list, _PARTITIONS.one
reservations, reservation = _RESERVATIONS.list, _RESERVATIONS.one
licenses = _LICENSES.list
