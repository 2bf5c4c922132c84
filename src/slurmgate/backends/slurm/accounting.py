"""Accounting on a real cluster: slurmdbd through libslurmdb, as the requesting user."""

from __future__ import annotations

from slurmgate.domain import NotSupported, Principal
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


def _unbound() -> NotSupported:
    return NotSupported("slurmdbd's calls are not bound yet", source="accounting")


class SlurmAccounting:
    async def accounting_rules(self, principal: Principal) -> AccessRules:
        raise _unbound()

    async def accounting_jobs(
        self, principal: Principal, query: AccountingQuery
    ) -> list[AccountingJob]:
        raise _unbound()

    async def accounting_job(self, principal: Principal, job_id: str) -> list[AccountingJob]:
        raise _unbound()

    async def accounts(self, principal: Principal, query: AccountQuery) -> list[Account]:
        raise _unbound()

    async def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        raise _unbound()

    async def add_accounts_with_associations(
        self, principal: Principal, account: Account, add: AssociationAdd
    ) -> list[str]:
        raise _unbound()

    async def remove_account(self, principal: Principal, name: str) -> list[str]:
        raise _unbound()

    async def users(self, principal: Principal, query: UserQuery) -> list[User]:
        raise _unbound()

    async def add_users(self, principal: Principal, users: list[User]) -> list[str]:
        raise _unbound()

    async def add_users_with_associations(
        self, principal: Principal, add: AssociationAdd, user: User | None = None
    ) -> list[str]:
        raise _unbound()

    async def remove_user(self, principal: Principal, name: str) -> list[str]:
        raise _unbound()

    async def associations(
        self, principal: Principal, query: AssociationQuery
    ) -> list[Association]:
        raise _unbound()

    async def set_associations(
        self, principal: Principal, associations: list[Association]
    ) -> list[str]:
        raise _unbound()

    async def remove_associations(self, principal: Principal, query: AssociationQuery) -> list[str]:
        raise _unbound()

    async def qos(self, principal: Principal, query: QosQuery) -> list[Qos]:
        raise _unbound()

    async def set_qos(self, principal: Principal, qos: list[Qos]) -> list[str]:
        raise _unbound()

    async def remove_qos(self, principal: Principal, name: str) -> list[str]:
        raise _unbound()

    async def tres(self, principal: Principal) -> list[Tres]:
        raise _unbound()

    async def clusters(self, principal: Principal, query: ClusterQuery) -> list[ClusterRecord]:
        raise _unbound()

    async def wckeys(self, principal: Principal, query: WckeyQuery) -> list[Wckey]:
        raise _unbound()

    async def instances(self, principal: Principal, query: InstanceQuery) -> list[Instance]:
        raise _unbound()

    async def dbd_ping(self, principal: Principal) -> list[DbdPing]:
        raise _unbound()

    async def dbd_stats(self, principal: Principal) -> DbdStats:
        raise _unbound()
