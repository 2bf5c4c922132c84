"""What every change to slurmdbd's records uses: existence checks, limits to send, answers.

A limit of None leaves it as it is (the record was initialised NO_VAL), -1 removes it
(INFINITE), a TRES limit of -1 ``id=-1``. A removal slurmdbd refuses because jobs run on the
records keeps ESLURM_JOBS_RUNNING_ON_ASSOC (409); one that removes nothing is NotFound.
"""

from __future__ import annotations

from typing import Any

from slurmgate.backends.slurm.acct_jobs_read import Tables
from slurmgate.backends.slurm.cvalues import INFINITE
from slurmgate.backends.slurm.dbd import DbdCall
from slurmgate.domain import InvalidRequest, NotFound
from slurmgate.domain.accounting import Tres
from slurmgate.domain.slurm_errno import SLURM_NO_CHANGE_IN_DATA


def exists(dbd: DbdCall, get: Any, cond: Any, ctype: str, source: str) -> bool:
    with dbd.got(get(dbd.conn, cond), source) as found:
        return any(True for _ in dbd.items(found, ctype))


def limit(value: int | None) -> int | None:
    """A limit to send: None leaves it (NO_VAL from init), -1 removes it (INFINITE)."""
    if value is None:
        return None
    return INFINITE if value == -1 else value


def tres_limits(dbd: DbdCall, tables: Tables, values: tuple[Tres, ...] | None) -> Any:
    """TRES limits in slurmdbd's form, "1=8,2=-1", by id (named ones looked up)."""
    if values is None:
        return dbd.ffi.NULL
    by_key = {t.key: t.id for t in tables.tres.values()}
    parts = []
    for tres in values:
        number = tres.id or by_key.get(tres.key)
        if not number:
            raise InvalidRequest(f"Unknown TRES {tres.key!r}", source="tres")
        parts.append(f"{number}={tres.count}")
    return dbd.string(",".join(parts))


def removed(dbd: DbdCall, result: Any, source: str, what: str) -> list[str]:
    """What a remove call answered; its refusal when slurmdbd set one with the list."""
    errno = int(dbd.lib.slurmgate_errno())
    with dbd.got(result, source) as found:
        names = [" ".join(n.split()) for n in dbd.names(found)]
    if errno in (
        int(dbd.lib.ESLURM_JOBS_RUNNING_ON_ASSOC),
        int(dbd.lib.ESLURM_NO_REMOVE_DEFAULT_ACCOUNT),
    ):
        error = dbd.error(source, errno)
        error.description = f"{error.error}: {'; '.join(names)}" if names else error.error
        raise error
    if not names:
        raise NotFound(
            f"Nothing to remove: no {what}", error_number=SLURM_NO_CHANGE_IN_DATA, source=source
        )
    dbd.commit()
    return names


def changed(dbd: DbdCall, result: Any, source: str) -> list[str]:
    """What a modify call changed (an empty answer is no change, not a failure)."""
    if result == dbd.ffi.NULL:
        errno = int(dbd.lib.slurmgate_errno())
        if errno in (0, SLURM_NO_CHANGE_IN_DATA):
            return []
        raise dbd.error(source, errno)
    with dbd.got(result, source) as found:
        return dbd.names(found)
