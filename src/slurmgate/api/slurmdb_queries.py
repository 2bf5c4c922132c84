"""The query strings of /slurmdb/ reads, as slurmrestd's slurmdbd plugin reads them, into the
accounting model's queries.

Lists are comma-separated (``users=alice,bob``) or repeated; flags are true when given bare
(``?skip_steps``) or with a true value. Each flag also takes the names the versions' documents
give it (v0.0.41 on: ``WithAssociations``, ``Include deleted associations``), which the
daemons read alike. A value that does not parse is refused (400) naming the parameter.
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from starlette.datastructures import QueryParams

from slurmgate.domain import InvalidRequest
from slurmgate.domain import slurm_errno as errno
from slurmgate.domain.accounting import AccountingQuery
from slurmgate.domain.associations import (
    AccountQuery,
    AdminLevel,
    AssociationQuery,
    QosQuery,
    UserQuery,
    WckeyQuery,
)
from slurmgate.domain.dbd import ClusterQuery, InstanceQuery

_TRUE = {"", "true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_UNITS = {"": 1, "s": 1, "second": 1, "seconds": 1, "m": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400,
          "w": 604800, "week": 604800, "weeks": 604800}  # fmt: skip
_RELATIVE = re.compile(r"now(?:([+-])(\d+)([a-z]*))?", re.ASCII)


def _invalid(name: str, text: str, why: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid {name}={text!r}: {why}",
        error_number=errno.ESLURM_REST_INVALID_QUERY,
        error="Query empty or not RFC7320 compliant",
        source=name,
    )


class Query:
    """One request's query string, read parameter by parameter."""

    def __init__(self, params: QueryParams) -> None:
        self._params = params

    def names(self, *names: str) -> tuple[str, ...]:
        """Every value of the parameters ``names`` (comma-separated or repeated)."""
        found: list[str] = []
        for name in names:
            for value in self._params.getlist(name):
                found += [item.strip() for item in value.split(",") if item.strip()]
        return tuple(found)

    def flag(self, *names: str) -> bool:
        for name in names:
            if name in self._params:
                text = self._params[name].strip().lower()
                if text in _TRUE:
                    return True
                if text not in _FALSE:
                    raise _invalid(name, self._params[name], "expected true or false")
        return False

    def integer(self, name: str) -> int | None:
        text = self._params.get(name, "").strip()
        if not text:
            return None
        if not re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII):
            raise _invalid(name, text, "expected an integer")
        return int(text)

    def integers(self, name: str) -> tuple[int, ...]:
        values = self.names(name)
        bad = [v for v in values if not (v.isascii() and v.isdigit())]
        if bad:
            raise _invalid(name, ",".join(bad), "expected ids")
        return tuple(int(v) for v in values)

    def time(self, name: str) -> int | None:
        """A time as slurmrestd takes it: Unix seconds, ``now[-N[unit]]``, or a date
        (``2026-12-03``, ``2026-12-03T10:00:00``)."""
        text = self._params.get(name, "").strip()
        if not text:
            return None
        if re.fullmatch(r"[0-9]+", text, re.ASCII):
            return int(text)
        relative = _RELATIVE.fullmatch(text.lower())
        if relative is not None:
            sign, amount, unit = relative.groups()
            if unit not in _UNITS:
                raise _invalid(name, text, f"unknown unit {unit!r}")
            offset = int(amount or 0) * _UNITS[unit]
            return int(time.time()) + (-offset if sign == "-" else offset)
        try:
            return int(datetime.fromisoformat(text).timestamp())
        except ValueError:
            raise _invalid(name, text, "expected a Unix time, now[-N] or a date") from None


def jobs_query(params: QueryParams) -> AccountingQuery:
    """GET jobs: slurmdb_job_cond_t as the daemon fills it from the query."""
    q = Query(params)
    scheduler = tuple(
        name
        for name, given in (
            ("unset", q.flag("scheduler_unset")),
            ("submit", q.flag("scheduled_on_submit")),
            ("main", q.flag("scheduled_by_main")),
            ("backfill", q.flag("scheduled_by_backfill")),
            ("started", q.flag("job_started")),
        )
        if given
    )
    submit_time = q.time("submit_time")
    as_submit = q.flag("usage_time_as_submit_time") or submit_time is not None
    whole: bool | None = None
    if q.flag("whole_hetjob"):
        whole = True
    elif q.flag("disable_whole_hetjob"):
        whole = False
    query = AccountingQuery(
        job_ids=q.names("step"),
        users=q.names("users"),
        groups=q.names("groups"),
        accounts=q.names("account"),
        partitions=q.names("partition"),
        qos=q.names("qos"),
        states=tuple(s.upper() for s in q.names("state")),
        job_names=q.names("job_name"),
        wckeys=q.names("wckey"),
        clusters=q.names("cluster"),
        associations=q.names("association"),
        reservations=q.names("reservation"),
        reservation_ids=q.names("reservation_id"),
        constraints=q.names("constraints"),
        reasons=q.names("reason"),
        nodes=",".join(q.names("node")),
        start_time=submit_time if submit_time is not None else q.time("start_time"),
        end_time=q.time("end_time"),
        window_is_submit_time=as_submit,
        exit_code=q.integer("exit_code"),
        cpus_min=q.integer("cpus_min"),
        cpus_max=q.integer("cpus_max"),
        nodes_min=q.integer("nodes_min"),
        nodes_max=q.integer("nodes_max"),
        time_limit_min=q.integer("timelimit_min"),
        time_limit_max=q.integer("timelimit_max"),
        scheduler=scheduler,
        skip_steps=q.flag("skip_steps"),
        # slurmrestd asks for every run of a requeued job unless told otherwise.
        duplicates=q.flag("show_duplicates") or "show_duplicates" not in params,
        # slurmrestd reports times as recorded (disable_truncate_usage_time is its default).
        truncate_times=False,
        whole_hetjob=whole,
        include_script=q.flag("show_batch_script"),
        include_environment=q.flag("show_job_environment"),
    )
    query.check()
    return query


def accounts_query(params: QueryParams, name: str | None = None) -> AccountQuery:
    q = Query(params)
    return AccountQuery(
        names=(name,) if name is not None else (),
        descriptions=q.names("description"),
        with_associations=q.flag("with_assocs", "WithAssociations"),
        with_coordinators=q.flag("with_coords", "WithCoordinators"),
        with_deleted=q.flag("with_deleted", "DELETED"),
    )


def users_query(params: QueryParams, name: str | None = None) -> UserQuery:
    q = Query(params)
    level_text = params.get("admin_level", "").strip()
    level = None
    if level_text:
        matching = [lvl for lvl in AdminLevel if lvl.value.lower() == level_text.lower()]
        if not matching:
            raise _invalid("admin_level", level_text, "expected None, Operator or Administrator")
        level = matching[0]
    return UserQuery(
        names=(name,) if name is not None else (),
        admin_level=level,
        default_accounts=q.names("default_account"),
        default_wckeys=q.names("default_wckey"),
        with_associations=q.flag("with_assocs"),
        with_coordinators=q.flag("with_coords"),
        with_deleted=q.flag("with_deleted"),
        with_wckeys=q.flag("with_wckeys"),
        without_defaults=q.flag("without_defaults"),
    )


def associations_query(params: QueryParams) -> AssociationQuery:
    q = Query(params)
    return AssociationQuery(
        ids=q.integers("id"),
        accounts=q.names("account"),
        users=q.names("user"),
        partitions=q.names("partition"),
        clusters=q.names("cluster"),
        parent_accounts=q.names("parent_account"),
        qos=q.names("qos"),
        default_qos=q.names("default_qos"),
        only_defaults=q.flag("only_defaults", "Filter to only defaults"),
        with_deleted=q.flag("with_deleted", "Include deleted associations"),
        with_sub_accounts=q.flag("with_sub_accts", "Include sub acct information"),
        without_parent_info=q.flag("without_parent_info", "Exclude parent id/name"),
        without_parent_limits=q.flag("without_parent_limits", "Exclude limits from parents"),
        with_raw_qos=q.flag("with_raw_qos", "Include the raw QOS or delta_qos"),
    )


def qos_query(params: QueryParams, name: str | None = None) -> QosQuery:
    q = Query(params)
    return QosQuery(
        names=(name,) if name is not None else q.names("name"),
        ids=q.integers("id"),
        descriptions=q.names("description"),
        preempt_mode=params.get("preempt_mode", ""),
        with_deleted=q.flag("with_deleted", "Include deleted QOS"),
    )


def wckeys_query(params: QueryParams, wckey_id: str | None = None) -> WckeyQuery:
    q = Query(params)
    ids = q.integers("id")
    if wckey_id is not None:
        if not (wckey_id.isascii() and wckey_id.isdigit()):
            raise _invalid("id", wckey_id, "expected a wckey id")
        ids = (int(wckey_id),)
    return WckeyQuery(
        names=q.names("name"),
        ids=ids,
        users=q.names("user"),
        clusters=q.names("cluster"),
        only_defaults=q.flag("only_defaults"),
        with_deleted=q.flag("with_deleted"),
    )


def clusters_query(params: QueryParams, name: str | None = None) -> ClusterQuery:
    q = Query(params)
    return ClusterQuery(
        names=(name,) if name is not None else q.names("cluster"),
        with_deleted=q.flag("with_deleted"),
    )


def instances_query(params: QueryParams) -> InstanceQuery:
    q = Query(params)
    return InstanceQuery(
        clusters=q.names("cluster"),
        extra=q.names("extra"),
        instance_ids=q.names("instance_id"),
        instance_types=q.names("instance_type"),
        node_list=",".join(q.names("node_list")),
        time_start=q.time("time_start"),
        time_end=q.time("time_end"),
    )
