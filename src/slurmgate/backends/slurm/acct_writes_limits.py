"""Changes to slurmdbd's associations and QOS, the records that carry limits.

An association is added when slurmdbd has none for its cluster, account, user and partition,
and changed otherwise with only the fields given; so is a QOS by name. Records sent are
initialised as libslurmdb's ``slurmdb_init_*`` leave them (every limit NO_VAL: unchanged).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from slurmgate.backends.slurm import acct_conds
from slurmgate.backends.slurm.acct_conds import PREEMPT_NAMES, qos_ids
from slurmgate.backends.slurm.acct_entities_read import QOS_FLAGS
from slurmgate.backends.slurm.acct_jobs_read import Tables
from slurmgate.backends.slurm.acct_writes_common import (
    changed,
    exists,
    limit,
    removed,
    tres_limits,
)
from slurmgate.backends.slurm.dbd import DbdCall
from slurmgate.domain import InvalidRequest, NotSupported
from slurmgate.domain.associations import Association, AssociationQuery, Qos, QosQuery

_QOS_FLAG_BITS = {name: constant for constant, name in QOS_FLAGS}


# -- associations ---------------------------------------------------------------------------


def new_association(dbd: DbdCall, assoc: Association, cluster: str) -> Any:
    record = dbd.keep(dbd.ffi.new("slurmdb_assoc_rec_t *"))
    dbd.lib.slurmdb_init_assoc_rec(record, False)
    record.acct = dbd.string(assoc.account)
    record.cluster = dbd.string(assoc.cluster or cluster)
    record.user = dbd.string(assoc.user or None)
    record.partition = dbd.string(assoc.partition or None)
    if not assoc.user:
        record.parent_acct = dbd.string(assoc.parent_account or "root")
    return record


def _fill_association(dbd: DbdCall, tables: Tables, record: Any, assoc: Association) -> None:
    lib = dbd.lib
    if assoc.shares is not None:
        record.shares_raw = limit(assoc.shares)
    if assoc.priority is not None:
        record.priority = limit(assoc.priority)
    if assoc.is_default is not None and assoc.user:
        record.is_def = int(assoc.is_default)
    if assoc.comment is not None:
        if lib.slurmgate_assoc_set_comment(record, dbd.string(assoc.comment)) < 0:
            raise NotSupported("This Slurm release keeps no comment on associations")
    if assoc.qos is not None:
        record.qos_list = dbd.strings(qos_ids(tables, assoc.qos) or [""])
    if assoc.default_qos is not None:
        ids = qos_ids(tables, (assoc.default_qos,)) if assoc.default_qos else ["0"]
        record.def_qos_id = int(ids[0])
    limits = assoc.limits
    for name, value in (
        ("max_jobs", limits.max_jobs),
        ("max_jobs_accrue", limits.max_jobs_accrue),
        ("max_submit_jobs", limits.max_submit_jobs),
        ("max_wall_pj", limits.max_wall_per_job),
        ("grp_jobs", limits.grp_jobs),
        ("grp_jobs_accrue", limits.grp_jobs_accrue),
        ("grp_submit_jobs", limits.grp_submit_jobs),
        ("grp_wall", limits.grp_wall),
        ("min_prio_thresh", limits.min_priority_threshold),
    ):
        if value is not None:
            setattr(record, name, limit(value))
    for name, tres in (
        ("max_tres_pj", limits.max_tres_per_job),
        ("max_tres_pn", limits.max_tres_per_node),
        ("max_tres_mins_pj", limits.max_tres_mins_per_job),
        ("max_tres_run_mins", limits.max_tres_run_mins),
        ("grp_tres", limits.grp_tres),
        ("grp_tres_mins", limits.grp_tres_mins),
        ("grp_tres_run_mins", limits.grp_tres_run_mins),
    ):
        if tres is not None:
            setattr(record, name, tres_limits(dbd, tables, tres))


def _changes_anything(assoc: Association) -> bool:
    given = (assoc.shares, assoc.priority, assoc.comment, assoc.qos, assoc.default_qos)
    limits = dataclasses.astuple(assoc.limits)
    return (
        any(v is not None for v in (*given, *limits))
        or (assoc.is_default is not None and bool(assoc.user))
        or (bool(assoc.parent_account) and not assoc.user)
    )


def _describe(assoc: Association, cluster: str) -> str:
    text = f"C = {assoc.cluster or cluster} A = {assoc.account}"
    text += f" U = {assoc.user}" if assoc.user else ""
    return text + (f" P = {assoc.partition}" if assoc.partition else "")


def set_associations(
    dbd: DbdCall, tables: Tables, assocs: list[Association], cluster: str
) -> list[str]:
    lib = dbd.lib
    new, done = [], []
    for assoc in assocs:
        query = AssociationQuery(
            accounts=(assoc.account,),
            users=(assoc.user,) if assoc.user else ("",),
            partitions=(assoc.partition,) if assoc.partition else (),
            clusters=(assoc.cluster or cluster,),
        )
        matches = []
        cond = acct_conds.association(dbd, query, tables)
        with dbd.got(lib.slurmdb_associations_get(dbd.conn, cond), "associations") as found:
            for item in dbd.items(found, "slurmdb_assoc_rec_t"):
                partition = dbd.ffi.string(item.partition).decode() if item.partition else ""
                if partition == assoc.partition:
                    matches.append(int(item.id))
        if matches:
            if not _changes_anything(assoc):
                continue
            changes = dbd.keep(dbd.ffi.new("slurmdb_assoc_rec_t *"))
            lib.slurmdb_init_assoc_rec(changes, False)
            _fill_association(dbd, tables, changes, assoc)
            if assoc.parent_account and not assoc.user:
                changes.parent_acct = dbd.string(assoc.parent_account)
            # slurmdbd changes user associations only when users are named, else only
            # accounts' (as_mysql_modify_assocs).
            users = (assoc.user,) if assoc.user else ()
            by_id = acct_conds.association(
                dbd, AssociationQuery(ids=tuple(matches), users=users), tables
            )
            lib.slurmgate_clear_errno()
            result = lib.slurmdb_associations_modify(dbd.conn, by_id, changes)
            if changed(dbd, result, "slurmdb_associations_modify"):
                done.append(f"changed association {_describe(assoc, cluster)}")
            continue
        record = new_association(dbd, assoc, cluster)
        _fill_association(dbd, tables, record, assoc)
        new.append(record)
        done.append(f"added association {_describe(assoc, cluster)}")
    if new:
        dbd.check(
            lib.slurmdb_associations_add(dbd.conn, dbd.pointers(new)), "slurmdb_associations_add"
        )
    dbd.commit()
    return done


def remove_associations(dbd: DbdCall, tables: Tables, query: AssociationQuery) -> list[str]:
    if query.is_empty:
        raise InvalidRequest("Refusing to remove every association: give a filter")
    cond = acct_conds.association(dbd, query, tables)
    dbd.lib.slurmgate_clear_errno()
    result = dbd.lib.slurmdb_associations_remove(dbd.conn, cond)
    return removed(dbd, result, "slurmdb_associations_remove", "association matches")


# -- QOS ------------------------------------------------------------------------------------


def _fill_qos(dbd: DbdCall, tables: Tables, record: Any, qos: Qos) -> None:
    lib = dbd.lib
    if qos.description is not None:
        record.description = dbd.string(qos.description)
    if qos.flags is not None:
        bits = 0
        for flag in qos.flags:
            if flag not in _QOS_FLAG_BITS:
                raise InvalidRequest(f"Unknown QOS flag {flag!r}", source="flags")
            bits |= int(getattr(lib, _QOS_FLAG_BITS[flag]))
        record.flags = bits
    if qos.priority is not None:
        record.priority = limit(qos.priority)
    for name, value in (("usage_factor", qos.usage_factor), ("usage_thres", qos.usage_threshold)):
        if value is not None:
            setattr(record, name, value)
    if qos.preempt is not None:
        record.preempt_list = dbd.strings(qos_ids(tables, qos.preempt, "preempt") or [""])
    if qos.preempt_mode is not None:
        mode = 0
        for name in qos.preempt_mode:
            constant = PREEMPT_NAMES.get(name.upper())
            if constant is None:
                raise InvalidRequest(f"Invalid preempt mode {name!r}", source="preempt_mode")
            mode |= int(getattr(lib, constant))
        record.preempt_mode = mode
    if qos.preempt_exempt_time is not None:
        record.preempt_exempt_time = limit(qos.preempt_exempt_time)
    limits = qos.limits
    for name, value in (
        ("grace_time", limits.grace_time),
        ("max_jobs_pu", limits.max_jobs_per_user),
        ("max_jobs_pa", limits.max_jobs_per_account),
        ("max_jobs_accrue_pu", limits.max_jobs_accrue_per_user),
        ("max_jobs_accrue_pa", limits.max_jobs_accrue_per_account),
        ("max_submit_jobs_pu", limits.max_submit_jobs_per_user),
        ("max_submit_jobs_pa", limits.max_submit_jobs_per_account),
        ("max_wall_pj", limits.max_wall_per_job),
        ("grp_jobs", limits.grp_jobs),
        ("grp_jobs_accrue", limits.grp_jobs_accrue),
        ("grp_submit_jobs", limits.grp_submit_jobs),
        ("grp_wall", limits.grp_wall),
        ("min_prio_thresh", limits.min_priority_threshold),
    ):
        if value is not None:
            setattr(record, name, limit(value))
    if limits.limit_factor is not None:
        record.limit_factor = limits.limit_factor
    for name, tres in (
        ("grp_tres", limits.grp_tres),
        ("grp_tres_mins", limits.grp_tres_mins),
        ("grp_tres_run_mins", limits.grp_tres_run_mins),
        ("max_tres_pj", limits.max_tres_per_job),
        ("max_tres_pn", limits.max_tres_per_node),
        ("max_tres_pu", limits.max_tres_per_user),
        ("max_tres_pa", limits.max_tres_per_account),
        ("max_tres_mins_pj", limits.max_tres_mins_per_job),
        ("max_tres_run_mins_pu", limits.max_tres_run_mins_per_user),
        ("max_tres_run_mins_pa", limits.max_tres_run_mins_per_account),
        ("min_tres_pj", limits.min_tres_per_job),
    ):
        if tres is not None:
            setattr(record, name, tres_limits(dbd, tables, tres))


def set_qos(dbd: DbdCall, tables: Tables, entries: list[Qos]) -> list[str]:
    ffi, lib = dbd.ffi, dbd.lib
    new, done = [], []
    for qos in entries:
        record = dbd.keep(ffi.new("slurmdb_qos_rec_t *"))
        lib.slurmdb_init_qos_rec(record, False, lib.NO_VAL)
        _fill_qos(dbd, tables, record, qos)
        query = acct_conds.qos(dbd, QosQuery(names=(qos.name,)))
        if exists(dbd, lib.slurmdb_qos_get, query, "slurmdb_qos_rec_t", "qos"):
            lib.slurmgate_clear_errno()
            if changed(dbd, lib.slurmdb_qos_modify(dbd.conn, query, record), "modify"):
                done.append(f"changed qos {qos.name}")
            continue
        record.name = dbd.string(qos.name)
        if qos.flags is None:
            record.flags = 0
        new.append(record)
        done.append(f"added qos {qos.name}")
    if new:
        dbd.check(lib.slurmdb_qos_add(dbd.conn, dbd.pointers(new)), "slurmdb_qos_add")
    dbd.commit()
    return done


def remove_qos(dbd: DbdCall, name: str) -> list[str]:
    cond = acct_conds.qos(dbd, QosQuery(names=(name,)))
    dbd.lib.slurmgate_clear_errno()
    result = dbd.lib.slurmdb_qos_remove(dbd.conn, cond)
    return removed(dbd, result, "slurmdb_qos_remove", f"QOS {name!r}")
