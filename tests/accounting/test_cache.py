"""Accounting answers shared between callers: one backend call for many identical pollers,
separate answers where the accounting daemon's PrivateData separates them, finished jobs kept."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from slurmgate.accounting.cache import CachedAccounting
from slurmgate.config import AccountingSettings
from slurmgate.domain import BackendUnavailable, JobState, PermissionDenied, Principal
from slurmgate.domain.access import AccessRules, PrivateData
from slurmgate.domain.accounting import AccountingJob, AccountingQuery
from slurmgate.domain.associations import Account, AccountQuery, QosQuery
from tests.backends.local.cluster import Factory, spec, submit, wait_state

ALICE = Principal("alice")
BOB = Principal("bob")
ROOT = Principal("root", is_admin=True)
QUERY = AccountingQuery(users=("alice",))
OPEN = AccessRules()  # no PrivateData: everyone sees every record


def _job(job_id: int, user: str = "alice", state: JobState = JobState.COMPLETED) -> AccountingJob:
    return AccountingJob(
        job_id=job_id, name="j", user_name=user, user_id=1000, state=state, account="physics"
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSource:
    """An accounting backend that counts its calls and answers after a pause."""

    def __init__(self, rules: AccessRules | None = OPEN) -> None:
        self.calls: dict[str, int] = {}
        self.rules = rules
        self.delay = 0.01
        self.jobs = [_job(1), _job(2, "bob")]
        self.fail: Exception | None = None

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    async def accounting_rules(self, principal: Principal) -> AccessRules:
        self._count("rules")
        if self.rules is None:
            raise BackendUnavailable("slurmdbd is away")
        return self.rules

    async def accounting_jobs(self, principal: Principal, query: Any) -> list[AccountingJob]:
        self._count("jobs")
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return list(self.jobs)

    async def accounting_job(self, principal: Principal, job_id: str) -> list[AccountingJob]:
        self._count("job")
        await asyncio.sleep(self.delay)
        return [j for j in self.jobs if str(j.job_id) == job_id]

    async def accounts(self, principal: Principal, query: Any) -> list[Account]:
        self._count("accounts")
        await asyncio.sleep(self.delay)
        return [Account("physics")]

    async def qos(self, principal: Principal, query: Any) -> list[Any]:
        self._count("qos")
        return []

    async def dbd_stats(self, principal: Principal) -> str:
        self._count("stats")
        if principal.user_name != "root":
            raise PermissionDenied("administrators only")
        return "statistics"

    async def add_accounts(self, principal: Principal, accounts: list[Account]) -> list[str]:
        self._count("add_accounts")
        await asyncio.sleep(self.delay)
        return ["added account x"]


def _cache(source: FakeSource, clock: Clock, **settings: Any) -> CachedAccounting:
    return CachedAccounting(
        source,  # type: ignore[arg-type]
        AccountingSettings(**settings),
        lambda: ROOT,
        clock=clock,
    )


async def test_a_hundred_identical_pollers_cost_one_call_per_cache_period() -> None:
    source, clock = FakeSource(), Clock()
    cache = _cache(source, clock, cache_seconds=5)
    answers = await asyncio.gather(
        *(cache.accounting_jobs(Principal(f"user{i}"), QUERY) for i in range(100))
    )
    assert source.calls["jobs"] == 1
    assert all(a == answers[0] for a in answers)
    assert cache.stats.misses == 1 and cache.stats.joined == 99

    clock.now += 4
    await cache.accounting_jobs(ALICE, QUERY)
    assert source.calls["jobs"] == 1 and cache.stats.hits == 1
    clock.now += 2
    await cache.accounting_jobs(ALICE, QUERY)
    assert source.calls["jobs"] == 2


async def test_different_queries_are_answered_apart() -> None:
    source, clock = FakeSource(), Clock()
    cache = _cache(source, clock)
    await cache.accounting_jobs(ALICE, QUERY)
    await cache.accounting_jobs(ALICE, AccountingQuery(users=("bob",)))
    await cache.accounts(ALICE, AccountQuery())
    assert source.calls["jobs"] == 2 and source.calls["accounts"] == 1


async def test_under_private_data_each_user_has_answers_of_their_own_but_operators_share() -> None:
    rules = AccessRules(private=PrivateData.parse("jobs"), operators=frozenset({"root", "slurm"}))
    source, clock = FakeSource(rules), Clock()
    cache = _cache(source, clock)
    await asyncio.gather(cache.accounting_jobs(ALICE, QUERY), cache.accounting_jobs(BOB, QUERY))
    assert source.calls["jobs"] == 2
    await cache.accounting_jobs(ROOT, QUERY)
    await cache.accounting_jobs(Principal("slurm"), QUERY)
    assert source.calls["jobs"] == 3
    # accounts are not private here: shared by everyone
    await asyncio.gather(cache.accounts(ALICE, AccountQuery()), cache.accounts(BOB, AccountQuery()))
    assert source.calls["accounts"] == 1
    assert source.calls["rules"] == 1  # loaded once per rules_interval


async def test_statistics_an_administrator_got_are_never_given_to_another_user() -> None:
    source, clock = FakeSource(), Clock()
    cache = _cache(source, clock)
    assert await cache.dbd_stats(ROOT) == "statistics"
    with pytest.raises(PermissionDenied):
        await cache.dbd_stats(ALICE)
    assert await cache.dbd_stats(ROOT) == "statistics"
    assert source.calls["stats"] == 2


async def test_while_the_rules_are_unknown_nothing_private_is_shared_across_users() -> None:
    source, clock = FakeSource(rules=None), Clock()
    cache = _cache(source, clock)
    await cache.accounting_jobs(ALICE, QUERY)
    await cache.accounting_jobs(BOB, QUERY)
    assert source.calls["jobs"] == 2
    await cache.qos(ALICE, QosQuery())
    await cache.qos(BOB, QosQuery())
    assert source.calls["qos"] == 1  # QOS are never private


async def test_finished_jobs_records_are_kept_long_and_shown_to_who_may_see_them() -> None:
    rules = AccessRules(private=PrivateData.parse("jobs"), operators=frozenset({"root"}))
    source, clock = FakeSource(rules), Clock()
    cache = _cache(source, clock, cache_seconds=5, finished_seconds=3600)
    assert [j.job_id for j in await cache.accounting_job(ALICE, "1")] == [1]
    clock.now += 600  # the shared answer is long gone; the finished record is not
    assert [j.job_id for j in await cache.accounting_job(ROOT, "1")] == [1]
    assert source.calls["job"] == 1 and cache.stats.finished_hits == 1
    await cache.accounting_job(BOB, "1")  # not bob's: slurmdbd decides what bob sees
    assert source.calls["job"] == 2
    clock.now += 3600
    await cache.accounting_job(ALICE, "1")
    assert source.calls["job"] == 3


async def test_a_running_jobs_record_is_not_kept_beyond_the_shared_period() -> None:
    source, clock = FakeSource(), Clock()
    source.jobs = [_job(7, state=JobState.RUNNING)]
    cache = _cache(source, clock, cache_seconds=5)
    await cache.accounting_job(ALICE, "7")
    clock.now += 6
    await cache.accounting_job(ALICE, "7")
    assert source.calls["job"] == 2


async def test_a_change_forgets_every_shared_answer_even_one_under_way() -> None:
    source, clock = FakeSource(), Clock()
    cache = _cache(source, clock)
    await cache.accounts(ALICE, AccountQuery())
    await cache.accounting_job(ALICE, "1")
    slow = asyncio.create_task(cache.accounting_jobs(ALICE, QUERY))
    await asyncio.sleep(0)
    await cache.add_accounts(ROOT, [Account("x")])
    await slow
    await cache.accounts(ALICE, AccountQuery())
    await cache.accounting_jobs(ALICE, QUERY)
    await cache.accounting_job(ALICE, "1")
    assert source.calls["accounts"] == 2 and source.calls["jobs"] == 2 and source.calls["job"] == 2


async def test_errors_reach_every_waiter_and_are_not_kept() -> None:
    source, clock = FakeSource(), Clock()
    source.fail = BackendUnavailable("slurmdbd is away")
    cache = _cache(source, clock)
    results = await asyncio.gather(
        *(cache.accounting_jobs(ALICE, QUERY) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, BackendUnavailable) for r in results)
    assert source.calls["jobs"] == 1
    source.fail = None
    assert await cache.accounting_jobs(ALICE, QUERY) == source.jobs
    assert source.calls["jobs"] == 2


async def test_a_caller_going_away_does_not_end_the_call_for_the_others() -> None:
    source, clock = FakeSource(), Clock()
    source.delay = 0.05
    cache = _cache(source, clock)
    first = asyncio.create_task(cache.accounting_jobs(ALICE, QUERY))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(cache.accounting_jobs(ALICE, QUERY))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await second == source.jobs
    with pytest.raises(asyncio.CancelledError):
        await first
    assert source.calls["jobs"] == 1


async def test_memory_is_bounded_by_the_records_held() -> None:
    source, clock = FakeSource(), Clock()
    source.jobs = [_job(i) for i in range(30)]
    cache = _cache(source, clock, max_records=100)
    await cache.accounting_jobs(ALICE, QUERY)  # 30 records: more than a tenth, not kept
    await cache.accounting_jobs(ALICE, QUERY)
    assert source.calls["jobs"] == 2
    source.jobs = [_job(1)]
    for i in range(150):
        await cache.accounting_jobs(ALICE, AccountingQuery(users=(f"u{i}",)))
    await cache.accounting_jobs(ALICE, AccountingQuery(users=("u0",)))  # evicted first
    await cache.accounting_jobs(ALICE, AccountingQuery(users=("u149",)))  # still there
    assert source.calls["jobs"] == 2 + 150 + 1


async def test_zero_cache_seconds_shares_nothing() -> None:
    source, clock = FakeSource(), Clock()
    cache = _cache(source, clock, cache_seconds=0)
    await asyncio.gather(*(cache.accounting_jobs(ALICE, QUERY) for _ in range(3)))
    assert source.calls["jobs"] == 3


async def test_on_the_embedded_cluster_a_hundred_pollers_reach_its_accounting_once(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path))
    await wait_state(backend, job_id, JobState.COMPLETED)
    cache = CachedAccounting(backend, AccountingSettings(cache_seconds=60))
    pollers = [Principal(f"user{i}") for i in range(100)]
    answers = await asyncio.gather(*(cache.accounting_jobs(p, AccountingQuery()) for p in pollers))
    assert all([r.job_id for r in a] == [job_id] for a in answers)
    stats = await backend.dbd_stats(Principal("root"))
    [jobs_calls] = [r.count for r in stats.rpcs if r.name == "DBD_GET_JOBS_COND"]
    assert jobs_calls == 1
