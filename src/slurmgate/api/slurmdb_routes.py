"""The URL space of slurmrestd's slurmdbd plugin: /slurmdb/{version}/...

Each path's methods are operations (``db_*``) that a version serves when its tables map them to
a record (``VersionSpec.responses``): v0.0.40 and later map theirs in v0040.py and on; a legacy
slurmdb plugin (dbv0.0.36-dbv0.0.38) registers its own VersionSpec in
``versions.SLURMDB_SPECS``. Elsewhere the path answers 404, or 501 where the daemon has the
operation and slurmgate does not (slurmdb.UNSUPPORTED).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slurmgate.api import slurmdb
from slurmgate.api.slurmdb_changes import CHANGES

Endpoint = Callable[[Request], Awaitable[Response]]


def _methods(**endpoints: Endpoint) -> tuple[Endpoint, list[str]]:
    async def endpoint(request: Request) -> Response:
        return await endpoints[request.method.lower()](request)

    return endpoint, [m.upper() for m in endpoints]


def _no(operation: str) -> Endpoint:
    return slurmdb.unsupported(operation)


def slurmdb_routes() -> list[BaseRoute]:
    def change(operation: str) -> Endpoint:
        return CHANGES.get(operation, _no(operation))

    table: dict[str, tuple[Endpoint, list[str]]] = {
        "diag": _methods(get=slurmdb.diag),
        "ping": _methods(get=slurmdb.ping),
        "jobs": _methods(get=slurmdb.jobs, post=_no("db_jobs_update")),
        "job/{job_id}": _methods(get=slurmdb.job, post=_no("db_job_update")),
        "config": _methods(get=slurmdb.config, post=_no("db_config_set")),
        "conf": _methods(get=_no("db_conf")),
        "tres": _methods(get=slurmdb.tres, post=_no("db_tres_set")),
        "qos": _methods(get=slurmdb.qos, post=change("db_qos_set")),
        "qos/{qos}": _methods(get=slurmdb.qos_one, delete=change("db_qos_delete")),
        "associations": _methods(
            get=slurmdb.associations,
            post=change("db_associations_set"),
            delete=change("db_associations_delete"),
        ),
        "association": _methods(get=slurmdb.association, delete=change("db_association_delete")),
        "instances": _methods(get=slurmdb.instances),
        "instance": _methods(get=slurmdb.instance),
        "users": _methods(get=slurmdb.users, post=change("db_users_set")),
        "user/{name}": _methods(get=slurmdb.user, delete=change("db_user_delete")),
        "users_association": _methods(post=change("db_users_association")),
        "clusters": _methods(get=slurmdb.clusters, post=_no("db_clusters_set")),
        "cluster/{cluster_name}": _methods(get=slurmdb.cluster, delete=_no("db_cluster_delete")),
        "wckeys": _methods(get=slurmdb.wckeys, post=_no("db_wckeys_set")),
        "wckey/{id}": _methods(get=slurmdb.wckey, delete=_no("db_wckey_delete")),
        "accounts": _methods(get=slurmdb.accounts, post=change("db_accounts_set")),
        "account/{account_name}": _methods(get=slurmdb.account, delete=change("db_account_delete")),
        "accounts_association": _methods(post=change("db_accounts_association")),
    }
    found: list[BaseRoute] = []
    for path, (endpoint, methods) in table.items():
        # Documented with and without a trailing slash: both answer.
        found.append(Route(f"/slurmdb/{{version}}/{path}", endpoint, methods=methods))
        found.append(Route(f"/slurmdb/{{version}}/{path}/", endpoint, methods=methods))
    return found
