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
from slurmgate.domain import InvalidRequest
from slurmgate.domain import slurm_errno as errno
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    Association,
    AssociationAdd,
    Qos,
    User,
    UserQuery,
)

Endpoint = Callable[[Request], Awaitable[Response]]


def _reading(version: ApiVersion) -> Reading:
    return Reading(version.spec.records, {}, with_values=version.spec.warns_with_values)


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
        if legacy.is_legacy(version.name):  # 22.05's four keys; dbv0.0.38's one association
            query = legacy.associations_query(request.query_params, version.name)
            await legacy.refuse_ambiguous(operation, version.name, accounting, principal, query)
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
    known = {a.name for a in await accounting.accounts(principal, AccountQuery(names=add.accounts))}
    await accounting.add_accounts_with_associations(principal, account, add)
    fresh = [name for name in add.accounts if name not in known]
    added = [added_accounts_text(account, add, fresh, info.cluster_name)]
    return ok(
        version.answer("db_accounts_association", info, result=added, warnings=reading.warnings)
    )


async def users_association(request: Request) -> Response:
    version, principal, accounting, info = await begin_db(request, "db_users_association")
    reading = _reading(version)
    body = await json_body(request)
    add = _condition(version, body, reading)
    described = body.get("user") if isinstance(body, dict) else None
    if described is None:  # required, as the daemons read the body
        raise InvalidRequest(
            "Missing required field 'user' in dictionary",
            error_number=errno.ESLURM_DATA_PATH_NOT_FOUND,
            error="Unable to resolve path",
            source="#/user/",
        )
    user: User = build(
        described, version.spec.records["user_short"], User, "#/user/", reading,
        "user_short", name="",
    )  # fmt: skip
    known = {u.name for u in await accounting.users(principal, UserQuery(names=add.users))}
    await accounting.add_users_with_associations(principal, add, user)
    fresh = [name for name in add.users if name not in known]
    added = [added_users_text(user, add, fresh, info.cluster_name)]
    return ok(version.answer("db_users_association", info, result=added, warnings=reading.warnings))


def _settings(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"  {name:<15} = {value}\n" for name, value in pairs if value)


def added_accounts_text(
    account: Account, add: AssociationAdd, fresh: list[str], cluster: str
) -> str:
    """What slurmdbd answers an addition of accounts with (sacctmgr's words and columns): the
    accounts it made (``fresh``) and their settings, then every association."""
    parent = add.template.parent_account if add.template is not None else ""
    settings = _settings([("Description", account.description),
                          ("Organization", account.organization), ("Parent", parent)])  # fmt: skip
    made = _made("Account", fresh, settings)
    associations = "".join(
        f"  C = {where:<10.10} A = {name:<20.20}\n"
        for name in add.accounts
        for where in add.clusters or (cluster,)
    )
    return f"{made} Associations =\n{associations}"


def added_users_text(user: User, add: AssociationAdd, fresh: list[str], cluster: str) -> str:
    """What slurmdbd answers an addition of users with their associations."""
    default = add.default_account or user.default_account or add.accounts[0]
    made = _made("User", fresh, _settings([("Default Account", default)]))
    associations = "".join(
        f"  C = {where:<10.10} A = {account:<20.20} U = {name:<9}"
        + (f" P = {partition}" if partition else "")
        + "\n"
        for name in add.users
        for account in add.accounts
        for where in add.clusters or (cluster,)
        for partition in add.partitions or ("",)
    )
    return f"{made} Associations =\n{associations}"


def _made(kind: str, names: list[str], settings: str) -> str:
    if not names:
        return ""
    listed = "".join(f"  {name}\n" for name in names)
    return f" Adding {kind}(s)\n{listed} Settings\n{settings}"


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
