"""Domain objects of every kind, for the version tests: one of each shape a view must print."""

from __future__ import annotations

from typing import Any

from slurmgate.backends.base import ClusterInfo
from slurmgate.domain import (
    ControllerPing,
    ExitStatus,
    Job,
    JobState,
    License,
    Node,
    NodeAllocation,
    NodeState,
    Partition,
    Reservation,
    RpcByType,
    RpcByUser,
    Stats,
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
