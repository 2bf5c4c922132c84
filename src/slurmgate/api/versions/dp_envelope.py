"""The envelope of v0.0.40 and later: meta, errors, warnings, and the answers that carry only
them, as slurmrestd's data_parser plugins print them."""

from __future__ import annotations

from slurmgate.api.versions.notation import Record, parse_fields, record

META = record(
    "plugin:{plugin} client:{client} command:[s]=[] slurm:{slurm}",
    plugin=record("type:s=plugin_type name:s=plugin_name data_parser:s accounting_storage:s"),
    # Who asked and from where: the daemon's view of its socket, which a shared rendering
    # cannot carry; slurmgate leaves it empty (docs/api.md).
    client=record("source:s=client_source user:s=client_user group:s=client_group"),
    slurm=record(
        "version:{version} release:s cluster:s",
        version=record("major:s=major_text micro:s=micro_text minor:s=minor_text"),
    ),
)
ERROR = record("description:s error_number:i32 error:s=~error_name source:s")
WARNING = record("description:s=~warning_text source:s=~warning_source")

_TAIL = " meta:@openapi_meta errors:[@openapi_error]=errors warnings:[@openapi_warning]=warnings"


def envelope(fields: str = "", *, required: tuple[str, ...] = (), **inline: Record) -> Record:
    """An answer: ``fields`` followed by meta, errors and warnings."""
    return Record(tuple(parse_fields(fields + _TAIL, inline)), required)


RECORDS: dict[str, Record] = {
    "openapi_meta": META,
    "openapi_error": ERROR,
    "openapi_warning": WARNING,
    "openapi_resp": envelope(),
}

#: The host list utilities of v0.0.44 and later (their answers are also their requests).
UTIL_44: dict[str, Record] = {
    "openapi_hostnames_req_resp": envelope(
        "hostnames:hostlist=~hostnames", required=("hostnames",)
    ),
    "openapi_hostlist_req_resp": envelope("hostlist:s=~hostlist", required=("hostlist",)),
}
