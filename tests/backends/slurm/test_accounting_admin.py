"""Accounts, users, associations and QOS changed through slurmdbd, on the lab of whatever
release these run in: by an administrator (root's token), refused to a plain user (sgalice).

Every record made here has a name of its own (``sgt…``, users ``sgu…``: slurmdbd does not
need them to exist on the host) and is removed at the end whatever happens, so tests of other
runs on the same lab never see them for long.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from slurmgate.domain import (
    Conflict,
    JobSpec,
    JobSubmission,
    NotFound,
    PermissionDenied,
    SlurmgateError,
)
from slurmgate.domain.accounting import Tres
from slurmgate.domain.associations import (
    Account,
    AccountQuery,
    AdminLevel,
    Association,
    AssociationAdd,
    AssociationLimits,
    AssociationQuery,
    Qos,
    QosLimits,
    QosQuery,
    User,
    UserQuery,
)
from slurmgate.domain.slurm_errno import ESLURM_ACCESS_DENIED, ESLURM_JOBS_RUNNING_ON_ASSOC
from tests.backends.slurm.lab_backend import LabBackend

#: Seconds slurmctld may take to hear of a new association from slurmdbd.
PROPAGATION = 30.0


@dataclass
class Scratch:
    """Names for one test's records, removed when it ends."""

    lab: LabBackend
    tag: str

    @property
    def account(self) -> str:
        return f"sgt{self.tag}"

    @property
    def user(self) -> str:
        return f"sgu{self.tag}"

    @property
    def qos(self) -> str:
        return f"sgq{self.tag}"


@pytest.fixture
async def scratch(lab_backend: LabBackend) -> AsyncIterator[Scratch]:
    made = Scratch(lab_backend, uuid.uuid4().hex[:6])
    yield made
    backend, admin = lab_backend.backend, lab_backend.principal("root")
    for cleanup in (
        backend.remove_user(admin, made.user),
        backend.remove_account(admin, made.account),
        backend.remove_qos(admin, made.qos),
    ):
        try:
            await cleanup
        except NotFound:
            pass


async def test_a_plain_user_reads_but_may_not_change(scratch: Scratch) -> None:
    backend, alice = scratch.lab.backend, scratch.lab.principal("sgalice")
    assert await backend.users(alice, UserQuery(names=("sgalice",)))
    for change in (
        backend.add_accounts(alice, [Account(scratch.account)]),
        backend.set_qos(alice, [Qos(scratch.qos)]),
        backend.add_users(alice, [User(scratch.user, default_account="root")]),
        backend.remove_account(alice, scratch.lab.lab.account),
        backend.remove_qos(alice, "normal"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            await change
        assert refused.value.error_number == ESLURM_ACCESS_DENIED
    assert await backend.accounts(alice, AccountQuery(names=(scratch.account,))) == []


async def test_an_administrator_adds_changes_and_removes_accounts_and_associations(
    scratch: Scratch,
) -> None:
    backend, admin = scratch.lab.backend, scratch.lab.principal("root")
    cluster = scratch.lab.lab.cluster
    name, user = scratch.account, scratch.user
    assert await backend.add_accounts(admin, [Account(name, "Scratch", "slurmgate")]) == [
        f"added account {name}"
    ]
    assert await backend.add_accounts(admin, [Account(name, "Scratch 2")]) == [
        f"changed account {name}"
    ]
    limits = AssociationLimits(max_jobs=3, grp_tres=(Tres("cpu", count=4),))
    assert await backend.set_associations(
        admin, [Association(name, parent_account="root", shares=5, limits=limits)]
    ) == [f"added association C = {cluster} A = {name}"]
    done = await backend.add_users_with_associations(
        admin, AssociationAdd(accounts=(name,), users=(user,))
    )
    assert f"added user {user}" in done

    [account] = await backend.accounts(admin, AccountQuery(names=(name,), with_associations=True))
    assert (account.description, account.organization) == ("Scratch 2", "slurmgate")
    assert {(r.account, r.user) for r in account.associations} == {(name, ""), (name, user)}
    [own] = await backend.associations(admin, AssociationQuery(accounts=(name,), users=("",)))
    assert own.shares == 5 and own.parent_account == "root"
    assert own.limits.max_jobs == 3 and own.limits.grp_tres == (Tres("cpu", id=1, count=4),)
    [member] = await backend.users(admin, UserQuery(names=(user,), with_associations=True))
    assert member.default_account == name and member.admin_level is AdminLevel.NONE

    await backend.set_associations(
        admin, [Association(name, user=user, limits=AssociationLimits(max_submit_jobs=7))]
    )
    await backend.set_associations(
        admin, [Association(name, limits=AssociationLimits(max_jobs=-1))]
    )
    found = {
        a.user: a
        for a in await backend.associations(
            admin, AssociationQuery(accounts=(name,), without_parent_limits=True)
        )
    }
    assert found[user].limits.max_submit_jobs == 7 and found[""].limits.max_jobs is None

    removed = await backend.remove_associations(
        admin, AssociationQuery(accounts=(name,), users=(user,))
    )
    assert removed == [f"C = {cluster} A = {name} U = {user}"]
    assert await backend.remove_user(admin, user) == [user]
    assert await backend.remove_account(admin, name) == [name]
    assert await backend.accounts(admin, AccountQuery(names=(name,))) == []
    with pytest.raises(NotFound):
        await backend.remove_account(admin, name)


async def test_an_administrator_adds_and_changes_a_qos(scratch: Scratch) -> None:
    backend, admin = scratch.lab.backend, scratch.lab.principal("root")
    qos = Qos(
        scratch.qos,
        description="scratch",
        priority=10,
        flags=("DENY_LIMIT",),
        preempt_mode=("CANCEL",),
        limits=QosLimits(max_wall_per_job=60, max_tres_per_user=(Tres("cpu", count=2),)),
    )
    assert await backend.set_qos(admin, [qos]) == [f"added qos {scratch.qos}"]
    await backend.set_qos(admin, [Qos(scratch.qos, priority=20, preempt=("normal",))])
    [found] = await backend.qos(scratch.lab.principal("sgalice"), QosQuery(names=(scratch.qos,)))
    assert (found.description, found.priority, found.flags) == ("scratch", 20, ("DENY_LIMIT",))
    assert found.preempt == ("normal",) and found.preempt_mode == ("CANCEL",)
    assert found.limits.max_wall_per_job == 60
    assert found.limits.max_tres_per_user == (Tres("cpu", id=1, count=2),)
    assert await backend.remove_qos(admin, scratch.qos) == [scratch.qos]
    assert await backend.qos(admin, QosQuery(names=(scratch.qos,))) == []


async def test_an_account_with_a_pending_job_cannot_be_removed(scratch: Scratch) -> None:
    lab = scratch.lab
    backend, admin, alice = lab.backend, lab.principal("root"), lab.principal("sgalice")
    await backend.add_accounts_with_associations(
        admin, Account(""), AssociationAdd(accounts=(scratch.account,))
    )
    await backend.add_users_with_associations(
        admin, AssociationAdd(accounts=(scratch.account,), users=("sgalice",))
    )
    spec = JobSpec(
        script="#!/bin/sh\ntrue\n",
        name=f"sg-{scratch.tag}",
        account=scratch.account,
        hold=True,
        current_working_directory="/tmp",
        standard_output="/dev/null",
        environment={"PATH": "/usr/bin:/bin"},
    )
    deadline = time.monotonic() + PROPAGATION
    while True:  # until slurmctld knows the new association
        try:
            job_id = (await backend.submit(alice, JobSubmission([spec]))).job_id
            break
        except SlurmgateError:
            assert time.monotonic() < deadline, "slurmctld never learned the association"
            await asyncio.sleep(0.5)
    try:
        await _until_recorded(lab, job_id)
        with pytest.raises(Conflict) as refused:
            await backend.remove_account(admin, scratch.account)
        assert refused.value.error_number == ESLURM_JOBS_RUNNING_ON_ASSOC
    finally:
        await backend.signal_job(alice, job_id, 9)
    await _until_ended(lab, job_id)
    await backend.remove_associations(
        admin, AssociationQuery(accounts=(scratch.account,), users=("sgalice",))
    )
    assert await backend.remove_account(admin, scratch.account) == [scratch.account]


async def _until_recorded(lab: LabBackend, job_id: int) -> None:
    deadline = time.monotonic() + PROPAGATION
    while True:
        try:
            await lab.backend.accounting_job(lab.service, str(job_id))
            return
        except NotFound:
            assert time.monotonic() < deadline, f"slurmdbd never recorded job {job_id}"
            await asyncio.sleep(0.5)


async def _until_ended(lab: LabBackend, job_id: int) -> None:
    deadline = time.monotonic() + PROPAGATION
    while True:
        records = await lab.backend.accounting_job(lab.service, str(job_id))
        if records and records[-1].end_time:
            return
        assert time.monotonic() < deadline, f"slurmdbd never recorded job {job_id} ending"
        await asyncio.sleep(0.5)
