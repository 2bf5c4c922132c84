"""The accounting half of the Backend protocol, handed by a backend to the object that does it.

A backend's accounting lives in its own object (the embedded cluster's ``LocalAccounting``,
the slurm backend's ``SlurmAccounting``); inheriting ``AccountingDelegate`` gives the backend
every ``AccountingSource`` method, each passed on to ``accounting_source``.
"""

from __future__ import annotations

from slurmgate.backends.base import AccountingSource
from slurmgate.domain import Principal
from slurmgate.domain.access import AccessRules
from slurmgate.domain.accounting import AccountingJob, AccountingQuery, Tres
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


class AccountingDelegate:
    accounting_source: AccountingSource

    async def accounting_rules(self, principal: Principal) -> AccessRules:
        return await self.accounting_source.accounting_rules(principal)

    async def accounting_jobs(
        self, principal: Principal, query: AccountingQuery
    ) -> list[AccountingJob]:
        return await self.accounting_source.accounting_jobs(principal, query)

    async def accounting_job(self, principal: Principal, job_id: str) -> list[AccountingJob]:
        return await self.accounting_source.accounting_job(principal, job_id)

    async def accounts(self, principal: Principal, query: AccountQuery) -> list[Account]:
        return await self.accounting_source.accounts(principal, query)

    async def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        return await self.accounting_source.add_accounts(principal, accounts)

    async def add_accounts_with_associations(
        self, principal: Principal, account: Account, add: AssociationAdd
    ) -> list[str]:
        return await self.accounting_source.add_accounts_with_associations(principal, account, add)

    async def remove_account(self, principal: Principal, name: str) -> list[str]:
        return await self.accounting_source.remove_account(principal, name)

    async def users(self, principal: Principal, query: UserQuery) -> list[User]:
        return await self.accounting_source.users(principal, query)

    async def add_users(self, principal: Principal, users: list[User]) -> list[str]:
        return await self.accounting_source.add_users(principal, users)

    async def add_users_with_associations(
        self, principal: Principal, add: AssociationAdd, user: User | None = None
    ) -> list[str]:
        return await self.accounting_source.add_users_with_associations(principal, add, user)

    async def remove_user(self, principal: Principal, name: str) -> list[str]:
        return await self.accounting_source.remove_user(principal, name)

    async def associations(
        self, principal: Principal, query: AssociationQuery
    ) -> list[Association]:
        return await self.accounting_source.associations(principal, query)

    async def set_associations(
        self, principal: Principal, associations: list[Association]
    ) -> list[str]:
        return await self.accounting_source.set_associations(principal, associations)

    async def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        return await self.accounting_source.remove_associations(principal, query)

    async def qos(self, principal: Principal, query: QosQuery) -> list[Qos]:
        return await self.accounting_source.qos(principal, query)

    async def set_qos(self, principal: Principal, qos: list[Qos]) -> list[str]:
        return await self.accounting_source.set_qos(principal, qos)

    async def remove_qos(self, principal: Principal, name: str) -> list[str]:
        return await self.accounting_source.remove_qos(principal, name)

    async def tres(self, principal: Principal) -> list[Tres]:
        return await self.accounting_source.tres(principal)

    async def clusters(self, principal: Principal, query: ClusterQuery) -> list[ClusterRecord]:
        return await self.accounting_source.clusters(principal, query)

    async def wckeys(self, principal: Principal, query: WckeyQuery) -> list[Wckey]:
        return await self.accounting_source.wckeys(principal, query)

    async def instances(self, principal: Principal, query: InstanceQuery) -> list[Instance]:
        return await self.accounting_source.instances(principal, query)

    async def dbd_ping(self, principal: Principal) -> list[DbdPing]:
        return await self.accounting_source.dbd_ping(principal)

    async def dbd_stats(self, principal: Principal) -> DbdStats:
        return await self.accounting_source.dbd_stats(principal)
