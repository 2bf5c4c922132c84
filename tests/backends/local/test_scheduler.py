"""The embedded cluster's scheduling pass: who starts, where, and why the others wait."""

from __future__ import annotations

from typing import Any

import pytest

from slurmgate.backends.local.scheduler import NodeResources, Plan, Queue, plan
from slurmgate.domain.cluster import Partition
from slurmgate.domain.jobs import ExitStatus, Job, JobState, NodeAllocation

NOW = 1_000_000


def node(name: str = "n1", cpus: int = 4, memory: int = 8000, **kw: Any) -> NodeResources:
    return NodeResources(
        name=name,
        cpus=cpus,
        memory=memory,
        features=frozenset(kw.get("features", ())),
        available=kw.get("available", True),
    )


def partition(name: str = "debug", nodes: tuple[str, ...] = ("n1",), **kw: Any) -> Partition:
    return Partition(name=name, nodes=",".join(nodes), node_names=list(nodes), **kw)


def job(job_id: int, **kw: Any) -> Job:
    fields: dict[str, Any] = {
        "name": f"job{job_id}",
        "user_id": 1000,
        "user_name": "alice",
        "group_id": 1000,
        "state": JobState.PENDING,
        "partition": "debug",
        "priority": 100,
        "submit_time": NOW - 100 + job_id,
        "time_limit": 60,
        "cpus": 1,
        "memory_per_cpu": 100,
    }
    fields.update(kw)
    return Job(job_id=job_id, **fields)


def running(job_id: int, cpus: int, *, ends_in: int | None, on: str = "n1", **kw: Any) -> Job:
    """A job that started a minute ago and ends ``ends_in`` seconds from now (None: never)."""
    start = NOW - 60
    limit = None if ends_in is None else (ends_in + 60) // 60
    fields: dict[str, Any] = {
        "state": JobState.RUNNING,
        "start_time": start,
        "time_limit": limit,
        "cpus": cpus,
        "allocations": [NodeAllocation(on, cpus, cpus * 100)],
    }
    fields.update(kw)
    return job(job_id, **fields)


def run(
    *jobs: Job,
    nodes: tuple[NodeResources, ...] = (node(),),
    partitions: tuple[Partition, ...] = (partition(),),
    max_depth: int = 500,
) -> Plan:
    return plan(
        NOW,
        nodes,
        {p.name: p for p in partitions},
        {j.job_id: j for j in jobs},
        max_depth=max_depth,
    )


def started(result: Plan) -> list[int]:
    return [job_id for job_id, _ in result.starts]


# --- starting jobs ------------------------------------------------------------------------


def test_empty_queue_starts_nothing() -> None:
    result = run()
    assert result == Plan([], {}, {}, [], 0, 0)


def test_job_that_fits_starts_with_its_cpus_and_memory() -> None:
    result = run(job(1, cpus=2, memory_per_cpu=500))
    assert result.starts == [(1, [NodeAllocation("n1", 2, 1000)])]
    assert result.reasons == {}


def test_memory_per_node_is_allocated_as_asked() -> None:
    result = run(job(1, cpus=2, memory_per_cpu=None, memory_per_node=3000))
    assert result.starts == [(1, [NodeAllocation("n1", 2, 3000)])]


def test_mem_zero_takes_all_of_the_nodes_memory() -> None:
    result = run(job(1, memory_per_cpu=None, memory_per_node=0))
    assert result.starts == [(1, [NodeAllocation("n1", 1, 8000)])]


def test_exclusive_job_takes_the_whole_node() -> None:
    result = run(job(1, exclusive=True))
    assert result.starts == [(1, [NodeAllocation("n1", 4, 8000)])]


def test_exclusive_job_waits_for_a_node_with_nothing_running() -> None:
    result = run(running(1, 1, ends_in=600), job(2, exclusive=True))
    assert started(result) == []
    assert result.reasons[2] == "Resources"
    assert result.expected_start[2] == NOW + 600


def test_multi_node_job_gets_its_cpus_spread_over_its_nodes() -> None:
    result = run(
        job(1, cpus=3, node_count=2),
        nodes=(node("n1"), node("n2")),
        partitions=(partition(nodes=("n1", "n2")),),
    )
    assert result.starts == [(1, [NodeAllocation("n1", 2, 200), NodeAllocation("n2", 2, 200)])]


def test_jobs_started_in_the_same_pass_use_up_the_node() -> None:
    result = run(job(1, cpus=3), job(2, cpus=1), job(3, cpus=1))
    assert started(result) == [1, 2]
    assert result.reasons[3] == "Resources"


def test_running_jobs_hold_their_cpus() -> None:
    result = run(running(1, 3, ends_in=600), job(2, cpus=2))
    assert started(result) == []
    assert result.reasons[2] == "Resources"


def test_memory_is_a_limit_as_well_as_cpus() -> None:
    result = run(job(1, memory_per_cpu=None, memory_per_node=6000), job(2, memory_per_cpu=3000))
    assert started(result) == [1]
    assert result.reasons[2] == "Resources"


def test_suspended_job_gives_back_its_cpus_but_keeps_its_memory() -> None:
    suspended = running(1, 4, ends_in=600, state=JobState.SUSPENDED)
    suspended.allocations = [NodeAllocation("n1", 4, 7000)]
    result = run(suspended, job(2, cpus=4, memory_per_cpu=10), job(3, memory_per_cpu=2000))
    assert started(result) == [2]
    assert result.reasons[3] == "Resources"


def test_unavailable_node_is_never_used() -> None:
    result = run(
        job(1),
        nodes=(node("n1", available=False), node("n2")),
        partitions=(partition(nodes=("n1", "n2")),),
    )
    assert result.starts == [(1, [NodeAllocation("n2", 1, 100)])]


def test_job_goes_to_the_node_it_fills_best() -> None:
    result = run(
        running(1, 2, ends_in=None, on="n2"),
        job(2, cpus=2),
        nodes=(node("n1"), node("n2")),
        partitions=(partition(nodes=("n1", "n2")),),
    )
    assert result.starts == [(2, [NodeAllocation("n2", 2, 200)])]


def test_equally_good_nodes_are_chosen_by_name() -> None:
    result = run(
        job(1),
        nodes=(node("n2"), node("n1")),
        partitions=(partition(nodes=("n2", "n1")),),
    )
    assert result.starts == [(1, [NodeAllocation("n1", 1, 100)])]


def test_job_runs_only_on_nodes_with_all_its_features() -> None:
    result = run(
        job(1, features="gpu&fast"),
        nodes=(node("n1", features={"gpu"}), node("n2", features={"gpu", "fast"})),
        partitions=(partition(nodes=("n1", "n2")),),
    )
    assert result.starts == [(1, [NodeAllocation("n2", 1, 100)])]


def test_job_whose_features_no_node_has_waits_with_bad_constraints() -> None:
    result = run(job(1, features="gpu"))
    assert result.reasons == {1: "BadConstraints"}


def test_excluded_and_required_nodes_are_honoured() -> None:
    nodes = (node("n1"), node("n2"), node("n3"))
    parts = (partition(nodes=("n1", "n2", "n3")),)
    result = run(
        job(1, excluded_nodes="n1"), job(2, required_nodes="n3"), nodes=nodes, partitions=parts
    )
    assert result.starts == [
        (1, [NodeAllocation("n2", 1, 100)]),
        (2, [NodeAllocation("n3", 1, 100)]),
    ]


# --- order --------------------------------------------------------------------------------


def test_higher_priority_job_starts_first_even_if_submitted_later() -> None:
    result = run(job(1, cpus=4, priority=10), job(2, cpus=4, priority=20))
    assert started(result) == [2]
    assert result.reasons == {1: "Resources"}


def test_equal_priority_jobs_start_in_submission_order() -> None:
    result = run(job(1, cpus=4, submit_time=NOW - 5), job(2, cpus=4, submit_time=NOW - 10))
    assert started(result) == [2]


def test_equal_priority_and_submit_time_start_by_job_id() -> None:
    result = run(job(2, cpus=4, submit_time=NOW), job(1, cpus=4, submit_time=NOW))
    assert started(result) == [1]


# --- reasons before resources ---------------------------------------------------------------


def test_held_job_keeps_job_held_user_reason() -> None:
    result = run(job(1, priority=0))
    assert result.reasons == {1: "JobHeldUser"}


def test_job_held_by_an_admin_keeps_job_held_admin_reason() -> None:
    result = run(job(1, priority=0, state_reason="JobHeldAdmin"))
    # Already saying so: left as it is, counted, not examined.
    assert result.reasons == {} and result.held == 1


def test_a_held_member_holds_its_whole_het_job() -> None:
    leader = job(1, het_job_id=1, het_job_offset=0)
    member = job(2, het_job_id=1, het_job_offset=1, priority=0, state_reason="JobHeldUser")
    result = run(leader, member)
    assert started(result) == [] and result.reasons == {1: "JobHeldUser", 2: "JobHeldUser"}


def test_jobs_that_changed_after_the_queue_was_sorted_out_are_taken_as_they_are_now() -> None:
    # A pass sorts a large table out a slice at a time, serving requests in between.
    ending, cancelled = running(1, 4, ends_in=600), job(2)
    queue = Queue.of([ending, cancelled])
    ending.state, ending.allocations = JobState.COMPLETED, []
    cancelled.state = JobState.CANCELLED
    waiting = job(3, cpus=4)
    queue.add([waiting])
    jobs = {j.job_id: j for j in (ending, cancelled, waiting)}
    result = plan(NOW, (node(),), {"debug": partition()}, jobs, queue=queue.current())
    # The ended job's CPUs are free; the cancelled job is not started.
    assert started(result) == [3]


def test_job_with_a_future_begin_time_waits_with_begin_time_reason() -> None:
    result = run(job(1, begin_time=NOW + 60), job(2, begin_time=NOW))
    assert started(result) == [2]
    assert result.reasons == {1: "BeginTime"}


def test_job_waiting_on_a_running_job_has_dependency_reason() -> None:
    result = run(running(1, 1, ends_in=600), job(2, dependency="afterok:1"))
    assert result.reasons == {2: "Dependency"}


def test_job_whose_dependency_failed_has_dependency_never_satisfied_reason() -> None:
    failed = job(1, state=JobState.FAILED, exit_code=ExitStatus.exited(1), end_time=NOW - 5)
    result = run(failed, job(2, dependency="afterok:1"))
    assert result.reasons == {2: "DependencyNeverSatisfied"}
    assert result.cancel == []


def test_job_with_kill_invalid_depend_is_cancelled_when_its_dependency_fails() -> None:
    failed = job(1, state=JobState.FAILED, exit_code=ExitStatus.exited(1), end_time=NOW - 5)
    result = run(failed, job(2, dependency="afterok:1", flags=["KILL_INVALID_DEPEND"]))
    assert result.cancel == [2]


def test_job_whose_dependency_is_satisfied_starts() -> None:
    done = job(1, state=JobState.COMPLETED, exit_code=ExitStatus(0), end_time=NOW - 5)
    result = run(done, job(2, dependency="afterok:1"))
    assert started(result) == [2]


def test_job_in_a_down_partition_has_partition_down_reason() -> None:
    result = run(job(1), partitions=(partition(state="DOWN"),))
    assert result.reasons == {1: "PartitionDown"}


def test_job_in_a_draining_partition_still_runs() -> None:
    result = run(job(1), partitions=(partition(state="DRAIN"),))
    assert started(result) == [1]


def test_job_in_an_inactive_partition_has_partition_inactive_reason() -> None:
    result = run(job(1), partitions=(partition(state="INACTIVE"),))
    assert result.reasons == {1: "PartitionInactive"}


def test_job_in_an_unknown_partition_cannot_start() -> None:
    result = run(job(1, partition="gone"))
    assert result.reasons == {1: "PartitionDown"}


def test_job_over_the_partition_time_limit_has_partition_time_limit_reason() -> None:
    result = run(
        job(1, time_limit=120), job(2, time_limit=None), partitions=(partition(max_time=60),)
    )
    assert result.reasons == {1: "PartitionTimeLimit", 2: "PartitionTimeLimit"}


@pytest.mark.parametrize(("node_count", "max_nodes"), [(2, 1), (3, None)])
def test_job_asking_more_nodes_than_the_partition_allows_has_partition_node_limit_reason(
    node_count: int, max_nodes: int | None
) -> None:
    result = run(
        job(1, node_count=node_count),
        nodes=(node("n1"), node("n2")),
        partitions=(partition(nodes=("n1", "n2"), max_nodes=max_nodes),),
    )
    assert result.reasons == {1: "PartitionNodeLimit"}


def test_array_throttle_holds_extra_tasks_with_job_array_task_limit_reason() -> None:
    tasks = [
        job(10 + t, array_job_id=10, array_task_id=t, array_max_tasks=2, cpus=1) for t in range(4)
    ]
    tasks[0] = running(10, 1, ends_in=600, array_job_id=10, array_task_id=0, array_max_tasks=2)
    result = run(*tasks)
    assert started(result) == [11]
    assert result.reasons == {12: "JobArrayTaskLimit", 13: "JobArrayTaskLimit"}


# --- backfill -----------------------------------------------------------------------------


def test_blocked_job_is_told_when_it_is_expected_to_start() -> None:
    result = run(running(1, 4, ends_in=600), job(2, cpus=2))
    assert result.reasons == {2: "Resources"}
    assert result.expected_start == {2: NOW + 600}


def test_lower_priority_job_backfills_when_it_ends_before_the_blocked_job_starts() -> None:
    result = run(
        running(1, 2, ends_in=3600),
        job(2, cpus=4, priority=200),
        job(3, cpus=2, priority=100, time_limit=30),
    )
    assert started(result) == [3]
    assert result.reasons == {2: "Resources"}
    assert result.expected_start == {2: NOW + 3600}
    assert result.backfilled == 1


def test_lower_priority_job_that_would_delay_the_blocked_job_waits_with_priority_reason() -> None:
    result = run(
        running(1, 2, ends_in=600),
        job(2, cpus=4, priority=200),
        job(3, cpus=2, priority=100, time_limit=60),
    )
    assert started(result) == []
    assert result.reasons == {2: "Resources", 3: "Priority"}
    assert result.expected_start == {2: NOW + 600, 3: NOW + 600 + 3600}
    assert result.backfilled == 0


def test_lower_priority_job_too_big_for_the_free_cpus_waits_with_resources_reason() -> None:
    result = run(
        running(1, 2, ends_in=600),
        job(2, cpus=4, priority=200),
        job(3, cpus=3, priority=100),
    )
    assert result.reasons == {2: "Resources", 3: "Resources"}


def test_backfilled_job_may_use_resources_the_blocked_job_does_not_need() -> None:
    result = run(
        running(1, 2, ends_in=600),
        job(2, cpus=3, priority=200),
        job(3, cpus=1, priority=100, time_limit=None),
    )
    assert started(result) == [3]
    assert result.backfilled == 1


def test_job_blocked_by_a_job_that_never_ends_has_no_expected_start() -> None:
    result = run(running(1, 4, ends_in=None), job(2))
    assert result.reasons == {2: "Resources"}
    assert result.expected_start == {}


def test_overrunning_job_is_expected_to_free_its_node_at_once() -> None:
    result = run(running(1, 4, ends_in=-30), job(2))
    assert result.expected_start == {2: NOW + 1}


def test_partitions_on_other_nodes_do_not_backfill() -> None:
    result = run(
        running(1, 4, ends_in=600),
        job(2, priority=200),
        job(3, priority=100, partition="other"),
        nodes=(node("n1"), node("n2")),
        partitions=(partition(), partition("other", nodes=("n2",))),
    )
    assert started(result) == [3]
    assert result.backfilled == 0


def test_scheduling_stops_at_max_depth_and_the_rest_keep_their_reasons() -> None:
    result = run(
        job(1, cpus=4),
        job(2, cpus=4),
        job(3, cpus=4, state_reason="None"),
        job(4, priority=0),
        max_depth=2,
    )
    assert result.depth == 2
    assert started(result) == [1]
    assert result.reasons == {2: "Resources", 3: "None", 4: "JobHeldUser"}


def test_jobs_stopped_before_resources_do_not_count_towards_depth() -> None:
    result = run(job(1, priority=0), job(2, begin_time=NOW + 10), job(3), max_depth=1)
    assert result.depth == 1
    assert started(result) == [3]


# --- heterogeneous jobs -------------------------------------------------------------------


def het(job_id: int, offset: int, leader: int, **kw: Any) -> Job:
    return job(job_id, het_job_id=leader, het_job_offset=offset, **kw)


def test_heterogeneous_job_components_start_together() -> None:
    result = run(het(1, 0, 1, cpus=2), het(2, 1, 1, cpus=2))
    assert result.starts == [
        (1, [NodeAllocation("n1", 2, 200)]),
        (2, [NodeAllocation("n1", 2, 200)]),
    ]


def test_heterogeneous_job_starts_not_at_all_if_one_component_does_not_fit() -> None:
    result = run(running(9, 1, ends_in=600), het(1, 0, 1, cpus=2), het(2, 1, 1, cpus=2))
    assert started(result) == []
    assert result.reasons == {1: "Resources", 2: "Resources"}
    assert result.expected_start == {1: NOW + 600, 2: NOW + 600}


def test_heterogeneous_job_components_share_the_leaders_reason() -> None:
    result = run(het(1, 0, 1, begin_time=NOW + 60), het(2, 1, 1))
    assert result.reasons == {1: "BeginTime", 2: "BeginTime"}


def test_heterogeneous_job_reservation_holds_off_smaller_jobs() -> None:
    result = run(
        running(9, 1, ends_in=600),
        het(1, 0, 1, cpus=2, priority=200),
        het(2, 1, 1, cpus=2, priority=200),
        job(3, cpus=2, priority=100, time_limit=60),
    )
    assert started(result) == []
    assert result.reasons[3] == "Priority"


def test_jobs_behind_a_blocked_job_are_told_priority_if_they_fit_now_else_resources() -> None:
    result = run(
        running(1, 3, ends_in=600),
        job(2, cpus=4, priority=300),
        job(3, cpus=1, priority=200, time_limit=60),
        job(4, cpus=2, priority=100, time_limit=5),
    )
    assert started(result) == []
    assert result.reasons == {2: "Resources", 3: "Priority", 4: "Resources"}


def test_held_job_not_reached_before_max_depth_still_shows_its_hold() -> None:
    result = run(job(1), job(2, priority=0, state_reason="Priority"), max_depth=1)
    assert result.reasons == {2: "JobHeldUser"}


def test_job_without_memory_request_is_given_no_memory() -> None:
    result = run(job(1, memory_per_cpu=None))
    assert result.starts == [(1, [NodeAllocation("n1", 1, 0)])]


def test_short_job_backfills_after_a_longer_one_of_the_same_size_could_not() -> None:
    result = run(
        running(1, 3, ends_in=600),
        job(2, cpus=4, priority=300),
        job(3, cpus=1, priority=200, time_limit=60),
        job(4, cpus=1, priority=100, time_limit=5),
    )
    assert started(result) == [4]
    assert result.reasons == {2: "Resources", 3: "Priority"}
    assert result.backfilled == 1


def test_identical_jobs_queue_up_one_after_another() -> None:
    result = run(*(job(i, cpus=4, time_limit=10) for i in range(1, 5)))
    assert started(result) == [1]
    assert result.expected_start == {2: NOW + 600, 3: NOW + 1200, 4: NOW + 1800}
    assert result.reasons == {2: "Resources", 3: "Resources", 4: "Resources"}
