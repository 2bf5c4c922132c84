"""The real-cluster backend: every call goes to slurmctld as the requesting user.

Each request's JWT (already verified by the gateway with the cluster's key) travels with the
call, so slurmctld applies its own rules: a submission becomes a job of that user, a cancel of
someone else's job is refused, PrivateData hides what it hides. Messages libslurm returns are
read into domain objects in the worker thread and freed there with their ``slurm_free_*``.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any, Generic, TypeVar

from slurmgate.backends.base import Capability, ClusterInfo, Listing
from slurmgate.backends.delegation import AccountingDelegate
from slurmgate.backends.slurm import (
    access_read,
    actions,
    diag_read,
    jobs_read,
    jobs_write,
    listings,
    nodes_write,
    releases,
    shares_read,
)
from slurmgate.backends.slurm import binding as slurm_binding
from slurmgate.backends.slurm.accounting import SlurmAccounting
from slurmgate.backends.slurm.client import Call, SlurmClient
from slurmgate.backends.slurm.cvalues import text
from slurmgate.backends.slurm.submitting import refusal, user_ids
from slurmgate.config import SlurmSettings
from slurmgate.domain import (
    AllocationResult,
    ControllerPing,
    Job,
    JobSelection,
    JobSpec,
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
from slurmgate.domain.errors import NotFound
from slurmgate.domain.jobs import check_batch_script
from slurmgate.slurm_conf import SlurmConf, locate, read

T = TypeVar("T")


#: Seconds the controller list is kept between configuration loads.
CONTROLLERS_TTL = 60.0


class Expiring(Generic[T]):
    """One value that is forgotten ``ttl`` seconds after it was stored."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._value: T | None = None
        self._stored = 0.0

    def get(self) -> T | None:
        if self._value is not None and time.monotonic() - self._stored < self._ttl:
            return self._value
        return None

    def put(self, value: T) -> T:
        self._value, self._stored = value, time.monotonic()
        return value


def capabilities_of(version: tuple[int, int, int]) -> frozenset[Capability]:
    """Everything, but the resource layout before 25.11 (slurmctld has no such call) and
    cloud instances before 23.11 (slurmdbd has none)."""
    missing = set()
    if not releases.has(version, "resource_layout"):
        missing.add(Capability.RESOURCE_LAYOUT)
    if not releases.has(version, "instances"):
        missing.add(Capability.INSTANCES)
    return frozenset(Capability) - missing


class SlurmBackend(AccountingDelegate):
    name = "slurm"
    #: Every listing is read afresh from slurmctld's message: its records are new objects, or
    #: (jobs) the very objects of an earlier load when slurmctld's record is unchanged.
    live_records = False

    def __init__(self, settings: SlurmSettings, state_dir: Path, *, threads: int) -> None:
        # Read now, so a host that is no Slurm client fails at start with a clear message.
        self._conf: SlurmConf = read(locate(settings.conf))
        self.service_user = self._conf.slurm_user
        os.environ["SLURM_CONF"] = str(self._conf.path)
        # Built (compiled the first time) and loaded here, before serving: a release that
        # cannot be bound is a ConfigError the command line prints as one line.
        self._binding = slurm_binding.load(
            settings.binding_cache or state_dir / "binding",
            library=settings.library,
            include_dir=settings.include_dir,
        )
        self._threads = threads
        self._client: SlurmClient | None = None
        # The mirror's job loads (as the service user, who sees every job) convert only what
        # changed since the last.
        self._known_jobs = jobs_read.KnownJobs()
        # Which controllers to ping: slurmctld's own list, re-read now and then rather than
        # doubling every ping's cost (slurmrestd loads the whole configuration per ping).
        self._controllers = Expiring[list[str]](CONTROLLERS_TTL)
        self._info = ClusterInfo(
            cluster_name=self._conf.cluster_name, slurm_version=self._binding.version
        )
        self.capabilities = capabilities_of(self._binding.version)
        self.accounting_source = SlurmAccounting(
            lambda: self.client, cluster=self._conf.cluster_name, service_user=self.service_user
        )

    @property
    def info(self) -> ClusterInfo:
        return self._info

    async def start(self) -> None:
        self._client = SlurmClient(self._binding, self._threads)

    async def stop(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._client.close)

    @property
    def client(self) -> SlurmClient:
        if self._client is None:
            raise RuntimeError("the slurm backend is not started")
        return self._client

    # -- reads ---------------------------------------------------------------------------------

    async def ping(self, principal: Principal) -> list[ControllerPing]:
        def work(call: Call) -> list[ControllerPing]:
            hosts = self._controllers.get()
            if hosts is None:
                ffi, lib = call.ffi, call.lib
                out = ffi.new("slurm_conf_t **")
                call.check(lib.slurm_load_ctl_conf(0, out), "slurm_load_ctl_conf")
                try:
                    hosts = self._controllers.put(diag_read.controller_hosts(ffi, out[0]))
                finally:
                    lib.slurmgate_free_conf(out[0])
            return diag_read.ping_controllers(call.lib, hosts)

        return await self.client.run(principal, work)

    async def stats(self, principal: Principal) -> Stats:
        def work(call: Call) -> Stats:
            ffi, lib = call.ffi, call.lib
            request = ffi.new("stats_info_request_msg_t *")
            request.command_id = lib.STAT_COMMAND_GET
            out = ffi.new("stats_info_response_msg_t **")
            call.check(lib.slurm_get_statistics(out, request), "slurm_get_statistics")
            try:
                return diag_read.stats_from_msg(ffi, lib, out[0])
            finally:
                diag_read.free_stats_msg(ffi, out[0])

        return await self.client.run(principal, work)

    async def access_rules(self, principal: Principal) -> AccessRules:
        """PrivateData and its exempt users; ask as an operator (the service user)."""
        return await self.client.run(
            principal, lambda call: access_read.load(call, self.service_user)
        )

    async def list_jobs(self, principal: Principal, *, updated_since: int = 0) -> Listing[Job]:
        cluster, known = self._info.cluster_name, self._known_jobs
        return await self.client.run(
            principal, lambda call: listings.jobs(call, updated_since, cluster, known)
        )

    async def get_job(self, principal: Principal, job_id: int) -> list[Job]:
        cluster = self._info.cluster_name

        def work(call: Call) -> list[Job]:
            ffi, lib = call.ffi, call.lib
            out = ffi.new("job_info_msg_t **")
            call.check(
                lib.slurmgate_load_job(out, job_id, lib.SHOW_ALL | lib.SHOW_DETAIL),
                "slurm_load_job",
                f"Unable to find JobId={job_id}",
            )
            try:
                return jobs_read.jobs_from_msg(ffi, lib, out[0], cluster)
            finally:
                lib.slurm_free_job_info_msg(out[0])

        jobs = await self.client.run(principal, work)
        if not jobs:
            raise NotFound(f"Unable to find JobId={job_id}", source="slurm_load_job")
        return jobs

    async def list_nodes(self, principal: Principal, *, updated_since: int = 0) -> Listing[Node]:
        return await self.client.run(principal, lambda call: listings.nodes(call, updated_since))

    async def get_node(self, principal: Principal, name: str) -> Node:
        for node in (await self.list_nodes(principal)).items:
            if node.name == name:
                return node
        raise NotFound(
            f"Unable to find node {name}",
            error_number=self.client.errors.number("ESLURM_INVALID_NODE_NAME"),
            error="Invalid node name specified",
            source="slurm_load_node",
        )

    async def list_partitions(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Partition]:
        return await self.client.run(
            principal, lambda call: listings.partitions(call, updated_since)
        )

    async def get_partition(self, principal: Principal, name: str) -> Partition:
        for partition in (await self.list_partitions(principal)).items:
            if partition.name == name:
                return partition
        raise NotFound(
            f"Unable to find partition {name}",
            error_number=self.client.errors.number("ESLURM_INVALID_PARTITION_NAME"),
            error="Invalid partition name specified",
            source="slurm_load_partitions",
        )

    async def list_reservations(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[Reservation]:
        return await self.client.run(
            principal, lambda call: listings.reservations(call, updated_since)
        )

    async def get_reservation(self, principal: Principal, name: str) -> Reservation:
        for reservation in (await self.list_reservations(principal)).items:
            if reservation.name == name:
                return reservation
        raise NotFound(
            f"Unable to find reservation {name}",
            error_number=self.client.errors.number("ESLURM_RESERVATION_INVALID"),
            error="Requested reservation is invalid",
            source="slurm_load_reservations",
        )

    async def list_licenses(
        self, principal: Principal, *, updated_since: int = 0
    ) -> Listing[License]:
        return await self.client.run(principal, lambda call: listings.licenses(call, updated_since))

    # -- writes --------------------------------------------------------------------------------

    async def submit(self, principal: Principal, submission: JobSubmission) -> SubmitResult:
        uid, gid = user_ids(principal.user_name)
        if submission.jobs:
            check_batch_script(submission.jobs[0].script)  # sbatch's check; slurmctld has none

        def work(call: Call) -> SubmitResult:
            ffi, lib = call.ffi, call.lib
            keep: list[Any] = []
            descs = []
            for spec in submission.jobs:
                desc = ffi.new("job_desc_msg_t *")
                lib.slurm_init_job_desc_msg(desc)
                jobs_write.fill_job_desc(ffi, lib, desc, spec, user_id=uid, group_id=gid, keep=keep)
                descs.append(desc)
            out = ffi.new("submit_response_msg_t **")
            if len(descs) == 1:
                rc = lib.slurm_submit_batch_job(descs[0], out)
            else:
                components = lib.slurm_list_create(ffi.NULL)  # items are ours, not the list's
                try:
                    for desc in descs:
                        lib.slurm_list_append(components, desc)
                    rc = lib.slurm_submit_batch_het_job(components, out)
                finally:
                    lib.slurm_list_destroy(components)
            if rc != 0:
                errno = int(lib.slurmgate_errno())
                raise call.errors.error(
                    errno, "slurm_submit_batch_job", refusal(call, errno, submission)
                )
            response = out[0]
            try:
                # Accepted, with word of why it waits (ESLURM_JOB_HELD for a held job).
                number = int(response.error_code)
                return SubmitResult(
                    job_id=int(lib.slurmgate_submitted_job_id(response)),
                    step_id="batch",
                    user_message=text(ffi, response.job_submit_user_msg),
                    error_number=number,
                    error=call.errors.name(number) if number else "",
                )
            finally:
                lib.slurm_free_submit_response_response_msg(response)

        return await self.client.run(principal, work)

    async def update_job(self, principal: Principal, job_id: int, update: JobUpdate) -> None:
        def work(call: Call) -> None:
            ffi, lib = call.ffi, call.lib
            keep: list[Any] = []
            desc = ffi.new("job_desc_msg_t *")
            lib.slurm_init_job_desc_msg(desc)
            jobs_write.fill_job_update(ffi, lib, desc, job_id, update, keep)
            out = ffi.new("job_array_resp_msg_t **")
            description = f"Job {job_id} update failed"
            call.check(lib.slurm_update_job2(desc, out), "slurm_update_job", description)
            if out[0] == ffi.NULL:
                return
            try:
                # An array answers per task; the first refusal speaks for the request.
                response = out[0]
                for i in range(response.job_array_count):
                    if response.error_code[i]:
                        raise call.errors.error(
                            int(response.error_code[i]), "slurm_update_job", description
                        )
            finally:
                lib.slurm_free_job_array_resp(out[0])

        await self.client.run(principal, work)

    async def signal_job(self, principal: Principal, job_id: int, signal: int) -> None:
        def work(call: Call) -> None:
            lib = call.lib
            # Signals other than SIGKILL reach the batch shell too, as `scancel --full` does.
            flags = 0 if signal == 9 else lib.KILL_FULL_JOB
            call.check(
                lib.slurm_kill_job2(str(job_id).encode(), signal, flags, call.ffi.NULL),
                "slurm_kill_job",
                f"unable to signal JobId={job_id} with signal {signal}",
            )

        await self.client.run(principal, work)

    # -- the newer versions' operations ----------------------------------------------------------

    async def signal_jobs(
        self, principal: Principal, selection: JobSelection, signal: int
    ) -> list[SignalOutcome]:
        selection.check()
        chosen = actions.with_both_user_forms(selection)
        if releases.has(self._binding.version, "kill_jobs"):
            return await self.client.run(
                principal, lambda call: actions.kill_jobs(call, chosen, signal)
            )
        cluster = self._info.cluster_name

        def work(call: Call) -> list[SignalOutcome]:
            jobs = actions.load_all(call, cluster)
            return actions.kill_chosen(call, chosen, signal, jobs)

        return await self.client.run(principal, work)

    async def requeue_job(self, principal: Principal, job_id: int, options: RequeueOptions) -> None:
        await self.client.run(principal, lambda call: actions.requeue(call, job_id, options))

    async def allocate(self, principal: Principal, spec: JobSpec) -> AllocationResult:
        uid, gid = user_ids(principal.user_name)
        return await self.client.run(
            principal, lambda call: actions.allocate(call, spec, user_id=uid, group_id=gid)
        )

    async def update_nodes(
        self, principal: Principal, names: list[str], update: NodeUpdate
    ) -> None:
        update.check()
        user = principal.user_name
        await self.client.run(
            principal, lambda call: nodes_write.update_nodes(call, names, update, user=user)
        )

    async def delete_nodes(self, principal: Principal, names: list[str]) -> None:
        await self.client.run(principal, lambda call: nodes_write.delete_nodes(call, names))

    async def shares(
        self, principal: Principal, *, users: list[str], accounts: list[str]
    ) -> Shares:
        return await self.client.run(
            principal, lambda call: shares_read.shares(call, users, accounts)
        )

    async def job_resource_layout(
        self, principal: Principal, job_id: int
    ) -> list[NodeResourceLayout]:
        if Capability.RESOURCE_LAYOUT not in self.capabilities:
            raise NotSupported(
                f"Slurm {self._info.release} has no resource layout call "
                "(slurm_get_resource_layout, from 25.11)",
                source="resources",
            )
        return await self.client.run(
            principal, lambda call: shares_read.resource_layout(call, job_id)
        )
