"""The embedded cluster's accounting daemon: what ``slurmdbd`` answers, from its own store.

Job records come from ``acct_jobs`` and ``acct_steps`` (written with every change of a job,
kept after the job leaves the job table, until ``local.accounting_retention``), chosen by
``acct_select``; accounts, users, associations and QOS from ``AccountingBook``, changed by
``acct_admin`` and stored before a change is answered. Every user sees every record (no
PrivateData). Each call is counted as slurmdbd counts its RPCs, for ``dbd_stats``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slurmgate.backends.local import acct_history, acct_views
from slurmgate.backends.local.acct_admin import Admin
from slurmgate.backends.local.acct_book import AccountingBook, EntityKey, deleted
from slurmgate.backends.local.acct_records import step_from_row
from slurmgate.backends.local.acct_runs import RunRecorder
from slurmgate.backends.local.acct_tres import TRES_IDS, tres_table
from slurmgate.backends.local.table import JobTable
from slurmgate.backends.local.views import ClusterLayout
from slurmgate.config import LocalSettings
from slurmgate.domain import Job, NotFound, NotSupported, Principal, hostlist
from slurmgate.domain.access import AccessRules
from slurmgate.domain.accounting import AccountingJob, AccountingQuery, StepSelector, Tres
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    AdminLevel,
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
    RpcCount,
)
from slurmgate.domain.slurm_errno import ESLURM_INVALID_JOB_ID

log = logging.getLogger(__name__)

#: slurmdbd's message types (slurmdbd_defs.h) for the calls served here.
MESSAGE_TYPES = {
    "DBD_ADD_ACCOUNTS": 1402,
    "DBD_ADD_ASSOCS": 1404,
    "DBD_ADD_USERS": 1406,
    "DBD_GET_ACCOUNTS": 1409,
    "DBD_GET_ASSOCS": 1410,
    "DBD_GET_CLUSTERS": 1412,
    "DBD_GET_USERS": 1415,
    "DBD_REMOVE_ACCOUNTS": 1435,
    "DBD_REMOVE_ASSOCS": 1437,
    "DBD_REMOVE_USERS": 1439,
    "DBD_GET_JOBS_COND": 1444,
    "DBD_ADD_QOS": 1447,
    "DBD_GET_QOS": 1448,
    "DBD_REMOVE_QOS": 1450,
    "DBD_GET_TRES": 1486,
    "DBD_GET_STATS": 1489,
}
#: slurm_protocol_version of 22.05, the release the embedded cluster behaves as.
RPC_VERSION = 38 << 8
#: How often records older than ``accounting_retention`` are removed.
PURGE_INTERVAL = 3600.0
_CHUNK = 500


class _Tally:
    def __init__(self) -> None:
        self.count = 0
        self.total_us = 0

    def count_of(self, name: str, number: int) -> RpcCount:
        return RpcCount(name, number, self.count, self.total_us, self.total_us // self.count)


class LocalAccounting:
    def __init__(
        self,
        settings: LocalSettings,
        table: JobTable,
        layout: ClusterLayout,
        *,
        is_admin: Callable[[Principal], bool],
    ) -> None:
        self._settings = settings
        self._table = table
        self._layout = layout
        self._is_admin = is_admin
        self.book = AccountingBook(settings.cluster_name)
        self.runs = RunRecorder(table)
        self._started = int(time.time())
        self._by_type: dict[str, _Tally] = {}
        self._by_user: dict[str, _Tally] = {}
        self._purger: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, entities: dict[EntityKey, bytes]) -> None:
        """Load the records, apply the configuration, take up the steps still running."""
        self._started = int(time.time())
        self.book = AccountingBook.load(self._settings.cluster_name, entities)
        changed = self.book.apply_settings(self._settings)
        if changed:
            await self._table.store.save_entities(self.book.encoded(changed))
        rows = await self._table.store.read("SELECT data FROM acct_steps WHERE end_time = 0", ())
        self.runs.restore(step_from_row(bytes(r[0])) for r in rows)
        if self._settings.accounting_retention is not None:
            self._purger = asyncio.create_task(self._purge_loop(), name="accounting-purge")

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None

    async def _purge_loop(self) -> None:
        retention = self._settings.accounting_retention
        assert retention is not None  # noqa: S101 - started only with a retention
        while True:
            try:
                await self._table.store.purge_accounting(int(time.time()) - retention)
            except Exception:
                log.exception("removing old accounting records failed")
            await asyncio.sleep(PURGE_INTERVAL)

    @contextmanager
    def _rpc(self, message_type: str, principal: Principal) -> Iterator[None]:
        begin = time.perf_counter_ns()
        try:
            yield
        finally:
            elapsed = (time.perf_counter_ns() - begin) // 1000
            for tally in (
                self._by_type.setdefault(message_type, _Tally()),
                self._by_user.setdefault(principal.user_name, _Tally()),
            ):
                tally.count += 1
                tally.total_us += elapsed

    # -- submissions ------------------------------------------------------------------------

    async def assign(self, job: Job) -> None:
        """Fill in a new job's account, QOS and association, as slurmctld does; a user with
        no association gets one with ``default_account`` first (``auto_associate``)."""
        user = self.book.users.get(job.user_name)
        if (user is None or deleted(user)) and self._settings.auto_associate:
            async with self._lock:
                user = self.book.users.get(job.user_name)
                if user is None or deleted(user):
                    await self._associate(job.user_name)
        self.resolve(job, job.account or None, job.qos or None)

    def resolve(self, job: Job, account: str | None, qos: str | None) -> None:
        """Set ``job``'s account, QOS and association to those asked, or refuse."""
        assoc, chosen = self.book.resolve(
            job.user_name, account, job.partition, qos, self._settings.default_qos
        )
        job.account, job.qos, job.association_id = assoc.account, chosen, assoc.id

    async def _associate(self, name: str) -> None:
        admin = self._admin()
        account = self._settings.default_account
        admin.book.users[name] = User(name, AdminLevel.NONE, default_account=account)
        admin.changed.add(("user", name))
        admin.associations.add(Association(account, self.book.cluster, user=name))
        await self._table.store.save_entities(self.book.encoded(admin.changed))

    # -- jobs -----------------------------------------------------------------------------

    async def accounting_rules(self, principal: Principal) -> AccessRules:
        operators = {
            u.name
            for u in self.book.users.values()
            if not deleted(u) and (u.admin_level or AdminLevel.NONE).rank >= 2
        }
        coordinators = {
            u.name: frozenset(a for c in u.coordinators for a in self.book.descendants(c.name))
            for u in self.book.users.values()
            if not deleted(u) and u.coordinators
        }
        return AccessRules(operators=frozenset(operators), coordinators=coordinators)

    async def accounting_jobs(
        self, principal: Principal, query: AccountingQuery
    ) -> list[AccountingJob]:
        with self._rpc("DBD_GET_JOBS_COND", principal):
            return await acct_history.select(self._table, self.book, query)

    async def accounting_job(self, principal: Principal, job_id: str) -> list[AccountingJob]:
        with self._rpc("DBD_GET_JOBS_COND", principal):
            StepSelector.parse(job_id)
            found = await acct_history.select(
                self._table, self.book, AccountingQuery(job_ids=(job_id,))
            )
            if not found:
                raise NotFound(
                    f"Job {job_id} not found in accounting",
                    error_number=ESLURM_INVALID_JOB_ID,
                    error="Invalid job id specified",
                )
            return found

    # -- accounts, users, associations, QOS ------------------------------------------------

    async def accounts(self, principal: Principal, query: AccountQuery) -> list[Account]:
        with self._rpc("DBD_GET_ACCOUNTS", principal):
            return acct_views.accounts(self.book, query)

    async def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        with self._rpc("DBD_ADD_ACCOUNTS", principal):
            return await self._change(lambda admin: admin.add_accounts(principal, accounts))

    async def add_accounts_with_associations(
        self, principal: Principal, account: Account, add: AssociationAdd
    ) -> list[str]:
        with self._rpc("DBD_ADD_ACCOUNTS", principal):
            return await self._change(
                lambda admin: admin.add_accounts_with_associations(principal, account, add)
            )

    async def remove_account(self, principal: Principal, name: str) -> list[str]:
        with self._rpc("DBD_REMOVE_ACCOUNTS", principal):
            return await self._change(lambda admin: admin.remove_account(principal, name))

    async def users(self, principal: Principal, query: UserQuery) -> list[User]:
        with self._rpc("DBD_GET_USERS", principal):
            return acct_views.users(self.book, query)

    async def add_users(self, principal: Principal, users: list[User]) -> list[str]:
        with self._rpc("DBD_ADD_USERS", principal):
            return await self._change(lambda admin: admin.add_users(principal, users))

    async def add_users_with_associations(
        self, principal: Principal, add: AssociationAdd, user: User | None = None
    ) -> list[str]:
        with self._rpc("DBD_ADD_USERS", principal):
            return await self._change(
                lambda admin: admin.add_users_with_associations(principal, add, user)
            )

    async def remove_user(self, principal: Principal, name: str) -> list[str]:
        with self._rpc("DBD_REMOVE_USERS", principal):
            return await self._change(lambda admin: admin.remove_user(principal, name))

    async def associations(
        self, principal: Principal, query: AssociationQuery
    ) -> list[Association]:
        with self._rpc("DBD_GET_ASSOCS", principal):
            return acct_views.associations(self.book, query)

    async def set_associations(
        self, principal: Principal, associations: list[Association]
    ) -> list[str]:
        with self._rpc("DBD_ADD_ASSOCS", principal):
            return await self._change(lambda admin: admin.set_associations(principal, associations))

    async def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        with self._rpc("DBD_REMOVE_ASSOCS", principal):
            return await self._change(lambda admin: admin.remove_associations(principal, query))

    async def qos(self, principal: Principal, query: QosQuery) -> list[Qos]:
        with self._rpc("DBD_GET_QOS", principal):
            return acct_views.qos(self.book, query)

    async def set_qos(self, principal: Principal, qos: list[Qos]) -> list[str]:
        with self._rpc("DBD_ADD_QOS", principal):
            return await self._change(lambda admin: admin.set_qos(principal, qos))

    async def remove_qos(self, principal: Principal, name: str) -> list[str]:
        default = self._settings.default_qos
        with self._rpc("DBD_REMOVE_QOS", principal):
            return await self._change(lambda admin: admin.remove_qos(principal, name, default))

    def _admin(self) -> Admin:
        return Admin(self.book, is_admin=self._is_admin, in_use=self._in_use)

    async def _change(self, change: Callable[[Admin], list[str]]) -> list[str]:
        """Apply ``change`` to a copy of the records and store it; only then is it the book.

        A refused change (an exception) leaves the records as they were.
        """
        async with self._lock:
            trial = dataclasses.replace(
                self.book,
                accounts=dict(self.book.accounts),
                users=dict(self.book.users),
                associations=dict(self.book.associations),
                qos=dict(self.book.qos),
            )
            admin = Admin(trial, is_admin=self._is_admin, in_use=self._in_use)
            done = change(admin)
            if admin.changed:
                await self._table.store.save_entities(trial.encoded(admin.changed))
            self.book = trial
            return done

    def _in_use(self, assocs: list[Association]) -> bool:
        ids = {a.id for a in assocs}
        pairs = {(a.account, a.user) for a in assocs if a.user}
        accounts = {a.account for a in assocs if not a.user}
        return any(
            not job.state.is_finished
            and (
                job.association_id in ids
                or (job.account, job.user_name) in pairs
                or job.account in accounts
            )
            for job in self._table.jobs.values()
        )

    # -- the rest ---------------------------------------------------------------------------

    async def tres(self, principal: Principal) -> list[Tres]:
        with self._rpc("DBD_GET_TRES", principal):
            return tres_table()

    async def clusters(self, principal: Principal, query: ClusterQuery) -> list[ClusterRecord]:
        with self._rpc("DBD_GET_CLUSTERS", principal):
            name = self._settings.cluster_name
            if query.names and name not in query.names:
                return []
            configs = list(self._layout.node_configs.values())
            cpus = sum(c.cpus for c in configs)
            root = self.book.find("root")
            return [
                ClusterRecord(
                    name=name,
                    controller_host=self._layout.host.hostname,
                    nodes=hostlist.compress([c.name for c in configs]),
                    rpc_version=RPC_VERSION,
                    tres=(
                        Tres("cpu", id=TRES_IDS["cpu"], count=cpus),
                        Tres("mem", id=TRES_IDS["mem"], count=sum(c.memory for c in configs)),
                        Tres("node", id=TRES_IDS["node"], count=len(configs)),
                        Tres("billing", id=TRES_IDS["billing"], count=cpus),
                    ),
                    root_association=root.ref if root is not None else None,
                )
            ]

    async def wckeys(self, principal: Principal, query: WckeyQuery) -> list[Wckey]:
        raise NotSupported(
            "The embedded cluster does not track wckeys (TrackWCKey=no): jobs keep the wckey "
            "they name, in their records",
            source="wckeys",
        )

    async def instances(self, principal: Principal, query: InstanceQuery) -> list[Instance]:
        raise NotSupported(
            "The embedded cluster's nodes run on this machine: it has no cloud instances",
            source="instances",
        )

    async def dbd_ping(self, principal: Principal) -> list[DbdPing]:
        store = self._table.attached_store
        begin = time.perf_counter_ns()
        try:
            if store is None:
                raise NotFound("not started")
            await store.read("SELECT 1", ())
        except Exception:
            return [DbdPing(self._layout.host.hostname, responding=False)]
        latency = (time.perf_counter_ns() - begin) // 1000
        return [DbdPing(self._layout.host.hostname, responding=True, latency=latency)]

    async def dbd_stats(self, principal: Principal) -> DbdStats:
        with self._rpc("DBD_GET_STATS", principal):
            return DbdStats(
                time_start=self._started,
                rpcs=tuple(
                    RpcCount(
                        name, MESSAGE_TYPES.get(name, 0), t.count, t.total_us, t.total_us // t.count
                    )
                    for name, t in sorted(self._by_type.items())
                ),
                users=tuple(
                    RpcCount(name, 0, t.count, t.total_us, t.total_us // t.count)
                    for name, t in sorted(self._by_user.items())
                ),
            )
