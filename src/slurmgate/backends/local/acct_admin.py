"""Changes to the embedded cluster's accounts, users and QOS, by slurmdbd's rules.

Who may is ``acct_rules.Permissions``'; associations change in ``acct_assoc_admin``. A user in
use by pending or running jobs cannot be removed (ESLURM_JOBS_RUNNING_ON_ASSOC), nor an
account that is a user's default (ESLURM_NO_REMOVE_DEFAULT_ACCOUNT), nor a default QOS
(ESLURM_NO_REMOVE_DEFAULT_QOS). Each change returns what it did in Slurm's words and leaves the
keys of the records it changed in ``changed``, for the caller to store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

from slurmgate.backends.local.acct_assoc_admin import AssociationAdmin
from slurmgate.backends.local.acct_book import (
    DELETED,
    ROOT,
    AccountingBook,
    EntityKey,
    deleted,
    invalid_account,
)
from slurmgate.backends.local.acct_rules import (
    ACCOUNT_NAME,
    USER_NAME,
    Permissions,
    check_name,
    live_qos,
    merge_limits,
    nothing,
)
from slurmgate.domain import Conflict, InvalidRequest, PermissionDenied, Principal
from slurmgate.domain.associations import (
    Account,
    AdminLevel,
    Association,
    AssociationAdd,
    AssociationQuery,
    Coordinator,
    Qos,
    User,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_NO_REMOVE_DEFAULT_ACCOUNT,
    ESLURM_NO_REMOVE_DEFAULT_QOS,
)


class Admin:
    def __init__(
        self,
        book: AccountingBook,
        *,
        is_admin: Callable[[Principal], bool],
        in_use: Callable[[list[Association]], bool],
    ) -> None:
        self.book = book
        self.changed: set[EntityKey] = set()
        self.permissions = Permissions(book, is_admin)
        self.associations = AssociationAdmin(book, self.permissions, self.changed, in_use)

    def set_associations(self, principal: Principal, assocs: list[Association]) -> list[str]:
        return self.associations.set_associations(principal, assocs)

    def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        return self.associations.remove_associations(principal, query)

    # -- accounts -------------------------------------------------------------------------

    def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        self.permissions.require(principal, AdminLevel.OPERATOR, "add or change accounts")
        done = []
        for account in accounts:
            name = check_name(account.name, ACCOUNT_NAME, "account")
            old = self.book.accounts.get(name)
            if old is None or deleted(old):
                new = Account(name, account.description, account.organization)
                done.append(f"added account {name}")
            else:
                new = dataclasses.replace(
                    old,
                    description=account.description or old.description,
                    organization=account.organization or old.organization,
                )
                if new == old:
                    continue
                done.append(f"changed account {name}")
            self.book.accounts[name] = new
            self.changed.add(("account", name))
        return done

    def add_accounts_with_associations(
        self, principal: Principal, account: Account, add: AssociationAdd
    ) -> list[str]:
        template = add.template or Association(ROOT)
        parent = template.parent_account or ROOT
        if self.book.find(parent) is None:
            raise invalid_account(f"Parent account {parent!r} has no association")
        done = self.add_accounts(
            principal, [dataclasses.replace(account, name=n) for n in add.accounts]
        )
        assocs = [
            dataclasses.replace(
                template,
                account=name,
                cluster=cluster,
                user="",
                partition="",
                parent_account=parent,
            )
            for name in add.accounts
            for cluster in add.clusters or (self.book.cluster,)
        ]
        return done + self.set_associations(principal, assocs)

    def remove_account(self, principal: Principal, name: str) -> list[str]:
        self.permissions.require(principal, AdminLevel.OPERATOR, "remove accounts")
        account = self.book.accounts.get(name)
        if account is None or deleted(account):
            raise nothing(f"account {name!r}")
        if name == ROOT:
            raise PermissionDenied(
                "The root account cannot be removed", error_number=ESLURM_ACCESS_DENIED
            )
        below = self.book.descendants(name)
        chosen = [a for a in self.book.live_associations() if a.account in below]
        self.associations.check_removable(chosen)
        defaults = sorted(
            u.name
            for u in self.book.users.values()
            if not deleted(u) and u.default_account in below and u.name != ROOT
        )
        if defaults:
            raise Conflict(
                f"Account {name!r} is the default account of {', '.join(defaults)}",
                error_number=ESLURM_NO_REMOVE_DEFAULT_ACCOUNT,
                error="Can not remove the default account of a user",
            )
        self.associations.delete(chosen)
        self.book.accounts[name] = dataclasses.replace(account, flags=(DELETED,))
        self.changed.add(("account", name))
        return [name]

    # -- users ----------------------------------------------------------------------------

    def add_users(self, principal: Principal, users: list[User]) -> list[str]:
        self.permissions.require(principal, AdminLevel.OPERATOR, "add or change users")
        done = []
        for user in users:
            name = check_name(user.name, USER_NAME, "user")
            if user.admin_level not in (None, AdminLevel.NOT_SET):
                self.permissions.require(principal, AdminLevel.ADMINISTRATOR, "set an AdminLevel")
            old = self.book.users.get(name)
            if old is None or deleted(old):
                old = User(name, AdminLevel.NONE)
                verb = "added"
            else:
                verb = "changed"
            new = dataclasses.replace(
                old,
                admin_level=user.admin_level
                if user.admin_level not in (None, AdminLevel.NOT_SET)
                else old.admin_level,
                default_wckey=user.default_wckey or old.default_wckey,
                flags=(),
            )
            if user.default_account:
                new = self._default_account(new, user.default_account, create=verb == "added")
            for coordinated in user.coordinators:
                if coordinated.name not in {
                    n for n, a in self.book.accounts.items() if not deleted(a)
                }:
                    raise invalid_account(f"No account {coordinated.name!r} to coordinate")
                if coordinated.name not in {c.name for c in new.coordinators}:
                    new = dataclasses.replace(
                        new, coordinators=(*new.coordinators, Coordinator(coordinated.name))
                    )
            if new != self.book.users.get(name):
                self.book.users[name] = new
                self.changed.add(("user", name))
                done.append(f"{verb} user {name}")
        return done

    def _default_account(self, user: User, account: str, *, create: bool) -> User:
        if self.book.find(account, user.name) is None:
            if not create:
                raise invalid_account(
                    f"User {user.name!r} has no association with account {account!r} to make "
                    "it the default"
                )
            if self.book.find(account) is None:
                raise invalid_account(f"Account {account!r} has no association")
            self.associations.add(Association(account, self.book.cluster, user=user.name))
        return dataclasses.replace(user, default_account=account)

    def add_users_with_associations(
        self, principal: Principal, add: AssociationAdd, user: User | None
    ) -> list[str]:
        if not add.users or not add.accounts:
            raise InvalidRequest("Users and accounts are needed to add associations")
        for account in add.accounts:
            self.permissions.require_for(principal, account, "add users to accounts")
        template = user or User("")
        default = add.default_account or add.accounts[0]
        done = []
        for name in add.users:
            existing = self.book.users.get(name)
            if existing is None or deleted(existing):
                done += self.add_users(principal, [dataclasses.replace(template, name=name)])
                self.book.users[name] = dataclasses.replace(
                    self.book.users[name], default_account=default
                )
        assocs = [
            dataclasses.replace(
                add.template or Association(account),
                account=account,
                cluster=cluster,
                user=name,
                partition=partition,
                parent_account="",
            )
            for name in add.users
            for account in add.accounts
            for cluster in add.clusters or (self.book.cluster,)
            for partition in add.partitions or ("",)
        ]
        return done + self.set_associations(principal, assocs)

    def remove_user(self, principal: Principal, name: str) -> list[str]:
        self.permissions.require(principal, AdminLevel.OPERATOR, "remove users")
        user = self.book.users.get(name)
        if user is None or deleted(user):
            raise nothing(f"user {name!r}")
        chosen = [a for a in self.book.live_associations() if a.user == name]
        self.associations.check_removable(chosen)
        self.associations.delete(chosen)
        self.book.users[name] = dataclasses.replace(user, flags=(DELETED,), coordinators=())
        self.changed.add(("user", name))
        return [name]

    # -- QOS ------------------------------------------------------------------------------

    def set_qos(self, principal: Principal, entries: list[Qos]) -> list[str]:
        self.permissions.require(principal, AdminLevel.ADMINISTRATOR, "add or change QOS")
        done = []
        for entry in entries:
            name = check_name(entry.name, ACCOUNT_NAME, "qos")
            for other in entry.preempt or ():
                if other != name:
                    live_qos(self.book, other)
            old = self.book.qos.get(name)
            if old is None or deleted(old):
                old = Qos(name, id=old.id if old is not None else self.book.next_qos_id())
                verb = "added"
            else:
                verb = "changed"
            new = dataclasses.replace(
                old,
                description=_pick(entry.description, old.description),
                flags=_pick(entry.flags, old.flags if verb == "changed" else ()),
                priority=_pick(entry.priority, old.priority),
                usage_factor=_pick(entry.usage_factor, old.usage_factor),
                usage_threshold=_pick(entry.usage_threshold, old.usage_threshold),
                preempt=_pick(entry.preempt, old.preempt),
                preempt_mode=_pick(entry.preempt_mode, old.preempt_mode),
                preempt_exempt_time=_pick(entry.preempt_exempt_time, old.preempt_exempt_time),
                limits=merge_limits(old.limits, entry.limits),
            )
            if new != self.book.qos.get(name):
                self.book.qos[name] = new
                self.changed.add(("qos", name))
                done.append(f"{verb} qos {name}")
        return done

    def remove_qos(self, principal: Principal, name: str, default_qos: str) -> list[str]:
        self.permissions.require(principal, AdminLevel.ADMINISTRATOR, "remove QOS")
        entry = self.book.qos.get(name)
        if entry is None or deleted(entry):
            raise nothing(f"QOS {name!r}")
        if name == default_qos or any(a.default_qos == name for a in self.book.live_associations()):
            raise Conflict(
                f"QOS {name!r} is a default QOS",
                error_number=ESLURM_NO_REMOVE_DEFAULT_QOS,
                error="Can not remove a default qos",
            )
        for assoc in list(self.book.live_associations()):
            if assoc.qos and name in assoc.qos:
                kept = tuple(q for q in assoc.qos if q != name)
                self.book.associations[assoc.id] = dataclasses.replace(assoc, qos=kept or None)
                self.changed.add(("association", str(assoc.id)))
        self.book.qos[name] = dataclasses.replace(entry, flags=(DELETED,))
        self.changed.add(("qos", name))
        return [name]


T = TypeVar("T")


def _pick(new: T | None, old: T | None) -> T | None:
    return old if new is None else new
