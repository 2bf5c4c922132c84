"""The embedded single-machine cluster behind the Backend protocol.

``LocalBackend`` owns the job table (``table.py``, mirrored to SQLite by ``store.py``), runs
scheduling passes in the event loop (``passes.py``, ``scheduler.py``), leaves processes to
``executor.py`` and persistence to the store's writer thread: no call waits on a process or
the database except ``submit``, which returns once its jobs are committed. Submissions:
``submission.py``, ``sizing.py``, ``intake.py``; job control: ``control.py``, ``launch.py``,
``recovery.py``, ``signals.py``, ``requeue.py``, ``updates.py``; nodes: ``node_states.py``,
``node_updates.py``, ``cores.py``, ``layouts.py``, ``views.py``; sdiag: ``diag.py``;
accounting: ``acct_service.py`` and the other ``acct_*`` modules. Each takes the narrow things
it needs (the table, the executor, callbacks), never this class. No fair-share and no dynamic
nodes: NotSupported.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

from slurmgate.backends.base import Capability, ClusterInfo, Listing
from slurmgate.backends.delegation import AccountingDelegate
from slurmgate.backends.local import (
    cores,
    layouts,
    node_updates,
    recovery,
    requeue,
    resources,
    signals,
)
from slurmgate.backends.local.acct_service import LocalAccounting
from slurmgate.backends.local.control import JobControl
from slurmgate.backends.local.diag import Diagnostics
from slurmgate.backends.local.executor import Executor
from slurmgate.backends.local.intake import Intake
from slurmgate.backends.local.job_facts import completing
from slurmgate.backends.local.node_states import NodeStates
from slurmgate.backends.local.ownership import not_found
from slurmgate.backends.local.pass_state import NodeResources
from slurmgate.backends.local.passes import Passes
from slurmgate.backends.local.payloads import PayloadStore
from slurmgate.backends.local.priority import PriorityBasic
from slurmgate.backends.local.slices import slices
from slurmgate.backends.local.store import JobStore
from slurmgate.backends.local.submission import SubmissionRules
from slurmgate.backends.local.table import JobTable
from slurmgate.backends.local.updates import JobUpdates
from slurmgate.backends.local.users import current_user, running_as_root, uid_table
from slurmgate.backends.local.views import ClusterLayout, NodeLive
from slurmgate.config import LocalSettings
from slurmgate.domain import (
    AllocationResult,
    ControllerPing,
    ExitStatus,
    Job,
    JobSelection,
    JobSpec,
    JobState,
    JobSubmission,
    JobUpdate,
    License,
    Node,
    NodeResourceLayout,
    NodeUpdate,
    NotSupported,
    Partition,
    Principal,
    RequeueOptions,
    Reservation,
    Shares,
    SignalOutcome,
    Stats,
    SubmitResult,
)
from slurmgate.domain.access import AccessRules

log = logging.getLogger(__name__)

_NO_DYNAMIC_NODES = (
    "The embedded cluster's nodes come from its configuration: it has no dynamic nodes to remove"
)
_NO_FAIR_SHARE = (
    "The embedded cluster schedules by priority/basic: it keeps no fair-share usage to report"
)


class LocalBackend(AccountingDelegate):
    name = "local"
    #: No fair-share scheduler (shares), dynamic nodes (delete_nodes), wckeys or instances.
    capabilities = frozenset(Capability) - {
        Capability.SHARES,
        Capability.DELETE_NODES,
        Capability.WCKEYS,
        Capability.INSTANCES,
    }
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
        self.node_states = NodeStates(self.layout.node_configs, 0)
        self.layout.states = self.node_states
        self.shapes = {name: cores.shape(c) for name, c in self.layout.node_configs.items()}
        self._node_resources = self.layout.node_resources(self.node_states)
        self.table = JobTable(settings.first_job_id)
        self.priority_basic = PriorityBasic()
        self._started_at = 0
        self._uid_cache: dict[str, int] = {}
        self.diag = Diagnostics(int(time.time()))
        self.payloads = PayloadStore(state_dir / "scripts")
        self.executor = Executor(state_dir / "spool", self._on_exit)
        self.accounting = LocalAccounting(settings, self.table, self.layout, is_admin=self.is_admin)
        self.accounting_source = self.accounting
        self.control = JobControl(
            self.table,
            self.executor,
            self.payloads,
            self.diag,
            settings,
            hostname=self.host.hostname,
            run_as=self.rules,
            wake=self.wake,
            runs=self.accounting.runs,
        )
        self.intake = Intake(
            self.table,
            self.rules,
            self,
            self.priority_basic,
            self.diag,
            self.accounting,
            max_job_count=settings.max_job_count,
            wake=self.wake,
        )
        self.updates = JobUpdates(
            self.table,
            self.rules,
            self.layout,
            self,
            self.priority_basic,
            self.accounting,
            arm_time_limit=self.control.arm_time_limit,
            wake=self.wake,
        )
        self.passes = Passes(self)

    @property
    def info(self) -> ClusterInfo:
        return ClusterInfo(self.settings.cluster_name, (22, 5, 8))

    @property
    def store(self) -> JobStore:
        return self.table.store

    @property
    def _store(self) -> JobStore | None:
        return self.table.attached_store

    @property
    def jobs(self) -> dict[int, Job]:
        return self.table.jobs

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._prepare_dirs)
        now = int(time.time())
        self._started_at = now
        self.diag.restart(now)
        store = JobStore(
            self.state_dir / "slurmgate.db", synchronous=self.settings.sqlite_synchronous
        )
        state = await store.open(keep_finished_since=now - self.settings.min_job_age)
        self.table.attach(store)
        self.table.next_job_id = max(state.next_job_id, self.settings.first_job_id)
        for job in state.jobs.values():
            self.table.index(job)
        self.node_states = NodeStates(self.layout.node_configs, now)
        self.node_states.restore(state.nodes)
        self.layout.states = self.node_states
        self._node_resources = self.layout.node_resources(self.node_states)
        self.priority_basic.resume(self.jobs.values())
        self.table.last_change = max((j.last_update for j in self.jobs.values()), default=now)
        await self.accounting.start(state.entities)
        await recovery.recover(self, self.control)
        self.passes.start()

    def _prepare_dirs(self) -> None:
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        (self.state_dir / "spool").mkdir(mode=0o711, exist_ok=True)

    async def stop(self) -> None:
        await self.passes.stop()
        await self.accounting.stop()
        await self.control.close()
        await self.executor.close()
        store = self.table.attached_store
        if store is not None:
            await store.close()
            self.table.attach(None)

    # -- helpers shared with control and updates ----------------------------------------------

    def is_admin(self, principal: Principal) -> bool:
        return principal.is_admin or principal.user_name in self.admins

    def wake(self) -> None:
        self.passes.wake()

    @property
    def partitions(self) -> Mapping[str, Partition]:
        return self.layout.partitions

    @property
    def node_resources(self) -> list[NodeResources]:
        return self._node_resources

    def nodes_changed(self) -> None:
        self._node_resources = self.layout.node_resources(self.node_states)
        self.wake()

    def targets(self, job_id: int) -> list[Job]:
        return self.table.targets(job_id)

    # -- executor callback --------------------------------------------------------------------

    def _on_exit(self, job_id: int, status: ExitStatus | None) -> None:
        self.control.on_exit(job_id, status)

    # -- Backend: queries ---------------------------------------------------------------------

    async def ping(self, principal: Principal) -> list[ControllerPing]:
        with self.diag.rpc("REQUEST_PING", principal.user_name):
            alive = self.table.attached_store is not None and self.passes.alive
            return [
                ControllerPing(
                    hostname=self.host.hostname,
                    responding=alive,
                    mode="primary",
                    status=0 if alive else 1,
                )
            ]

    async def stats(self, principal: Principal) -> Stats:
        with self.diag.rpc("REQUEST_STATS_INFO", principal.user_name):
            pending = running = 0
            async for part in slices(list(self.jobs.values())):
                states = [job.state for job in part]
                pending += states.count(JobState.PENDING)
                running += states.count(JobState.RUNNING)
            # Unknown names count as the gateway's account.
            uids = await asyncio.to_thread(
                uid_table, self.diag.users(), self._uid_cache, self.rules.gateway_user.uid
            )
            return self.diag.snapshot(
                now=int(time.time()),
                pending=pending,
                running=running,
                uids=uids,
            )

    async def access_rules(self, principal: Principal) -> AccessRules:
        # The embedded cluster has no PrivateData: every user sees every record, as
        # slurmctld shows them by default.
        return AccessRules()

    async def list_jobs(self, principal: Principal, *, updated_since: int = 0) -> Listing[Job]:
        with self.diag.rpc("REQUEST_JOB_INFO", principal.user_name):
            now = int(time.time())
            if updated_since and self.table.last_change < updated_since:
                return Listing([], now, changed=False)
            horizon = int(time.time()) - self.settings.min_job_age
            jobs = [
                j for j in self.jobs.values() if not j.state.is_finished or j.end_time >= horizon
            ]
            jobs.sort(key=lambda j: j.job_id)
            return Listing(jobs, now, stamps=self.table.stamps(jobs, whole=not updated_since))

    async def get_job(self, principal: Principal, job_id: int) -> list[Job]:
        with self.diag.rpc("REQUEST_JOB_INFO_SINGLE", principal.user_name):
            found = self.targets(job_id)
            if not found:
                found = await self.table.load_stored(job_id)
            if not found:
                raise not_found(job_id)
            return sorted(found, key=lambda j: j.job_id)

    def holding(self) -> list[Job]:
        """Jobs holding nodes: running ones, and requeued ones whose processes still end."""
        return [j for j in self.jobs.values() if j.state is JobState.RUNNING or completing(j)]

    def _nodes(self) -> list[Node]:
        live = NodeLive(
            cpu_load=resources.load_average(),
            free_memory=resources.memory_available(),
            now=int(time.time()),
        )
        return self.layout.nodes(
            self.holding(),
            live,
            started_at=self._started_at,
            last_busy=self.control.last_busy,
            states=self.node_states,
        )

    async def list_nodes(self, principal: Principal, *, updated_since: int = 0) -> Listing[Node]:
        with self.diag.rpc("REQUEST_NODE_INFO", principal.user_name):
            # Load and free memory are read live: the node table changes all the time.
            return Listing(self._nodes(), int(time.time()))

    async def get_node(self, principal: Principal, name: str) -> Node:
        with self.diag.rpc("REQUEST_NODE_INFO", principal.user_name):
            self.layout.node(name)
            return next(n for n in self._nodes() if n.name == name)

    async def list_partitions(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Partition]:
        with self.diag.rpc("REQUEST_PARTITION_INFO", principal.user_name):
            # Partitions come from the settings: they last changed when the cluster started.
            now = int(time.time())
            if updated_since and self._started_at < updated_since:
                return Listing([], now, changed=False)
            return Listing([copy.copy(p) for p in self.layout.partitions.values()], now)

    async def get_partition(self, principal: Principal, name: str) -> Partition:
        with self.diag.rpc("REQUEST_PARTITION_INFO", principal.user_name):
            return copy.copy(self.layout.partition(name))

    async def list_reservations(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Reservation]:
        with self.diag.rpc("REQUEST_RESERVATION_INFO", principal.user_name):
            # A reservation's state follows the clock: listed anew each time.
            return Listing(self.layout.reservations(), int(time.time()))

    async def get_reservation(self, principal: Principal, name: str) -> Reservation:
        with self.diag.rpc("REQUEST_RESERVATION_INFO", principal.user_name):
            return self.layout.reservation(name)

    async def list_licenses(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[License]:
        with self.diag.rpc("REQUEST_LICENSE_INFO", principal.user_name):
            running = [j for j in self.jobs.values() if j.state is JobState.RUNNING]
            return Listing(self.layout.licenses(running), int(time.time()))

    # -- Backend: changes ---------------------------------------------------------------------

    async def submit(self, principal: Principal, submission: JobSubmission) -> SubmitResult:
        with self.diag.rpc("REQUEST_SUBMIT_BATCH_JOB", principal.user_name):
            return await self.intake.submit(principal, submission)

    async def update_job(self, principal: Principal, job_id: int, update: JobUpdate) -> None:
        with self.diag.rpc("REQUEST_UPDATE_JOB", principal.user_name):
            await self.updates.apply(principal, job_id, update)

    async def signal_job(self, principal: Principal, job_id: int, signal: int) -> None:
        with self.diag.rpc("REQUEST_KILL_JOB", principal.user_name):
            await signals.signal_job(self, self.control, principal, job_id, signal)

    async def signal_jobs(
        self, principal: Principal, selection: JobSelection, signal: int
    ) -> list[SignalOutcome]:
        with self.diag.rpc("REQUEST_KILL_JOBS", principal.user_name):
            return signals.signal_jobs(self, self.control, principal, selection, signal)

    async def requeue_job(self, principal: Principal, job_id: int, options: RequeueOptions) -> None:
        with self.diag.rpc("REQUEST_JOB_REQUEUE", principal.user_name):
            await requeue.requeue_job(self, self.control, principal, job_id, options)

    async def allocate(self, principal: Principal, spec: JobSpec) -> AllocationResult:
        with self.diag.rpc("REQUEST_RESOURCE_ALLOCATION", principal.user_name):
            result = await self.intake.submit(principal, JobSubmission([spec]), batch=False)
            return AllocationResult(result.job_id, result.user_message)

    async def update_nodes(
        self, principal: Principal, names: list[str], update: NodeUpdate
    ) -> None:
        with self.diag.rpc("REQUEST_UPDATE_NODE", principal.user_name):
            await node_updates.update_nodes(self, self.control, principal, names, update)

    async def delete_nodes(self, principal: Principal, names: list[str]) -> None:
        raise NotSupported(_NO_DYNAMIC_NODES, source="delete_nodes")

    async def shares(
        self, principal: Principal, *, users: list[str], accounts: list[str]
    ) -> Shares:
        raise NotSupported(_NO_FAIR_SHARE, source="shares")

    async def job_resource_layout(
        self, principal: Principal, job_id: int
    ) -> list[NodeResourceLayout]:
        with self.diag.rpc("REQUEST_RESOURCE_LAYOUT", principal.user_name):
            return layouts.job_layout(self, self.shapes, principal, job_id)
