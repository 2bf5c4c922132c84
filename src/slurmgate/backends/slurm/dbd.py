"""A connection to slurmdbd for one call, as the call's user, and the lists its calls take.

slurmrestd opens a connection per request once the request's credential is set
(``slurmdb_connection_get`` after ``auth_g_thread_config``), so slurmdbd authenticates the
user of the token and applies its own PrivateData and AdminLevel. ``DbdCall`` does the same in
the worker thread the call runs in: the connection is made, used and closed there, changes
committed only when the whole call succeeded. Lists given to libslurmdb hold strings this
side owns (no destructor); lists it returns are destroyed with their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from slurmgate.backends.slurm.access_read import slurm_list
from slurmgate.backends.slurm.client import Call
from slurmgate.backends.slurm.cvalues import text
from slurmgate.domain import BackendUnavailable, InvalidRequest, NotFound, SlurmgateError
from slurmgate.domain.slurm_errno import SLURM_NO_CHANGE_IN_DATA


class DbdCall:
    """One connection to slurmdbd, with the scratch lists of the call; close() ends both."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.ffi = call.ffi
        self.lib = call.lib
        self._keep: list[Any] = []
        self._lists: list[Any] = []
        error = self.ffi.new("int *")
        self.conn = self.lib.slurmgate_dbd_connect(error)
        if self.conn == self.ffi.NULL:
            raise _unavailable(call, int(error[0]))

    def close(self) -> None:
        for items in self._lists:
            self.lib.slurm_list_destroy(items)
        self._lists.clear()
        if self.conn != self.ffi.NULL:
            holder = self.ffi.new("void **", self.conn)
            self.lib.slurmdb_connection_close(holder)
            self.conn = self.ffi.NULL

    def commit(self) -> None:
        self.lib.slurmdb_connection_commit(self.conn, True)

    # -- what calls take ---------------------------------------------------------------------

    def string(self, value: str | None) -> Any:
        """A C string this call keeps alive, NULL for None."""
        if value is None:
            return self.ffi.NULL
        pointer = self.ffi.new("char[]", value.encode())
        self._keep.append(pointer)
        return pointer

    def adopt(self, made: Any) -> Any:
        """A list made elsewhere, destroyed with the call."""
        self._lists.append(made)
        return made

    def keep(self, value: Any) -> Any:
        self._keep.append(value)
        return value

    def strings(self, values: Iterable[str]) -> Any:
        """A list of the strings, destroyed with the call (NULL when there are none)."""
        values = list(values)
        if not values:
            return self.ffi.NULL
        return self.pointers(self.string(v) for v in values)

    def pointers(self, items: Iterable[Any]) -> Any:
        """A list of these pointers (owned here), destroyed with the call."""
        made = self.lib.slurm_list_create(self.ffi.NULL)
        self._lists.append(made)
        for item in items:
            self.lib.slurm_list_append(made, item)
        return made

    # -- what calls return -------------------------------------------------------------------

    @contextmanager
    def got(self, result: Any, source: str) -> Iterator[Any]:
        """A list libslurmdb returned, destroyed after use; its error when it is NULL."""
        if result == self.ffi.NULL:
            raise self.error(source)
        try:
            yield result
        finally:
            self.lib.slurm_list_destroy(result)

    def items(self, result: Any, ctype: str) -> Iterator[Any]:
        return slurm_list(self.ffi, self.lib, result, ctype)

    def names(self, result: Any) -> list[str]:
        """The strings of a list (what modify and remove calls answer)."""
        return [text(self.ffi, p) for p in self.items(result, "char")]

    def error(self, source: str, number: int | None = None) -> SlurmgateError:
        errno = int(self.lib.slurmgate_errno()) if number is None else number
        if errno == 0:
            return BackendUnavailable(
                "slurmdbd gave no answer", error_number=int(self.lib.ESLURM_DB_CONNECTION)
            )
        if errno == SLURM_NO_CHANGE_IN_DATA:
            return NotFound("Nothing changed: no record matches", error_number=errno, source=source)
        found = self.call.errors.error(errno, source)
        if isinstance(found, BackendUnavailable):
            found.description = f"slurmdbd did not answer: {found.error}"
        return found

    def check(self, rc: int, source: str) -> None:
        """Raise what a call answering ``rc`` failed with. slurmdbd refuses some changes with
        SLURM_ERROR alone (its log says why): a refusal of the request, not an outage."""
        if rc == 0:
            return
        errno = rc if rc > 0 else int(self.lib.slurmgate_errno())
        if errno == 0:
            raise InvalidRequest(
                f"slurmdbd refused the change ({source} failed; its log tells why)",
                error_number=-1,
                error="Unspecified error",
                source=source,
            )
        raise self.error(source, errno)


def _unavailable(call: Call, errno: int) -> SlurmgateError:
    name = call.errors.name(errno) or f"Slurm error {errno}"
    description = f"Unable to connect to slurmdbd: {name}"
    found = call.errors.error(errno, "slurmdb_connection_get", description)
    if type(found) is InvalidRequest:  # nothing the request said: slurmdbd is not there
        return BackendUnavailable(description, error_number=errno, error=name, source=found.source)
    return found


@contextmanager
def connected(call: Call) -> Iterator[DbdCall]:
    dbd = DbdCall(call)
    try:
        yield dbd
    finally:
        dbd.close()
