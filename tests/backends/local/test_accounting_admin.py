"""The embedded cluster's accounts, users, associations and QOS: defaults, rules, persistence."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from slurmgate.config import AccountConfig, QosConfig, UserConfig
from slurmgate.domain import (
    Conflict,
    InvalidRequest,
    JobState,
    JobUpdate,
    NotFound,
    PermissionDenied,
    Principal,
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
    Coordinator,
    Qos,
    QosLimits,
    QosQuery,
    User,
    UserQuery,
)
from slurmgate.domain.dbd import ClusterQuery
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_INVALID_ACCOUNT,
    ESLURM_INVALID_QOS,
    ESLURM_JOBS_RUNNING_ON_ASSOC,
    ESLURM_NO_REMOVE_DEFAULT_ACCOUNT,
    ESLURM_NO_REMOVE_DEFAULT_QOS,
)
from tests.backends.local.cluster import OTHER, ROOT, Factory, spec, submit, wait_state

# Users that exist on every Debian-like host: jobs run as their users when tests run as root.
DAEMON = Principal("daemon")
BIN = Principal("bin")

LAB = {
    "accounts": [
        AccountConfig(name="physics", description="Physics", organization="uni", max_jobs=4),
        AccountConfig(name="theory", parent="physics", grp_tres="cpu=8"),
    ],
    "users": [
        UserConfig(name="daemon", accounts=["physics", "theory"], default_account="theory"),
        UserConfig(name="bin", accounts=["physics"], admin_level="Operator"),
    ],
    "qos": [QosConfig(name="high", priority=100, max_wall=60)],
}


# -- defaults at submission ------------------------------------------------------------------


async def test_a_job_is_charged_to_the_users_default_account_and_qos(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(**LAB)
    job_id = await submit(backend, spec(tmp_path, hold=True), DAEMON)
    job = backend.jobs[job_id]
    assert (job.account, job.qos) == ("theory", "normal")
    [assoc] = await backend.associations(
        ROOT, AssociationQuery(users=("daemon",), accounts=("theory",))
    )
    assert job.association_id == assoc.id

    other = await submit(backend, spec(tmp_path, hold=True, account="physics", qos="high"), DAEMON)
    assert (backend.jobs[other].account, backend.jobs[other].qos) == ("physics", "high")


async def test_an_unknown_account_or_qos_is_refused_as_slurmctld_refuses_it(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(**LAB)
    with pytest.raises(InvalidRequest) as refused:
        await submit(backend, spec(tmp_path, account="chemistry"), DAEMON)
    assert refused.value.error_number == ESLURM_INVALID_ACCOUNT
    with pytest.raises(InvalidRequest) as refused:
        await submit(backend, spec(tmp_path, account="physics", qos="turbo"), DAEMON)
    assert refused.value.error_number == ESLURM_INVALID_QOS
    with pytest.raises(InvalidRequest) as refused:  # bin has no association with theory
        await submit(backend, spec(tmp_path, account="theory"), BIN)
    assert refused.value.error_number == ESLURM_INVALID_ACCOUNT
    assert not backend.jobs


async def test_a_user_without_association_gets_one_with_the_default_account(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, hold=True), OTHER)
    assert backend.jobs[job_id].account == "root"
    [user] = await backend.users(ROOT, UserQuery(names=("nobody",), with_associations=True))
    assert user.default_account == "root" and user.admin_level is AdminLevel.NONE
    assert [(a.account, a.user) for a in user.associations] == [("root", "nobody")]


async def test_without_auto_associate_a_user_without_association_is_refused(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(auto_associate=False)
    with pytest.raises(InvalidRequest) as refused:
        await submit(backend, spec(tmp_path), OTHER)
    assert refused.value.error_number == ESLURM_INVALID_ACCOUNT
    assert await submit(backend, spec(tmp_path, hold=True)) > 0  # root always has one


async def test_an_update_may_only_move_a_job_to_an_account_its_user_has(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(**LAB)
    job_id = await submit(backend, spec(tmp_path, hold=True), DAEMON)
    with pytest.raises(InvalidRequest) as refused:
        await backend.update_job(DAEMON, job_id, JobUpdate(account="root"))
    assert refused.value.error_number == ESLURM_INVALID_ACCOUNT
    assert backend.jobs[job_id].account == "theory"
    await backend.update_job(DAEMON, job_id, JobUpdate(account="physics", qos="high"))
    job = backend.jobs[job_id]
    assert (job.account, job.qos) == ("physics", "high")
    [assoc] = await backend.associations(
        ROOT, AssociationQuery(users=("daemon",), accounts=("physics",))
    )
    assert job.association_id == assoc.id


# -- what the configuration makes ------------------------------------------------------------


async def test_the_configuration_makes_accounts_users_associations_and_qos(
    make_backend: Factory,
) -> None:
    backend = await make_backend(**LAB)
    accounts = await backend.accounts(ROOT, AccountQuery(with_associations=True))
    assert [a.name for a in accounts] == ["physics", "root", "theory"]
    physics = accounts[0]
    assert (physics.description, physics.organization) == ("Physics", "uni")
    assert {(r.account, r.user) for r in physics.associations} == {
        ("physics", ""),
        ("physics", "daemon"),
        ("physics", "bin"),
    }
    users = {u.name: u for u in await backend.users(ROOT, UserQuery())}
    assert users["root"].admin_level is AdminLevel.ADMINISTRATOR
    assert users["bin"].admin_level is AdminLevel.OPERATOR
    assert users["daemon"].default_account == "theory"
    assert [q.name for q in await backend.qos(ROOT, QosQuery())] == ["normal", "high"]
    [high] = await backend.qos(ROOT, QosQuery(names=("high",)))
    assert high.priority == 100 and high.limits.max_wall_per_job == 60


async def test_associations_inherit_limits_and_show_their_place_in_the_tree(
    make_backend: Factory,
) -> None:
    backend = await make_backend(**LAB)
    [daemon] = await backend.associations(
        ROOT, AssociationQuery(users=("daemon",), accounts=("theory",))
    )
    assert daemon.parent_account == "theory" and daemon.lineage == "/root/physics/theory/0-daemon/"
    assert daemon.is_default and daemon.qos == ("normal",)
    assert daemon.limits.max_jobs == 4  # from physics, two levels up
    assert daemon.limits.grp_tres == (Tres("cpu", id=1, count=8),)  # from theory
    [own] = await backend.associations(
        ROOT,
        AssociationQuery(users=("daemon",), accounts=("theory",), without_parent_limits=True),
    )
    assert own.limits.max_jobs is None and own.limits.grp_tres is None
    below = await backend.associations(
        ROOT, AssociationQuery(accounts=("physics",), with_sub_accounts=True)
    )
    assert {(a.account, a.user) for a in below} == {
        ("physics", ""),
        ("physics", "daemon"),
        ("physics", "bin"),
        ("theory", ""),
        ("theory", "daemon"),
    }


# -- who may change what ---------------------------------------------------------------------


async def test_plain_users_may_read_but_not_change(make_backend: Factory) -> None:
    backend = await make_backend(**LAB)
    assert await backend.accounts(DAEMON, AccountQuery(names=("physics",)))
    for change in (
        backend.add_accounts(DAEMON, [Account("chemistry")]),
        backend.add_users(DAEMON, [User("bob", default_account="physics")]),
        backend.set_associations(DAEMON, [Association("physics", user="root")]),
        backend.remove_account(DAEMON, "theory"),
        backend.set_qos(DAEMON, [Qos("low")]),
        backend.remove_qos(DAEMON, "high"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            await change
        assert refused.value.error_number == ESLURM_ACCESS_DENIED


async def test_an_operator_changes_accounts_and_users_but_not_qos_or_admin_levels(
    make_backend: Factory,
) -> None:
    backend = await make_backend(**LAB)
    assert await backend.add_accounts(BIN, [Account("chemistry", "Chem")]) == [
        "added account chemistry"
    ]
    assert await backend.add_users(BIN, [User("bob", default_account="physics")]) == [
        "added user bob"
    ]
    with pytest.raises(PermissionDenied):
        await backend.add_users(BIN, [User("bob", AdminLevel.ADMINISTRATOR)])
    with pytest.raises(PermissionDenied):
        await backend.set_qos(BIN, [Qos("low")])
    [bob] = await backend.users(ROOT, UserQuery(names=("bob",), with_associations=True))
    assert bob.default_account == "physics" and bob.admin_level is AdminLevel.NONE
    assert [(a.account, a.user) for a in bob.associations] == [("physics", "bob")]


async def test_a_coordinator_manages_associations_of_its_accounts_only(
    make_backend: Factory,
) -> None:
    backend = await make_backend(**LAB)
    await backend.add_users(ROOT, [User("daemon", coordinators=(Coordinator("theory"),))])
    await backend.add_users(ROOT, [User("bob", default_account="physics")])
    assert await backend.set_associations(DAEMON, [Association("theory", user="bob")]) == [
        f"added association C = {backend.settings.cluster_name} A = theory U = bob"
    ]
    with pytest.raises(PermissionDenied):
        await backend.set_associations(DAEMON, [Association("root", user="bob")])
    [theory] = await backend.accounts(ROOT, AccountQuery(names=("theory",), with_coordinators=True))
    assert theory.coordinators == (Coordinator("daemon"),)
    rules = await backend.accounting_rules(ROOT)
    assert rules.coordinators["daemon"] == frozenset({"theory"})
    assert "bin" in rules.operators and "daemon" not in rules.operators


async def test_associations_and_qos_change_field_by_field(make_backend: Factory) -> None:
    backend = await make_backend(**LAB)
    limits = AssociationLimits(max_jobs=2, max_tres_per_job=(Tres("cpu", count=4),))
    await backend.set_associations(
        ROOT, [Association("physics", user="daemon", shares=5, limits=limits)]
    )
    await backend.set_associations(
        ROOT,
        [
            Association(
                "physics",
                user="daemon",
                limits=AssociationLimits(max_jobs=-1, max_tres_per_job=(Tres("mem", count=100),)),
            )
        ],
    )
    [assoc] = await backend.associations(
        ROOT,
        AssociationQuery(users=("daemon",), accounts=("physics",), without_parent_limits=True),
    )
    assert assoc.shares == 5 and assoc.limits.max_jobs is None
    assert {t.key: t.count for t in assoc.limits.max_tres_per_job or ()} == {"cpu": 4, "mem": 100}

    assert await backend.set_qos(ROOT, [Qos("low", priority=1, flags=("DENY_LIMIT",))]) == [
        "added qos low"
    ]
    await backend.set_qos(ROOT, [Qos("low", limits=QosLimits(max_jobs_per_user=3))])
    [low] = await backend.qos(ROOT, QosQuery(names=("low",)))
    assert low.priority == 1 and low.flags == ("DENY_LIMIT",)
    assert low.limits.max_jobs_per_user == 3 and low.id > 1


async def test_users_are_added_with_their_associations_in_one_go(make_backend: Factory) -> None:
    backend = await make_backend(**LAB)
    done = await backend.add_users_with_associations(
        ROOT,
        AssociationAdd(accounts=("physics", "theory"), users=("bob", "carol")),
        User("", default_wckey="w"),
    )
    assert "added user bob" in done and "added user carol" in done
    found = await backend.associations(ROOT, AssociationQuery(users=("bob", "carol")))
    assert {(a.user, a.account) for a in found} == {
        (u, a) for u in ("bob", "carol") for a in ("physics", "theory")
    }
    [bob] = await backend.users(ROOT, UserQuery(names=("bob",)))
    assert bob.default_account == "physics"
    added = await backend.add_accounts_with_associations(
        ROOT,
        Account("", "Chemistry", "uni"),
        AssociationAdd(accounts=("chemistry",), template=Association("", parent_account="physics")),
    )
    assert "added account chemistry" in added
    [chem] = await backend.associations(ROOT, AssociationQuery(accounts=("chemistry",)))
    assert chem.parent_account == "physics" and chem.lineage == "/root/physics/chemistry/"


# -- removals --------------------------------------------------------------------------------


async def test_removals_are_refused_while_jobs_run_and_for_defaults(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(**LAB)
    job_id = await submit(backend, spec(tmp_path, hold=True, account="physics"), DAEMON)
    with pytest.raises(Conflict) as refused:
        await backend.remove_associations(
            ROOT, AssociationQuery(users=("daemon",), accounts=("physics",))
        )
    assert refused.value.error_number == ESLURM_JOBS_RUNNING_ON_ASSOC
    with pytest.raises(Conflict) as refused:
        await backend.remove_user(ROOT, "daemon")
    assert refused.value.error_number == ESLURM_JOBS_RUNNING_ON_ASSOC
    with pytest.raises(Conflict) as refused:
        await backend.remove_account(ROOT, "theory")  # daemon's default
    assert refused.value.error_number == ESLURM_NO_REMOVE_DEFAULT_ACCOUNT
    with pytest.raises(Conflict) as refused:
        await backend.remove_qos(ROOT, "normal")
    assert refused.value.error_number == ESLURM_NO_REMOVE_DEFAULT_QOS
    with pytest.raises(PermissionDenied):
        await backend.remove_account(ROOT, "root")
    with pytest.raises(NotFound):
        await backend.remove_account(ROOT, "nothing-here")

    await backend.signal_job(ROOT, job_id, signal.SIGKILL)
    await wait_state(backend, job_id, JobState.CANCELLED)
    removed = await backend.remove_associations(
        ROOT, AssociationQuery(users=("daemon",), accounts=("physics",))
    )
    assert removed == [f"C = {backend.settings.cluster_name} A = physics U = daemon"]
    assert await backend.remove_user(ROOT, "daemon") == ["daemon"]
    [gone] = await backend.users(ROOT, UserQuery(names=("daemon",), with_deleted=True))
    assert gone.flags == ("DELETED",)
    assert await backend.users(ROOT, UserQuery(names=("daemon",))) == []
    assert await backend.remove_account(ROOT, "theory") == ["theory"]
    assert await backend.remove_qos(ROOT, "high") == ["high"]
    assert [q.name for q in await backend.qos(ROOT, QosQuery())] == ["normal"]


async def test_removing_an_account_removes_the_associations_below_it(
    make_backend: Factory,
) -> None:
    backend = await make_backend(**LAB)
    await backend.add_users(ROOT, [User("daemon", default_account="physics")])
    await backend.remove_account(ROOT, "theory")
    left = await backend.associations(ROOT, AssociationQuery(accounts=("theory",)))
    assert left == []
    gone = await backend.associations(
        ROOT, AssociationQuery(accounts=("theory",), with_deleted=True)
    )
    assert {(a.user, a.flags) for a in gone} == {("", ("DELETED",)), ("daemon", ("DELETED",))}


# -- persistence -----------------------------------------------------------------------------


async def test_changes_survive_a_restart_and_the_configuration_is_applied_again(
    make_backend: Factory,
) -> None:
    backend = await make_backend(**LAB)
    await backend.add_accounts(ROOT, [Account("chemistry", "Chem")])
    await backend.set_associations(ROOT, [Association("chemistry")])
    await backend.add_users(ROOT, [User("bob", default_account="chemistry")])
    await backend.set_qos(ROOT, [Qos("high", priority=5)])  # configured: back to 100 at start
    await backend.stop()

    again = await make_backend(**LAB)
    [chemistry] = await again.accounts(ROOT, AccountQuery(names=("chemistry",)))
    assert chemistry.description == "Chem"
    [bob] = await again.users(ROOT, UserQuery(names=("bob",), with_associations=True))
    assert bob.default_account == "chemistry" and len(bob.associations) == 1
    [high] = await again.qos(ROOT, QosQuery(names=("high",)))
    assert high.priority == 100
    ids = {a.id for a in await again.associations(ROOT, AssociationQuery(with_deleted=True))}
    assert len(ids) == len(await again.associations(ROOT, AssociationQuery(with_deleted=True)))


async def test_a_refused_change_changes_nothing(make_backend: Factory) -> None:
    backend = await make_backend(**LAB)
    with pytest.raises(InvalidRequest):  # the second association names an unknown account
        await backend.set_associations(
            ROOT, [Association("physics", user="root"), Association("nowhere", user="root")]
        )
    assert (
        await backend.associations(ROOT, AssociationQuery(users=("root",), accounts=("physics",)))
        == []
    )


# -- the daemon itself -----------------------------------------------------------------------


async def test_tres_clusters_ping_and_statistics(make_backend: Factory) -> None:
    backend = await make_backend(**LAB)
    assert [(t.type, t.id) for t in await backend.tres(ROOT)] == [
        ("cpu", 1),
        ("mem", 2),
        ("node", 4),
        ("billing", 5),
    ]
    [cluster] = await backend.clusters(ROOT, ClusterQuery())
    assert cluster.name == backend.settings.cluster_name and cluster.nodes == "node1"
    assert {t.type: t.count for t in cluster.tres}["cpu"] == 4
    assert cluster.root_association is not None and cluster.root_association.account == "root"
    assert await backend.clusters(ROOT, ClusterQuery(names=("elsewhere",))) == []
    [ping] = await backend.dbd_ping(ROOT)
    assert ping.responding and ping.primary
    await backend.accounts(DAEMON, AccountQuery())
    stats = await backend.dbd_stats(ROOT)
    assert {r.name for r in stats.rpcs} >= {"DBD_GET_ACCOUNTS", "DBD_GET_CLUSTERS"}
    assert {u.name for u in stats.users} >= {"daemon", "root"}
    assert stats.time_start > 0
