"""The conditions (``slurmdb_*_cond_t``) that choose accounts, users, associations, QOS,
wckeys, clusters and instances, from the domain's queries.

Empty lists are NULL (no filter), as sacctmgr leaves them. QOS are named in queries and
chosen by id in conditions; the QOS table maps one to the other. Conditions whose ``with_*``
fields became flags in later releases are set through the binding's setters.
"""

from __future__ import annotations

from typing import Any

from slurmgate.backends.slurm.acct_jobs_read import Tables
from slurmgate.backends.slurm.dbd import DbdCall
from slurmgate.domain import InvalidRequest
from slurmgate.domain.associations import (
    AccountQuery,
    AdminLevel,
    AssociationQuery,
    QosQuery,
    UserQuery,
    WckeyQuery,
)
from slurmgate.domain.dbd import ClusterQuery, InstanceQuery

ADMIN_LEVELS = {
    AdminLevel.NOT_SET: "SLURMDB_ADMIN_NOTSET",
    AdminLevel.NONE: "SLURMDB_ADMIN_NONE",
    AdminLevel.OPERATOR: "SLURMDB_ADMIN_OPERATOR",
    AdminLevel.ADMINISTRATOR: "SLURMDB_ADMIN_SUPER_USER",
}
PREEMPT_NAMES = {
    "DISABLED": "PREEMPT_MODE_OFF",
    "OFF": "PREEMPT_MODE_OFF",
    "SUSPEND": "PREEMPT_MODE_SUSPEND",
    "REQUEUE": "PREEMPT_MODE_REQUEUE",
    "CANCEL": "PREEMPT_MODE_CANCEL",
    "GANG": "PREEMPT_MODE_GANG",
}


def qos_ids(tables: Tables, names: tuple[str, ...], source: str = "qos") -> list[str]:
    found = []
    for name in names:
        if name not in tables.qos_ids:
            raise InvalidRequest(f"Invalid qos specification: {name!r}", source=source)
        found.append(str(tables.qos_ids[name]))
    return found


def association(dbd: DbdCall, query: AssociationQuery, tables: Tables) -> Any:
    cond = dbd.keep(dbd.ffi.new("slurmdb_assoc_cond_t *"))
    cond.id_list = dbd.strings(str(i) for i in query.ids)
    cond.acct_list = dbd.strings(query.accounts)
    cond.user_list = dbd.strings(query.users)
    cond.partition_list = dbd.strings(query.partitions)
    cond.cluster_list = dbd.strings(query.clusters)
    cond.parent_acct_list = dbd.strings(query.parent_accounts)
    cond.qos_list = dbd.strings(qos_ids(tables, query.qos))
    cond.def_qos_id_list = dbd.strings(qos_ids(tables, query.default_qos, "default_qos"))
    dbd.lib.slurmgate_assoc_cond_flags(
        cond,
        query.only_defaults,
        query.with_deleted,
        query.with_raw_qos,
        query.with_sub_accounts,
        query.without_parent_info,
        query.without_parent_limits,
    )
    return cond


def _names_only(dbd: DbdCall, names: tuple[str, ...], accounts: bool) -> Any:
    """An association condition naming accounts or users (what account and user conditions
    choose by)."""
    cond = dbd.keep(dbd.ffi.new("slurmdb_assoc_cond_t *"))
    if accounts:
        cond.acct_list = dbd.strings(names)
    else:
        cond.user_list = dbd.strings(names)
    return cond


def account(dbd: DbdCall, query: AccountQuery) -> Any:
    cond = dbd.keep(dbd.ffi.new("slurmdb_account_cond_t *"))
    cond.assoc_cond = _names_only(dbd, query.names, accounts=True)
    cond.description_list = dbd.strings(query.descriptions)
    cond.organization_list = dbd.strings(query.organizations)
    dbd.lib.slurmgate_account_cond_flags(
        cond, query.with_associations, query.with_coordinators, query.with_deleted
    )
    return cond


def user(dbd: DbdCall, query: UserQuery) -> Any:
    lib = dbd.lib
    cond = dbd.keep(dbd.ffi.new("slurmdb_user_cond_t *"))
    level = query.admin_level or AdminLevel.NOT_SET
    cond.admin_level = getattr(lib, ADMIN_LEVELS[level])
    cond.assoc_cond = _names_only(dbd, query.names, accounts=False)
    cond.def_acct_list = dbd.strings(query.default_accounts)
    cond.def_wckey_list = dbd.strings(query.default_wckeys)
    cond.with_assocs = query.with_associations
    cond.with_coords = query.with_coordinators
    cond.with_deleted = query.with_deleted
    cond.with_wckeys = query.with_wckeys
    cond.without_defaults = query.without_defaults
    return cond


def qos(dbd: DbdCall, query: QosQuery) -> Any:
    lib = dbd.lib
    cond = dbd.keep(dbd.ffi.new("slurmdb_qos_cond_t *"))
    cond.name_list = dbd.strings(query.names)
    cond.id_list = dbd.strings(str(i) for i in query.ids)
    cond.description_list = dbd.strings(query.descriptions)
    if query.preempt_mode:
        name = PREEMPT_NAMES.get(query.preempt_mode.upper())
        if name is None:
            raise InvalidRequest(f"Invalid preempt mode {query.preempt_mode!r}")
        cond.preempt_mode = getattr(lib, name)
    lib.slurmgate_qos_cond_deleted(cond, query.with_deleted)
    return cond


def wckey(dbd: DbdCall, query: WckeyQuery) -> Any:
    cond = dbd.keep(dbd.ffi.new("slurmdb_wckey_cond_t *"))
    cond.name_list = dbd.strings(query.names)
    cond.id_list = dbd.strings(str(i) for i in query.ids)
    cond.user_list = dbd.strings(query.users)
    cond.cluster_list = dbd.strings(query.clusters)
    cond.only_defs = query.only_defaults
    cond.with_deleted = query.with_deleted
    return cond


def cluster(dbd: DbdCall, query: ClusterQuery) -> Any:
    cond = dbd.keep(dbd.ffi.new("slurmdb_cluster_cond_t *"))
    dbd.lib.slurmdb_init_cluster_cond(cond, False)
    cond.cluster_list = dbd.strings(query.names)
    cond.with_deleted = query.with_deleted
    return cond


def instance(dbd: DbdCall, query: InstanceQuery) -> Any:
    ffi = dbd.ffi
    cond = dbd.keep(ffi.new("slurmdb_instance_cond_t *"))
    cond.cluster_list = dbd.strings(query.clusters)
    cond.extra_list = dbd.strings(query.extra)
    cond.instance_id_list = dbd.strings(query.instance_ids)
    cond.instance_type_list = dbd.strings(query.instance_types)
    cond.node_list = dbd.string(query.node_list) if query.node_list else ffi.NULL
    cond.time_start = query.time_start or 0
    cond.time_end = query.time_end or 0
    return cond


def tres(dbd: DbdCall) -> Any:
    cond = dbd.keep(dbd.ffi.new("slurmdb_tres_cond_t *"))
    dbd.lib.slurmdb_init_tres_cond(cond, False)
    cond.with_deleted = 1
    return cond
