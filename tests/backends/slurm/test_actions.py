"""The newer operations on the lab cluster of whatever release these run in (docs/labs.md).

Jobs are sgalice's (sgbob tries what he may not); they sleep in /tmp and are cancelled at the
end of each test. The lab has one node: it is drained only for a moment and resumed whatever
happens, and nothing here sets it DOWN or removes it (other tests may be using it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from slurmgate.backends.base import Capability
from slurmgate.backends.selection import tasks_of
from slurmgate.backends.slurm import releases
from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    Job,
    JobSelection,
    JobSpec,
    JobState,
    JobSubmission,
    NodeUpdate,
    NotFound,
    NotSupported,
    PermissionDenied,
    Principal,
    RequeueOptions,
    SlurmgateError,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_INVALID_JOB_ID,
    ESLURM_INVALID_NODE_NAME,
    ESLURM_JOB_NOT_RUNNING,
    ESLURM_JOB_PENDING,
    ESLURM_JOB_SIGNAL_FAILED,
    ESLURM_SIGNAL_JOBS_INVALID,
    ESLURM_USER_ID_MISSING,
)
from tests.backends.slurm.lab_backend import LabBackend

KILL = 9


@dataclass
class Jobs:
    """sgalice's jobs for one test, all named alike and cancelled at its end."""

    lab: LabBackend
    name: str = field(default_factory=lambda: f"sg-{uuid.uuid4().hex[:8]}")
    submitted: list[int] = field(default_factory=list)

    @property
    def alice(self) -> Principal:
        return self.lab.principal("sgalice")

    @property
    def bob(self) -> Principal:
        return self.lab.principal("sgbob")

    def spec(self, **fields: object) -> JobSpec:
        values: dict[str, object] = {
            "script": "#!/bin/sh\nsleep 300\n",
            "name": self.name,
            "current_working_directory": "/tmp",
            "standard_output": "/dev/null",
            "environment": {"PATH": "/usr/bin:/bin"},
        }
        values.update(fields)
        return JobSpec(**values)  # type: ignore[arg-type]

    async def submit(self, **fields: object) -> int:
        result = await self.lab.backend.submit(self.alice, JobSubmission([self.spec(**fields)]))
        self.submitted.append(result.job_id)
        return result.job_id

    async def job(self, job_id: int) -> Job:
        return (await self.lab.backend.get_job(self.lab.service, job_id))[0]

    async def wait(self, job_id: int, *states: JobState, seconds: float = 90) -> Job:
        deadline = time.monotonic() + seconds
        while True:
            job = await self.job(job_id)
            if job.state in states:
                return job
            assert time.monotonic() < deadline, f"job {job_id} stayed {job.state}"
            await asyncio.sleep(0.5)

    async def cancel_all(self) -> None:
        for job_id in self.submitted:
            try:
                await self.lab.backend.signal_job(self.lab.service, job_id, KILL)
            except SlurmgateError:
                pass  # already ended


@pytest.fixture
async def jobs(lab_backend: LabBackend) -> AsyncIterator[Jobs]:
    made = Jobs(lab_backend)
    try:
        yield made
    finally:
        await made.cancel_all()


async def in_service(lab: LabBackend, seconds: float = 60) -> None:
    """Wait until the lab's node takes jobs again: a resumed node re-registers first, and
    the lab counts as down meanwhile (scripts/lab-cluster status)."""
    deadline = time.monotonic() + seconds
    while True:
        node = await lab.backend.get_node(lab.service, lab.lab.node)
        flags = set(node.state_flags) & {"DRAIN", "NOT_RESPONDING", "FAIL"}
        if not flags and node.state.value not in ("down", "unknown"):
            return
        assert time.monotonic() < deadline, f"node {node.name} stayed {node.state} {flags}"
        await asyncio.sleep(0.25)


def release_has(lab_backend: LabBackend, change: str) -> bool:
    return releases.has(lab_backend.backend.info.slurm_version, change)


# -- signalling jobs chosen by filters ------------------------------------------------------


async def test_a_name_filter_cancels_that_users_jobs_of_that_name(jobs: Jobs) -> None:
    first, second = await jobs.submit(hold=True), await jobs.submit(hold=True)
    spared = await jobs.submit(hold=True, name=f"{jobs.name}-other")

    outcomes = await jobs.lab.backend.signal_jobs(
        jobs.alice, JobSelection(job_name=jobs.name, user_name="sgalice"), KILL
    )

    assert {(o.job_id, o.error_number) for o in outcomes} == {(first, 0), (second, 0)}
    for job_id in (first, second):
        assert (await jobs.job(job_id)).state is JobState.CANCELLED
    assert (await jobs.job(spared)).state is JobState.PENDING


async def test_a_user_cannot_signal_another_users_job(jobs: Jobs) -> None:
    job_id = await jobs.submit(hold=True)

    outcomes = await jobs.lab.backend.signal_jobs(
        jobs.bob, JobSelection(job_ids=[str(job_id), "99999999"]), KILL
    )

    found = {o.selected_id: o for o in outcomes}
    assert found[str(job_id)].error_number == ESLURM_ACCESS_DENIED
    assert found[str(job_id)].job_id == job_id
    assert found["99999999"].error_number == ESLURM_INVALID_JOB_ID
    assert found["99999999"].job_id == 0
    assert (await jobs.job(job_id)).state is JobState.PENDING


async def test_a_named_job_another_filter_leaves_out_is_answered(jobs: Jobs) -> None:
    job_id = await jobs.submit(hold=True)

    [outcome] = await jobs.lab.backend.signal_jobs(
        jobs.alice, JobSelection(job_ids=[str(job_id)], account="no-such-account"), KILL
    )

    assert outcome.error_number == ESLURM_JOB_SIGNAL_FAILED
    assert outcome.description == (
        f"Job account {jobs.lab.lab.account} != filter account no-such-account: Cannot signal job"
    )
    assert (await jobs.job(job_id)).state is JobState.PENDING


async def test_some_tasks_of_an_array_can_be_cancelled(jobs: Jobs) -> None:
    array = await jobs.submit(hold=True, array="1-4")

    [outcome] = await jobs.lab.backend.signal_jobs(
        jobs.alice, JobSelection(job_ids=[f"{array}_[2-3]"]), KILL
    )

    assert (outcome.error_number, outcome.selected_id) == (0, f"{array}_[2-3]")
    # Pending tasks may still share one record (the array's), which lists those left.
    records = await jobs.lab.backend.get_job(jobs.alice, array)
    pending = {t for j in records if j.state is JobState.PENDING for t in tasks_of(j)}
    assert pending == {1, 4}


async def test_an_empty_selection_is_refused(jobs: Jobs) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await jobs.lab.backend.signal_jobs(jobs.alice, JobSelection(), KILL)
    assert caught.value.error_number == ESLURM_SIGNAL_JOBS_INVALID


# -- requeue ---------------------------------------------------------------------------------


async def test_a_running_job_is_requeued_held(jobs: Jobs) -> None:
    job_id = await jobs.submit()
    await jobs.wait(job_id, JobState.RUNNING)

    await jobs.lab.backend.requeue_job(jobs.alice, job_id, RequeueOptions(hold=True))

    job = await jobs.job(job_id)
    assert job.state is JobState.PENDING and job.restart_count == 1
    assert job.priority == 0 and job.state_reason == "JobHeldUser"
    assert job.state_description == "job requeued in held state"


async def test_a_pending_job_cannot_be_requeued(jobs: Jobs) -> None:
    job_id = await jobs.submit(hold=True)
    with pytest.raises(Conflict) as caught:
        await jobs.lab.backend.requeue_job(jobs.alice, job_id, RequeueOptions())
    assert caught.value.error_number == ESLURM_JOB_PENDING


async def test_a_user_cannot_requeue_another_users_job(jobs: Jobs) -> None:
    job_id = await jobs.submit()
    await jobs.wait(job_id, JobState.RUNNING)
    with pytest.raises(PermissionDenied) as caught:
        await jobs.lab.backend.requeue_job(jobs.bob, job_id, RequeueOptions())
    assert caught.value.error_number == ESLURM_ACCESS_DENIED
    assert (await jobs.job(job_id)).restart_count == 0


# -- allocations -----------------------------------------------------------------------------


async def test_an_allocation_is_a_job_without_a_script(jobs: Jobs) -> None:
    spec = jobs.spec(script=None, time_limit=2, environment=None, standard_output=None)
    result = await jobs.lab.backend.allocate(jobs.alice, spec)
    jobs.submitted.append(result.job_id)

    job = await jobs.wait(result.job_id, JobState.RUNNING)
    assert job.batch_flag is False and job.user_name == "sgalice"
    assert job.name == jobs.name and job.nodes == jobs.lab.lab.node


# -- nodes -----------------------------------------------------------------------------------


async def test_only_operators_change_nodes(jobs: Jobs) -> None:
    node = jobs.lab.lab.node
    with pytest.raises(PermissionDenied) as caught:
        await jobs.lab.backend.update_nodes(jobs.alice, [node], NodeUpdate(comment="x"))
    assert caught.value.error_number == ESLURM_USER_ID_MISSING


async def test_a_drain_needs_a_reason_before_slurmctld_is_asked(jobs: Jobs) -> None:
    with pytest.raises(InvalidRequest):
        await jobs.lab.backend.update_nodes(
            jobs.lab.service, [jobs.lab.lab.node], NodeUpdate(state=["DRAIN"])
        )


async def test_a_drained_node_shows_why_and_who_until_it_is_resumed(jobs: Jobs) -> None:
    backend, service, name = jobs.lab.backend, jobs.lab.service, jobs.lab.lab.node
    try:
        await backend.update_nodes(service, [name], NodeUpdate(state=["DRAIN"], reason="sg test"))
        drained = await backend.get_node(service, name)
    finally:
        await backend.update_nodes(service, [name], NodeUpdate(state=["RESUME"]))
        await in_service(jobs.lab)
    assert "DRAIN" in drained.state_flags
    assert drained.reason == "sg test" and drained.reason_changed_at > 0
    assert drained.reason_set_by_user == backend.service_user
    resumed = await backend.get_node(service, name)
    assert "DRAIN" not in resumed.state_flags and resumed.reason == ""


async def test_a_nodes_comment_changes_and_clears(jobs: Jobs) -> None:
    backend, service, name = jobs.lab.backend, jobs.lab.service, jobs.lab.lab.node
    try:
        await backend.update_nodes(service, [name], NodeUpdate(comment="sg comment"))
        assert (await backend.get_node(service, name)).comment == "sg comment"
    finally:
        await backend.update_nodes(service, [name], NodeUpdate(comment=""))
    assert (await backend.get_node(service, name)).comment == ""


async def test_an_unknown_node_is_not_found(jobs: Jobs) -> None:
    with pytest.raises(NotFound) as caught:
        await jobs.lab.backend.update_nodes(
            jobs.lab.service, ["sg-no-such-node"], NodeUpdate(comment="x")
        )
    assert caught.value.error_number == ESLURM_INVALID_NODE_NAME


async def test_removing_nodes_is_for_operators_and_names_known_nodes(jobs: Jobs) -> None:
    # Only names no node has: a node that exists would be removed.
    with pytest.raises(PermissionDenied) as caught:
        await jobs.lab.backend.delete_nodes(jobs.alice, ["sg-no-such-node"])
    assert caught.value.error_number == ESLURM_USER_ID_MISSING
    with pytest.raises(NotFound) as missing:
        await jobs.lab.backend.delete_nodes(jobs.lab.service, ["sg-no-such-node"])
    assert missing.value.error_number == ESLURM_INVALID_NODE_NAME


# -- shares ----------------------------------------------------------------------------------


async def test_shares_list_every_association(jobs: Jobs) -> None:
    found = await jobs.lab.backend.shares(jobs.lab.service, users=[], accounts=[])

    by_name = {(e.name, e.kind): e for e in found.entries}
    account = by_name[(jobs.lab.lab.account, "ASSOCIATION")]
    alice = by_name[("sgalice", "USER")]
    assert alice.parent == account.name and alice.cluster == jobs.lab.lab.cluster
    assert alice.shares == 1 and alice.usage >= 0
    assert {t.name for t in alice.tres_run_seconds} >= {"cpu", "mem", "node"}
    assert found.total_shares >= 0


async def test_shares_of_one_user_are_that_users_and_their_accounts(jobs: Jobs) -> None:
    found = await jobs.lab.backend.shares(jobs.alice, users=["sgalice"], accounts=[])
    users = {e.name for e in found.entries if e.kind == "USER"}
    assert users == {"sgalice"}


# -- resource layout -------------------------------------------------------------------------


async def test_the_resource_layout_of_a_running_job(jobs: Jobs) -> None:
    backend = jobs.lab.backend
    if not release_has(jobs.lab, "resource_layout"):
        assert Capability.RESOURCE_LAYOUT not in backend.capabilities
        with pytest.raises(NotSupported):
            await backend.job_resource_layout(jobs.alice, 1)
        return
    job_id = await jobs.submit(cpus_per_task=2)
    await jobs.wait(job_id, JobState.RUNNING)

    [layout] = await backend.job_resource_layout(jobs.alice, job_id)

    assert layout.node == jobs.lab.lab.node
    assert layout.sockets_per_node * layout.cores_per_socket >= 2
    assert layout.core_bitmap and "0x" not in layout.core_bitmap
    assert layout.memory > 0
    with pytest.raises(PermissionDenied) as caught:
        await backend.job_resource_layout(jobs.bob, job_id)
    assert caught.value.error_number == ESLURM_USER_ID_MISSING


async def test_a_pending_job_has_no_resource_layout(jobs: Jobs) -> None:
    if not release_has(jobs.lab, "resource_layout"):
        pytest.skip(f"Slurm {jobs.lab.backend.info.release} has no resource layout")
    job_id = await jobs.submit(hold=True)
    with pytest.raises(Conflict) as caught:
        await jobs.lab.backend.job_resource_layout(jobs.alice, job_id)
    assert caught.value.error_number == ESLURM_JOB_NOT_RUNNING
