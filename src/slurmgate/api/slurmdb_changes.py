"""slurmrestd's slurmdbd plugin: /slurmdb/{version}/ changes (accounts, users, associations,
QOS added, changed and removed), as the requesting user.

Bodies are read through the version's records (versions/requests_db.py); keys slurmgate does
not act on are accepted with a warning. Who may change what is the accounting daemon's rule
(the backend's): a refusal is 403, something in use 409. Each change forgets the shared
accounting answers, so the next read shows it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api import slurmdb_legacy_queries as legacy
from slurmgate.api.endpoints import ok
from slurmgate.api.requests import json_body
from slurmgate.api.slurmdb import begin_db
from slurmgate.api.slurmdb_queries import associations_query
from slurmgate.api.versions import ApiVersion
from slurmgate.api.versions.requests_db import build
from slurmgate.api.versions.requests_values import Reading, conversion_error, shown
from slurmgate.domain.associations import Account, Association, AssociationAdd, Qos, User

Endpoint = Callable[[Request], Awaitable[Response]]


def _reading(version: ApiVersion) -> Reading:
    return Reading(dict(version.spec.records), {}, with_values=version.spec.warns_with_values)


def _listed(
    version: ApiVersion, body: object, key: str, record: str, model: type, reading: Reading
) -> list[Any]:
    """The records of ``body[key]`` (the list a POST carries, as its GET answers it)."""
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise conversion_error(f"#/{key}/", f"Expected an array {key} but got {shown(body)}")
    records = version.spec.records
    return [
        build(item, records[record], model, f"#/{key}/{i}/", reading, record)
        for i, item in enumerate(body[key])
    ]


def _setter(operation: str, key: str, record: str, model: type, method: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        version, principal, accounting, info = await begin_db(request, operation)
        reading = _reading(version)
        body = await json_body(request)
        if legacy.is_legacy(version.name):  # dbv0.0.36-dbv0.0.38 list them as they print them
            listed, item = legacy.BODIES[operation]
            items = legacy.completed(_listed(version, body, listed, item, model, reading))
        else:
            items = _listed(version, body, key, record, model, reading)
        await getattr(accounting, method)(principal, items)
        return ok(version.answer(operation, info, warnings=reading.warnings))

    return endpoint


def _remover(operation: str, parameter: str, method: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        version, principal, accounting, info = await begin_db(request, operation)
        removed = await getattr(accounting, method)(principal, request.path_params[parameter])
        return ok(version.answer(operation, info, result=removed))

    return endpoint


def _associations_remover(operation: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        version, principal, accounting, info = await begin_db(request, operation)
        query = associations_query(request.query_params)
        removed = await accounting.remove_associations(principal, query)
        return ok(version.answer(operation, info, result=removed))

    return endpoint


def _condition(version: ApiVersion, body: object, reading: Reading) -> AssociationAdd:
    if not isinstance(body, dict) or not isinstance(body.get("association_condition"), dict):
        raise conversion_error(
            "#/association_condition/", "Expected an object association_condition"
        )
    record = "users_add_cond" if "users" in body["association_condition"] else "accounts_add_cond"
    records = version.spec.records
    condition = body["association_condition"]
    template = condition.get("association")
    add: AssociationAdd = build(
        {k: v for k, v in condition.items() if k != "association"},
        records[record],
        AssociationAdd,
        "#/association_condition/",
        reading,
        record,
        accounts=(),
    )
    if isinstance(template, dict):
        association = build(
            template, records["assoc_rec_set"], Association,
            "#/association_condition/association/", reading, "assoc_rec_set",
            nested="limits", account="",
        )  # fmt: skip
        add = AssociationAdd(
            add.accounts, add.users, add.clusters, add.partitions, add.wckeys,
            add.default_account, association,
        )  # fmt: skip
    return add


async def accounts_association(request: Request) -> Response:
    version, principal, accounting, info = await begin_db(request, "db_accounts_association")
    reading = _reading(version)
    body = await json_body(request)
    add = _condition(version, body, reading)
    described = body.get("account") if isinstance(body, dict) else None
    account = Account("")
    if described is not None:
        account = build(
            described, version.spec.records["account_short"], Account, "#/account/", reading,
            "account_short", name="",
        )  # fmt: skip
    added = await accounting.add_accounts_with_associations(principal, account, add)
    return ok(
        version.answer("db_accounts_association", info, result=added, warnings=reading.warnings)
    )


async def users_association(request: Request) -> Response:
    version, principal, accounting, info = await begin_db(request, "db_users_association")
    reading = _reading(version)
    body = await json_body(request)
    add = _condition(version, body, reading)
    described = body.get("user") if isinstance(body, dict) else None
    user = None
    if described is not None:
        user = build(
            described, version.spec.records["user_short"], User, "#/user/", reading,
            "user_short", name="",
        )  # fmt: skip
    added = await accounting.add_users_with_associations(principal, add, user)
    return ok(version.answer("db_users_association", info, result=added, warnings=reading.warnings))


CHANGES: dict[str, Endpoint] = {
    "db_accounts_set": _setter("db_accounts_set", "accounts", "account", Account, "add_accounts"),
    "db_users_set": _setter("db_users_set", "users", "user", User, "add_users"),
    "db_associations_set": _setter(
        "db_associations_set", "associations", "assoc", Association, "set_associations"
    ),
    "db_qos_set": _setter("db_qos_set", "qos", "qos", Qos, "set_qos"),
    "db_account_delete": _remover("db_account_delete", "account_name", "remove_account"),
    "db_user_delete": _remover("db_user_delete", "name", "remove_user"),
    "db_qos_delete": _remover("db_qos_delete", "qos", "remove_qos"),
    "db_associations_delete": _associations_remover("db_associations_delete"),
    "db_association_delete": _associations_remover("db_association_delete"),
    "db_accounts_association": accounts_association,
    "db_users_association": users_association,
}
