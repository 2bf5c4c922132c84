"""Changes to slurmdbd's accounts and users, as sacctmgr makes them.

Each record given is added when slurmdbd has none of that name and changed otherwise, with
only the fields given; slurmdbd checks who may (AdminLevel, coordinators) and refuses with its
own numbers. A call's changes are committed only when all succeeded. Associations and QOS
change in ``acct_writes_limits``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from slurmgate.backends.slurm import acct_conds
from slurmgate.backends.slurm.acct_conds import ADMIN_LEVELS
from slurmgate.backends.slurm.acct_jobs_read import Tables
from slurmgate.backends.slurm.acct_writes_common import changed, exists, removed
from slurmgate.backends.slurm.acct_writes_limits import new_association, set_associations
from slurmgate.backends.slurm.dbd import DbdCall
from slurmgate.domain import InvalidRequest
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    AdminLevel,
    Association,
    AssociationAdd,
    User,
    UserQuery,
)

# -- accounts -------------------------------------------------------------------------------


def add_accounts(dbd: DbdCall, accounts: list[Account]) -> list[str]:
    ffi, lib = dbd.ffi, dbd.lib
    new, done = [], []
    for account in accounts:
        query = acct_conds.account(dbd, AccountQuery(names=(account.name,)))
        if exists(dbd, lib.slurmdb_accounts_get, query, "slurmdb_account_rec_t", "accounts"):
            changes = dbd.keep(ffi.new("slurmdb_account_rec_t *"))
            changes.description = dbd.string(account.description or None)
            changes.organization = dbd.string(account.organization or None)
            lib.slurmgate_clear_errno()
            if changed(dbd, lib.slurmdb_accounts_modify(dbd.conn, query, changes), "modify"):
                done.append(f"changed account {account.name}")
            continue
        record = dbd.keep(ffi.new("slurmdb_account_rec_t *"))
        record.name = dbd.string(account.name)
        # sacctmgr's defaults: slurmdbd needs both.
        record.description = dbd.string(account.description or account.name)
        record.organization = dbd.string(account.organization or account.name)
        new.append(record)
        done.append(f"added account {account.name}")
    if new:
        dbd.check(lib.slurmdb_accounts_add(dbd.conn, dbd.pointers(new)), "slurmdb_accounts_add")
    dbd.commit()
    return done


def add_accounts_with_associations(
    dbd: DbdCall, tables: Tables, account: Account, add: AssociationAdd, cluster: str
) -> list[str]:
    template = add.template or Association("")
    done = add_accounts(dbd, [dataclasses.replace(account, name=n) for n in add.accounts])
    assocs = [
        dataclasses.replace(
            template,
            account=name,
            cluster=where,
            user="",
            partition="",
            parent_account=template.parent_account or "root",
        )
        for name in add.accounts
        for where in add.clusters or (cluster,)
    ]
    return done + set_associations(dbd, tables, assocs, cluster)


def remove_account(dbd: DbdCall, name: str) -> list[str]:
    cond = acct_conds.account(dbd, AccountQuery(names=(name,)))
    dbd.lib.slurmgate_clear_errno()
    result = dbd.lib.slurmdb_accounts_remove(dbd.conn, cond)
    return removed(dbd, result, "slurmdb_accounts_remove", f"account {name!r}")


# -- users ----------------------------------------------------------------------------------


def _user_record(dbd: DbdCall, user: User) -> Any:
    record = dbd.keep(dbd.ffi.new("slurmdb_user_rec_t *"))
    record.name = dbd.string(user.name)
    level = user.admin_level or AdminLevel.NOT_SET
    record.admin_level = getattr(dbd.lib, ADMIN_LEVELS[level])
    record.default_acct = dbd.string(user.default_account or None)
    record.default_wckey = dbd.string(user.default_wckey or None)
    return record


def add_users(dbd: DbdCall, cluster: str, users: list[User]) -> list[str]:
    ffi, lib = dbd.ffi, dbd.lib
    new, done = [], []
    for user in users:
        query = acct_conds.user(dbd, UserQuery(names=(user.name,)))
        record = _user_record(dbd, user)
        if exists(dbd, lib.slurmdb_users_get, query, "slurmdb_user_rec_t", "users"):
            record.name = ffi.NULL
            lib.slurmgate_clear_errno()
            if changed(dbd, lib.slurmdb_users_modify(dbd.conn, query, record), "modify"):
                done.append(f"changed user {user.name}")
        else:
            if record.admin_level == lib.SLURMDB_ADMIN_NOTSET:
                record.admin_level = lib.SLURMDB_ADMIN_NONE
            if user.default_account:  # sacctmgr's add user: its default association with it
                assoc = new_association(
                    dbd, Association(user.default_account, cluster, user=user.name), cluster
                )
                assoc.is_def = 1
                record.assoc_list = dbd.pointers([assoc])
            new.append(record)
            done.append(f"added user {user.name}")
    if new:
        dbd.check(lib.slurmdb_users_add(dbd.conn, dbd.pointers(new)), "slurmdb_users_add")
    for user in users:
        if user.coordinators:
            cond = acct_conds.user(dbd, UserQuery(names=(user.name,)))
            accounts = dbd.strings(c.name for c in user.coordinators)
            dbd.check(lib.slurmdb_coord_add(dbd.conn, accounts, cond), "slurmdb_coord_add")
            done.append(f"{user.name} coordinates {', '.join(c.name for c in user.coordinators)}")
    dbd.commit()
    return done


def add_users_with_associations(
    dbd: DbdCall, tables: Tables, add: AssociationAdd, user: User | None, cluster: str
) -> list[str]:
    if not add.users or not add.accounts:
        raise InvalidRequest("Users and accounts are needed to add associations")
    template = user or User("")
    default = add.default_account or add.accounts[0]
    lib = dbd.lib
    fresh = [
        dataclasses.replace(template, name=name, default_account=default)
        for name in add.users
        if not exists(
            dbd,
            lib.slurmdb_users_get,
            acct_conds.user(dbd, UserQuery(names=(name,))),
            "slurmdb_user_rec_t",
            "users",
        )
    ]
    done = add_users(dbd, cluster, fresh) if fresh else []
    assocs = [
        dataclasses.replace(
            add.template or Association(account),
            account=account,
            cluster=where,
            user=name,
            partition=partition,
            parent_account="",
        )
        for name in add.users
        for account in add.accounts
        for where in add.clusters or (cluster,)
        for partition in add.partitions or ("",)
    ]
    return done + set_associations(dbd, tables, assocs, cluster)


def remove_user(dbd: DbdCall, name: str) -> list[str]:
    cond = acct_conds.user(dbd, UserQuery(names=(name,)))
    dbd.lib.slurmgate_clear_errno()
    result = dbd.lib.slurmdb_users_remove(dbd.conn, cond)
    return removed(dbd, result, "slurmdb_users_remove", f"user {name!r}")
