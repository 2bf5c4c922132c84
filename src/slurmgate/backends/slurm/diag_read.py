"""slurmctld's statistics (diag) and the controllers' pings, as domain objects.

Read the way slurmrestd 22.05's diag.c reads them; a field a later release no longer sends
comes from the binding's shim as what 22.05 sent when it was unset (releases.py).
"""

from __future__ import annotations

import time
from typing import Any

from slurmgate.backends.slurm.cluster_read import internal, user_name
from slurmgate.backends.slurm.cvalues import text
from slurmgate.domain import ControllerPing, RpcByType, RpcByUser, Stats


def free_stats_msg(ffi: Any, msg: Any) -> None:
    """Free what slurm_get_statistics returned: its free function is in no public header."""
    if msg != ffi.NULL:
        internal(ffi, "slurm_free_stats_response_msg")(msg)


# Fields of stats_info_response_msg_t that Stats holds under the same name, as they are.
_STATS_COPIED = (
    "req_time req_time_start server_thread_count agent_queue_size agent_count"
    " agent_thread_count dbd_agent_queue_size gettimeofday_latency schedule_cycle_max"
    " schedule_cycle_last jobs_submitted jobs_started jobs_completed jobs_canceled jobs_failed"
    " jobs_pending jobs_running job_states_ts bf_backfilled_jobs bf_last_backfilled_jobs"
    " bf_backfilled_het_jobs bf_cycle_counter bf_cycle_max bf_cycle_last bf_cycle_sum"
    " bf_last_depth bf_last_depth_try bf_depth_sum bf_depth_try_sum bf_queue_len"
    " bf_queue_len_sum bf_table_size bf_when_last_cycle"
).split()


def stats_from_msg(ffi: Any, lib: Any, msg: Any) -> Stats:
    """slurm_get_statistics' answer, with the means diag.c derives (integer division)."""
    cycles, bf_cycles = msg.schedule_cycle_counter, msg.bf_cycle_counter
    uptime = int(msg.req_time) - int(msg.req_time_start)

    def mean(total: int, n: int) -> int:
        return total // n if n > 0 else 0

    name_of = internal(ffi, "rpc_num2string")
    by_type = []
    for i in range(msg.rpc_type_size):
        type_id, n, total = msg.rpc_type_id[i], msg.rpc_type_cnt[i], msg.rpc_type_time[i]
        by_type.append(
            RpcByType(text(ffi, name_of(type_id)), type_id, n, mean(total, n) & 0xFFFFFFFF, total)
        )
    by_user = []
    for i in range(msg.rpc_user_size):
        uid, n, total = msg.rpc_user_id[i], msg.rpc_user_cnt[i], msg.rpc_user_time[i]
        by_user.append(
            RpcByUser(user_name(uid) or str(uid), uid, n, mean(total, n) & 0xFFFFFFFF, total)
        )
    copied = {name: int(getattr(msg, name)) for name in _STATS_COPIED}
    return Stats(
        **copied,
        parts_packed=int(lib.slurmgate_parts_packed(msg)),  # 0 since 25.11, which sends none
        schedule_cycle_total=cycles,
        schedule_cycle_mean=mean(msg.schedule_cycle_sum, cycles),
        schedule_cycle_mean_depth=mean(msg.schedule_cycle_depth, cycles),
        # diag.c: cycles per whole minute of uptime, 0 in the first minute.
        schedule_cycle_per_minute=(cycles // (uptime // 60)) & 0xFFFFFFFF if uptime > 60 else 0,
        schedule_queue_length=msg.schedule_queue_len,
        bf_cycle_mean=mean(msg.bf_cycle_sum, bf_cycles),
        bf_depth_mean=mean(msg.bf_depth_sum, bf_cycles),
        bf_depth_mean_try=mean(msg.bf_depth_try_sum, bf_cycles),
        bf_queue_len_mean=mean(msg.bf_queue_len_sum, bf_cycles),
        bf_table_size_mean=mean(msg.bf_table_size_sum, bf_cycles),
        bf_active=msg.bf_active != 0,
        rpcs_by_message_type=by_type,
        rpcs_by_user=by_user,
    )


def controller_mode(index: int, count: int) -> str:
    """diag.c's names: primary, then backup when there are two, else backup1, backup2, ..."""
    if index == 0:
        return "primary"
    if index == 1 and count == 2:
        return "backup"
    return f"backup{index}"


def controller_hosts(ffi: Any, conf: Any) -> list[str]:
    """The SlurmctldHost names of a loaded slurm_conf_t, primary first."""
    return [text(ffi, conf.control_machine[i]) for i in range(conf.control_cnt)]


def ping_controllers(lib: Any, hosts: list[str]) -> list[ControllerPing]:
    """slurm_ping each controller (by its index in slurm.conf), timing each reply."""
    pings = []
    for i, host in enumerate(hosts):
        begin = time.perf_counter_ns()
        status = lib.slurm_ping(i)
        latency = (time.perf_counter_ns() - begin) // 1000
        mode = controller_mode(i, len(hosts))
        pings.append(ControllerPing(host, status == 0, mode, status, latency))
    return pings
