"""The embedded single-machine cluster behind the Backend protocol.

``LocalBackend`` owns the job table (in memory, mirrored to SQLite by ``JobStore``), runs the
scheduling loop in the event loop (passes are CPU only and bounded by the planner's depth), and
leaves process management to ``Executor`` and persistence to the store's writer thread, so no
call here waits on a process or the database except ``submit``, which returns only once its
jobs are committed.

Where the rest lives: defaults and checks for new jobs in ``submission.py`` and ``sizing.py``,
taking a submission in (ids, persistence) in ``intake.py``, job control (launch, signals, time
limits, what an end means, restart recovery) in ``control.py``, ``update_job`` in
``updates.py``, the cluster's shape and node views in ``views.py``, sdiag counters in
``diag.py``.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from slurmgate.backends.base import Capability, ClusterInfo, Listing
from slurmgate.backends.local import resources, scheduler
from slurmgate.backends.local.control import JobControl
from slurmgate.backends.local.diag import Diagnostics
from slurmgate.backends.local.executor import Executor
from slurmgate.backends.local.intake import submit_jobs
from slurmgate.backends.local.payloads import PayloadStore
from slurmgate.backends.local.store import JobStore
from slurmgate.backends.local.submission import PriorityBasic, SubmissionRules
from slurmgate.backends.local.updates import apply_update
from slurmgate.backends.local.users import current_user, lookup_user, running_as_root
from slurmgate.backends.local.views import ClusterLayout, NodeLive
from slurmgate.config import LocalSettings
from slurmgate.domain import (
    BackendUnavailable,
    ControllerPing,
    ExitStatus,
    Job,
    JobState,
    JobSubmission,
    JobUpdate,
    License,
    Node,
    NotFound,
    Partition,
    Principal,
    Reservation,
    Stats,
    SubmitResult,
)
from slurmgate.domain.access import AccessRules
from slurmgate.domain.slurm_errno import (
    ESLURM_INVALID_JOB_ID,
)

log = logging.getLogger(__name__)

#: A wake-up waits this long for more of the same burst before the pass runs.
_COALESCE = 0.1
#: How often finished jobs older than MinJobAge leave memory (the store keeps them).
_PURGE_INTERVAL = 30


class LocalBackend:
    name = "local"
    capabilities = frozenset(Capability)
    #: Lists need no privilege here; the name only labels the mirror's reads in diag.
    service_user = "root"
    live_records = True

    def __init__(self, settings: LocalSettings, state_dir: Path, *, admins: frozenset[str]) -> None:
        self.settings = settings
        self.state_dir = state_dir
        self.admins = admins
        self.host = resources.detect_host()
        self.layout = ClusterLayout(settings, self.host)
        self._as_root = running_as_root()
        self.rules = SubmissionRules(settings, self.layout, current_user(), as_root=self._as_root)
        self._node_resources = self.layout.node_resources()
        self.jobs: dict[int, Job] = {}
        #: array_job_id -> task job ids; het_job_id -> component job ids.
        self.arrays: dict[int, list[int]] = {}
        self.hets: dict[int, list[int]] = {}
        self.last_change = 0
        self.next_job_id = settings.first_job_id
        self.in_flight_jobs = 0
        self.priority_basic = PriorityBasic()
        self._store: JobStore | None = None
        self._wake = asyncio.Event()
        self._sched_task: asyncio.Task[None] | None = None
        self._last_purge = 0
        self._started_at = 0
        self._uid_cache: dict[str, int] = {}
        self.diag = Diagnostics(int(time.time()))
        self.payloads = PayloadStore(state_dir / "scripts")
        self.executor = Executor(state_dir / "spool", self._on_exit)
        self.control = JobControl(self)

    @property
    def info(self) -> ClusterInfo:
        return ClusterInfo(self.settings.cluster_name, (22, 5, 8))

    @property
    def store(self) -> JobStore:
        if self._store is None:
            raise BackendUnavailable("the local cluster is not started")
        return self._store

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._prepare_dirs)
        now = int(time.time())
        self._started_at = now
        self.diag = Diagnostics(now)
        self._store = JobStore(
            self.state_dir / "slurmgate.db", synchronous=self.settings.sqlite_synchronous
        )
        state = await self._store.open(keep_finished_since=now - self.settings.min_job_age)
        self.next_job_id = max(state.next_job_id, self.settings.first_job_id)
        for job in state.jobs.values():
            self.index(job)
        self.priority_basic = PriorityBasic.resume(self.jobs.values())
        self.last_change = max((j.last_update for j in self.jobs.values()), default=now)
        await self.control.recover()
        self._sched_task = asyncio.create_task(self._schedule_loop(), name="slurmgate-scheduler")
        self.wake()

    def _prepare_dirs(self) -> None:
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        (self.state_dir / "spool").mkdir(mode=0o711, exist_ok=True)

    async def stop(self) -> None:
        if self._sched_task is not None:
            self._sched_task.cancel()
            try:
                await self._sched_task
            except asyncio.CancelledError:
                pass
            self._sched_task = None
        await self.control.close()
        await self.executor.close()
        if self._store is not None:
            await self._store.close()
            self._store = None

    # -- helpers shared with control and updates ----------------------------------------------

    def is_admin(self, principal: Principal) -> bool:
        return principal.is_admin or principal.user_name in self.admins

    def wake(self) -> None:
        self._wake.set()

    def touch(self, job: Job, now: int | None = None) -> None:
        """Record a change of ``job``: bump its last_update and queue it for the store."""
        stamp = int(time.time()) if now is None else now
        job.last_update = stamp
        self.last_change = max(self.last_change, stamp)
        if self._store is not None:
            self._store.save_nowait([job])

    def payload_key(self, job: Job) -> int:
        return job.array_job_id or job.het_job_id or job.job_id

    def group(self, job: Job) -> list[Job]:
        """Jobs sharing ``job``'s payload: the whole array, the whole het job, or itself."""
        if job.array_job_id:
            ids = self.arrays.get(job.array_job_id, [job.job_id])
        elif job.het_job_id:
            ids = self.hets.get(job.het_job_id, [job.job_id])
        else:
            return [job]
        return [self.jobs[i] for i in ids if i in self.jobs]

    def targets(self, job_id: int) -> list[Job]:
        """A job id as Slurm reads it: an array's id means every task, a het leader's every
        component; [] when unknown here."""
        for index in (self.arrays, self.hets):
            ids = index.get(job_id)
            if ids:
                return [self.jobs[i] for i in ids if i in self.jobs]
        job = self.jobs.get(job_id)
        return [job] if job is not None else []

    async def load_stored(self, job_id: int) -> list[Job]:
        """A job (or an array's tasks) from the store, after committing what is queued."""
        await self.store.flush()
        return await self.store.load_jobs(job_id)

    def index(self, job: Job) -> None:
        self.jobs[job.job_id] = job
        if job.array_job_id:
            self.arrays.setdefault(job.array_job_id, []).append(job.job_id)
        if job.het_job_id:
            self.hets.setdefault(job.het_job_id, []).append(job.job_id)

    def _unindex(self, job: Job) -> None:
        self.jobs.pop(job.job_id, None)
        for index, key in ((self.arrays, job.array_job_id), (self.hets, job.het_job_id)):
            if key and key in index:
                index[key] = [i for i in index[key] if i != job.job_id]
                if not index[key]:
                    del index[key]

    @contextmanager
    def _rpc(self, message_type: str, principal: Principal) -> Iterator[None]:
        with self.diag.rpc(message_type, principal.user_name):
            yield

    def _uids(self, names: list[str]) -> dict[str, int]:
        """uids for sdiag's per-user table; unknown names count as the gateway's account."""
        for name in names:
            if name not in self._uid_cache:
                found = lookup_user(name)
                self._uid_cache[name] = found.uid if found else self.rules.gateway_user.uid
        return dict(self._uid_cache)

    # -- scheduling ---------------------------------------------------------------------------

    async def _schedule_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            timer = loop.call_later(self.settings.sched_interval, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()
            await asyncio.sleep(_COALESCE)
            self._wake.clear()
            try:
                self.schedule_pass()
                self._purge_old()
            except Exception:
                log.exception("scheduling pass failed")

    def schedule_pass(self) -> None:
        now = int(time.time())
        begin = time.perf_counter_ns()
        plan = scheduler.plan(now, self._node_resources, self.layout.partitions, self.jobs)
        pending = 0
        for job_id, allocations in plan.starts:
            job = self.jobs.get(job_id)
            if job is not None and job.state is JobState.PENDING:
                self.control.start_job(job, allocations, now)
        for job_id in plan.cancel:
            job = self.jobs.get(job_id)
            if job is not None and job.state is JobState.PENDING:
                self.control.cancel_pending(job, now, reason="DependencyNeverSatisfied")
        for job_id, reason in plan.reasons.items():
            job = self.jobs.get(job_id)
            if job is None or job.state is not JobState.PENDING:
                continue
            pending += 1
            if reason in ("Priority", "Resources", "None") and not job.eligible_time:
                job.eligible_time = job.accrue_time = now
            if job.state_reason != reason:
                job.state_reason = reason
                job.last_sched_evaluation = now
                self.touch(job, now)
        for job_id, start in plan.expected_start.items():
            job = self.jobs.get(job_id)
            if job is not None and job.state is JobState.PENDING:
                job.start_time = start
        duration = (time.perf_counter_ns() - begin) // 1000
        self.diag.schedule_cycle(duration, plan.depth, pending, plan.backfilled, now)

    def _purge_old(self) -> None:
        now = int(time.time())
        if now - self._last_purge < _PURGE_INTERVAL:
            return
        self._last_purge = now
        horizon = now - self.settings.min_job_age
        for job in list(self.jobs.values()):
            if job.job_id not in self.jobs or not job.state.is_finished:
                continue
            members = self.group(job)
            if all(m.state.is_finished and m.end_time < horizon for m in members):
                for member in members:
                    self._unindex(member)

    # -- executor callback --------------------------------------------------------------------

    def _on_exit(self, job_id: int, status: ExitStatus | None) -> None:
        self.control.on_exit(job_id, status)

    # -- Backend: queries ---------------------------------------------------------------------

    async def ping(self, principal: Principal) -> list[ControllerPing]:
        with self._rpc("REQUEST_PING", principal):
            alive = (
                self._store is not None
                and self._sched_task is not None
                and not self._sched_task.done()
            )
            return [
                ControllerPing(
                    hostname=self.host.hostname,
                    responding=alive,
                    mode="primary",
                    status=0 if alive else 1,
                )
            ]

    async def stats(self, principal: Principal) -> Stats:
        with self._rpc("REQUEST_STATS_INFO", principal):
            pending = running = 0
            for job in self.jobs.values():
                if job.state is JobState.PENDING:
                    pending += 1
                elif job.state is JobState.RUNNING:
                    running += 1
            uids = await asyncio.to_thread(self._uids, self.diag.users())
            return self.diag.snapshot(
                now=int(time.time()), pending=pending, running=running, uids=uids
            )

    async def access_rules(self, principal: Principal) -> AccessRules:
        # The embedded cluster has no PrivateData: every user sees every record, as
        # slurmctld shows them by default.
        return AccessRules()

    async def list_jobs(self, principal: Principal, *, updated_since: int = 0) -> Listing[Job]:
        with self._rpc("REQUEST_JOB_INFO", principal):
            now = int(time.time())
            if updated_since and self.last_change < updated_since:
                return Listing([], now, changed=False)
            horizon = int(time.time()) - self.settings.min_job_age
            jobs = [
                j for j in self.jobs.values() if not j.state.is_finished or j.end_time >= horizon
            ]
            jobs.sort(key=lambda j: j.job_id)
            return Listing(jobs, now)

    async def get_job(self, principal: Principal, job_id: int) -> list[Job]:
        with self._rpc("REQUEST_JOB_INFO_SINGLE", principal):
            found = self.targets(job_id)
            if not found:
                found = await self.load_stored(job_id)
            if not found:
                raise NotFound(
                    f"Job {job_id} not found: Invalid job id specified",
                    error_number=ESLURM_INVALID_JOB_ID,
                    error="Invalid job id specified",
                )
            return sorted(found, key=lambda j: j.job_id)

    def _running(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.state is JobState.RUNNING]

    def _nodes(self) -> list[Node]:
        live = NodeLive(
            cpu_load=resources.load_average(),
            free_memory=resources.memory_available(),
            now=int(time.time()),
        )
        return self.layout.nodes(
            self._running(),
            live,
            started_at=self._started_at,
            last_busy=self.control.last_busy,
        )

    async def list_nodes(self, principal: Principal, *, updated_since: int = 0) -> Listing[Node]:
        with self._rpc("REQUEST_NODE_INFO", principal):
            # Load and free memory are read live: the node table changes all the time.
            return Listing(self._nodes(), int(time.time()))

    async def get_node(self, principal: Principal, name: str) -> Node:
        with self._rpc("REQUEST_NODE_INFO", principal):
            self.layout.node(name)
            return next(n for n in self._nodes() if n.name == name)

    async def list_partitions(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Partition]:
        with self._rpc("REQUEST_PARTITION_INFO", principal):
            # Partitions come from the settings: they last changed when the cluster started.
            now = int(time.time())
            if updated_since and self._started_at < updated_since:
                return Listing([], now, changed=False)
            return Listing([copy.copy(p) for p in self.layout.partitions.values()], now)

    async def get_partition(self, principal: Principal, name: str) -> Partition:
        with self._rpc("REQUEST_PARTITION_INFO", principal):
            return copy.copy(self.layout.partition(name))

    async def list_reservations(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Reservation]:
        with self._rpc("REQUEST_RESERVATION_INFO", principal):
            # A reservation's state follows the clock: listed anew each time.
            return Listing(self.layout.reservations(), int(time.time()))

    async def get_reservation(self, principal: Principal, name: str) -> Reservation:
        with self._rpc("REQUEST_RESERVATION_INFO", principal):
            return self.layout.reservation(name)

    async def list_licenses(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[License]:
        with self._rpc("REQUEST_LICENSE_INFO", principal):
            return Listing(self.layout.licenses(self._running()), int(time.time()))

    # -- Backend: changes ---------------------------------------------------------------------

    async def submit(self, principal: Principal, submission: JobSubmission) -> SubmitResult:
        with self._rpc("REQUEST_SUBMIT_BATCH_JOB", principal):
            return await submit_jobs(self, principal, submission)

    async def update_job(self, principal: Principal, job_id: int, update: JobUpdate) -> None:
        with self._rpc("REQUEST_UPDATE_JOB", principal):
            await apply_update(self, principal, job_id, update)

    async def signal_job(self, principal: Principal, job_id: int, signal: int) -> None:
        with self._rpc("REQUEST_KILL_JOB", principal):
            await self.control.signal(principal, job_id, signal)
