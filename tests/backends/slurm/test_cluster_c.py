"""Nodes, partitions, reservations, licenses, statistics and pings read through libslurm.

These run against the lab cluster of ``scripts/lab-cluster`` (one node named after the host,
8 CPUs and 8192 MiB; partitions debug (default), gpu and short (MaxTime=5); license matlab:2;
reservation ``maint`` in 2100), acting as user sgalice with a token signed by the cluster's JWT
key. Without that cluster they skip, or fail in CI (``tests.support.lab.require_lab``).
"""

from __future__ import annotations

import pwd
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from slurmgate.auth.keys import load_key
from slurmgate.auth.tokens import mint
from slurmgate.backends.slurm import binding, cluster_read, diag_read
from slurmgate.backends.slurm.cvalues import INFINITE, NO_VAL, NO_VAL16, NO_VAL64, text
from slurmgate.domain import NodeState
from tests.support.lab import require_lab

USER = "sgalice"


@dataclass
class Libslurm:
    """libslurm acting as sgalice on the lab cluster."""

    ffi: Any
    lib: Any
    node: str
    token: bytes
    #: The release the binding was built for, from slurm_version.h.
    version: tuple[int, int, int]

    def act(self) -> None:
        """Give this thread sgalice's credential for the next call, as the backend does."""
        assert self.lib.auth_g_thread_config(self.token, USER.encode()) == 0

    def error(self) -> str:
        return text(self.ffi, self.lib.slurm_strerror(self.lib.slurmgate_errno()))

    @contextmanager
    def loaded(
        self, ctype: str, load: Callable[[Any], int], free: Callable[[Any], None]
    ) -> Iterator[Any]:
        """The message ``load`` fills in, freed afterwards."""
        out = self.ffi.new(f"{ctype} **")
        self.act()
        assert load(out) == 0, self.error()
        try:
            yield out[0]
        finally:
            free(out[0])

    def partitions_msg(self) -> Any:
        lib = self.lib
        return self.loaded(
            "partition_info_msg_t",
            lambda out: lib.slurm_load_partitions(0, out, lib.SHOW_ALL),
            lib.slurm_free_partition_info_msg,
        )

    def nodes_msg(self) -> Any:
        lib = self.lib
        flags = lib.SHOW_ALL | lib.SHOW_DETAIL | lib.SHOW_MIXED  # slurmrestd's
        return self.loaded(
            "node_info_msg_t",
            lambda out: lib.slurm_load_node(0, out, flags),
            lib.slurm_free_node_info_msg,
        )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Libslurm:
    facts = require_lab()
    assert USER in facts.users
    loaded = binding.load(tmp_path_factory.mktemp("slurm-binding"))
    token = mint(load_key(facts.jwt_key), USER, lifespan=3600, now=int(time.time()))
    return Libslurm(loaded.ffi, loaded.lib, facts.node, token.encode(), loaded.version)


# -- nodes ---------------------------------------------------------------------------------


def test_the_lab_node_as_configured(lab: Libslurm) -> None:
    with lab.partitions_msg() as parts, lab.nodes_msg() as msg:
        nodes = cluster_read.nodes_from_msg(lab.ffi, lab.lib, msg, parts)
    assert [n.name for n in nodes] == [lab.node]
    node = nodes[0]
    assert node.address == "127.0.0.1"
    assert node.hostname == lab.node
    assert (node.cpus, node.real_memory, node.boards) == (8, 8192, 1)
    assert node.sockets * node.cores * node.threads == 8
    assert node.state in (NodeState.IDLE, NodeState.MIXED, NodeState.ALLOCATED)
    assert node.partitions == ["debug", "gpu", "short"]
    assert node.tres == "cpu=8,mem=8G,billing=8"
    major, minor, _ = lab.version
    assert node.version.startswith(f"{major}.{minor:02d}.")  # slurmd is the headers' release
    assert node.port > 0 and node.slurmd_start_time > 0 and node.boot_time > 0
    assert node.architecture and node.operating_system.startswith("Linux")
    assert 0 <= node.alloc_cpus <= node.cpus and node.idle_cpus == node.cpus - node.alloc_cpus
    assert 0 <= node.alloc_memory <= node.real_memory
    assert node.tres_weighted >= 0.0
    assert node.owner == ""  # not a node reserved for one user


def test_node_partitions_need_the_partition_message(lab: Libslurm) -> None:
    # slurmctld does not send them; slurm_populate_node_partitions derives them.
    with lab.nodes_msg() as msg:
        nodes = cluster_read.nodes_from_msg(lab.ffi, lab.lib, msg)
    assert [n.partitions for n in nodes] == [[]]


def test_node_states_and_flags_come_from_libslurm(lab: Libslurm) -> None:
    ffi, lib = lab.ffi, lab.lib
    state = cluster_read.node_state
    assert state(ffi, lib.NODE_STATE_IDLE) == (NodeState.IDLE, [])
    drained = lib.NODE_STATE_IDLE | lib.NODE_STATE_DRAIN
    assert state(ffi, drained) == (NodeState.IDLE, ["DRAIN"])
    mixed = lib.NODE_STATE_MIXED | lib.NODE_STATE_COMPLETING | lib.NODE_STATE_RES
    assert state(ffi, mixed) == (NodeState.MIXED, ["COMPLETING", "RESERVED"])
    assert state(ffi, lib.NODE_STATE_DOWN | lib.NODE_STATE_NO_RESPOND) == (
        NodeState.DOWN,
        ["NOT_RESPONDING"],
    )
    # next_state is NO_VAL when no reboot is pending: not a base state, so no flags.
    assert state(ffi, NO_VAL) == (NodeState.UNKNOWN, [])


# -- partitions ----------------------------------------------------------------------------


def test_the_lab_partitions(lab: Libslurm) -> None:
    with lab.partitions_msg() as msg:
        parts = {p.name: p for p in cluster_read.partitions_from_msg(lab.ffi, lab.lib, msg)}
    assert list(parts) == ["debug", "gpu", "short"]
    assert parts["debug"].is_default and parts["debug"].flags == ["DEFAULT"]
    assert not parts["gpu"].is_default and parts["gpu"].flags == []
    assert (parts["debug"].max_time, parts["gpu"].max_time, parts["short"].max_time) == (
        None,
        None,
        5,
    )
    for part in parts.values():
        assert part.nodes == lab.node and part.node_names == [lab.node]
        assert (part.state, part.total_cpus, part.total_nodes) == ("UP", 8, 1)
        assert part.tres == "cpu=8,mem=8G,node=1,billing=8"
        assert part.default_time is None and part.max_nodes is None
        assert part.max_cpus_per_node is None and part.over_time_limit is None
        assert part.default_memory_per_cpu is None and part.max_memory_per_node is None
        assert part.preemption_mode == ""  # not set (NO_VAL16)
        assert (part.priority_tier, part.priority_job_factor, part.min_nodes) == (1, 1, 0)


def _one_partition(lab: Libslurm, **fields: Any) -> Any:
    ffi = lab.ffi
    names = ffi.new("char[]", b"p")
    array = ffi.new("partition_info_t[1]")
    array[0].name = names
    for name, value in fields.items():
        setattr(array[0], name, value)
    msg = ffi.new("partition_info_msg_t *")
    msg.record_count = 1
    msg.partition_array = array
    (part,) = cluster_read.partitions_from_msg(ffi, lab.lib, msg)
    return part


def test_partition_limits_and_memory_encodings(lab: Libslurm) -> None:
    lib = lab.lib
    part = _one_partition(
        lab,
        def_mem_per_cpu=cluster_read.MEM_PER_CPU | 512,
        max_mem_per_cpu=4096,
        max_time=INFINITE,
        default_time=30,
        max_nodes=4,
        max_cpus_per_node=NO_VAL,
        over_time_limit=NO_VAL16,
        preempt_mode=lib.PREEMPT_MODE_REQUEUE | lib.PREEMPT_MODE_GANG,
        state_up=lib.PARTITION_DRAIN,
        flags=lib.PART_FLAG_HIDDEN | lib.PART_FLAG_LLN,
    )
    assert (part.default_memory_per_cpu, part.default_memory_per_node) == (512, None)
    assert (part.max_memory_per_cpu, part.max_memory_per_node) == (None, 4096)
    assert (part.max_time, part.default_time, part.max_nodes) == (None, 30, 4)
    assert part.max_cpus_per_node is None and part.over_time_limit is None
    assert part.preemption_mode == "REQUEUE,GANG"
    assert part.state == "DRAIN" and not part.is_default
    assert part.flags == ["HIDDEN", "LEAST_LOADED_NODES"]
    unset = _one_partition(lab, def_mem_per_cpu=NO_VAL64, max_mem_per_cpu=cluster_read.MEM_PER_CPU)
    assert (unset.default_memory_per_cpu, unset.default_memory_per_node) == (None, None)
    assert (unset.max_memory_per_cpu, unset.max_memory_per_node) == (None, None)
    assert _one_partition(lab, preempt_mode=NO_VAL16).preemption_mode == ""


# -- reservations, licenses ----------------------------------------------------------------


def test_the_maint_reservation(lab: Libslurm) -> None:
    lib = lab.lib
    with lab.loaded(
        "reserve_info_msg_t",
        lambda out: lib.slurm_load_reservations(0, out),
        lib.slurm_free_reservation_info_msg,
    ) as msg:
        found = {r.name: r for r in cluster_read.reservations_from_msg(lab.ffi, lib, msg)}
    maint = found["maint"]
    assert (maint.nodes, maint.node_count, maint.core_count) == (lab.node, 1, 8)
    assert maint.users == "root" and maint.tres == "cpu=8"
    # 2100-01-01T00:00 in slurmctld's time zone, for 60 minutes.
    assert abs(maint.start_time - 4102444800) <= 14 * 3600
    assert maint.end_time - maint.start_time == 3600
    assert "ALL_NODES" in maint.flags
    assert maint.purge_completed_time == 0 and maint.watts is None
    assert maint.core_specializations == []


def test_reservation_flags_as_slurmrestd_names_them(lab: Libslurm) -> None:
    lib = lab.lib
    flags = (
        lib.RESERVE_FLAG_MAGNETIC
        | lib.RESERVE_FLAG_MAINT
        | lib.RESERVE_FLAG_PURGE_COMP
        | lib.RESERVE_FLAG_IGN_JOBS
        | lib.RESERVE_FLAG_NO_HOLD_JOBS
    )
    assert cluster_read.reservation_flags(lib, flags) == [
        "MAINT",
        "IGNORE_JOBS",
        "NO_HOLD_JOBS_AFTER_END",
        "MAGNETIC",
    ]


def test_the_matlab_license(lab: Libslurm) -> None:
    lib = lab.lib
    with lab.loaded(
        "license_info_msg_t",
        lambda out: lib.slurm_load_licenses(0, out, 0),
        lib.slurm_free_license_info_msg,
    ) as msg:
        licenses = cluster_read.licenses_from_msg(lab.ffi, lib, msg)
    assert [(lic.name, lic.total, lic.remote) for lic in licenses] == [("matlab", 2, False)]
    assert 0 <= licenses[0].used <= 2 and licenses[0].reserved == 0


# -- statistics and ping -------------------------------------------------------------------


def _statistics(lab: Libslurm) -> Any:
    ffi, lib = lab.ffi, lab.lib
    request = ffi.new("stats_info_request_msg_t *")
    request.command_id = lib.STAT_COMMAND_GET
    return lab.loaded(
        "stats_info_response_msg_t",
        lambda out: lib.slurm_get_statistics(out, request),
        lambda msg: diag_read.free_stats_msg(ffi, msg),
    )


def test_statistics_count_this_users_calls(lab: Libslurm) -> None:
    with lab.nodes_msg():
        pass
    with _statistics(lab) as msg:
        stats = diag_read.stats_from_msg(lab.ffi, lab.lib, msg)
    assert abs(stats.req_time - time.time()) < 60
    assert 0 < stats.req_time_start <= stats.req_time
    types = {r.message_type: r for r in stats.rpcs_by_message_type}
    assert types["REQUEST_NODE_INFO"].type_id == 2007 and types["REQUEST_NODE_INFO"].count >= 1
    users = {r.user: r for r in stats.rpcs_by_user}
    mine = users[USER]
    assert mine.user_id == pwd.getpwnam(USER).pw_uid and mine.count >= 1
    assert mine.average_time == mine.total_time // mine.count
    assert stats.server_thread_count >= 1


def test_statistics_means_as_diag_derives_them(lab: Libslurm) -> None:
    ffi = lab.ffi
    msg = ffi.new("stats_info_response_msg_t *")
    msg.req_time, msg.req_time_start = 1_000_150, 1_000_000  # two whole minutes
    msg.schedule_cycle_counter, msg.schedule_cycle_sum, msg.schedule_cycle_depth = 4, 10, 9
    msg.bf_cycle_counter, msg.bf_cycle_sum, msg.bf_table_size_sum = 3, 10, 7
    keep = [
        ffi.new("uint16_t[]", [1008]),
        ffi.new("uint32_t[]", [3, 4_000_000_000]),
        ffi.new("uint64_t[]", [10, 7]),
    ]
    msg.rpc_type_size, msg.rpc_type_id, msg.rpc_type_cnt, msg.rpc_type_time = 1, *keep
    users = ffi.new("uint32_t[]", [4_000_000_000])
    msg.rpc_user_size, msg.rpc_user_id = 1, users
    msg.rpc_user_cnt, msg.rpc_user_time = keep[1] + 1, keep[2] + 1
    stats = diag_read.stats_from_msg(ffi, lab.lib, msg)
    assert (stats.schedule_cycle_total, stats.schedule_cycle_mean) == (4, 2)
    assert (stats.schedule_cycle_mean_depth, stats.schedule_cycle_per_minute) == (2, 2)
    assert (stats.bf_cycle_mean, stats.bf_table_size_mean, stats.bf_depth_mean) == (3, 2, 0)
    (by_type,) = stats.rpcs_by_message_type
    assert (by_type.message_type, by_type.count, by_type.average_time) == ("REQUEST_PING", 3, 3)
    (by_user,) = stats.rpcs_by_user
    assert (by_user.user, by_user.count, by_user.average_time) == ("4000000000", 4_000_000_000, 0)


def test_ping_the_controller(lab: Libslurm) -> None:
    lib = lab.lib
    with lab.loaded(
        "slurm_conf_t", lambda out: lib.slurm_load_ctl_conf(0, out), lib.slurmgate_free_conf
    ) as conf:
        lab.act()
        pings = diag_read.ping_controllers(lib, diag_read.controller_hosts(lab.ffi, conf))
    assert [(p.hostname, p.mode, p.responding, p.status) for p in pings] == [
        (lab.node, "primary", True, 0)
    ]
    assert pings[0].latency_us > 0


def test_controller_modes() -> None:
    modes = diag_read.controller_mode
    assert [modes(i, 1) for i in range(1)] == ["primary"]
    assert [modes(i, 2) for i in range(2)] == ["primary", "backup"]
    assert [modes(i, 3) for i in range(3)] == ["primary", "backup1", "backup2"]
