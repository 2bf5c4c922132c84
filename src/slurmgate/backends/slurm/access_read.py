"""slurmctld's PrivateData and the accounting users it exempts, as ``AccessRules``.

slurmctld 22.05 decides with these, and so does a shared mirror of its state:

- ``validate_operator`` (src/slurmctld/proc_req.c): uid 0, SlurmUser, or an accounting
  AdminLevel of at least ``SLURMDB_ADMIN_OPERATOR`` (Operator or Administrator) sees everything.
- ``_hide_job_user_rec`` (src/slurmctld/job_mgr.c): under PrivateData=jobs another user's job
  is shown only to a coordinator of the job's account, its ``coord_accts`` holding the
  accounts below the ones it coordinates too (slurmdbd adds them with ``direct`` 0).

Both read the user records of slurmctld's association cache, the ones
``slurm_load_assoc_mgr_info`` returns; without accounting that cache is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slurmgate.backends.slurm.client import Call
from slurmgate.backends.slurm.cvalues import text
from slurmgate.domain.access import AccessRules, PrivateData

#: PrivateData's keywords and the slurm.h bits slurm.conf's parser sets for them. The other
#: bit, PRIVATE_CLOUD_NODES ("cloud"), shows powered-down cloud nodes rather than hiding data.
KIND_BITS = {
    "accounts": "PRIVATE_DATA_ACCOUNTS",
    "events": "PRIVATE_DATA_EVENTS",
    "jobs": "PRIVATE_DATA_JOBS",
    "nodes": "PRIVATE_DATA_NODES",
    "partitions": "PRIVATE_DATA_PARTITIONS",
    "reservations": "PRIVATE_DATA_RESERVATIONS",
    "usage": "PRIVATE_DATA_USAGE",
    "users": "PRIVATE_DATA_USERS",
}


def load(call: Call, slurm_user: str) -> AccessRules:
    """The rules slurmctld runs with: its configuration's PrivateData, its cached users.

    Under PrivateData=users or usage slurmctld shows a non-operator only their own user
    record (assoc_mgr.c ``assoc_mgr_info_get_pack_msg``): call as an operator, as SlurmUser.
    ``slurm_user`` stands for SlurmUser should the configuration not name it.
    """
    ffi, lib = call.ffi, call.lib
    conf = ffi.new("slurm_conf_t **")
    call.check(lib.slurm_load_ctl_conf(0, conf), "slurm_load_ctl_conf")
    try:
        bits = int(conf[0].private_data)
        slurm_user = text(ffi, conf[0].slurm_user_name) or slurm_user
    finally:
        lib.slurmgate_free_conf(conf[0])
    request = ffi.new("assoc_mgr_info_request_msg_t *")
    request.flags = lib.ASSOC_MGR_INFO_FLAG_USERS  # no name lists: every user
    with call.loaded(
        "assoc_mgr_info_msg_t",
        lambda out: lib.slurm_load_assoc_mgr_info(request, out),
        lib.slurm_free_assoc_mgr_info_msg,
        "slurm_load_assoc_mgr_info",
    ) as users:
        return access_rules(ffi, lib, bits, slurm_user, users)


def private_data(lib: Any, bits: int) -> PrivateData:
    """The kinds set in ``slurm_conf_t.private_data``."""
    return PrivateData(
        frozenset(kind for kind, name in KIND_BITS.items() if bits & getattr(lib, name))
    )


def slurm_list(ffi: Any, lib: Any, items: Any, ctype: str) -> Iterator[Any]:
    """The items of a Slurm ``List`` (NULL reads as empty), as pointers to ``ctype``."""
    if items == ffi.NULL:
        return
    cursor = lib.slurm_list_iterator_create(items)
    try:
        while (item := lib.slurm_list_next(cursor)) != ffi.NULL:
            yield ffi.cast(f"{ctype} *", item)
    finally:
        lib.slurm_list_iterator_destroy(cursor)


def access_rules(ffi: Any, lib: Any, private_bits: int, slurm_user: str, msg: Any) -> AccessRules:
    """The rules from the running configuration's bits and an assoc_mgr users message."""
    operators = {"root", slurm_user}
    coordinators: dict[str, frozenset[str]] = {}
    for user in slurm_list(ffi, lib, msg.user_list, "slurmdb_user_rec_t"):
        name = text(ffi, user.name)
        if user.admin_level >= lib.SLURMDB_ADMIN_OPERATOR:
            operators.add(name)
        accounts = frozenset(
            text(ffi, coord.name)
            for coord in slurm_list(ffi, lib, user.coord_accts, "slurmdb_coord_rec_t")
        )
        if accounts:
            coordinators[name] = accounts
    return AccessRules(
        private=private_data(lib, private_bits),
        operators=frozenset(operators - {""}),
        coordinators=coordinators,
    )
