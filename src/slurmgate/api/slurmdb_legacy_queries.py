"""What dbv0.0.36-dbv0.0.38 (slurmrestd 22.05's slurmdb plugins) read: their query strings
into the accounting model's queries, the lists their bodies carry, and the records each read
fetches (``listed``, ``config_lists``).

Those plugins list accounts and users with their associations and coordinators always, and
deleted ones too in dbv0.0.36/37 (dbv0.0.38 only with ``with_deleted``); dbv0.0.36/37 name an
association's QOS by id; they refuse a job filter they do not know. Values read as the later
versions' (``slurmdb_queries``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request

from slurmgate.api import slurmdb_queries as modern
from slurmgate.backends.base import AccountingSource
from slurmgate.domain import InvalidRequest, NotSupported, Principal
from slurmgate.domain import slurm_errno as errno
from slurmgate.domain.accounting import AccountingQuery
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    Association,
    AssociationQuery,
    QosQuery,
    UserQuery,
    WckeyQuery,
)
from slurmgate.domain.dbd import ClusterQuery

#: GET jobs' filters (jobs.c of the plugins); "group" is the documents' name of "groups", and
#: "users" and "accounts" slurmgate's own additions (the names /slurm/ jobs filters take).
JOB_FILTERS = frozenset(
    {
        "account",
        "accounts",
        "association",
        "cluster",
        "constraints",
        "cpus_max",
        "cpus_min",
        "disable_wait_for_result",
        "end_time",
        "exit_code",
        "format",
        "group",
        "groups",
        "job_name",
        "node",
        "nodes_max",
        "nodes_min",
        "partition",
        "qos",
        "reason",
        "reservation",
        "skip_steps",
        "start_time",
        "state",
        "step",
        "submit_time",
        "users",
        "wckey",
    }
)


_TIME = {"type": "string", "description": "Unix seconds, now[-N[unit]] or a date"}
_LIST = {"type": "string", "description": "comma-separated"}
_NUMBER = {"type": "integer"}
_FLAG = {"type": "boolean"}
#: The query parameters each read takes (for slurmgate's document).
_PARAMETERS: dict[str, dict[str, dict[str, str]]] = {
    "db_jobs": {
        **{name: _LIST for name in sorted(JOB_FILTERS)},
        **dict.fromkeys(("start_time", "end_time", "submit_time"), _TIME),
        **dict.fromkeys(("cpus_max", "cpus_min", "nodes_max", "nodes_min", "exit_code"), _NUMBER),
        **dict.fromkeys(("skip_steps", "disable_wait_for_result"), _FLAG),
    },
    **dict.fromkeys(
        ("db_association", "db_associations", "db_association_delete", "db_associations_delete"),
        {name: _LIST for name in ("cluster", "account", "user", "partition")},
    ),
}
_WITH_DELETED = ("db_accounts", "db_account", "db_users", "db_user", "db_qos", "db_qos_one")


def query_parameters(operation: str, version: str) -> list[dict[str, Any]]:
    """The query parameters of ``operation`` in ``version``, as OpenAPI parameters."""
    found = dict(_PARAMETERS.get(operation, {}))
    if version >= "dbv0.0.38" and operation in _WITH_DELETED:
        found["with_deleted"] = _FLAG
    return [
        {"name": name, "in": "query", "required": False, "schema": dict(schema)}
        for name, schema in found.items()
    ]


#: Other names of the filters, as the later versions' reading knows them.
_JOB_ALIASES = {"group": "groups", "accounts": "account"}


def _unknown(name: str) -> InvalidRequest:
    return InvalidRequest(
        "Unknown Query field",
        error_number=errno.ESLURM_REST_INVALID_QUERY,
        error="Query empty or not RFC7320 compliant",
        source=name,
    )


def _only(params: QueryParams, known: frozenset[str]) -> None:
    for name in params:
        if name.lower() not in known:
            raise _unknown(name)


def jobs_query(params: QueryParams) -> AccountingQuery:
    """A query names jobs as sacct does; none at all lists every record the daemon keeps."""
    _only(params, JOB_FILTERS)
    if not params:
        return AccountingQuery(start_time=0, window_is_submit_time=True)
    return modern.jobs_query(
        QueryParams([(_JOB_ALIASES.get(k, k), v) for k, v in params.multi_items()])
    )


def _with_deleted(params: QueryParams, version: str) -> bool:
    """dbv0.0.36/37 always list deleted records; dbv0.0.38 when asked."""
    if version < "dbv0.0.38":
        return True
    _only(params, frozenset({"with_deleted"}))
    return modern.Query(params).flag("with_deleted")


def accounts_query(params: QueryParams, version: str, name: str | None = None) -> AccountQuery:
    return AccountQuery(
        names=(name,) if name is not None else (),
        with_associations=True,
        with_coordinators=True,
        with_deleted=_with_deleted(params, version),
    )


def users_query(params: QueryParams, version: str, name: str | None = None) -> UserQuery:
    return UserQuery(
        names=(name,) if name is not None else (),
        with_associations=True,
        with_coordinators=True,
        with_wckeys=True,
        with_deleted=_with_deleted(params, version),
    )


def qos_query(params: QueryParams, version: str, name: str | None = None) -> QosQuery:
    deleted = _with_deleted(params, version) if version >= "dbv0.0.38" else False
    return QosQuery(names=(name,) if name is not None else (), with_deleted=deleted)


def associations_query(
    params: QueryParams, version: str = "dbv0.0.38", listing: bool = False
) -> AssociationQuery:
    """cluster, account, user and partition, the only keys the plugins read; the listing of
    dbv0.0.36/37 (GET associations) has the deleted ones too."""
    q = modern.Query(params)
    return AssociationQuery(
        accounts=q.names("account"),
        users=q.names("user"),
        partitions=q.names("partition"),
        clusters=q.names("cluster"),
        with_deleted=listing and version < "dbv0.0.38",
    )


async def _with_qos_ids(
    associations: list[Association], accounting: AccountingSource, principal: Principal
) -> list[Association]:
    """dbv0.0.36/37 print an association's QOS by id (as text), as slurmdbd keeps them."""
    ids = {q.name: str(q.id) for q in await accounting.qos(principal, QosQuery(with_deleted=True))}
    return [replace(a, qos=tuple(ids.get(n, n) for n in a.qos or ())) for a in associations]


def wckeys_query(name: str | None = None) -> WckeyQuery:
    return WckeyQuery(names=(name,) if name is not None else (), with_deleted=True)


def clusters_query(name: str | None = None) -> ClusterQuery:
    return ClusterQuery(names=(name,) if name is not None else (), with_deleted=True)


#: The list each change's body carries, and the record of its items.
BODIES: dict[str, tuple[str, str]] = {
    "db_accounts_set": ("accounts", "account"),
    "db_users_set": ("users", "user"),
    "db_associations_set": ("associations", "association"),
    "db_qos_set": ("QOS", "qos"),
}


def completed(items: list[Any]) -> list[Any]:
    """An account given without organization or description takes its name for them, as the
    plugins (and sacctmgr) do."""
    return [
        replace(item, description=item.description or item.name,
                organization=item.organization or item.name)
        if isinstance(item, Account) else item
        for item in items
    ]  # fmt: skip


async def refuse_ambiguous(
    operation: str,
    version: str,
    accounting: AccountingSource,
    principal: Principal,
    query: AssociationQuery,
) -> None:
    """dbv0.0.38's DELETE association removes one association: a query choosing more is
    refused, and nothing removed."""
    if operation != "db_association_delete" or version < "dbv0.0.38":
        return
    if len(await accounting.associations(principal, query)) > 1:
        raise InvalidRequest(
            "ambiguous request: More than 1 association would have been deleted.",
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            error="Query empty or not RFC7320 compliant",
            source="association",
        )


def is_legacy(version: str) -> bool:
    """Whether ``version`` (a VersionSpec's name) is one of slurmrestd 22.05's slurmdb plugins."""
    return version.startswith("dbv")


async def listed(
    operation: str,
    version: str,
    accounting: AccountingSource,
    principal: Principal,
    request: Request,
) -> list[Any]:
    """The records a legacy listing of ``operation`` prints (one, for a path naming it)."""
    params = request.query_params
    named = [v for k, v in request.path_params.items() if k != "version"]
    name = str(named[0]) if named else None
    if operation in ("db_accounts", "db_account"):
        return await accounting.accounts(principal, accounts_query(params, version, name))
    if operation in ("db_users", "db_user"):
        return await accounting.users(principal, users_query(params, version, name))
    if operation in ("db_associations", "db_association"):
        query = associations_query(params, version, listing=operation == "db_associations")
        found = await accounting.associations(principal, query)
        return (
            found if version >= "dbv0.0.38" else await _with_qos_ids(found, accounting, principal)
        )
    if operation in ("db_qos", "db_qos_one"):
        return await accounting.qos(principal, qos_query(params, version, name))
    if operation in ("db_wckeys", "db_wckey"):
        return await accounting.wckeys(principal, wckeys_query(name))
    if operation in ("db_clusters", "db_cluster"):
        return await accounting.clusters(principal, clusters_query(name))
    if operation == "db_tres":
        return await accounting.tres(principal)
    raise KeyError(operation)


async def config_lists(
    version: str, accounting: AccountingSource, principal: Principal
) -> dict[str, Any]:
    """GET config: every list as its own listing prints it (wckeys empty where the backend
    tracks none)."""
    none = QueryParams()
    associations = await accounting.associations(
        principal, associations_query(none, version, listing=True)
    )
    if version < "dbv0.0.38":
        associations = await _with_qos_ids(associations, accounting, principal)
    try:
        wckeys = await accounting.wckeys(principal, wckeys_query())
    except NotSupported:
        wckeys = []
    return {
        "clusters": await accounting.clusters(principal, clusters_query()),
        "tres": await accounting.tres(principal),
        "accounts": await accounting.accounts(principal, accounts_query(none, version)),
        "users": await accounting.users(principal, users_query(none, version)),
        "qos": await accounting.qos(principal, qos_query(none, version)),
        "wckeys": wckeys,
        "associations": associations,
    }
