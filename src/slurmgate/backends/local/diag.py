"""The embedded controller's statistics, as ``sdiag`` shows slurmctld's (times in microseconds)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from slurmgate.domain import RpcByType, RpcByUser, Stats

#: Slurm's message type ids (slurm_protocol_defs.h) for the calls the backend serves.
MESSAGE_TYPES = {
    "REQUEST_PING": 1008,
    "REQUEST_LICENSE_INFO": 1021,
    "REQUEST_JOB_INFO": 2003,
    "REQUEST_NODE_INFO": 2007,
    "REQUEST_PARTITION_INFO": 2009,
    "REQUEST_JOB_INFO_SINGLE": 2021,
    "REQUEST_RESERVATION_INFO": 2024,
    "REQUEST_STATS_INFO": 2035,
    "REQUEST_UPDATE_JOB": 3001,
    "REQUEST_UPDATE_NODE": 3002,
    "REQUEST_RESOURCE_ALLOCATION": 4001,
    "REQUEST_SUBMIT_BATCH_JOB": 4003,
    "REQUEST_RESOURCE_LAYOUT": 4007,  # 25.11+
    "REQUEST_JOB_REQUEUE": 5023,
    "REQUEST_KILL_JOB": 5032,
    "REQUEST_KILL_JOBS": 5040,  # 24.05+
}


@dataclass(slots=True)
class _Tally:
    count: int = 0
    total_us: int = 0


class Diagnostics:
    def __init__(self, now: int) -> None:
        self.restart(now)

    def restart(self, now: int) -> None:
        """Start counting afresh from ``now``, as a restarted slurmctld does."""
        self.started = now
        self.jobs_submitted = 0
        self.jobs_started = 0
        self.jobs_completed = 0
        self.jobs_canceled = 0
        self.jobs_failed = 0
        self._cycles = 0
        self._cycle_total = 0
        self._cycle_max = 0
        self._cycle_last = 0
        self._depth_total = 0
        self._last_queue_length = 0
        self._bf_jobs = 0
        self._bf_last_jobs = 0
        self._bf_depth_total = 0
        self._bf_last_depth = 0
        self._bf_queue_total = 0
        self._bf_when = 0
        self._in_flight = 0
        self._by_type: dict[str, _Tally] = {}
        self._by_user: dict[str, _Tally] = {}

    @contextmanager
    def rpc(self, message_type: str, user: str) -> Iterator[None]:
        """Count one backend call, as slurmctld counts one RPC, with its duration."""
        self._in_flight += 1
        begin = time.perf_counter_ns()
        try:
            yield
        finally:
            self._in_flight -= 1
            elapsed = (time.perf_counter_ns() - begin) // 1000
            for tally in (
                self._by_type.setdefault(message_type, _Tally()),
                self._by_user.setdefault(user, _Tally()),
            ):
                tally.count += 1
                tally.total_us += elapsed

    def count(self, message_type: str) -> int:
        """How many calls of ``message_type`` were answered."""
        tally = self._by_type.get(message_type)
        return tally.count if tally is not None else 0

    def schedule_cycle(
        self, duration_us: int, depth: int, queue_length: int, backfilled: int, now: int
    ) -> None:
        self._cycles += 1
        self._cycle_total += duration_us
        self._cycle_last = duration_us
        self._cycle_max = max(self._cycle_max, duration_us)
        self._depth_total += depth
        self._last_queue_length = queue_length
        # The planner's backfill runs inside every pass; count it as slurmctld's bf cycle.
        self._bf_jobs += backfilled
        self._bf_last_jobs = backfilled
        self._bf_depth_total += depth
        self._bf_last_depth = depth
        self._bf_queue_total += queue_length
        self._bf_when = now

    def users(self) -> list[str]:
        return list(self._by_user)

    def snapshot(self, *, now: int, pending: int, running: int, uids: Mapping[str, int]) -> Stats:
        cycles = self._cycles
        minutes = max((now - self.started) / 60, 1 / 60)
        return Stats(
            req_time=now,
            req_time_start=self.started,
            server_thread_count=max(self._in_flight, 1),
            schedule_cycle_max=self._cycle_max,
            schedule_cycle_last=self._cycle_last,
            schedule_cycle_total=cycles,
            schedule_cycle_mean=self._cycle_total // cycles if cycles else 0,
            schedule_cycle_mean_depth=self._depth_total // cycles if cycles else 0,
            schedule_cycle_per_minute=int(cycles / minutes),
            schedule_queue_length=self._last_queue_length,
            jobs_submitted=self.jobs_submitted,
            jobs_started=self.jobs_started,
            jobs_completed=self.jobs_completed,
            jobs_canceled=self.jobs_canceled,
            jobs_failed=self.jobs_failed,
            jobs_pending=pending,
            jobs_running=running,
            job_states_ts=now,
            bf_backfilled_jobs=self._bf_jobs,
            bf_last_backfilled_jobs=self._bf_last_jobs,
            bf_cycle_counter=cycles,
            bf_cycle_mean=self._cycle_total // cycles if cycles else 0,
            bf_cycle_max=self._cycle_max,
            bf_cycle_last=self._cycle_last,
            bf_cycle_sum=self._cycle_total,
            bf_last_depth=self._bf_last_depth,
            bf_last_depth_try=self._bf_last_depth,
            bf_depth_mean=self._bf_depth_total // cycles if cycles else 0,
            bf_depth_mean_try=self._bf_depth_total // cycles if cycles else 0,
            bf_depth_sum=self._bf_depth_total,
            bf_depth_try_sum=self._bf_depth_total,
            bf_queue_len=self._last_queue_length,
            bf_queue_len_mean=self._bf_queue_total // cycles if cycles else 0,
            bf_queue_len_sum=self._bf_queue_total,
            bf_when_last_cycle=self._bf_when,
            bf_active=False,
            rpcs_by_message_type=[
                RpcByType(
                    name,
                    MESSAGE_TYPES.get(name, 0),
                    t.count,
                    t.total_us // t.count if t.count else 0,
                    t.total_us,
                )
                for name, t in sorted(self._by_type.items(), key=lambda i: -i[1].count)
            ],
            rpcs_by_user=[
                RpcByUser(
                    user,
                    uids.get(user, -1),
                    t.count,
                    t.total_us // t.count if t.count else 0,
                    t.total_us,
                )
                for user, t in sorted(self._by_user.items(), key=lambda i: -i[1].count)
            ],
        )
