"""Accounting answers shared between callers, in front of either backend.

History queries reach slurmdbd's database (or the embedded cluster's), and pollers repeat them:

- An answer is shared, for ``cache_seconds``, by identical calls (same method, same query) of
  every user who may see the same rows: everyone when the accounting daemon's PrivateData does
  not restrict that kind of record, or for operators; otherwise each user has answers of their
  own. Identical calls made while one is under way wait for it (one call, not one hundred).
- A job's records (``accounting_job``) whose runs have all ended do not change but for a
  requeue: they are kept ``finished_seconds`` (at most ``finished_jobs`` records, least
  recently used out) and given to every caller who may see them.
- A change (add, modify, remove) forgets every shared answer.

Errors are never kept: the next call asks again. The daemon's PrivateData and operators are
loaded as the service user every ``rules_interval``; until they are known nothing is shared
across users.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from slurmgate.backends.base import AccountingSource
from slurmgate.config import AccountingSettings
from slurmgate.domain import Principal
from slurmgate.domain.access import AccessRules
from slurmgate.domain.accounting import PRIVATE_KINDS, AccountingJob, AccountingQuery, Tres
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    Association,
    AssociationAdd,
    AssociationQuery,
    Qos,
    QosQuery,
    User,
    UserQuery,
    Wckey,
    WckeyQuery,
)
from slurmgate.domain.dbd import (
    ClusterQuery,
    ClusterRecord,
    DbdPing,
    DbdStats,
    Instance,
    InstanceQuery,
)

T = TypeVar("T")
#: Who shares an answer: every user ("*"), or one user.
_EVERYONE = "*"
#: Answers never shared across users: the daemon decides who may have them at all
#: (slurmdbd's statistics are for administrators).
_OWN = frozenset({"stats"})


@dataclass
class _Entry:
    expires: float
    size: int
    value: Any


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    #: Calls that waited for an identical one under way.
    joined: int = 0
    #: Answers given from the finished jobs' records.
    finished_hits: int = 0


class CachedAccounting:
    """An ``AccountingSource`` that shares its backend's answers."""

    def __init__(
        self,
        source: AccountingSource,
        settings: AccountingSettings,
        service: Callable[[], Principal] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._settings = settings
        self._service = service
        self._clock = clock
        self._answers: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._held = 0
        self._pending: dict[Hashable, asyncio.Future[Any]] = {}
        self._finished: OrderedDict[str, _Entry] = OrderedDict()
        self._finished_held = 0
        self._rules: AccessRules | None = None
        self._rules_at = -1e18
        self._rules_task: asyncio.Task[AccessRules | None] | None = None
        self._generation = 0
        self.stats = CacheStats()

    # -- who shares ------------------------------------------------------------------------

    async def _known_rules(self, principal: Principal) -> AccessRules | None:
        if self._clock() - self._rules_at < self._settings.rules_interval:
            return self._rules
        if self._rules_task is None:
            asker = self._service() if self._service is not None else principal
            self._rules_task = asyncio.ensure_future(self._load_rules(asker))
        return await asyncio.shield(self._rules_task)

    async def _load_rules(self, asker: Principal) -> AccessRules | None:
        try:
            rules: AccessRules | None = await self._source.accounting_rules(asker)
        except Exception:
            rules = None  # unknown: share nothing across users until the next try
        self._rules, self._rules_at = rules, self._clock()
        self._rules_task = None
        return rules

    async def _audience(self, kind: str, principal: Principal) -> str:
        """Who may share ``principal``'s answer of ``kind``: everyone, or only them."""
        if kind in _OWN:
            return f"user:{principal.user_name}"
        private = PRIVATE_KINDS.get(kind)
        if private is None:
            return _EVERYONE
        rules = await self._known_rules(principal)
        if rules is not None and not rules.restricts(private, principal.user_name):
            return _EVERYONE
        return f"user:{principal.user_name}"

    # -- shared answers ----------------------------------------------------------------------

    async def _shared(
        self, kind: str, principal: Principal, key: Hashable, call: Callable[[], Awaitable[T]]
    ) -> T:
        if self._settings.cache_seconds <= 0:
            return await call()
        full = (kind, key, await self._audience(kind, principal))
        entry = self._answers.get(full)
        now = self._clock()
        if entry is not None and entry.expires > now:
            self.stats.hits += 1
            return entry.value  # type: ignore[no-any-return]
        task = self._pending.get(full)
        if task is None:
            self.stats.misses += 1
            # A task of its own: a caller that goes away does not end the call for the others.
            task = asyncio.ensure_future(self._fill(full, call, self._generation))
            task.add_done_callback(_retrieve)
            self._pending[full] = task
        else:
            self.stats.joined += 1
        return await asyncio.shield(task)

    async def _fill(self, key: Hashable, call: Callable[[], Awaitable[T]], generation: int) -> T:
        try:
            value = await call()
        finally:
            self._pending.pop(key, None)
        if generation == self._generation:  # no change since the call began
            self._keep(key, value, self._clock() + self._settings.cache_seconds)
        return value

    def _keep(self, key: Hashable, value: Any, expires: float) -> None:
        size = len(value) if isinstance(value, list) else 1
        limit = self._settings.max_records
        if size > limit // 10:
            return
        old = self._answers.pop(key, None)
        if old is not None:
            self._held -= old.size
        now = self._clock()
        for stale in [k for k, e in self._answers.items() if e.expires <= now]:
            self._held -= self._answers.pop(stale).size
        while self._answers and self._held + size > limit:
            _, first = self._answers.popitem(last=False)
            self._held -= first.size
        self._answers[key] = _Entry(expires, size, value)
        self._held += size

    def forget(self) -> None:
        """Forget every shared answer (after a change)."""
        self._generation += 1
        self._answers.clear()
        self._held = 0
        self._finished.clear()
        self._finished_held = 0

    async def _changed(self, change: Awaitable[T]) -> T:
        try:
            return await change
        finally:
            self.forget()

    # -- finished jobs -----------------------------------------------------------------------

    async def _finished_job(self, principal: Principal, job_id: str) -> list[AccountingJob] | None:
        entry = self._finished.get(job_id)
        if entry is None or entry.expires <= self._clock():
            return None
        records: list[AccountingJob] = entry.value
        rules = await self._known_rules(principal)
        if rules is None or not all(_sees(rules, principal.user_name, r) for r in records):
            return None  # the backend decides
        self._finished.move_to_end(job_id)
        self.stats.finished_hits += 1
        return records

    def _keep_finished(self, job_id: str, records: list[AccountingJob]) -> None:
        limit = self._settings.finished_jobs
        if self._settings.finished_seconds <= 0 or not records or len(records) > limit:
            return
        if not all(r.is_finished for r in records):
            return
        old = self._finished.pop(job_id, None)
        if old is not None:
            self._finished_held -= old.size
        while self._finished and self._finished_held + len(records) > limit:
            _, first = self._finished.popitem(last=False)
            self._finished_held -= first.size
        expires = self._clock() + self._settings.finished_seconds
        self._finished[job_id] = _Entry(expires, len(records), records)
        self._finished_held += len(records)

    # -- AccountingSource --------------------------------------------------------------------

    async def accounting_rules(self, principal: Principal) -> AccessRules:
        return await self._source.accounting_rules(principal)

    async def accounting_jobs(
        self, principal: Principal, query: AccountingQuery
    ) -> list[AccountingJob]:
        return await self._shared(
            "jobs", principal, query, lambda: self._source.accounting_jobs(principal, query)
        )

    async def accounting_job(self, principal: Principal, job_id: str) -> list[AccountingJob]:
        found = await self._finished_job(principal, job_id)
        if found is not None:
            return found
        generation = self._generation
        records = await self._shared(
            "jobs",
            principal,
            ("job", job_id),
            lambda: self._source.accounting_job(principal, job_id),
        )
        if generation == self._generation:
            self._keep_finished(job_id, records)
        return records

    async def accounts(self, principal: Principal, query: AccountQuery) -> list[Account]:
        return await self._shared(
            "accounts", principal, query, lambda: self._source.accounts(principal, query)
        )

    async def users(self, principal: Principal, query: UserQuery) -> list[User]:
        return await self._shared(
            "users", principal, query, lambda: self._source.users(principal, query)
        )

    async def associations(
        self, principal: Principal, query: AssociationQuery
    ) -> list[Association]:
        return await self._shared(
            "associations", principal, query, lambda: self._source.associations(principal, query)
        )

    async def qos(self, principal: Principal, query: QosQuery) -> list[Qos]:
        return await self._shared(
            "qos", principal, query, lambda: self._source.qos(principal, query)
        )

    async def tres(self, principal: Principal) -> list[Tres]:
        return await self._shared("tres", principal, None, lambda: self._source.tres(principal))

    async def clusters(self, principal: Principal, query: ClusterQuery) -> list[ClusterRecord]:
        return await self._shared(
            "clusters", principal, query, lambda: self._source.clusters(principal, query)
        )

    async def wckeys(self, principal: Principal, query: WckeyQuery) -> list[Wckey]:
        return await self._shared(
            "wckeys", principal, query, lambda: self._source.wckeys(principal, query)
        )

    async def instances(self, principal: Principal, query: InstanceQuery) -> list[Instance]:
        return await self._shared(
            "instances", principal, query, lambda: self._source.instances(principal, query)
        )

    async def dbd_ping(self, principal: Principal) -> list[DbdPing]:
        return await self._shared("ping", principal, None, lambda: self._source.dbd_ping(principal))

    async def dbd_stats(self, principal: Principal) -> DbdStats:
        return await self._shared(
            "stats", principal, None, lambda: self._source.dbd_stats(principal)
        )

    # Changes go through, then every shared answer is forgotten.

    async def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        return await self._changed(self._source.add_accounts(principal, accounts))

    async def add_accounts_with_associations(
        self, principal: Principal, account: Account, add: AssociationAdd
    ) -> list[str]:
        return await self._changed(
            self._source.add_accounts_with_associations(principal, account, add)
        )

    async def remove_account(self, principal: Principal, name: str) -> list[str]:
        return await self._changed(self._source.remove_account(principal, name))

    async def add_users(self, principal: Principal, users: list[User]) -> list[str]:
        return await self._changed(self._source.add_users(principal, users))

    async def add_users_with_associations(
        self, principal: Principal, add: AssociationAdd, user: User | None = None
    ) -> list[str]:
        return await self._changed(self._source.add_users_with_associations(principal, add, user))

    async def remove_user(self, principal: Principal, name: str) -> list[str]:
        return await self._changed(self._source.remove_user(principal, name))

    async def set_associations(
        self, principal: Principal, associations: list[Association]
    ) -> list[str]:
        return await self._changed(self._source.set_associations(principal, associations))

    async def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        return await self._changed(self._source.remove_associations(principal, query))

    async def set_qos(self, principal: Principal, qos: list[Qos]) -> list[str]:
        return await self._changed(self._source.set_qos(principal, qos))

    async def remove_qos(self, principal: Principal, name: str) -> list[str]:
        return await self._changed(self._source.remove_qos(principal, name))


def _sees(rules: AccessRules, user: str, record: AccountingJob) -> bool:
    """slurmdbd's rule for one job record under PrivateData=jobs."""
    return rules.sees_job(user, record.user_name, record.account)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a call's failure as seen: its callers got it, or all went away."""
    if not task.cancelled():
        task.exception()
