"""slurmdbd's accounts, users, associations, QOS, clusters, wckeys, instances and statistics
as domain records, and the conditions that choose them.

Numbers Slurm leaves unset or unlimited (NO_VAL, INFINITE, at every width, and as doubles) read
as None; TRES limits come by id and are named with the TRES table, QOS by id with the QOS
table. Call these only while the list is alive: every string is copied out.
"""

from __future__ import annotations

from typing import Any

from slurmgate.backends.slurm.access_read import slurm_list
from slurmgate.backends.slurm.acct_jobs_read import Tables
from slurmgate.backends.slurm.cvalues import NO_VAL, libslurm_function, number, text
from slurmgate.backends.slurm.jobs_read import user_name
from slurmgate.domain.accounting import AssociationRef
from slurmgate.domain.associations import (
    Account,
    AdminLevel,
    Association,
    AssociationLimits,
    Coordinator,
    Qos,
    QosLimits,
    User,
    Wckey,
)
from slurmgate.domain.dbd import ClusterRecord, DbdStats, Instance, RollupStats, RpcCount

#: QOS flags (QOS_FLAG_*) by slurmrestd's names.
QOS_FLAGS = (
    ("QOS_FLAG_PART_MIN_NODE", "PARTITION_MINIMUM_NODE"),
    ("QOS_FLAG_PART_MAX_NODE", "PARTITION_MAXIMUM_NODE"),
    ("QOS_FLAG_PART_TIME_LIMIT", "PARTITION_TIME_LIMIT"),
    ("QOS_FLAG_ENFORCE_USAGE_THRES", "ENFORCE_USAGE_THRESHOLD"),
    ("QOS_FLAG_NO_RESERVE", "NO_RESERVE"),
    ("QOS_FLAG_REQ_RESV", "REQUIRED_RESERVATION"),
    ("QOS_FLAG_DENY_LIMIT", "DENY_LIMIT"),
    ("QOS_FLAG_OVER_PART_QOS", "OVERRIDE_PARTITION_QOS"),
    ("QOS_FLAG_NO_DECAY", "NO_DECAY"),
    ("QOS_FLAG_USAGE_FACTOR_SAFE", "USAGE_FACTOR_SAFE"),
)
#: Preempt modes (PREEMPT_MODE_*) by slurmrestd's names; none set is DISABLED.
PREEMPT_MODES = (
    ("PREEMPT_MODE_SUSPEND", "SUSPEND"),
    ("PREEMPT_MODE_REQUEUE", "REQUEUE"),
    ("PREEMPT_MODE_CANCEL", "CANCEL"),
    ("PREEMPT_MODE_GANG", "GANG"),
)
_CLUSTER_FLAGS = (
    ("CLUSTER_FLAG_MULTSD", "MULTIPLE_SLURMD"),
    ("CLUSTER_FLAG_FED", "FEDERATION"),
    ("CLUSTER_FLAG_EXT", "EXTERNAL"),
)
_ADMIN = {1: AdminLevel.NONE, 2: AdminLevel.OPERATOR, 3: AdminLevel.ADMINISTRATOR}
_PERIODS = ("hourly", "daily", "monthly")
_DELETED = ("DELETED",)


def _s(ffi: Any, pointer: Any) -> str:
    return text(ffi, pointer)


def _n(value: int) -> int | None:
    return number(value)


def _d(value: float) -> float | None:
    """A double Slurm may leave unset ((double) NO_VAL or INFINITE)."""
    return None if value >= float(NO_VAL) else float(value)


def _indexes(bitmap: str) -> list[int]:
    """The bits set in slurm_bit_fmt's form: "1-3,5"."""
    found: list[int] = []
    for part in filter(None, bitmap.split(",")):
        low, _, high = part.partition("-")
        found += range(int(low), int(high or low) + 1)
    return found


def admin_level(value: int) -> AdminLevel:
    return _ADMIN.get(value, AdminLevel.NOT_SET)


def _ref(ffi: Any, assoc: Any) -> AssociationRef:
    return AssociationRef(
        _s(ffi, assoc.acct),
        _s(ffi, assoc.cluster),
        _s(ffi, assoc.user),
        _s(ffi, assoc.partition),
        assoc.id,
    )


def _refs(ffi: Any, lib: Any, items: Any) -> tuple[AssociationRef, ...]:
    return tuple(_ref(ffi, a) for a in slurm_list(ffi, lib, items, "slurmdb_assoc_rec_t"))


def _coordinators(ffi: Any, lib: Any, items: Any) -> tuple[Coordinator, ...]:
    return tuple(
        Coordinator(_s(ffi, c.name), bool(c.direct))
        for c in slurm_list(ffi, lib, items, "slurmdb_coord_rec_t")
    )


def _qos_names(ffi: Any, lib: Any, items: Any, tables: Tables) -> tuple[str, ...]:
    names = []
    for item in slurm_list(ffi, lib, items, "char"):
        value = _s(ffi, item)
        sign = value[:1] if value[:1] in "+-" else ""
        bare = value[len(sign) :]
        names.append(sign + tables.qos.get(int(bare), bare) if bare.isdigit() else value)
    return tuple(names)


def account_from_c(ffi: Any, lib: Any, account: Any) -> Account:
    return Account(
        name=_s(ffi, account.name),
        description=_s(ffi, account.description),
        organization=_s(ffi, account.organization),
        coordinators=_coordinators(ffi, lib, account.coordinators),
        associations=_refs(ffi, lib, account.assoc_list),
        flags=_DELETED if account.flags & lib.SLURMDB_ACCT_FLAG_DELETED else (),
    )


def wckey_from_c(ffi: Any, lib: Any, wckey: Any) -> Wckey:
    return Wckey(
        name=_s(ffi, wckey.name),
        user=_s(ffi, wckey.user),
        cluster=_s(ffi, wckey.cluster),
        id=wckey.id,
        is_default=bool(wckey.is_def) and wckey.is_def != 0xFFFF,
        flags=_DELETED if wckey.flags & lib.SLURMDB_WCKEY_FLAG_DELETED else (),
    )


def user_from_c(ffi: Any, lib: Any, user: Any, tables: Tables) -> User:
    default_qos = lib.slurmgate_user_def_qos(user)
    return User(
        name=_s(ffi, user.name),
        admin_level=admin_level(user.admin_level),
        default_account=_s(ffi, user.default_acct),
        default_wckey=_s(ffi, user.default_wckey),
        default_qos=tables.qos.get(default_qos, "") if default_qos not in (0, NO_VAL) else "",
        coordinators=_coordinators(ffi, lib, user.coord_accts),
        associations=_refs(ffi, lib, user.assoc_list),
        wckeys=tuple(
            wckey_from_c(ffi, lib, w)
            for w in slurm_list(ffi, lib, user.wckey_list, "slurmdb_wckey_rec_t")
        ),
        flags=_DELETED if user.flags & lib.SLURMDB_USER_FLAG_DELETED else (),
        old_name=_s(ffi, user.old_name),
    )


def association_from_c(ffi: Any, lib: Any, assoc: Any, tables: Tables) -> Association:
    tres = tables.tres_list
    default_qos = assoc.def_qos_id
    is_def = assoc.is_def
    return Association(
        account=_s(ffi, assoc.acct),
        cluster=_s(ffi, assoc.cluster),
        user=_s(ffi, assoc.user),
        partition=_s(ffi, assoc.partition),
        id=assoc.id,
        parent_account=_s(ffi, assoc.parent_acct),
        lineage=_s(ffi, lib.slurmgate_assoc_lineage(assoc)),
        is_default=bool(is_def) and is_def != 0xFFFF,
        comment=_s(ffi, lib.slurmgate_assoc_comment(assoc)),
        flags=_DELETED if assoc.flags & lib.ASSOC_FLAG_DELETED else (),
        shares=_n(assoc.shares_raw),
        priority=_n(assoc.priority),
        qos=_qos_names(ffi, lib, assoc.qos_list, tables),
        default_qos=tables.qos.get(default_qos, "") if default_qos not in (0, NO_VAL) else "",
        limits=AssociationLimits(
            max_jobs=_n(assoc.max_jobs),
            max_jobs_accrue=_n(assoc.max_jobs_accrue),
            max_submit_jobs=_n(assoc.max_submit_jobs),
            max_wall_per_job=_n(assoc.max_wall_pj),
            grp_jobs=_n(assoc.grp_jobs),
            grp_jobs_accrue=_n(assoc.grp_jobs_accrue),
            grp_submit_jobs=_n(assoc.grp_submit_jobs),
            grp_wall=_n(assoc.grp_wall),
            max_tres_per_job=tres(_s(ffi, assoc.max_tres_pj)),
            max_tres_per_node=tres(_s(ffi, assoc.max_tres_pn)),
            max_tres_mins_per_job=tres(_s(ffi, assoc.max_tres_mins_pj)),
            max_tres_run_mins=tres(_s(ffi, assoc.max_tres_run_mins)),
            grp_tres=tres(_s(ffi, assoc.grp_tres)),
            grp_tres_mins=tres(_s(ffi, assoc.grp_tres_mins)),
            grp_tres_run_mins=tres(_s(ffi, assoc.grp_tres_run_mins)),
            min_priority_threshold=_n(assoc.min_prio_thresh),
        ),
    )


def qos_from_c(ffi: Any, lib: Any, qos: Any, tables: Tables) -> Qos:
    tres = tables.tres_list
    buf = ffi.new("char[]", 4096)
    lib.slurmgate_qos_preempt(qos, buf, 4096)
    preempt = [tables.qos.get(i, str(i)) for i in _indexes(text(ffi, buf))]
    flags = qos.flags
    mode = qos.preempt_mode
    return Qos(
        name=_s(ffi, qos.name),
        id=qos.id,
        description=_s(ffi, qos.description),
        flags=tuple(name for constant, name in QOS_FLAGS if flags & getattr(lib, constant)),
        priority=_n(qos.priority),
        usage_factor=_d(qos.usage_factor),
        usage_threshold=_d(qos.usage_thres),
        preempt=tuple(preempt),
        preempt_mode=tuple(
            name for constant, name in PREEMPT_MODES if mode & getattr(lib, constant)
        )
        or ("DISABLED",),
        preempt_exempt_time=_n(qos.preempt_exempt_time),
        limits=QosLimits(
            grace_time=_n(qos.grace_time),
            max_jobs_per_user=_n(qos.max_jobs_pu),
            max_jobs_per_account=_n(qos.max_jobs_pa),
            max_jobs_accrue_per_user=_n(qos.max_jobs_accrue_pu),
            max_jobs_accrue_per_account=_n(qos.max_jobs_accrue_pa),
            max_submit_jobs_per_user=_n(qos.max_submit_jobs_pu),
            max_submit_jobs_per_account=_n(qos.max_submit_jobs_pa),
            max_wall_per_job=_n(qos.max_wall_pj),
            grp_jobs=_n(qos.grp_jobs),
            grp_jobs_accrue=_n(qos.grp_jobs_accrue),
            grp_submit_jobs=_n(qos.grp_submit_jobs),
            grp_wall=_n(qos.grp_wall),
            grp_tres=tres(_s(ffi, qos.grp_tres)),
            grp_tres_mins=tres(_s(ffi, qos.grp_tres_mins)),
            grp_tres_run_mins=tres(_s(ffi, qos.grp_tres_run_mins)),
            max_tres_per_job=tres(_s(ffi, qos.max_tres_pj)),
            max_tres_per_node=tres(_s(ffi, qos.max_tres_pn)),
            max_tres_per_user=tres(_s(ffi, qos.max_tres_pu)),
            max_tres_per_account=tres(_s(ffi, qos.max_tres_pa)),
            max_tres_mins_per_job=tres(_s(ffi, qos.max_tres_mins_pj)),
            max_tres_run_mins_per_user=tres(_s(ffi, qos.max_tres_run_mins_pu)),
            max_tres_run_mins_per_account=tres(_s(ffi, qos.max_tres_run_mins_pa)),
            min_tres_per_job=tres(_s(ffi, qos.min_tres_pj)),
            min_priority_threshold=_n(qos.min_prio_thresh),
            limit_factor=_d(qos.limit_factor),
        ),
    )


def cluster_from_c(ffi: Any, lib: Any, cluster: Any, tables: Tables) -> ClusterRecord:
    flags = cluster.flags
    root = cluster.root_assoc
    return ClusterRecord(
        name=_s(ffi, cluster.name),
        controller_host=_s(ffi, cluster.control_host),
        controller_port=cluster.control_port,
        nodes=_s(ffi, cluster.nodes),
        rpc_version=cluster.rpc_version,
        flags=tuple(name for constant, name in _CLUSTER_FLAGS if flags & getattr(lib, constant)),
        tres=tables.tres_list(_s(ffi, cluster.tres_str)),
        root_association=_ref(ffi, root) if root != ffi.NULL else None,
    )


def instance_from_c(ffi: Any, instance: Any) -> Instance:
    return Instance(
        cluster=_s(ffi, instance.cluster),
        node_name=_s(ffi, instance.node_name),
        instance_id=_s(ffi, instance.instance_id),
        instance_type=_s(ffi, instance.instance_type),
        extra=_s(ffi, instance.extra),
        time_start=instance.time_start,
        time_end=instance.time_end,
    )


def stats_from_c(ffi: Any, lib: Any, stats: Any) -> DbdStats:
    name_of = libslurm_function(ffi, "slurmdbd_msg_type_2_str", "char *(*)(int, int)")
    rpcs = tuple(
        RpcCount(_s(ffi, name_of(r.id, 1)), r.id, r.cnt, r.time, r.time_ave)
        for r in slurm_list(ffi, lib, stats.rpc_list, "slurmdb_rpc_obj_t")
    )
    users = [
        RpcCount(user_name(r.id) or str(r.id), r.id, r.cnt, r.time, r.time_ave)
        for r in slurm_list(ffi, lib, stats.user_list, "slurmdb_rpc_obj_t")
    ]
    rollups: tuple[RollupStats, ...] = ()
    rollup = stats.dbd_rollup_stats
    if rollup != ffi.NULL:
        rollups = tuple(
            RollupStats(
                period,
                count=rollup.count[i],
                last_run=rollup.timestamp[i],
                last_duration=rollup.time_last[i],
                max_duration=rollup.time_max[i],
                total_duration=rollup.time_total[i],
            )
            for i, period in enumerate(_PERIODS)
        )
    return DbdStats(time_start=stats.time_start, rollups=rollups, rpcs=rpcs, users=tuple(users))
