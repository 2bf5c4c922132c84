"""Who may change the embedded cluster's accounting, and the helpers every change uses.

slurmdbd's rules: an Operator or Administrator (AdminLevel, or ``auth.admins``) may change
accounts, users and associations; a coordinator of an account the associations below it; only
an Administrator may set an AdminLevel or change QOS. Others are refused with
ESLURM_ACCESS_DENIED. In a change, None leaves a field as it is and -1 removes a limit.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TypeVar

from slurmgate.backends.local.acct_book import AccountingBook, deleted
from slurmgate.domain import InvalidRequest, NotFound, PermissionDenied, Principal
from slurmgate.domain.accounting import Tres
from slurmgate.domain.associations import (
    AdminLevel,
    Association,
    AssociationLimits,
    AssociationQuery,
    Qos,
    QosLimits,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_BAD_NAME,
    SLURM_NO_CHANGE_IN_DATA,
)

ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
USER_NAME = re.compile(r"^[^\s,:/=']+$")
L = TypeVar("L", AssociationLimits, QosLimits)


def check_name(name: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(name):
        raise InvalidRequest(
            f"Invalid {what} name {name!r}",
            error_number=ESLURM_BAD_NAME,
            error="The name requested contains invalid characters",
            source=what,
        )
    return name


def nothing(what: str) -> NotFound:
    return NotFound(
        f"Nothing to remove: no {what}",
        error_number=SLURM_NO_CHANGE_IN_DATA,
        error="Data has not changed since time specified",
    )


def merge_tres(
    old: tuple[Tres, ...] | None, new: tuple[Tres, ...] | None
) -> tuple[Tres, ...] | None:
    """``new`` over ``old`` by TRES; a count of -1 removes that TRES's limit."""
    if new is None:
        return old
    merged = {t.key: t for t in old or ()}
    for tres in new:
        if tres.count < 0:
            merged.pop(tres.key, None)
        else:
            merged[tres.key] = tres
    return tuple(merged.values()) or None


def merge_limits(old: L, new: L) -> L:
    """``new``'s given limits over ``old``'s; -1 removes one (Slurm's INFINITE)."""
    changes: dict[str, object] = {}
    for item in dataclasses.fields(new):
        value = getattr(new, item.name)
        if value is None:
            continue
        if isinstance(value, tuple):
            changes[item.name] = merge_tres(getattr(old, item.name), value)
        else:
            changes[item.name] = None if value == -1 else value
    return dataclasses.replace(old, **changes)  # type: ignore[arg-type]


def given(record: object, old: object, names: tuple[str, ...]) -> dict[str, object]:
    """The fields of ``record`` that are given (not None) among ``names``, where they differ."""
    return {
        n: getattr(record, n)
        for n in names
        if getattr(record, n) is not None and getattr(record, n) != getattr(old, n)
    }


def live_qos(book: AccountingBook, name: str) -> Qos:
    found = book.qos.get(name)
    if found is None or deleted(found):
        raise InvalidRequest(f"No QOS {name!r}", source="qos")
    return found


class Permissions:
    def __init__(self, book: AccountingBook, is_admin: Callable[[Principal], bool]) -> None:
        self.book = book
        self._is_admin = is_admin

    def level(self, principal: Principal) -> AdminLevel:
        if self._is_admin(principal):
            return AdminLevel.ADMINISTRATOR
        user = self.book.users.get(principal.user_name)
        if user is None or deleted(user) or user.admin_level is None:
            return AdminLevel.NONE
        return user.admin_level

    def coordinates(self, principal: Principal, account: str) -> bool:
        user = self.book.users.get(principal.user_name)
        if user is None or deleted(user):
            return False
        return any(account in self.book.descendants(c.name) for c in user.coordinators)

    def require(self, principal: Principal, level: AdminLevel, what: str) -> None:
        if self.level(principal).rank < level.rank:
            raise PermissionDenied(
                f"User {principal.user_name!r} may not {what}: AdminLevel {level.value} or "
                "higher is needed",
                error_number=ESLURM_ACCESS_DENIED,
                error="Access/permission denied",
                source=what,
            )

    def require_for(self, principal: Principal, account: str, what: str) -> None:
        if not self.coordinates(principal, account):
            self.require(principal, AdminLevel.OPERATOR, what)


def chosen(assoc: Association, query: AssociationQuery, cluster: str) -> bool:
    def among(wanted: tuple[str, ...], value: str) -> bool:
        return not wanted or value in wanted

    return (
        (not query.ids or assoc.id in query.ids)
        and among(query.accounts, assoc.account)
        and among(query.users, assoc.user)
        and among(query.partitions, assoc.partition)
        and among(query.clusters, assoc.cluster or cluster)
        and among(query.parent_accounts, assoc.parent_account)
    )


def describe(assoc: Association) -> str:
    """sacctmgr's form: ``C = lab A = physics U = alice P = debug``."""
    text = f"C = {assoc.cluster} A = {assoc.account}"
    if assoc.user:
        text += f" U = {assoc.user}"
    if assoc.partition:
        text += f" P = {assoc.partition}"
    return text
