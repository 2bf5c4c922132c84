"""slurmrestd's reads, served from the mirror: no call to slurmctld per request.

A list is rendered once per change of its data, per API version and per view, and sent as
stored bytes (ETag, gzip, ``X-Slurmgate-Data-Age``: see cached.py). Where PrivateData shows a
user only part of a resource in a way the mirror does not reproduce (nodes, partitions,
reservations, usage), and for records the mirror does not hold, the request goes to the
backend as that user, so slurmctld's own answer comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.cached import cached_response, fresh_response
from slurmgate.api.endpoints import begin, job_id, ok, touched, update_time
from slurmgate.api.versions import ApiVersion
from slurmgate.backends.base import Backend
from slurmgate.domain import Job, Principal
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


async def _whole_list(
    request: Request,
    operation: str,
    resource: Resource,
    private_kind: str,
    render: Callable[[ApiVersion, list[Any]], dict[str, object]],
    direct: Callable[[Backend, Principal], Any],
) -> Response:
    """A list every permitted user sees whole (nodes, partitions, reservations, licenses)."""
    version, principal, backend = await begin(request, operation)
    mirror = _mirror(request)
    since = update_time(request)
    if private_kind and (await mirror.access()).restricts(private_kind, principal.user_name):
        listing = await direct(backend, principal)
        return ok(render(version, listing.items))
    table = await mirror.read(resource)
    unchanged = bool(since) and table.changed_at < since
    items = [] if unchanged else table.items
    return await _rendered(
        request,
        (operation, version.name, unchanged),
        table.generation,
        table,
        lambda: _body(render(version, items)),
    )


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
        return orjson.dumps(version.jobs(page.jobs, backend.info)), headers

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


def _single(job: Job) -> bool:
    """Whether job/{id} shows this record alone: not an array's or a het job's leader."""
    if job.het_job_id == job.job_id:
        return False
    return not (job.array_job_id == job.job_id or job.array_task_string)


async def nodes(request: Request) -> Response:
    return await _whole_list(
        request,
        "nodes",
        Resource.NODES,
        "nodes",
        lambda version, items: version.nodes(items, request.app.state.backend.info),
        lambda backend, principal: backend.list_nodes(principal),
    )


async def partitions(request: Request) -> Response:
    return await _whole_list(
        request,
        "partitions",
        Resource.PARTITIONS,
        "partitions",
        lambda version, items: version.partitions(items, request.app.state.backend.info),
        lambda backend, principal: backend.list_partitions(principal),
    )


async def reservations(request: Request) -> Response:
    return await _whole_list(
        request,
        "reservations",
        Resource.RESERVATIONS,
        "reservations",
        lambda version, items: version.reservations(items, request.app.state.backend.info),
        lambda backend, principal: backend.list_reservations(principal),
    )


async def licenses(request: Request) -> Response:
    return await _whole_list(
        request,
        "licenses",
        Resource.LICENSES,
        "",
        lambda version, items: version.licenses(items, request.app.state.backend.info),
        lambda backend, principal: backend.list_licenses(principal),
    )


async def node(request: Request) -> Response:
    name = request.path_params["node_name"]
    return await _one(request, "node", Resource.NODES, "nodes", name)


async def partition(request: Request) -> Response:
    name = request.path_params["partition_name"]
    return await _one(request, "partition", Resource.PARTITIONS, "partitions", name)


async def reservation(request: Request) -> Response:
    name = request.path_params["reservation_name"]
    return await _one(request, "reservation", Resource.RESERVATIONS, "reservations", name)


async def _one(
    request: Request, operation: str, resource: Resource, private_kind: str, name: str
) -> Response:
    version, principal, backend = await begin(request, operation)
    mirror = _mirror(request)
    render: Callable[[list[Any]], dict[str, object]] = {
        "node": lambda items: version.nodes(items, backend.info),
        "partition": lambda items: version.partitions(items, backend.info),
        "reservation": lambda items: version.reservations(items, backend.info),
    }[operation]
    found = None
    table = None
    if not (await mirror.access()).restricts(private_kind, principal.user_name):
        table = await mirror.read(resource)
        found = next((item for item in table.items if item.name == name), None)
    if found is None or table is None:
        # slurmctld's own answer: its error for an unknown name, or what it shows this user.
        direct = {
            "node": backend.get_node,
            "partition": backend.get_partition,
            "reservation": backend.get_reservation,
        }[operation]
        return ok(render([await direct(principal, name)]))
    return fresh_response(request, orjson.dumps(render([found])), table.age)
