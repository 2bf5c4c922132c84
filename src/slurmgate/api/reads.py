"""slurmrestd's reads, served from the mirror: no call to slurmctld per request.

A list is rendered once per change of its data, per API version and per view, and sent as
stored bytes (ETag, gzip, ``X-Slurmgate-Data-Age``: see cached.py). Where PrivateData shows a
user only part of a resource in a way the mirror does not reproduce (nodes, partitions,
reservations, usage), and for records the mirror does not hold, the request goes to the
backend as that user, so slurmctld's own answer comes back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.cached import cached_response, fresh_response
from slurmgate.api.endpoints import begin, job_id, ok, touched, update_time
from slurmgate.api.versions import ApiVersion
from slurmgate.backends.base import Backend, ClusterInfo, Listing
from slurmgate.domain import Job, NotFound, Principal
from slurmgate.domain.access import AccessRules
from slurmgate.mirror import Mirror, RenderCache, Resource, Table
from slurmgate.mirror.rendered import Headers
from slurmgate.mirror.selection import JobQuery, select

#: Every viewer who sees a resource whole shares one rendering.
WHOLE = "*"


def _mirror(request: Request) -> Mirror:
    mirror: Mirror = request.app.state.mirror
    return mirror


async def _rendered(
    request: Request,
    key: tuple[object, ...],
    stamp: object,
    table: Table[Any],
    render: Callable[[], tuple[bytes, Headers]],
) -> Response:
    cache: RenderCache = request.app.state.responses
    backend: Backend = request.app.state.backend
    # Records of their own are rendered in a thread, so the event loop serves other
    # requests meanwhile; live records must be rendered before anything else runs.
    rendered = await cache.get(key, stamp, render, in_thread=not backend.live_records)
    return await cached_response(request, rendered, table.age)


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
        table,
        lambda: _body(version.ping(table.items, backend.info)),
    )


async def jobs(request: Request) -> Response:
    version, principal, backend = await begin(request, "jobs")
    mirror = _mirror(request)
    since = update_time(request)
    query = JobQuery.parse(request.query_params)
    table = await mirror.read(Resource.JOBS)
    rules = await mirror.access()
    viewer = principal.user_name if rules.restricts("jobs", principal.user_name) else WHOLE
    unchanged = bool(since) and table.changed_at < since

    def render() -> tuple[bytes, Headers]:
        if unchanged:
            return _body(version.jobs([], backend.info))
        page = select(table.items, query, None if viewer == WHOLE else viewer, rules)
        headers: Headers = ()
        if page.next_cursor is not None:
            following = request.url.include_query_params(cursor=page.next_cursor)
            headers = (
                ("X-Slurmgate-Next-Cursor", page.next_cursor),
                ("Link", f'<{following.path}?{following.query}>; rel="next"'),
            )
        return jobs_body(version, page.jobs, backend.info), headers

    stamp = (table.generation, mirror.access_generation if viewer != WHOLE else 0)
    key = ("jobs", version.name, viewer, query.key(), unchanged)
    return await _rendered(request, key, stamp, table, render)


async def job(request: Request) -> Response:
    """GET job/{job_id}: a plain job from the mirror; arrays, heterogeneous jobs, jobs the
    mirror lacks or the user may not see, from the backend (slurmctld's exact answer)."""
    version, principal, backend = await begin(request, "job_get")
    number = job_id(request)
    touched(request, number)
    mirror = _mirror(request)
    table = await mirror.read(Resource.JOBS)
    found = mirror.job_index(table).get(number)
    rules = await mirror.access()
    if (
        found is None
        or not _single(found)
        or not rules.sees_job(principal.user_name, found.user_name, found.account)
    ):
        return ok(version.jobs(await backend.get_job(principal, number), backend.info))
    return fresh_response(request, orjson.dumps(version.jobs([found], backend.info)), table.age)


def jobs_body(version: ApiVersion, jobs: list[Job], info: ClusterInfo) -> bytes:
    """``version.jobs`` as JSON, one job at a time: the whole list as dicts would take several
    times the memory of its JSON (10,000 jobs: hundreds of MB for a moment)."""
    envelope = orjson.dumps(version.jobs([], info))
    if not envelope.endswith(b'"jobs":[]}'):  # pragma: no cover - every version ends so
        return orjson.dumps(version.jobs(jobs, info))
    return b"".join(
        (envelope[:-2], b",".join([orjson.dumps(version.job(job)) for job in jobs]), b"]}")
    )


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
    render: Callable[[ApiVersion, list[Any], ClusterInfo], dict[str, object]]
    list_direct: Callable[[Backend, Principal], Awaitable[Listing[Any]]]
    get_direct: Callable[[Backend, Principal, str], Awaitable[Any]] | None = None

    async def list(self, request: Request) -> Response:
        version, principal, backend = await begin(request, self.listing)
        mirror = _mirror(request)
        since = update_time(request)
        if self._restricted(await mirror.access(), principal):
            listing = await self.list_direct(backend, principal)
            return ok(self.render(version, listing.items, backend.info))
        table = await mirror.read(self.resource)
        unchanged = bool(since) and table.changed_at < since
        items = [] if unchanged else table.items
        return await _rendered(
            request,
            (self.listing, version.name, unchanged),
            table.generation,
            table,
            lambda: _body(self.render(version, items, backend.info)),
        )

    async def one(self, request: Request) -> Response:
        version, principal, backend = await begin(request, self.record)
        name = request.path_params[f"{self.record}_name"]
        mirror = _mirror(request)
        if not self._restricted(await mirror.access(), principal):
            table = await mirror.read(self.resource)
            found = next((item for item in table.items if item.name == name), None)
            if found is not None:
                body = orjson.dumps(self.render(version, [found], backend.info))
                return fresh_response(request, body, table.age)
        # slurmctld's own answer: its error for an unknown name, or what it shows this user.
        if self.get_direct is None:  # licenses: no single-record endpoint routes here
            raise NotFound(f"Unable to find {self.record} {name}")
        record = await self.get_direct(backend, principal, name)
        return ok(self.render(version, [record], backend.info))

    def _restricted(self, rules: AccessRules, principal: Principal) -> bool:
        return bool(self.private) and rules.restricts(self.private, principal.user_name)


_NODES = _Named(
    Resource.NODES,
    "nodes",
    "node",
    "nodes",
    lambda version, items, info: version.nodes(items, info),
    lambda backend, principal: backend.list_nodes(principal),
    lambda backend, principal, name: backend.get_node(principal, name),
)
_PARTITIONS = _Named(
    Resource.PARTITIONS,
    "partitions",
    "partition",
    "partitions",
    lambda version, items, info: version.partitions(items, info),
    lambda backend, principal: backend.list_partitions(principal),
    lambda backend, principal, name: backend.get_partition(principal, name),
)
_RESERVATIONS = _Named(
    Resource.RESERVATIONS,
    "reservations",
    "reservation",
    "reservations",
    lambda version, items, info: version.reservations(items, info),
    lambda backend, principal: backend.list_reservations(principal),
    lambda backend, principal, name: backend.get_reservation(principal, name),
)
_LICENSES = _Named(
    Resource.LICENSES,
    "licenses",
    "license",
    "",
    lambda version, items, info: version.licenses(items, info),
    lambda backend, principal: backend.list_licenses(principal),
)

nodes, node = _NODES.list, _NODES.one
partitions, partition = _PARTITIONS.list, _PARTITIONS.one
reservations, reservation = _RESERVATIONS.list, _RESERVATIONS.one
licenses = _LICENSES.list
