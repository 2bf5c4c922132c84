"""The slurmdb operations in slurmgate's OpenAPI document: their paths and query parameters."""

from __future__ import annotations

from typing import Any

from slurmgate.api.versions.slurmdb_operations import SLURMDB_OPERATIONS

#: operation -> (method, "slurmdb:/path", summary), as openapi.py lists operations.
OPERATIONS: dict[str, tuple[str, str, str]] = {
    op: (method, f"slurmdb:{path}", summary)
    for op, (method, path, summary) in SLURMDB_OPERATIONS.items()
}

_FLAG = {"type": "string", "description": "true when given bare or as true, yes, 1"}
_LIST = {"type": "string", "description": "comma-separated, or the parameter repeated"}
_TIME = {"type": "string", "description": "Unix seconds, now[-N[unit]] or a date"}

_JOBS = {
    **dict.fromkeys(
        "account association cluster constraints groups job_name partition qos reason"
        " reservation reservation_id state step users wckey node".split(),
        _LIST,
    ),
    **dict.fromkeys(
        "scheduler_unset scheduled_on_submit scheduled_by_main scheduled_by_backfill job_started"
        " show_duplicates skip_steps disable_truncate_usage_time whole_hetjob"
        " disable_whole_hetjob disable_wait_for_result usage_time_as_submit_time"
        " show_batch_script show_job_environment".split(),
        _FLAG,
    ),
    "exit_code": {"type": "string"},
    "start_time": _TIME,
    "end_time": _TIME,
}
_ACCOUNTS = {"description": _LIST, **dict.fromkeys(("with_assocs", "with_coords",
                                                    "with_deleted"), _FLAG)}  # fmt: skip
_USERS = {
    "admin_level": {"type": "string"},
    "default_account": _LIST,
    "default_wckey": _LIST,
    **dict.fromkeys(
        "with_assocs with_coords with_deleted with_wckeys without_defaults".split(), _FLAG
    ),
}
_ASSOCIATIONS = {
    **dict.fromkeys(
        "account cluster default_qos id parent_account partition qos user".split(), _LIST
    ),
    **dict.fromkeys(
        "only_defaults with_deleted with_raw_qos with_sub_accts without_parent_info"
        " without_parent_limits".split(),
        _FLAG,
    ),
}
_QOS = {"description": _LIST, "id": _LIST, "name": _LIST, "preempt_mode": {"type": "string"},
        "with_deleted": _FLAG}  # fmt: skip
_WCKEYS = {**dict.fromkeys("cluster id name user".split(), _LIST),
           "only_defaults": _FLAG, "with_deleted": _FLAG}  # fmt: skip
_INSTANCES = {**dict.fromkeys("cluster extra instance_id instance_type node_list".split(), _LIST),
              "time_start": _TIME, "time_end": _TIME}  # fmt: skip

_QUERIES: dict[str, dict[str, dict[str, str]]] = {
    "db_jobs": _JOBS,
    "db_accounts": _ACCOUNTS,
    "db_account": {k: v for k, v in _ACCOUNTS.items() if k != "description"},
    "db_users": _USERS,
    "db_user": {k: _FLAG for k in ("with_assocs", "with_coords", "with_deleted", "with_wckeys")},
    "db_associations": _ASSOCIATIONS,
    "db_association": _ASSOCIATIONS,
    "db_associations_delete": _ASSOCIATIONS,
    "db_association_delete": _ASSOCIATIONS,
    "db_qos": _QOS,
    "db_qos_one": {"with_deleted": _FLAG},
    "db_wckeys": _WCKEYS,
    "db_instances": _INSTANCES,
    "db_instance": _INSTANCES,
    "db_clusters": {"with_deleted": _FLAG},
}


def query_parameters(operation: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "query", "required": False, "schema": dict(schema)}
        for name, schema in _QUERIES.get(operation, {}).items()
    ]
