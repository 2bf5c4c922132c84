"""The embedded cluster's accounts, users, associations and QOS as queries choose them.

Filters are slurmdbd's: every one given must match, the names in a list are alternatives,
removed records only ``with_deleted``. An association shows its limits, QOS and default QOS
as inherited from its parents unless asked for its own (``without_parent_limits``,
``with_raw_qos``).
"""

from __future__ import annotations

import dataclasses

from slurmgate.backends.local.acct_book import ROOT, AccountingBook, deleted
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    Association,
    AssociationQuery,
    Coordinator,
    Qos,
    QosQuery,
    User,
    UserQuery,
)


def _among(wanted: tuple[str, ...], value: str) -> bool:
    return not wanted or value in wanted


def accounts(book: AccountingBook, query: AccountQuery) -> list[Account]:
    found = []
    for account in sorted(book.accounts.values(), key=lambda a: a.name):
        if deleted(account) and not query.with_deleted:
            continue
        if not (
            _among(query.names, account.name)
            and _among(query.descriptions, account.description)
            and _among(query.organizations, account.organization)
        ):
            continue
        if query.with_associations:
            refs = tuple(a.ref for a in book.live_associations() if a.account == account.name)
            account = dataclasses.replace(account, associations=refs)
        if query.with_coordinators:
            coordinators = tuple(
                Coordinator(user.name, c.direct)
                for user in sorted(book.users.values(), key=lambda u: u.name)
                if not deleted(user)
                for c in user.coordinators
                if c.name == account.name
            )
            account = dataclasses.replace(account, coordinators=coordinators)
        found.append(account)
    return found


def users(book: AccountingBook, query: UserQuery) -> list[User]:
    found = []
    for user in sorted(book.users.values(), key=lambda u: u.name):
        if deleted(user) and not query.with_deleted:
            continue
        if not (
            _among(query.names, user.name)
            and _among(query.default_accounts, user.default_account)
            and _among(query.default_wckeys, user.default_wckey)
            and (query.admin_level is None or user.admin_level == query.admin_level)
        ):
            continue
        refs = (
            tuple(a.ref for a in book.live_associations() if a.user == user.name)
            if query.with_associations
            else ()
        )
        user = dataclasses.replace(
            user,
            associations=refs,
            coordinators=user.coordinators if query.with_coordinators else (),
        )
        if query.without_defaults:
            user = dataclasses.replace(user, default_account="", default_wckey="")
        found.append(user)
    return found


def associations(book: AccountingBook, query: AssociationQuery) -> list[Association]:
    accounts = set(query.accounts)
    if query.with_sub_accounts:
        for name in query.accounts:
            accounts |= book.descendants(name)
    found = []
    for assoc in sorted(book.associations.values(), key=lambda a: a.id):
        if deleted(assoc) and not query.with_deleted:
            continue
        qos = (assoc.qos or ()) if query.with_raw_qos else book.effective_qos(assoc)
        default_qos = assoc.default_qos or book.effective_default_qos(assoc)
        is_default = bool(assoc.user) and _is_default(book, assoc)
        if not (
            (not query.ids or assoc.id in query.ids)
            and (not accounts or assoc.account in accounts)
            and _among(query.users, assoc.user)
            and _among(query.partitions, assoc.partition)
            and _among(query.clusters, assoc.cluster)
            and _among(query.parent_accounts, assoc.parent_account)
            and (not query.qos or set(query.qos) & set(qos))
            and _among(query.default_qos, default_qos)
            and (not query.only_defaults or is_default)
        ):
            continue
        parent = book.parent(assoc)
        found.append(
            dataclasses.replace(
                assoc,
                parent_account=""
                if query.without_parent_info
                else (parent.account if parent is not None else ""),
                lineage=book.lineage(assoc.id),
                is_default=is_default,
                qos=tuple(qos),
                default_qos=default_qos,
                limits=assoc.limits
                if query.without_parent_limits
                else book.effective_limits(assoc),
            )
        )
    return found


def _is_default(book: AccountingBook, assoc: Association) -> bool:
    user = book.users.get(assoc.user)
    return user is not None and user.default_account == assoc.account and not assoc.partition


def qos(book: AccountingBook, query: QosQuery) -> list[Qos]:
    found = []
    for entry in sorted(book.qos.values(), key=lambda q: q.id):
        if deleted(entry) and not query.with_deleted:
            continue
        if not (
            _among(query.names, entry.name)
            and (not query.ids or entry.id in query.ids)
            and _among(query.descriptions, entry.description or "")
            and (
                not query.preempt_mode
                or query.preempt_mode.upper() in (entry.preempt_mode or ("DISABLED",))
            )
        ):
            continue
        found.append(entry)
    return found


__all__ = ["ROOT", "accounts", "associations", "qos", "users"]
