"""The collector: loads what clients read, as often as the settings say, as the service user.

Each resource has one slot: its current table, the load under way (every reader that needs a
newer table joins it rather than starting its own), and when it was last read. The mirror
also notes when each user last changed the cluster through the gateway, so that their next
read shows the change. A resource nobody has read for ``idle_after`` seconds
is not loaded until somebody reads it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slurmgate.backends.base import Backend, Listing
from slurmgate.config import MirrorSettings
from slurmgate.domain import Job, Principal, SlurmgateError
from slurmgate.domain.access import AccessRules
from slurmgate.mirror import stamps as stamps_of
from slurmgate.mirror.service import ServiceIdentity
from slurmgate.mirror.tables import Stamps, Table

log = logging.getLogger("slurmgate.mirror")

#: Even when Slurm reports no change, a whole table is loaded this often: fields such as a
#: node's load change without Slurm marking a change.
FULL_LOAD_EVERY = 30.0
#: A table is reloaded at most once per this many times its last load's duration: a big
#: job table that changes all the time must not keep the gateway loading it.
LOAD_SPACING = 3.0
#: How often the collector looks for due loads, as a fraction of the interval.
TICKS_PER_INTERVAL = 4


class Resource(StrEnum):
    JOBS = "jobs"
    NODES = "nodes"
    PARTITIONS = "partitions"
    RESERVATIONS = "reservations"
    LICENSES = "licenses"
    STATS = "stats"
    PING = "ping"


#: Resources whose answers are assembled from records rendered one by one, and how their
#: records are told apart (their tables carry each record's stamp).
KEYED = {
    resource: stamps_of.KEYED_BY[resource.value] for resource in (Resource.JOBS, Resource.NODES)
}

#: What a job change can change: a submission allocates nodes and licenses.
CHANGED_BY_WRITES = frozenset((Resource.JOBS, Resource.NODES, Resource.LICENSES))
#: Writers remembered before those whose writes max_age covers anyway are forgotten.
WRITERS_KEPT = 1024

Loader = Callable[[Principal, int], Awaitable[Listing[Any]]]
#: Told of every table the collector installs whose records changed (a new generation), at
#: once, before anything else runs: live records (the embedded cluster's) are still as loaded.
Listener = Callable[[Resource, Table[Any]], None]


@dataclass
class _Slot:
    resource: Resource
    load: Loader
    table: Table[Any] | None = None
    task: asyncio.Future[None] | None = None
    read_at: float = 0.0
    #: Wall time of the last whole load.
    full_at: float = 0.0
    #: Seconds the last load took.
    took: float = 0.0
    failing: bool = False

    def since(self, now_wall: float) -> int:
        """The update time to pass to the next load: 0 asks for everything."""
        table = self.table
        if table is None or now_wall - self.full_at >= FULL_LOAD_EVERY:
            return 0
        # Backends report changes made in the second of ``last_update`` too (as slurmctld
        # does): passing it back misses nothing.
        return table.last_update


class Mirror:
    """The shared copy of the cluster's state; see the module's docstring."""

    def __init__(
        self, backend: Backend, settings: MirrorSettings, service: ServiceIdentity
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.service = service
        self._slots = {
            Resource.JOBS: _Slot(Resource.JOBS, self._listing(backend.list_jobs)),
            Resource.NODES: _Slot(Resource.NODES, self._listing(backend.list_nodes)),
            Resource.PARTITIONS: _Slot(Resource.PARTITIONS, self._listing(backend.list_partitions)),
            Resource.RESERVATIONS: _Slot(
                Resource.RESERVATIONS, self._listing(backend.list_reservations)
            ),
            Resource.LICENSES: _Slot(Resource.LICENSES, self._listing(backend.list_licenses)),
            Resource.STATS: _Slot(Resource.STATS, self._whole(backend.stats)),
            Resource.PING: _Slot(Resource.PING, self._whole(backend.ping)),
        }
        self._index: tuple[int, dict[int, Job]] = (0, {})
        #: Counts loads of the access rules: views restricted by them are keyed by it.
        self.access_generation = 0
        self._access: AccessRules | None = None
        self._access_at = 0.0
        self._access_task: asyncio.Future[AccessRules] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._listeners: list[Listener] = []
        #: Monotonic time of each user's last write through the gateway.
        self._written: dict[str, float] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="slurmgate-mirror")

    async def stop(self) -> None:
        self._stopping = True
        pending = [t for t in (self._runner, *(s.task for s in self._slots.values())) if t]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, SlurmgateError):
                await task

    # -- reads ---------------------------------------------------------------------------------

    async def read(
        self, resource: Resource, *, reader: str | None = None, keep_loading: bool = True
    ) -> Table[Any]:
        """The resource's table: no older than ``max_age``, and loaded after the last write
        ``reader`` (a user name) made through the gateway. Raises what the backend raised when
        a needed load fails.

        ``keep_loading=False`` reads without counting as a read that keeps the table loaded
        (a metrics scrape every minute must not keep every table loaded every second)."""
        slot = self._slots[resource]
        now = time.monotonic()
        if keep_loading:
            slot.read_at = now
        table = slot.table
        needed = self.oldest(resource, reader, now)
        if table is not None and table.loaded_at >= needed:
            return table
        return await self._fresh(slot, needed)

    def oldest(self, resource: Resource, reader: str | None = None, now: float = 0.0) -> float:
        """The earliest load ``reader`` may be answered from (monotonic time): none older
        than ``max_age``, none begun before the reader's last write that the resource shows."""
        bound = (now or time.monotonic()) - self.settings.max_age
        if reader is not None and resource in CHANGED_BY_WRITES:
            return max(bound, self._written.get(reader, 0.0))
        return bound

    async def access(self) -> AccessRules:
        """PrivateData and who is exempt, reloaded every ``access_interval`` (in the
        background once known)."""
        due = time.monotonic() - self._access_at >= self.settings.access_interval
        if self._access is not None and not due:
            return self._access
        if self._access_task is None:
            self._access_task = asyncio.ensure_future(self._load_access())
        if self._access is not None:
            return self._access  # the new rules are on their way; these stand till then
        return await asyncio.shield(self._access_task)

    def latest(self, resource: Resource) -> Table[Any] | None:
        """The resource's table as it is, if one was loaded: no load, however old."""
        return self._slots[resource].table

    def job_index(self, table: Table[Job]) -> dict[int, Job]:
        """The jobs of ``table`` (the jobs table) by job id, built once per generation."""
        generation, index = self._index
        if generation != table.generation or not index:
            index = {job.job_id: job for job in table.items}
            self._index = (table.generation, index)
        return index

    def touch(self, resource: Resource) -> None:
        """Count as a read now: keeps the table loaded every ``interval`` for ``idle_after``
        (open event streams watch the jobs and nodes tables this way)."""
        self._slots[resource].read_at = time.monotonic()

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` with every new generation of every table (see ``Listener``)."""
        self._listeners.append(listener)

    def wrote(self, user: str) -> None:
        """``user`` changed the cluster: what the change shows in is reloaded before they
        next read it. Others see it with the next load, as they see changes made elsewhere.

        Not at once: during a storm of submissions nobody may be reading, and reloading a big
        job table per submission would slow the submissions down.
        """
        now = time.monotonic()
        self._written.pop(user, None)  # re-inserted last: the dict stays in order of writes
        self._written[user] = now
        if len(self._written) > WRITERS_KEPT:
            # Oldest first: a write older than max_age binds no read any more.
            horizon = now - self.settings.max_age
            while len(self._written) > WRITERS_KEPT // 2:
                name, when = next(iter(self._written.items()))
                if when >= horizon:
                    break
                del self._written[name]

    # -- loading -------------------------------------------------------------------------------

    async def _fresh(self, slot: _Slot, needed: float) -> Table[Any]:
        while True:
            if slot.task is None:
                slot.task = asyncio.ensure_future(self._load(slot))
            # Shielded: a reader that gives up must not cancel a load others wait for.
            await asyncio.shield(slot.task)
            table = slot.table
            if table is not None and table.loaded_at >= needed:
                return table

    async def _load(self, slot: _Slot) -> None:
        try:
            await self._load_and_install(slot)
        finally:
            slot.task = None

    async def _load_and_install(self, slot: _Slot) -> None:
        started, wall = time.monotonic(), time.time()
        since = slot.since(wall)
        try:
            listing = await slot.load(self.service.principal(), since)
        except SlurmgateError as exc:
            if not slot.failing:
                log.warning("loading %s failed: %s", slot.resource, exc.description)
            slot.failing = True
            raise
        slot.took = time.monotonic() - started
        if slot.failing:
            log.info("loading %s works again", slot.resource)
            slot.failing = False
        if since == 0:
            slot.full_at = wall
        previous = slot.table
        live = self.backend.live_records
        keyed = KEYED.get(slot.resource)
        stamps: Stamps | None = None
        if not listing.changed:
            unchanged = True
        elif keyed is None:
            unchanged = not live and previous is not None and listing.items == previous.items
        else:
            generation = previous.generation + 1 if previous is not None else 1
            if live:
                stamps = listing.stamps
                if stamps is None:
                    stamps = stamps_of.live(listing.items, keyed, generation)
            else:
                # A comparison per record: a few milliseconds per thousand, off the loop.
                stamps = await asyncio.to_thread(
                    stamps_of.compared, previous, listing.items, keyed, generation
                )
            unchanged = stamps is None
        slot.table = _next_table(previous, listing, started, stamps, unchanged=unchanged)
        if self._listeners and (previous is None or slot.table.generation != previous.generation):
            self._tell(slot.resource, slot.table)

    def _tell(self, resource: Resource, table: Table[Any]) -> None:
        for listener in self._listeners:
            try:
                listener(resource, table)
            except Exception:  # a listener's bug must not stop the mirror
                log.exception("a listener of the %s table failed", resource)

    async def _load_access(self) -> AccessRules:
        try:
            rules = await self.backend.access_rules(self.service.principal())
        finally:
            self._access_task = None
        self._access, self._access_at = rules, time.monotonic()
        self.access_generation += 1
        return rules

    async def _run(self) -> None:
        """Reload what clients read, every ``interval`` (see ``_due``)."""
        tick = self.settings.interval / TICKS_PER_INTERVAL
        while not self._stopping:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for slot in self._slots.values():
                if slot.task is None and self._due(slot, now):
                    slot.task = asyncio.ensure_future(self._load(slot))
                    # Failures are logged by _load; a reader that needs the table sees them.
                    slot.task.add_done_callback(_consume)

    def _due(self, slot: _Slot, now: float) -> bool:
        if not slot.read_at or now - slot.read_at > self.settings.idle_after:
            return False
        table = slot.table
        if table is None:
            return True
        return now - table.loaded_at >= max(self.settings.interval, slot.took * LOAD_SPACING)

    # -- adapting the backend ------------------------------------------------------------------

    @staticmethod
    def _listing(method: Callable[..., Awaitable[Listing[Any]]]) -> Loader:
        async def load(principal: Principal, since: int) -> Listing[Any]:
            return await method(principal, updated_since=since)

        return load

    @staticmethod
    def _whole(method: Callable[[Principal], Awaitable[Any]]) -> Loader:
        async def load(principal: Principal, since: int) -> Listing[Any]:
            found = await method(principal)
            return Listing(found if isinstance(found, list) else [found], int(time.time()))

        return load


def _next_table(
    previous: Table[Any] | None,
    listing: Listing[Any],
    started: float,
    stamps: Stamps | None,
    *,
    unchanged: bool,
) -> Table[Any]:
    """The table after a load: ``previous`` confirmed when the load found nothing changed
    (a whole load often does: it is made now and then regardless, and comparing costs far
    less than rendering anew), else a new generation."""
    if previous is not None and (unchanged or not listing.changed):
        return previous.confirmed(listing.last_update, started)
    generation = previous.generation + 1 if previous is not None else 1
    return Table(
        listing.items, listing.last_update, listing.last_update, generation, started, stamps
    )


def _consume(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()
