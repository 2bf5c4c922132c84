"""The event hub: each new job or node table of the mirror, compared with the one before,
becomes events; the recent ones are kept for resuming streams; each goes to the open streams
that want it and whose user may see it.

Events cost slurmctld nothing of their own: they come from the loads the mirror makes anyway.
While a stream is open (and for ``LINGER`` seconds after the last one closed, so that a client
reconnecting soon resumes where it was) the hub keeps the jobs and nodes tables loaded, every
``mirror.interval``, and compares each new generation with the last. Outside such a period it
compares nothing; events before it cannot be resumed.

Streams with the same user and filters form a group: what a group sees of a batch of events is
worked out once and kept once, in the group's log, however many streams it has. The streams are
then written to for a millisecond at a time, with as long a pause after each slice, straight
to their connections where the server allows it (their writers wait: no task switch): a batch
for thousands of streams leaves the event loop free half the time for other requests instead
of holding it up for its whole length. The jobs and nodes tables' events of one round of loads
go out together, in one write per stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from slurmgate.config import EventSettings
from slurmgate.domain import SlurmgateError
from slurmgate.domain.access import AccessRules, PrivateData
from slurmgate.events.changes import job_changes, node_change
from slurmgate.events.filters import Filters, may_see
from slurmgate.events.model import (
    Event,
    JobView,
    NodeView,
    frame,
    job_data,
    job_view,
    node_data,
    node_view,
)
from slurmgate.events.subscription import Log, Subscription
from slurmgate.mirror import Mirror, Resource, Table

log = logging.getLogger("slurmgate.events")

#: Seconds the hub goes on tracking changes after the last stream closed.
LINGER = 60.0
#: Seconds between the hub's rounds: heartbeats, keeping the tables loaded, PrivateData.
TICK = 1.0
#: Seconds of writing to streams at a stretch, then as long a pause, at least a millisecond:
#: a round for thousands of streams takes a tenth of a second of writes, and a request that
#: arrives meanwhile must not wait for a slice of them at each of its dozen steps, only for the
#: slice under way.
SLICE = 0.001
#: Streams written to per slice at most.
SERVE_CHUNK = 64
#: Seconds the writing waits after the first events of a round: the jobs and the nodes tables
#: are loaded one after the other, and their events then share one write per stream.
COALESCE = 0.02
#: Seconds between the starts of two rounds of writing, at least: reads after writes make the
#: mirror load tables several times a second, and each round costs a write per stream (5,000
#: streams: a tenth of a core each round); events of several loads share a round instead.
ROUND_EVERY = 0.5
#: Tells a reconnecting client how long to wait (milliseconds), in every stream's first frame.
RETRY_MS = 2000
#: Until PrivateData is known, nobody but nobody sees anything.
_UNKNOWN_RULES = AccessRules(private=PrivateData.parse("all"))


@dataclass(eq=False)
class _Group:
    user: str
    filters: Filters
    members: dict[Subscription, None] = field(default_factory=dict)
    log: Log = field(default_factory=Log)

    def admits(self, event: Event, rules: AccessRules) -> bool:
        return self.filters.wants(event) and may_see(self.user, event, rules)


class EventHub:
    def __init__(self, settings: EventSettings, mirror: Mirror) -> None:
        self.settings = settings
        self.mirror = mirror
        #: Distinguishes this process's event ids from an earlier one's.
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        #: The position at which tracking last began: no earlier one can be resumed.
        self._start = 0
        self._ring: deque[Event] = deque(maxlen=settings.window)
        self._jobs: dict[int, JobView] | None = None
        self._nodes: dict[str, NodeView] | None = None
        self._starting: asyncio.Future[None] | None = None
        self._groups: dict[tuple[str, Filters], _Group] = {}
        self._open: dict[Subscription, _Group] = {}
        self._watched_at = 0.0
        self._rules = _UNKNOWN_RULES
        #: Streams with something to write whose writers wait: written to (or woken) a chunk
        #: at a time.
        self._due: deque[Subscription] = deque()
        self._serving = False
        self._round_started = 0.0
        self._runner: asyncio.Task[None] | None = None
        #: Long-lived answers open (event streams and followed outputs): events.max_streams.
        self.long_lived = 0
        #: Events made, by type; streams cut off for being too slow (for the metrics).
        self.published: Counter[str] = Counter()
        self.cut = 0
        mirror.add_listener(self._on_table)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="slurmgate-events")

    async def stop(self) -> None:
        for subscription in list(self._open):
            subscription.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    @property
    def streams(self) -> int:
        return len(self._open)

    @property
    def tracking(self) -> bool:
        return self._jobs is not None

    def acquire(self) -> bool:
        """Take a place for a long-lived answer; False when all ``max_streams`` are taken."""
        if self.long_lived >= self.settings.max_streams:
            return False
        self.long_lived += 1
        return True

    def release(self) -> None:
        self.long_lived -= 1

    def event_id(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    # -- streams -------------------------------------------------------------------------------

    async def subscribe(
        self, user: str, filters: Filters, last_event_id: str | None, rules: AccessRules
    ) -> Subscription:
        """A new stream for ``user``, resumed after ``last_event_id`` when the hub still
        holds what came after it. Raises what the backend raises when tracking must begin
        and the cluster does not answer."""
        self._rules = rules
        await self._track()
        key = (user, filters)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(user, filters)
        subscription = Subscription(user, filters, self.settings.queue_bound, group.log)
        resumed_at = self._replay(subscription, group, last_event_id)
        position = self.seq if resumed_at is None else resumed_at
        subscription.last_seq = position
        opened = {
            "type": "stream.opened",
            "id": self.event_id(position),
            "resumed": resumed_at is not None,
        }
        first = frame(self.event_id(position), "stream.opened", opened)
        subscription.say_first(b"retry: %d\n" % RETRY_MS + first)
        if last_event_id and resumed_at is None:
            subscription.say_first(self._missed(last_event_id))
        group.members[subscription] = None
        self._open[subscription] = group
        self._watched_at = time.monotonic()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        group = self._open.pop(subscription, None)
        if group is None:
            return
        group.members.pop(subscription, None)
        if not group.members:
            self._groups.pop((group.user, group.filters), None)

    def _replay(
        self, subscription: Subscription, group: _Group, last_event_id: str | None
    ) -> int | None:
        """Queue the kept events after ``last_event_id``; its position, or None if it cannot be
        resumed (unknown, from another run, or older than what is kept)."""
        if not last_event_id:
            return None
        epoch, _, number = last_event_id.strip().rpartition("-")
        if epoch != self.epoch or not number.isdigit():
            return None
        position = int(number)
        oldest = self._ring[0].seq if self._ring else self.seq + 1
        if position < self._start or position > self.seq or position < oldest - 1:
            return None
        rules = self._rules
        for event in itertools.islice(self._ring, max(position - oldest + 1, 0), None):
            if group.admits(event, rules):
                subscription.replay.append(event)
        return position

    def _missed(self, last_event_id: str) -> bytes:
        data = {
            "type": "stream.missed",
            "last_event_id": last_event_id[:100],
            "message": "the events after this id are no longer kept (events.window, or the "
            "gateway restarted or stopped tracking changes): re-read the jobs and nodes you "
            "follow, then go on with this stream",
        }
        return frame(None, "stream.missed", data)

    def overflow_notice(self, subscription: Subscription) -> bytes:
        return subscription.overflow_notice(self.event_id(subscription.last_seq))

    # -- tracking ------------------------------------------------------------------------------

    async def _track(self) -> None:
        if self._jobs is not None:
            return
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._begin())
        await asyncio.shield(self._starting)

    async def _begin(self) -> None:
        try:
            await self.mirror.read(Resource.JOBS)
            await self.mirror.read(Resource.NODES)
            # The newest tables: a load may have been installed while the other was awaited.
            jobs, nodes = self.mirror.latest(Resource.JOBS), self.mirror.latest(Resource.NODES)
            self._jobs = {} if jobs is None else {j.job_id: job_view(j) for j in jobs.items}
            self._nodes = {} if nodes is None else {n.name: node_view(n) for n in nodes.items}
            # A position no event has: ids from before it cannot be resumed.
            self.seq += 1
            self._start = self.seq
            self._ring.clear()
            self._watched_at = time.monotonic()
            log.info("tracking job and node changes for event streams")
        finally:
            self._starting = None

    def _stop_tracking(self) -> None:
        self._jobs = self._nodes = None
        self._ring.clear()
        log.info("no event stream for %.0f s: job and node changes no longer tracked", LINGER)

    def _on_table(self, resource: Resource, table: Table[Any]) -> None:
        if resource is Resource.JOBS and self._jobs is not None:
            self._publish(self._job_events(table))
        elif resource is Resource.NODES and self._nodes is not None:
            self._publish(self._node_events(table))

    def _job_events(self, table: Table[Any]) -> list[Event]:
        seen = time.time()
        before_all = self._jobs or {}
        now_all: dict[int, JobView] = {}
        found: list[Event] = []
        for job in table.items:
            view = job_view(job)
            now_all[view.job_id] = view
            before = before_all.get(view.job_id)
            if before == view:
                continue
            split = False
            if before is None and view.array_job_id not in (0, view.job_id):
                leader = before_all.get(view.array_job_id)
                split = leader is not None and bool(leader.array_tasks)
            previous = before
            for kind, step in job_changes(before, view, split_task=split):
                found.append(self._job_event(f"job.{kind}", step, previous, seen))
                previous = step
        self._jobs = now_all
        return found

    def _job_event(self, kind: str, view: JobView, before: JobView | None, seen: float) -> Event:
        self.seq += 1
        event_id = self.event_id(self.seq)
        ids = frozenset(
            (view.job_id, view.array_job_id or view.job_id, view.het_job_id or view.job_id)
        )
        states = frozenset((view.state.value, *view.flags))
        data = job_data(event_id, kind, view, before, seen)
        encoded = frame(event_id, kind, data)
        return Event(self.seq, kind, "job", ids, view.user, view.account, states, encoded)

    def _node_events(self, table: Table[Any]) -> list[Event]:
        seen = time.time()
        before_all = self._nodes or {}
        now_all = {node.name: node_view(node) for node in table.items}
        found: list[Event] = []
        for name in [*now_all, *(n for n in before_all if n not in now_all)]:
            before, view = before_all.get(name), now_all.get(name)
            kind = node_change(before, view)
            if kind is None:
                continue
            shown = view or before
            assert shown is not None  # noqa: S101 - one of them exists, or name is not listed
            self.seq += 1
            event_id = self.event_id(self.seq)
            data = node_data(event_id, f"node.{kind}", shown, before if view else None, seen)
            states = frozenset((shown.state, *shown.flags))
            encoded = frame(event_id, f"node.{kind}", data)
            found.append(
                Event(self.seq, f"node.{kind}", "node", frozenset(), "", "", states, encoded)
            )
        self._nodes = now_all
        return found

    # -- delivery ------------------------------------------------------------------------------

    def _publish(self, events: list[Event]) -> None:
        if not events:
            return
        self._ring.extend(events)
        self.published.update(event.type for event in events)
        rules = self._rules
        bound = self.settings.queue_bound
        for group in list(self._groups.values()):
            visible = [event for event in events if group.admits(event, rules)]
            if not visible:
                continue
            group.log.events.extend(visible)
            if len(group.log.events) >= 2 * bound:
                self._trim(group, bound)
            self._due.extend(group.members)
        self._schedule(COALESCE)

    def _trim(self, group: _Group, bound: int) -> None:
        """Cut off the group's streams more than ``bound`` events behind; forget the events
        every remaining stream has taken."""
        keep = group.log.end - bound
        for subscription in list(group.members):
            if subscription.cursor < keep:
                group.members.pop(subscription)
                subscription.cut()
                self.cut += 1
                self._due.append(subscription)
        oldest = min((s.cursor for s in group.members), default=group.log.end)
        group.log.drop_before(oldest)

    def _schedule(self, delay: float = 0.0) -> None:
        if self._due and not self._serving:
            self._serving = True
            loop = asyncio.get_running_loop()
            now = loop.time()
            start = max(now + delay, self._round_started + ROUND_EVERY)
            loop.call_later(start - now, self._begin_round)

    def _begin_round(self) -> None:
        self._round_started = asyncio.get_running_loop().time()
        self._serve_some()

    def _serve_some(self) -> None:
        """Write to due streams for a slice (their writers wait: no task switch), or wake the
        writers that must write themselves (a client behind, a cut-off, an end); the rest
        after a pause as long as the slice took."""
        due = self._due
        started = time.perf_counter()
        for _ in range(min(SERVE_CHUNK, len(due))):
            subscription = due.popleft()
            if subscription.overflowed or subscription.closed:
                subscription.wake()
            elif not subscription.pending:
                continue  # listed twice, or its writer took it meanwhile
            elif subscription.write_directly():
                if subscription.pending:  # more than one piece: the rest in a later slice
                    due.append(subscription)
            else:
                subscription.wake()
            if time.perf_counter() - started >= SLICE:
                break
        if due:
            pause = max(time.perf_counter() - started, SLICE)
            asyncio.get_running_loop().call_later(pause, self._serve_some)
        else:
            self._serving = False

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                await self._round()
            except Exception:  # the hub must outlive a bug in one round
                log.exception("event hub round failed")

    async def _round(self) -> None:
        now = time.monotonic()
        if self._open:
            self._watched_at = now
        if self._jobs is not None:
            if now - self._watched_at > LINGER:
                self._stop_tracking()
            else:
                self.mirror.touch(Resource.JOBS)
                self.mirror.touch(Resource.NODES)
        if not self._open:
            return
        with contextlib.suppress(SlurmgateError):  # the rules known stand until then
            self._rules = await self.mirror.access()
        due = time.monotonic() - self.settings.heartbeat
        for subscription in self._open:
            if subscription.last_sent <= due and not subscription.heartbeat_due:
                subscription.heartbeat_due = True
                if subscription.waiting:
                    self._due.append(subscription)
        self._schedule()
