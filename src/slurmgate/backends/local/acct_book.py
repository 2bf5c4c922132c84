"""The embedded cluster's accounts, users, associations and QOS: kept in memory, stored by key.

As in slurmdbd: accounts form a tree under ``root``; each account has an association on the
cluster (no user) whose parent is its parent account's, each user one per account (and
partition) it may charge; the cluster's root association heads them all. Removed records stay,
flagged DELETED (``with_deleted`` shows them), so ids are never reused. ``root`` and the QOS
``normal`` always exist, and so does user root, an Administrator.

The configuration (``local.accounts``, ``local.users``, ``local.qos``) is applied at each start:
what it declares is as it declares; records added through the API are kept as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from slurmgate.backends.local import acct_codec
from slurmgate.backends.local.acct_tres import parse_tres
from slurmgate.config import AccountConfig, LocalSettings, QosConfig, UserConfig
from slurmgate.domain import InvalidRequest
from slurmgate.domain.associations import (
    Account,
    AdminLevel,
    Association,
    AssociationLimits,
    Coordinator,
    Qos,
    QosLimits,
    User,
)
from slurmgate.domain.slurm_errno import ESLURM_INVALID_ACCOUNT, ESLURM_INVALID_QOS

ROOT = "root"
NORMAL = "normal"
DELETED = "DELETED"
#: (kind, key) of a stored record: ("account", name), ("user", name), ("association", id),
#: ("qos", name).
EntityKey = tuple[str, str]
_KINDS = {"account": Account, "user": User, "association": Association, "qos": Qos}


def deleted(record: Account | User | Association | Qos) -> bool:
    return DELETED in (record.flags or ())


def invalid_account(description: str) -> InvalidRequest:
    return InvalidRequest(
        description,
        error_number=ESLURM_INVALID_ACCOUNT,
        error="Invalid account or account/partition combination specified",
        source="account",
    )


def invalid_qos(description: str) -> InvalidRequest:
    return InvalidRequest(
        description,
        error_number=ESLURM_INVALID_QOS,
        error="Invalid qos specification",
        source="qos",
    )


@dataclass
class AccountingBook:
    cluster: str
    accounts: dict[str, Account] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    associations: dict[int, Association] = field(default_factory=dict)
    qos: dict[str, Qos] = field(default_factory=dict)

    # -- storage --------------------------------------------------------------------------

    @classmethod
    def load(cls, cluster: str, entities: Mapping[EntityKey, bytes]) -> AccountingBook:
        book = cls(cluster)
        for (kind, _), data in entities.items():
            record: object = acct_codec.decode(_KINDS[kind], data)
            if isinstance(record, Account):
                book.accounts[record.name] = record
            elif isinstance(record, User):
                book.users[record.name] = record
            elif isinstance(record, Association):
                book.associations[record.id] = record
            elif isinstance(record, Qos):
                book.qos[record.name] = record
        return book

    def encoded(self, keys: set[EntityKey]) -> dict[EntityKey, bytes]:
        """The current records of ``keys``, as the store keeps them."""
        found: dict[EntityKey, bytes] = {}
        for kind, key in keys:
            record: object
            if kind == "account":
                record = self.accounts[key]
            elif kind == "user":
                record = self.users[key]
            elif kind == "association":
                record = self.associations[int(key)]
            else:
                record = self.qos[key]
            found[(kind, key)] = acct_codec.encode(record)
        return found

    # -- lookups --------------------------------------------------------------------------

    def live_associations(self) -> Iterator[Association]:
        return (a for a in self.associations.values() if not deleted(a))

    def find(self, account: str, user: str = "", partition: str = "") -> Association | None:
        for assoc in self.live_associations():
            if (assoc.account, assoc.user, assoc.partition) == (account, user, partition):
                return assoc
        return None

    def account_association(self, account: str) -> Association | None:
        return self.find(account) if account != ROOT else self.find(ROOT)

    def parent(self, assoc: Association) -> Association | None:
        if assoc.user:
            return self.find(assoc.account)
        if assoc.account == ROOT or not assoc.parent_account:
            return None
        return self.find(assoc.parent_account)

    def chain(self, assoc: Association) -> Iterator[Association]:
        """The association, then its parents up to the cluster's root association."""
        seen: set[int] = set()
        current: Association | None = assoc
        while current is not None and current.id not in seen:
            seen.add(current.id)
            yield current
            current = self.parent(current)

    def lineage(self, assoc_id: int) -> str:
        assoc = self.associations.get(assoc_id)
        if assoc is None:
            return ""
        parts = [a.account for a in self.chain(assoc) if not a.user][::-1]
        path = "/" + "/".join(parts) + "/"
        if assoc.user:
            path += f"0-{assoc.user}/" + (f"{assoc.partition}/" if assoc.partition else "")
        return path

    def effective_qos(self, assoc: Association) -> tuple[str, ...]:
        for link in self.chain(assoc):
            if link.qos:
                return link.qos
        return (NORMAL,)

    def effective_default_qos(self, assoc: Association) -> str:
        for link in self.chain(assoc):
            if link.default_qos:
                return link.default_qos
        return ""

    def effective_limits(self, assoc: Association) -> AssociationLimits:
        """The association's limits, each unset one taken from the nearest parent."""
        merged = {f.name: None for f in dataclasses.fields(AssociationLimits)}
        for link in self.chain(assoc):
            for name, value in merged.items():
                if value is None:
                    merged[name] = getattr(link.limits, name)
        return AssociationLimits(**merged)

    def descendants(self, account: str) -> set[str]:
        """``account`` and every account below it."""
        found = {account}
        changed = True
        while changed:
            changed = False
            for assoc in self.live_associations():
                if not assoc.user and assoc.parent_account in found and assoc.account not in found:
                    found.add(assoc.account)
                    changed = True
        return found

    def next_association_id(self) -> int:
        return max(self.associations, default=0) + 1

    def next_qos_id(self) -> int:
        return max((q.id for q in self.qos.values()), default=0) + 1

    # -- submissions ----------------------------------------------------------------------

    def resolve(
        self, user: str, account: str | None, partition: str, qos: str | None, default_qos: str
    ) -> tuple[Association, str]:
        """The association a job of ``user`` charges, and its QOS, as slurmctld chooses them
        with AccountingStorageEnforce=associations; refused as it refuses."""
        record = self.users.get(user)
        if record is None or deleted(record):
            raise invalid_account(f"User {user!r} has no association: Invalid account")
        name = account or record.default_account
        assoc = self.find(name, user, partition) or self.find(name, user)
        if assoc is None:
            raise invalid_account(
                f"Invalid account or account/partition combination specified: user {user!r} "
                f"has no association with account {name!r}"
            )
        chosen = qos or self.effective_default_qos(assoc) or default_qos
        found = self.qos.get(chosen)
        if found is None or deleted(found):
            raise invalid_qos(f"Invalid qos specification: {chosen!r} does not exist")
        return assoc, chosen

    # -- the configuration ----------------------------------------------------------------

    def apply_settings(self, settings: LocalSettings) -> set[EntityKey]:
        """Make the records every cluster has and those the configuration declares; the keys
        changed."""
        changed: set[EntityKey] = set()
        self._put_qos(Qos(NORMAL, description="Normal QOS default", priority=0), changed, False)
        for qos in settings.qos:
            self._put_qos(_qos_of(qos), changed, True)
        self._put_account(Account(ROOT, "default root account", ROOT), changed, False)
        self._put_association(
            Association(ROOT, self.cluster, shares=1, qos=(NORMAL,)), changed, False
        )
        for entry in _parents_first(settings.accounts):
            self._put_account(
                Account(entry.name, entry.description, entry.organization), changed, True
            )
            self._put_association(
                _association_of(entry, self.cluster, entry.name, "", entry.parent), changed, True
            )
        self._put_user(User(ROOT, AdminLevel.ADMINISTRATOR, default_account=ROOT), changed, False)
        self._put_association(Association(ROOT, self.cluster, user=ROOT), changed, False)
        for user in settings.users:
            accounts = user.accounts or [settings.default_account]
            default = user.default_account or accounts[0]
            self._put_user(
                User(user.name, AdminLevel(user.admin_level), default_account=default),
                changed,
                True,
            )
            for name in accounts:
                self._put_association(
                    _association_of(user, self.cluster, name, user.name, ""), changed, True
                )
        return changed

    def _put_qos(self, qos: Qos, changed: set[EntityKey], replace: bool) -> None:
        old = self.qos.get(qos.name)
        if old is not None and not deleted(old) and not replace:
            return
        new = dataclasses.replace(qos, id=old.id if old is not None else self.next_qos_id())
        if new != old:
            self.qos[new.name] = new
            changed.add(("qos", new.name))

    def _put_account(self, account: Account, changed: set[EntityKey], replace: bool) -> None:
        old = self.accounts.get(account.name)
        if old is not None and not deleted(old) and not replace:
            return
        if account != old:
            self.accounts[account.name] = account
            changed.add(("account", account.name))

    def _put_user(self, user: User, changed: set[EntityKey], replace: bool) -> None:
        old = self.users.get(user.name)
        if old is not None and not deleted(old):
            if not replace:
                return
            user = dataclasses.replace(user, coordinators=old.coordinators)
        if user != old:
            self.users[user.name] = user
            changed.add(("user", user.name))

    def _put_association(self, assoc: Association, changed: set[EntityKey], replace: bool) -> None:
        old = self.find(assoc.account, assoc.user, assoc.partition)
        if old is not None and not replace:
            return
        new = dataclasses.replace(
            assoc, id=old.id if old is not None else self.next_association_id()
        )
        if new != old:
            self.associations[new.id] = new
            changed.add(("association", str(new.id)))


def _parents_first(accounts: list[AccountConfig]) -> list[AccountConfig]:
    placed = {ROOT}
    ordered: list[AccountConfig] = []
    pending = list(accounts)
    while pending:
        ready = [a for a in pending if a.parent in placed]
        if not ready:  # a cycle: the settings' validator names missing parents, not loops
            raise InvalidRequest(f"accounts {', '.join(a.name for a in pending)} form a loop")
        for account in ready:
            ordered.append(account)
            placed.add(account.name)
            pending.remove(account)
    return ordered


def _association_of(
    entry: AccountConfig | UserConfig, cluster: str, account: str, user: str, parent: str
) -> Association:
    limits = AssociationLimits(
        max_jobs=entry.max_jobs,
        max_submit_jobs=entry.max_submit_jobs,
        max_wall_per_job=entry.max_wall,
        grp_jobs=entry.grp_jobs,
        grp_submit_jobs=entry.grp_submit_jobs,
        max_tres_per_job=parse_tres(entry.max_tres_per_job) or None,
        grp_tres=parse_tres(entry.grp_tres) or None,
    )
    return Association(
        account,
        cluster,
        user=user,
        parent_account=parent,
        shares=entry.fairshare,
        qos=tuple(entry.qos) or None,
        default_qos=entry.default_qos or None,
        limits=limits,
    )


def _qos_of(entry: QosConfig) -> Qos:
    return Qos(
        entry.name,
        description=entry.description,
        flags=tuple(entry.flags),
        priority=entry.priority,
        usage_factor=entry.usage_factor,
        preempt=tuple(entry.preempt),
        preempt_mode=(entry.preempt_mode.upper(),) if entry.preempt_mode else (),
        limits=QosLimits(
            max_wall_per_job=entry.max_wall,
            max_jobs_per_user=entry.max_jobs_per_user,
            max_submit_jobs_per_user=entry.max_submit_jobs_per_user,
            max_tres_per_job=parse_tres(entry.max_tres_per_job) or None,
            max_tres_per_user=parse_tres(entry.max_tres_per_user) or None,
            grp_tres=parse_tres(entry.grp_tres) or None,
        ),
    )


__all__ = ["AccountingBook", "Coordinator", "EntityKey"]
