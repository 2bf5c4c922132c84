"""Blocking libslurm calls, run in worker threads as the requesting user.

Each call sets its thread's credential (the user's own JWT, and the user name it acts as)
with ``auth_g_thread_config``, the way slurmrestd does per request, and clears it afterwards
so no later call on that thread can borrow it. cffi releases the GIL around every C call, so
several calls to slurmctld proceed at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from slurmgate.backends.slurm.binding import Binding
from slurmgate.backends.slurm.errors import ErrorMap
from slurmgate.backends.slurm.workers import Workers
from slurmgate.domain import Principal

T = TypeVar("T")


class Call:
    """What a function run by ``SlurmClient.run`` gets: the binding and the error map."""

    __slots__ = ("errors", "ffi", "lib")

    def __init__(self, binding: Binding, errors: ErrorMap) -> None:
        self.ffi = binding.ffi
        self.lib = binding.lib
        self.errors = errors

    def check(self, rc: int, source: str, description: str = "") -> None:
        """Raise the thread's Slurm error when ``rc`` says the call failed."""
        if rc != 0:
            raise self.errors.last_error(source, description)

    @contextmanager
    def loaded(
        self, ctype: str, load: Callable[[Any], int], free: Callable[[Any], None], source: str
    ) -> Iterator[Any | None]:
        """The ``ctype`` message ``load`` fills in, freed on exit; None if nothing changed.

        slurmctld answers SLURM_NO_CHANGE_IN_DATA, instead of a message, to a load whose
        update time is later than the table's last change.
        """
        out = self.ffi.new(f"{ctype} **")
        if load(out) != 0:
            if self.lib.slurmgate_errno() == self.errors.no_change:
                yield None
                return
            raise self.errors.last_error(source)
        try:
            yield out[0]
        finally:
            free(out[0])


class SlurmClient:
    def __init__(self, binding: Binding, threads: int) -> None:
        self._call = Call(binding, ErrorMap(binding.ffi, binding.lib))
        self._workers = Workers(threads, "libslurm")

    @property
    def errors(self) -> ErrorMap:
        return self._call.errors

    async def run(self, principal: Principal, work: Callable[[Call], T]) -> T:
        """Run ``work`` in a worker thread with ``principal``'s credential."""
        return await self._workers.run(self._as_user, principal, work)

    def _as_user(self, principal: Principal, work: Callable[[Call], T]) -> T:
        lib = self._call.lib
        lib.auth_g_thread_config(principal.token.encode(), principal.user_name.encode())
        try:
            return work(self._call)
        finally:
            lib.auth_g_thread_clear()

    def close(self) -> None:
        self._workers.close()
