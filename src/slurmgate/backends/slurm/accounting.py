"""Accounting on a real cluster: slurmdbd through libslurmdb, as the requesting user.

Each call opens its own connection to slurmdbd in a worker thread once the user's credential
is set (``dbd.connected``), as slurmrestd does per request: slurmdbd decides what the user may
see (its PrivateData) and change (AdminLevel, coordinators), and its refusals keep their
numbers (ESLURM_ACCESS_DENIED is 403). Changes are committed only when the whole call
succeeded. The TRES and QOS tables records are read with are kept a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from slurmgate.backends.slurm import acct_conds, acct_writes, acct_writes_limits
from slurmgate.backends.slurm.acct_entities_read import (
    account_from_c,
    admin_level,
    association_from_c,
    cluster_from_c,
    instance_from_c,
    qos_from_c,
    stats_from_c,
    user_from_c,
    wckey_from_c,
)
from slurmgate.backends.slurm.acct_jobs_read import (
    Tables,
    fill_condition,
    job_from_c,
    reason_numbers,
)
from slurmgate.backends.slurm.client import Call, SlurmClient
from slurmgate.backends.slurm.cvalues import text
from slurmgate.backends.slurm.dbd import DbdCall, connected
from slurmgate.domain import NotFound, Principal
from slurmgate.domain.access import AccessRules, PrivateData
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
)
from slurmgate.domain.slurm_errno import ESLURM_INVALID_JOB_ID

T = TypeVar("T")
#: Seconds the TRES and QOS tables are kept between loads.
TABLES_TTL = 60.0


class SlurmAccounting:
    def __init__(
        self, client: Callable[[], SlurmClient], *, cluster: str, service_user: str
    ) -> None:
        self._client = client
        self._cluster = cluster
        self._service_user = service_user
        self._lock = threading.Lock()
        self._tables: tuple[float, Tables] | None = None
        self._reasons: dict[str, int] | None = None

    async def _run(self, principal: Principal, work: Callable[[DbdCall], T]) -> T:
        def connect(call: Call) -> T:
            with connected(call) as dbd:
                return work(dbd)

        return await self._client().run(principal, connect)

    def tables(self, dbd: DbdCall, *, fresh: bool = False) -> Tables:
        """The TRES and QOS tables (loaded with this connection when a minute old)."""
        with self._lock:
            kept = self._tables
        if kept is not None and not fresh and time.monotonic() - kept[0] < TABLES_TTL:
            return kept[1]
        lib = dbd.lib
        with dbd.got(
            lib.slurmdb_tres_get(dbd.conn, acct_conds.tres(dbd)), "slurmdb_tres_get"
        ) as found:
            tres = {
                t.id: Tres(text(dbd.ffi, t.type), text(dbd.ffi, t.name), t.id)
                for t in dbd.items(found, "slurmdb_tres_rec_t")
            }
        qos_cond = dbd.keep(dbd.ffi.new("slurmdb_qos_cond_t *"))
        lib.slurmgate_qos_cond_deleted(qos_cond, True)
        with dbd.got(lib.slurmdb_qos_get(dbd.conn, qos_cond), "slurmdb_qos_get") as found:
            qos = {q.id: text(dbd.ffi, q.name) for q in dbd.items(found, "slurmdb_qos_rec_t")}
        made = Tables(tres, qos)
        with self._lock:
            self._tables = (time.monotonic(), made)
        return made

    # -- who may see what ------------------------------------------------------------------

    async def accounting_rules(self, principal: Principal) -> AccessRules:
        """slurmdbd's PrivateData (from its configuration) and its operators and coordinators
        (AdminLevel from its users); root and SlurmUser are operators."""

        def work(dbd: DbdCall) -> AccessRules:
            ffi, lib = dbd.ffi, dbd.lib
            private = PrivateData()
            with dbd.got(lib.slurmgate_dbd_config(dbd.conn), "slurmdb_config_get") as pairs:
                for pair in dbd.items(pairs, "slurmgate_key_pair_t"):
                    if text(ffi, pair.name) == "PrivateData":
                        private = PrivateData.parse(text(ffi, pair.value))
            query = UserQuery(with_coordinators=True)
            operators = {"root", self._service_user}
            coordinators: dict[str, frozenset[str]] = {}
            with dbd.got(
                lib.slurmdb_users_get(dbd.conn, acct_conds.user(dbd, query)), "slurmdb_users_get"
            ) as users:
                for user in dbd.items(users, "slurmdb_user_rec_t"):
                    name = text(ffi, user.name)
                    if admin_level(user.admin_level).rank >= AdminLevel.OPERATOR.rank:
                        operators.add(name)
                    accounts = frozenset(
                        text(ffi, c.name)
                        for c in dbd.items(user.coord_accts, "slurmdb_coord_rec_t")
                    )
                    if accounts:
                        coordinators[name] = accounts
            return AccessRules(private, frozenset(operators), coordinators)

        return await self._run(principal, work)

    # -- jobs --------------------------------------------------------------------------------

    def _reason_numbers(self, dbd: DbdCall) -> dict[str, int]:
        if self._reasons is None:
            self._reasons = reason_numbers(dbd.ffi, dbd.lib)
        return self._reasons

    async def accounting_jobs(
        self, principal: Principal, query: AccountingQuery
    ) -> list[AccountingJob]:
        query.check()

        def work(dbd: DbdCall) -> list[AccountingJob]:
            ffi, lib = dbd.ffi, dbd.lib
            tables = self.tables(dbd)
            cond = fill_condition(dbd, query, self._cluster, tables, self._reason_numbers(dbd))
            with dbd.got(lib.slurmdb_jobs_get(dbd.conn, cond), "slurmdb_jobs_get") as jobs:
                records = list(dbd.items(jobs, "slurmdb_job_rec_t"))
                if any(r.qosid not in tables.qos for r in records if r.qosid):
                    tables = self.tables(dbd, fresh=True)  # a QOS newer than the table
                return [
                    job_from_c(ffi, lib, tables, r, list(dbd.items(r.steps, "slurmdb_step_rec_t")))
                    for r in records
                ]

        return await self._run(principal, work)

    async def accounting_job(self, principal: Principal, job_id: str) -> list[AccountingJob]:
        StepSelector.parse(job_id)
        found = await self.accounting_jobs(principal, AccountingQuery(job_ids=(job_id,)))
        if not found:
            raise NotFound(
                f"Job {job_id} not found in accounting",
                error_number=ESLURM_INVALID_JOB_ID,
                error="Invalid job id specified",
                source="slurmdb_jobs_get",
            )
        return found

    # -- reads of the rest -------------------------------------------------------------------

    async def accounts(self, principal: Principal, query: AccountQuery) -> list[Account]:
        def work(dbd: DbdCall) -> list[Account]:
            cond = acct_conds.account(dbd, query)
            with dbd.got(
                dbd.lib.slurmdb_accounts_get(dbd.conn, cond), "slurmdb_accounts_get"
            ) as got:
                found = [
                    account_from_c(dbd.ffi, dbd.lib, a)
                    for a in dbd.items(got, "slurmdb_account_rec_t")
                ]
            return sorted(found, key=lambda a: a.name)

        return await self._run(principal, work)

    async def users(self, principal: Principal, query: UserQuery) -> list[User]:
        def work(dbd: DbdCall) -> list[User]:
            tables = self.tables(dbd)
            cond = acct_conds.user(dbd, query)
            with dbd.got(dbd.lib.slurmdb_users_get(dbd.conn, cond), "slurmdb_users_get") as got:
                found = [
                    user_from_c(dbd.ffi, dbd.lib, u, tables)
                    for u in dbd.items(got, "slurmdb_user_rec_t")
                ]
            return sorted(found, key=lambda u: u.name)

        return await self._run(principal, work)

    async def associations(
        self, principal: Principal, query: AssociationQuery
    ) -> list[Association]:
        def work(dbd: DbdCall) -> list[Association]:
            tables = self.tables(dbd)
            cond = acct_conds.association(dbd, query, tables)
            with dbd.got(
                dbd.lib.slurmdb_associations_get(dbd.conn, cond), "slurmdb_associations_get"
            ) as got:
                found = [
                    association_from_c(dbd.ffi, dbd.lib, a, tables)
                    for a in dbd.items(got, "slurmdb_assoc_rec_t")
                ]
            return sorted(found, key=lambda a: a.id)

        return await self._run(principal, work)

    async def qos(self, principal: Principal, query: QosQuery) -> list[Qos]:
        def work(dbd: DbdCall) -> list[Qos]:
            tables = self.tables(dbd)
            cond = acct_conds.qos(dbd, query)
            with dbd.got(dbd.lib.slurmdb_qos_get(dbd.conn, cond), "slurmdb_qos_get") as got:
                found = [
                    qos_from_c(dbd.ffi, dbd.lib, q, tables)
                    for q in dbd.items(got, "slurmdb_qos_rec_t")
                ]
            return sorted(found, key=lambda q: q.id)

        return await self._run(principal, work)

    async def tres(self, principal: Principal) -> list[Tres]:
        def work(dbd: DbdCall) -> list[Tres]:
            return sorted(self.tables(dbd, fresh=True).tres.values(), key=lambda t: t.id)

        return await self._run(principal, work)

    async def clusters(self, principal: Principal, query: ClusterQuery) -> list[ClusterRecord]:
        def work(dbd: DbdCall) -> list[ClusterRecord]:
            tables = self.tables(dbd)
            cond = acct_conds.cluster(dbd, query)
            with dbd.got(
                dbd.lib.slurmdb_clusters_get(dbd.conn, cond), "slurmdb_clusters_get"
            ) as got:
                return [
                    cluster_from_c(dbd.ffi, dbd.lib, c, tables)
                    for c in dbd.items(got, "slurmdb_cluster_rec_t")
                ]

        return await self._run(principal, work)

    async def wckeys(self, principal: Principal, query: WckeyQuery) -> list[Wckey]:
        def work(dbd: DbdCall) -> list[Wckey]:
            cond = acct_conds.wckey(dbd, query)
            with dbd.got(dbd.lib.slurmdb_wckeys_get(dbd.conn, cond), "slurmdb_wckeys_get") as got:
                return [
                    wckey_from_c(dbd.ffi, dbd.lib, w) for w in dbd.items(got, "slurmdb_wckey_rec_t")
                ]

        return await self._run(principal, work)

    async def instances(self, principal: Principal, query: InstanceQuery) -> list[Instance]:
        def work(dbd: DbdCall) -> list[Instance]:
            cond = acct_conds.instance(dbd, query)
            with dbd.got(
                dbd.lib.slurmdb_instances_get(dbd.conn, cond), "slurmdb_instances_get"
            ) as got:
                return [
                    instance_from_c(dbd.ffi, i) for i in dbd.items(got, "slurmdb_instance_rec_t")
                ]

        return await self._run(principal, work)

    async def dbd_ping(self, principal: Principal) -> list[DbdPing]:
        def work(call: Call) -> list[DbdPing]:
            out = call.ffi.new("slurmgate_dbd_ping_t[]", 2)
            count = call.lib.slurmgate_dbd_ping(out, 2)
            return [
                DbdPing(
                    text(call.ffi, out[i].hostname),
                    bool(out[i].responding),
                    int(out[i].latency),
                    bool(out[i].primary),
                )
                for i in range(count)
            ]

        return await self._client().run(principal, work)

    async def dbd_stats(self, principal: Principal) -> DbdStats:
        def work(dbd: DbdCall) -> DbdStats:
            out = dbd.ffi.new("slurmdb_stats_rec_t **")
            dbd.check(dbd.lib.slurmdb_get_stats(dbd.conn, out), "slurmdb_get_stats")
            try:
                return stats_from_c(dbd.ffi, dbd.lib, out[0])
            finally:
                dbd.lib.slurmdb_destroy_stats_rec(out[0])

        return await self._run(principal, work)

    # -- changes (acct_writes) -------------------------------------------------------------

    async def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        return await self._run(principal, lambda dbd: acct_writes.add_accounts(dbd, accounts))

    async def add_accounts_with_associations(
        self, principal: Principal, account: Account, add: AssociationAdd
    ) -> list[str]:
        return await self._run(
            principal,
            lambda dbd: acct_writes.add_accounts_with_associations(
                dbd, self.tables(dbd), account, add, self._cluster
            ),
        )

    async def remove_account(self, principal: Principal, name: str) -> list[str]:
        return await self._run(principal, lambda dbd: acct_writes.remove_account(dbd, name))

    async def add_users(self, principal: Principal, users: list[User]) -> list[str]:
        return await self._run(
            principal, lambda dbd: acct_writes.add_users(dbd, self._cluster, users)
        )

    async def add_users_with_associations(
        self, principal: Principal, add: AssociationAdd, user: User | None = None
    ) -> list[str]:
        return await self._run(
            principal,
            lambda dbd: acct_writes.add_users_with_associations(
                dbd, self.tables(dbd), add, user, self._cluster
            ),
        )

    async def remove_user(self, principal: Principal, name: str) -> list[str]:
        return await self._run(principal, lambda dbd: acct_writes.remove_user(dbd, name))

    async def set_associations(
        self, principal: Principal, associations: list[Association]
    ) -> list[str]:
        return await self._run(
            principal,
            lambda dbd: acct_writes_limits.set_associations(
                dbd, self.tables(dbd), associations, self._cluster
            ),
        )

    async def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        return await self._run(
            principal,
            lambda dbd: acct_writes_limits.remove_associations(dbd, self.tables(dbd), query),
        )

    async def set_qos(self, principal: Principal, qos: list[Qos]) -> list[str]:
        return await self._run(
            principal, lambda dbd: acct_writes_limits.set_qos(dbd, self.tables(dbd), qos)
        )

    async def remove_qos(self, principal: Principal, name: str) -> list[str]:
        return await self._run(principal, lambda dbd: acct_writes_limits.remove_qos(dbd, name))
