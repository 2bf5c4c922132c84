"""slurmrestd's slurmdbd plugin: /slurmdb/{version}/ reads.

Every call goes through the shared accounting answers (``app.state.accounting``: one call to
the accounting daemon for many identical pollers) as the requesting user, who sees what the
daemon's PrivateData lets them see. A version answers the db_* operations its tables map
(``versions.SLURMDB``); an unknown record (job, account, user, QOS, cluster, wckey) answers 404
with its empty list, where the daemons answer 200 and a warning.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api import slurmdb_legacy_queries as legacy
from slurmgate.api.endpoints import job_id, touched
from slurmgate.api.requests import authenticated
from slurmgate.api.slurmdb_queries import (
    accounts_query,
    associations_query,
    clusters_query,
    instances_query,
    jobs_query,
    qos_query,
    users_query,
    wckeys_query,
)
from slurmgate.api.slurmdb_render import SharedRenders
from slurmgate.api.versions import SLURMDB, ApiVersion
from slurmgate.backends.base import AccountingSource, ClusterInfo
from slurmgate.domain import NotFound, NotSupported, Principal
from slurmgate.domain.associations import AccountQuery, QosQuery, UserQuery, WckeyQuery
from slurmgate.domain.dbd import ClusterQuery

#: Operations the daemons have that slurmgate answers 501 to, and the first version of each.
UNSUPPORTED: dict[str, tuple[str, str]] = {
    "db_config_set": ("v0.0.40", "Loading a whole accounting configuration"),
    "db_tres_set": ("v0.0.40", "Updating TRES is not currently supported"),
    "db_clusters_set": ("v0.0.40", "Adding clusters"),
    "db_cluster_delete": ("v0.0.40", "Removing clusters"),
    "db_wckeys_set": ("v0.0.40", "Adding wckeys"),
    "db_wckey_delete": ("v0.0.40", "Removing wckeys"),
    "db_jobs_update": ("v0.0.44", "Changing accounting records of jobs"),
    "db_job_update": ("v0.0.44", "Changing accounting records of jobs"),
    "db_conf": ("v0.0.45", "Dumping slurmdbd's configuration"),
}


def slurmdb_version(request: Request, operation: str) -> ApiVersion | NotSupported:
    """The version answering /slurmdb/{version}/ for ``operation``; 404 where it has none, and
    the 501 to answer (once the caller is known) for what a version's daemon does and
    slurmgate does not."""
    version = SLURMDB.get(request.path_params["version"])
    if version is not None and operation in version.operations():
        return version
    since = UNSUPPORTED.get(operation)
    if version is not None and since is not None and version.spec.request_style != "sbatch":
        if version.name >= since[0]:
            return NotSupported(f"{since[1]} is not supported by slurmgate", source=operation)
    raise NotFound(
        f"Unable to find path {request.url.path}",
        source=f"{request.method} {request.url.path}",
    )


async def begin_db(
    request: Request, operation: str
) -> tuple[ApiVersion, Principal, AccountingSource, ClusterInfo]:
    version = slurmdb_version(request, operation)
    # As slurmrestd: a bad token is refused before anything is said of the operation.
    principal = await authenticated(request, operation)
    if isinstance(version, NotSupported):
        raise version
    return version, principal, request.app.state.accounting, request.app.state.backend.info


#: Lists longer than this are rendered in a thread, once for every caller who got them.
LONG = 200


async def rendered(
    request: Request, version: ApiVersion, operation: str, info: ClusterInfo, **fields: Any
) -> Response:
    """The answer as JSON; a long list rendered once for all who got it (slurmdb_render.py)."""
    items = fields.get("items", ())

    def render() -> bytes:
        return orjson.dumps(version.answer(operation, info, **fields))

    if len(items) <= LONG or fields.get("warnings"):
        return Response(render(), media_type="application/json")
    body = await _renders(request).get(version.name, operation, items, render)
    return Response(body, media_type="application/json")


def _renders(request: Request) -> SharedRenders:
    state = request.app.state
    found: SharedRenders | None = getattr(state, "slurmdb_renders", None)
    if found is None:
        found = state.slurmdb_renders = SharedRenders(state.settings.mirror.cache_bytes)
    return found


def _found(items: list[Any], what: str, name: str) -> list[Any]:
    if not items:
        raise NotFound(f"{what} {name} not found", source=what)
    return items


Read = Callable[[Request], Awaitable[Response]]
#: No query at all: everything.
_NONE = QueryParams()


def _listing(
    operation: str,
    fetch: Callable[[AccountingSource, Principal, Request], Awaitable[list[Any]]],
    one: str = "",
) -> Read:
    """An endpoint listing what ``fetch`` returns; with ``one`` (what a path names: "account
    name"), one record that must exist."""

    async def endpoint(request: Request) -> Response:
        version, principal, accounting, info = await begin_db(request, operation)
        if legacy.is_legacy(version.name):  # dbv0.0.36-dbv0.0.38 read their queries as 22.05
            items = await legacy.listed(operation, version.name, accounting, principal, request)
        else:
            items = await fetch(accounting, principal, request)
        if one:
            _found(items, one, _named(request))
        return await rendered(request, version, operation, info, items=items)

    return endpoint


def _named(request: Request) -> str:
    return str(next(iter(v for k, v in request.path_params.items() if k != "version")))


async def jobs(request: Request) -> Response:
    version, principal, accounting, info = await begin_db(request, "db_jobs")
    read = legacy.jobs_query if legacy.is_legacy(version.name) else jobs_query
    found = await accounting.accounting_jobs(principal, read(request.query_params))
    return await rendered(request, version, "db_jobs", info, items=found)


async def job(request: Request) -> Response:
    version, principal, accounting, info = await begin_db(request, "db_job")
    number = job_id(request)
    touched(request, number)
    found = await accounting.accounting_job(principal, str(number))
    return await rendered(request, version, "db_job", info, items=found)


async def diag(request: Request) -> Response:
    version, principal, accounting, info = await begin_db(request, "db_diag")
    stats = await accounting.dbd_stats(principal)
    return await rendered(request, version, "db_diag", info, result=stats)


async def ping(request: Request) -> Response:
    version, principal, accounting, info = await begin_db(request, "db_ping")
    return await rendered(
        request, version, "db_ping", info, items=await accounting.dbd_ping(principal)
    )


async def config(request: Request) -> Response:
    """Every list at once, as sacctmgr dump would need it."""
    version, principal, accounting, info = await begin_db(request, "db_config")
    if legacy.is_legacy(version.name):  # 22.05's plugins: each list as its own listing
        found = await legacy.config_lists(version.name, accounting, principal)
        return await rendered(request, version, "db_config", info, extra=found)
    with_instances = "instances" in version.spec.records[version.spec.responses["db_config"]].names
    lists: dict[str, Any] = {
        "clusters": await accounting.clusters(principal, ClusterQuery()),
        "tres": await accounting.tres(principal),
        "accounts": await accounting.accounts(principal, AccountQuery()),
        "users": await accounting.users(principal, UserQuery()),
        "qos": await accounting.qos(principal, QosQuery()),
        "associations": await accounting.associations(principal, associations_query(_NONE)),
        "wckeys": await _optional(accounting.wckeys(principal, WckeyQuery())),
        "instances": (
            await _optional(accounting.instances(principal, instances_query(_NONE)))
            if with_instances
            else []
        ),
    }
    return await rendered(request, version, "db_config", info, extra=lists)


async def _optional(call: Awaitable[list[Any]]) -> list[Any]:
    """What a backend that does not track it (wckeys, instances) has: nothing."""
    try:
        return await call
    except NotSupported:
        return []


accounts = _listing("db_accounts", lambda a, p, r: a.accounts(p, accounts_query(r.query_params)))
account = _listing(
    "db_account",
    lambda a, p, r: a.accounts(p, accounts_query(r.query_params, r.path_params["account_name"])),
    "account",
)
users = _listing("db_users", lambda a, p, r: a.users(p, users_query(r.query_params)))
user = _listing(
    "db_user", lambda a, p, r: a.users(p, users_query(r.query_params, r.path_params["name"])),
    "user",
)  # fmt: skip
associations = _listing(
    "db_associations", lambda a, p, r: a.associations(p, associations_query(r.query_params))
)
association = _listing(
    "db_association", lambda a, p, r: a.associations(p, associations_query(r.query_params))
)
qos = _listing("db_qos", lambda a, p, r: a.qos(p, qos_query(r.query_params)))
qos_one = _listing(
    "db_qos_one", lambda a, p, r: a.qos(p, qos_query(r.query_params, r.path_params["qos"])),
    "qos",
)  # fmt: skip
tres = _listing("db_tres", lambda a, p, r: a.tres(p))
clusters = _listing("db_clusters", lambda a, p, r: a.clusters(p, clusters_query(r.query_params)))
cluster = _listing(
    "db_cluster",
    lambda a, p, r: a.clusters(p, clusters_query(r.query_params, r.path_params["cluster_name"])),
    "cluster",
)
wckeys = _listing("db_wckeys", lambda a, p, r: a.wckeys(p, wckeys_query(r.query_params)))
wckey = _listing(
    "db_wckey", lambda a, p, r: a.wckeys(p, wckeys_query(r.query_params, r.path_params["id"])),
    "wckey",
)  # fmt: skip
instances = _listing(
    "db_instances", lambda a, p, r: a.instances(p, instances_query(r.query_params))
)
instance = _listing("db_instance", lambda a, p, r: a.instances(p, instances_query(r.query_params)))


def unsupported(operation: str) -> Read:
    async def endpoint(request: Request) -> Response:
        await begin_db(request, operation)  # 404 or 501, as the version has it
        raise NotSupported(f"{operation} is not supported by slurmgate")  # pragma: no cover

    return endpoint
