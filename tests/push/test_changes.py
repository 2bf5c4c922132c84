"""What a job's or a node's change between two loads is told as, steps missed included."""

from __future__ import annotations

from slurmgate.domain import Job, JobState
from slurmgate.domain.jobs import ExitStatus
from slurmgate.events.changes import job_changes, node_change
from slurmgate.events.model import JobView, NodeView, job_view


def view(state: JobState = JobState.PENDING, **fields: object) -> JobView:
    job = Job(job_id=7, name="j", user_id=1000, user_name="alice", group_id=1000, state=state)
    for name, value in fields.items():
        setattr(job, name, value)
    return job_view(job)


def kinds(before: JobView | None, now: JobView) -> list[str]:
    return [kind for kind, _ in job_changes(before, now)]


PENDING = view(state_reason="Priority", priority=1)
RUNNING = view(JobState.RUNNING, nodes="n1", start_time=10)


def test_a_new_pending_job_is_submitted() -> None:
    assert kinds(None, PENDING) == ["submitted"]
    assert kinds(None, view(priority=0, state_reason="JobHeldUser")) == ["submitted", "held"]


def test_steps_between_two_loads_are_told_in_order() -> None:
    done = view(JobState.COMPLETED, nodes="n1", start_time=10, end_time=12,
                exit_code=ExitStatus.exited(0))  # fmt: skip
    steps = job_changes(PENDING, done)
    assert [kind for kind, _ in steps] == ["started", "completed"]
    started = steps[0][1]
    assert started.state is JobState.RUNNING and started.exit_status is None
    assert kinds(None, done) == ["submitted", "started", "completed"]
    assert job_changes(None, done)[0][1].state is JobState.PENDING


def test_a_job_cancelled_while_pending_never_started() -> None:
    assert kinds(PENDING, view(JobState.CANCELLED, end_time=5)) == ["cancelled"]


def test_completing_then_the_end() -> None:
    ending = view(JobState.FAILED, nodes="n1", state_flags=["COMPLETING"],
                  exit_code=ExitStatus.exited(3))  # fmt: skip
    assert kinds(RUNNING, ending) == ["completing"]
    assert kinds(ending, view(JobState.FAILED, nodes="n1", exit_code=ExitStatus.exited(3))) == [
        "failed"
    ]


def test_hold_release_and_reasons() -> None:
    held = view(priority=0, state_reason="JobHeldUser")
    assert kinds(PENDING, held) == ["held"]
    assert kinds(held, PENDING) == ["released"]
    assert kinds(PENDING, view(state_reason="Resources", priority=1)) == ["pending_reason"]
    assert kinds(PENDING, PENDING) == []


def test_requeued_jobs_start_over() -> None:
    again = view(restart_count=1, state_reason="BeginTime", priority=1)
    assert kinds(RUNNING, again) == ["requeued"]
    held_again = view(restart_count=1, priority=0, state_reason="JobHeldUser")
    assert kinds(RUNNING, held_again) == ["requeued", "held"]


def test_suspended_and_resumed() -> None:
    suspended = view(JobState.SUSPENDED, nodes="n1", start_time=10)
    assert kinds(RUNNING, suspended) == ["suspended"]
    assert kinds(suspended, RUNNING) == ["resumed"]


def test_an_array_task_split_off_is_no_submission() -> None:
    task = view(JobState.RUNNING, nodes="n1", array_job_id=5, array_task_id=2)
    assert [kind for kind, _ in job_changes(None, task, split_task=True)] == ["started"]


def test_node_changes() -> None:
    idle = NodeView("n1", "IDLE", (), "")
    assert node_change(idle, idle) is None
    assert node_change(None, idle) == "added"
    assert node_change(idle, None) == "removed"
    assert node_change(idle, NodeView("n1", "IDLE", ("DRAIN",), "disk")) == "drain"
    assert node_change(NodeView("n1", "IDLE", ("DRAIN",), "disk"), idle) == "resume"
    assert node_change(idle, NodeView("n1", "DOWN", (), "dead")) == "down"
    assert node_change(NodeView("n1", "DOWN", (), "dead"), idle) == "up"
    assert node_change(idle, NodeView("n1", "MIXED", (), "")) == "state"
