"""Job accounting through slurmdbd, on the lab of whatever release these run in (docs/labs.md).

sgalice's jobs run a moment in /tmp and end with an exit code of their own; slurmctld tells
slurmdbd of their end a moment later, so tests poll accounting rather than sleep. The lab keeps
finished jobs in slurmctld for MinJobAge (LAB_MIN_JOB_AGE, 600 s by default): a job's record is
read after slurmctld forgot it where the lab's history or its MinJobAge allows.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid

import pytest

from slurmgate.accounting.cache import CachedAccounting
from slurmgate.backends.base import Capability
from slurmgate.config import AccountingSettings
from slurmgate.domain import (
    ExitStatus,
    InvalidRequest,
    JobSpec,
    JobState,
    JobSubmission,
    NotFound,
    NotSupported,
    PermissionDenied,
)
from slurmgate.domain.access import PrivateData
from slurmgate.domain.accounting import AccountingJob, AccountingQuery
from slurmgate.domain.associations import AccountQuery, QosQuery
from slurmgate.domain.dbd import ClusterQuery, DbdStats, InstanceQuery
from slurmgate.domain.slurm_errno import ESLURM_ACCESS_DENIED, ESLURM_INVALID_JOB_ID
from tests.backends.slurm.lab_backend import LabBackend
from tests.support.lab import slurm_client_env

#: Seconds slurmdbd may take to record what slurmctld did.
RECORDED = 60.0
#: slurmctld purges old jobs every PURGE_JOB_INTERVAL (60 s) once MinJobAge has passed.
PURGE_INTERVAL = 60


def _config(key: str, *argv: str) -> str:
    done = subprocess.run(
        list(argv), capture_output=True, text=True, check=True, env=slurm_client_env()
    )
    values = [
        line.split("=", 1)[1].strip()
        for line in done.stdout.splitlines()
        if line.split("=", 1)[0].strip() == key
    ]
    return values[0]


def _min_job_age() -> int:
    return int(_config("MinJobAge", "scontrol", "show", "config").split()[0])


async def _submit(lab: LabBackend, body: str, name: str) -> int:
    spec = JobSpec(
        script=f"#!/bin/sh\n{body}\n",
        name=name,
        current_working_directory="/tmp",
        standard_output="/dev/null",
        environment={"PATH": "/usr/bin:/bin"},
    )
    result = await lab.backend.submit(lab.principal("sgalice"), JobSubmission([spec]))
    return result.job_id


async def _ended(lab: LabBackend, job_id: int, name: str) -> AccountingJob:
    """The job's record once slurmdbd has its end (a lab whose state was reset may have older
    jobs of the same id: the record is the one of that name)."""
    deadline = time.monotonic() + RECORDED
    while True:
        try:
            records = await lab.backend.accounting_job(lab.service, str(job_id))
        except NotFound:
            records = []
        ours = [r for r in records if r.name == name]
        if ours and ours[-1].end_time and ours[-1].steps:
            return ours[-1]
        assert time.monotonic() < deadline, f"slurmdbd never recorded the end of job {job_id}"
        await asyncio.sleep(0.5)


async def test_a_finished_job_is_recorded_with_its_exit_code_and_batch_step(
    lab_backend: LabBackend,
) -> None:
    name = f"sg-acct-{uuid.uuid4().hex[:6]}"
    job_id = await _submit(lab_backend, "exit 3", name)
    record = await _ended(lab_backend, job_id, name)
    lab = lab_backend.lab
    assert (record.job_id, record.name, record.user_name) == (job_id, name, "sgalice")
    assert record.state is JobState.FAILED and record.exit_code == ExitStatus.exited(3)
    assert record.account == lab.account and record.qos == "normal"
    assert record.cluster == lab.cluster and record.partition == "debug"
    assert record.association is not None and record.association.user == "sgalice"
    assert record.working_directory == "/tmp" and record.nodes == lab.node
    assert record.end_time >= record.start_time >= record.submit_time > 0
    assert {t.type for t in record.tres_allocated} >= {"cpu", "mem", "node"}
    assert {(t.type, t.id) for t in record.tres_requested} >= {("cpu", 1), ("mem", 2)}
    [batch] = [s for s in record.steps if s.step_id == "batch"]
    assert batch.name == "batch" and batch.exit_code == ExitStatus.exited(3)
    assert batch.state is JobState.FAILED and batch.nodes == lab.node


async def test_filters_choose_the_records_slurmdbd_chooses(lab_backend: LabBackend) -> None:
    name = f"sg-acct-{uuid.uuid4().hex[:6]}"
    job_id = await _submit(lab_backend, "true", name)
    await _ended(lab_backend, job_id, name)
    since, until = int(time.time()) - 3600, int(time.time()) + 60
    backend, service = lab_backend.backend, lab_backend.service

    async def ids(**filters: object) -> list[int]:
        # With states, slurmdbd's window ends where it starts unless an end is given.
        window: dict[str, object] = {"start_time": since, "end_time": until}
        window.update(filters)
        query = AccountingQuery(job_names=(name,), **window)  # type: ignore[arg-type]
        return [r.job_id for r in await backend.accounting_jobs(service, query)]

    assert await ids() == [job_id]
    assert await ids(users=("sgalice",), states=("COMPLETED",), partitions=("debug",)) == [job_id]
    assert await ids(users=("sgbob",)) == []
    assert await ids(states=("FAILED",)) == []
    assert await ids(accounts=(lab_backend.lab.account,), qos=("normal",)) == [job_id]
    assert await ids(nodes=lab_backend.lab.node) == [job_id]
    assert await ids(start_time=until + 3600, end_time=until + 7200) == []
    [bare] = await lab_backend.backend.accounting_jobs(
        lab_backend.service, AccountingQuery(job_ids=(str(job_id),), skip_steps=True)
    )
    assert bare.steps == ()
    with pytest.raises(InvalidRequest):
        await ids(qos=("no-such-qos",))
    with pytest.raises(InvalidRequest):
        await ids(users=("no-such-user-here",))


async def test_a_job_slurmctld_no_longer_knows_is_still_found_in_accounting(
    lab_backend: LabBackend,
) -> None:
    """The lab's own history: a job that ended before MinJobAge (and a purge) ago."""
    backend, service = lab_backend.backend, lab_backend.service
    long_ago = int(time.time()) - _min_job_age() - 2 * PURGE_INTERVAL
    query = AccountingQuery(
        start_time=int(time.time()) - 30 * 86400, end_time=long_ago, states=("COMPLETED", "FAILED")
    )
    old = [r for r in await backend.accounting_jobs(service, query) if 0 < r.end_time < long_ago]
    if not old:
        pytest.skip("the lab has no job old enough for slurmctld to have purged it yet")
    record = old[-1]
    with pytest.raises(NotFound):
        await backend.get_job(service, record.job_id)
    [again] = [
        r
        for r in await backend.accounting_job(service, str(record.job_id))
        if r.submit_time == record.submit_time
    ]
    assert again.exit_code is not None and again.end_time == record.end_time


@pytest.mark.slow
async def test_a_job_submitted_finished_and_purged_is_found_in_accounting(
    lab_backend: LabBackend,
) -> None:
    age = _min_job_age()
    if age > 120:
        pytest.skip(
            f"the lab keeps finished jobs {age} s (MinJobAge): start it with "
            "LAB_MIN_JOB_AGE=60 to see one purged within a test's time"
        )
    name = f"sg-purged-{uuid.uuid4().hex[:6]}"
    job_id = await _submit(lab_backend, "exit 7", name)
    await _ended(lab_backend, job_id, name)
    deadline = time.monotonic() + age + 2 * PURGE_INTERVAL + 30
    while True:
        try:
            await lab_backend.backend.get_job(lab_backend.service, job_id)
        except NotFound:
            break
        assert time.monotonic() < deadline, "slurmctld never purged the job"
        await asyncio.sleep(5)
    [record] = await lab_backend.backend.accounting_job(
        lab_backend.principal("sgalice"), str(job_id)
    )
    assert record.exit_code == ExitStatus.exited(7) and record.state is JobState.FAILED


async def test_an_unknown_job_is_not_found(lab_backend: LabBackend) -> None:
    with pytest.raises(NotFound) as missing:
        await lab_backend.backend.accounting_job(lab_backend.service, "999999999")
    assert missing.value.error_number == ESLURM_INVALID_JOB_ID


async def test_slurmdbd_s_private_data_and_operators_are_what_it_runs_with(
    lab_backend: LabBackend,
) -> None:
    rules = await lab_backend.backend.accounting_rules(lab_backend.service)
    # sacctmgr prints slurmdbd's configuration; its PrivateData line comes first.
    assert rules.private == PrivateData.parse(
        _config("PrivateData", "sacctmgr", "-n", "show", "configuration")
    )
    assert {"root", "slurm"} <= rules.operators
    assert "sgalice" not in rules.operators  # (tests of access rules make sgbob one a while)


async def test_the_daemon_answers_a_ping_and_its_statistics_to_an_administrator(
    lab_backend: LabBackend,
) -> None:
    backend = lab_backend.backend
    [ping] = await backend.dbd_ping(lab_backend.principal("sgalice"))
    assert ping.responding and ping.primary and ping.hostname
    stats = await backend.dbd_stats(lab_backend.principal("root"))
    assert stats.time_start > 0 and any(r.name == "DBD_GET_JOBS_COND" for r in stats.rpcs)
    with pytest.raises(PermissionDenied) as refused:
        await backend.dbd_stats(lab_backend.principal("sgalice"))
    assert refused.value.error_number == ESLURM_ACCESS_DENIED


async def test_tres_clusters_accounts_and_qos_as_a_plain_user(lab_backend: LabBackend) -> None:
    backend, alice = lab_backend.backend, lab_backend.principal("sgalice")
    tres = {(t.type, t.name): t.id for t in await backend.tres(alice)}
    assert tres[("cpu", "")] == 1 and tres[("mem", "")] == 2 and tres[("node", "")] == 4
    clusters = {c.name: c for c in await backend.clusters(alice, ClusterQuery())}
    cluster = clusters[lab_backend.lab.cluster]
    assert cluster.nodes == lab_backend.lab.node and cluster.rpc_version > 0
    assert {t.type: t.count for t in cluster.tres}["cpu"] == 8
    assert cluster.root_association is not None
    [account] = await backend.accounts(alice, AccountQuery(names=(lab_backend.lab.account,)))
    assert account.description == "slurmgate lab"
    assert [q.name for q in await backend.qos(alice, QosQuery(names=("normal",)))] == ["normal"]


async def test_instances_exist_from_23_11(lab_backend: LabBackend) -> None:
    backend = lab_backend.backend
    if Capability.INSTANCES not in backend.capabilities:
        with pytest.raises(NotSupported):
            await backend.instances(lab_backend.service, InstanceQuery())
    else:  # a lab has no cloud nodes
        assert await backend.instances(lab_backend.service, InstanceQuery()) == []


async def test_the_cache_in_front_shares_one_slurmdbd_query_between_pollers(
    lab_backend: LabBackend,
) -> None:
    backend = lab_backend.backend
    cache = CachedAccounting(
        backend, AccountingSettings(cache_seconds=30), lambda: lab_backend.service
    )
    admin = lab_backend.principal("root")
    # Every poller is the gateway's own user, whose name no other test queries slurmdbd with:
    # slurmdbd counts calls by user.
    poller = lab_backend.principal(lab_backend.lab.gateway_user)

    def calls(stats: DbdStats) -> int:
        return sum(u.count for u in stats.users if u.name == poller.user_name)

    before = calls(await backend.dbd_stats(admin))
    query = AccountingQuery(start_time=int(time.time()) - 600)
    answers = await asyncio.gather(*(cache.accounting_jobs(poller, query) for _ in range(100)))
    assert all(a == answers[0] for a in answers)
    after = calls(await backend.dbd_stats(admin))
    # One connection (its init, the query, its end) and the tables at most: not a hundred.
    assert after - before <= 6
