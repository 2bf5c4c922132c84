"""Scheduler statistics: what ``sdiag`` and ``GET /diag`` show."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RpcByType:
    message_type: str
    type_id: int
    count: int
    average_time: int
    total_time: int


@dataclass(frozen=True, slots=True)
class RpcByUser:
    user: str
    user_id: int
    count: int
    average_time: int
    total_time: int


@dataclass(slots=True)
class Stats:
    parts_packed: int = 0
    req_time: int = 0
    req_time_start: int = 0
    server_thread_count: int = 0
    agent_queue_size: int = 0
    agent_count: int = 0
    agent_thread_count: int = 0
    dbd_agent_queue_size: int = 0
    gettimeofday_latency: int = 0
    schedule_cycle_max: int = 0
    schedule_cycle_last: int = 0
    schedule_cycle_total: int = 0
    schedule_cycle_mean: int = 0
    schedule_cycle_mean_depth: int = 0
    schedule_cycle_per_minute: int = 0
    schedule_queue_length: int = 0
    jobs_submitted: int = 0
    jobs_started: int = 0
    jobs_completed: int = 0
    jobs_canceled: int = 0
    jobs_failed: int = 0
    jobs_pending: int = 0
    jobs_running: int = 0
    job_states_ts: int = 0
    bf_backfilled_jobs: int = 0
    bf_last_backfilled_jobs: int = 0
    bf_backfilled_het_jobs: int = 0
    bf_cycle_counter: int = 0
    bf_cycle_mean: int = 0
    bf_cycle_max: int = 0
    bf_cycle_last: int = 0
    bf_cycle_sum: int = 0
    bf_last_depth: int = 0
    bf_last_depth_try: int = 0
    bf_depth_mean: int = 0
    bf_depth_mean_try: int = 0
    bf_depth_sum: int = 0
    bf_depth_try_sum: int = 0
    bf_queue_len: int = 0
    bf_queue_len_mean: int = 0
    bf_queue_len_sum: int = 0
    bf_table_size: int = 0
    bf_table_size_mean: int = 0
    bf_when_last_cycle: int = 0
    bf_active: bool = False
    rpcs_by_message_type: list[RpcByType] = field(default_factory=list)
    rpcs_by_user: list[RpcByUser] = field(default_factory=list)
