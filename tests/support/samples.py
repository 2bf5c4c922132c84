"""Domain objects of every kind, for the version tests: one of each shape a view must print."""

from __future__ import annotations

import math
from typing import Any

from slurmgate.backends.base import ClusterInfo
from slurmgate.domain import (
    ControllerPing,
    ExitStatus,
    GresLayout,
    Job,
    JobState,
    License,
    Node,
    NodeAllocation,
    NodeResourceLayout,
    NodeState,
    Partition,
    Reservation,
    RpcByType,
    RpcByUser,
    ShareEntry,
    Shares,
    Stats,
    TresValue,
)

INFO = ClusterInfo(cluster_name="lab", slurm_version=(22, 5, 8))


def make_job(**changes: Any) -> Job:
    fields: dict[str, Any] = {
        "job_id": 42,
        "name": "test_job",
        "user_id": 1000,
        "user_name": "alice",
        "group_id": 1000,
        "state": JobState.PENDING,
        "partition": "gpu",
        "submit_time": 1_700_000_000,
        "time_limit": 60,
        "standard_output": "/home/alice/slurm-42.out",
    }
    fields.update(changes)
    return Job(**fields)


JOBS = {
    "pending": make_job(state_reason="Priority"),
    "running": make_job(
        state=JobState.RUNNING,
        start_time=1_700_000_100,
        nodes="n[1-2]",
        node_count=2,
        cpus=4,
        batch_host="n1",
        allocations=[NodeAllocation("n1", 2, 1024), NodeAllocation("n2", 2, 1024)],
    ),
    "finished": make_job(
        state=JobState.FAILED,
        end_time=1_700_000_200,
        exit_code=ExitStatus.exited(3),
        derived_exit_code=ExitStatus.signaled(9),
        time_limit=None,
    ),
    "array task": make_job(
        job_id=45, array_job_id=43, array_task_id=2, array_task_string="", array_max_tasks=2
    ),
    "het component": make_job(
        job_id=51, het_job_id=50, het_job_offset=1, het_job_id_set="50-51", memory_per_cpu=512
    ),
}

NODES = {
    "idle": Node(name="n1", hostname="n1", address="10.0.0.1", state=NodeState.IDLE, cpus=8),
    "mixed": Node(
        name="n2",
        hostname="n2",
        address="10.0.0.2",
        state=NodeState.MIXED,
        state_flags=["DRAIN"],
        cpus=8,
        alloc_cpus=3,
        features=["gpu", "fast"],
        partitions=["gpu", "debug"],
        reason="maintenance",
    ),
}

PARTITIONS = {
    "unlimited": Partition(name="debug", nodes="n[1-2]", is_default=True, total_nodes=2),
    "limited": Partition(
        name="gpu",
        nodes="n2",
        max_time=120,
        default_time=30,
        max_nodes=1,
        max_cpus_per_node=8,
        default_memory_per_cpu=1024,
        preemption_mode="REQUEUE",
        state="DOWN",
    ),
}

RESERVATION = Reservation(
    name="maint", nodes="n1", node_count=1, start_time=1, end_time=2, flags=["MAINT"]
)
LICENSE = License(name="matlab", total=10, used=3, reserved=1)
STATS = Stats(
    jobs_submitted=7,
    bf_active=True,
    rpcs_by_message_type=[RpcByType("REQUEST_PING", 1008, 3, 10, 30)],
    rpcs_by_user=[RpcByUser("alice", 1000, 4, 5, 20)],
)
PINGS = [ControllerPing("ctl", True), ControllerPing("ctl2", False, mode="backup", status=-1)]

# -- the shapes v0.0.40 and later print apart ------------------------------------------------

NODES["drained"] = Node(
    name="n3",
    hostname="n3",
    address="10.0.0.3",
    state=NodeState.IDLE,
    # Not in the order the daemon prints them.
    state_flags=["NOT_RESPONDING", "DRAIN"],
    cpus=4,
    owner="alice",
    reason="disk failure",
    reason_set_by_user="root",
    reason_changed_at=1_700_000_000,
)
PARTITIONS["exclusive"] = Partition(
    name="big",
    nodes="n[1-3]",
    state="DRAIN",
    flags=["HIDDEN", "EXCLUSIVE_USER", "RESERVATION_REQUIRED"],
    default_memory_per_node=2048,
    max_memory_per_cpu=4096,
    over_time_limit=0xFFFF,  # UNLIMITED
    preemption_mode="",  # the cluster's
)
RESERVATIONS = {
    "purge": Reservation(
        name="cleanup",
        nodes="n[1-2]",
        node_count=2,
        flags=["IGNORE_JOBS", "MAINT"],
        purge_completed=True,
        purge_completed_time=600,
        core_specializations=[{"node": "n1", "core": "0-1"}],
    ),
}
SHARES = Shares(
    entries=(
        ShareEntry(
            id=1,
            cluster="lab",
            name="root",
            parent="",
            partition="",
            kind="ASSOCIATION",
            shares=None,
            shares_normalized=1.0,
            usage=17,
            usage_normalized=None,
            effective_usage=1.0,
            fairshare_factor=0.0,
            fairshare_level=None,
            tres_run_seconds=(TresValue("cpu", 0),),
            tres_group_minutes=(TresValue("cpu", math.inf),),
            tres_usage=(TresValue("cpu", 12.5),),
        ),
        ShareEntry(
            id=2,
            cluster="lab",
            name="alice",
            parent="root",
            partition="",
            kind="USER",
            shares=1,
            shares_normalized=0.5,
            usage=0,
            usage_normalized=0.0,
            effective_usage=0.0,
            fairshare_factor=1.0,
            fairshare_level=math.inf,
        ),
    ),
    total_shares=1,
)
LAYOUTS = [
    NodeResourceLayout(
        node="n1",
        sockets_per_node=2,
        cores_per_socket=4,
        memory=1024,
        core_bitmap="0-3",
        gres=(GresLayout("gpu", "a100", 1, "0"),),
    ),
    NodeResourceLayout(
        node="n2", sockets_per_node=1, cores_per_socket=2, memory=512, core_bitmap="1", channel=3
    ),
]
