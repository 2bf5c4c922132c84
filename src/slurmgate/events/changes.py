"""What happened to a job or a node between two loads of the mirror, as event types.

A load may miss steps: a short job can be pending at one load and completed at the next. The
steps it must have taken are told anyway, in order (started, then completed), so that a client
sees every job's life the same way, whatever the interval: ``submitted``, ``held`` /
``released``, ``pending_reason``, ``started``, ``suspended`` / ``resumed``, ``completing``,
then one end (``completed``, ``failed``, ``cancelled``, ``timeout``, ...), and ``requeued``
when the job is back in the queue.
"""

from __future__ import annotations

from slurmgate.domain import JobState
from slurmgate.events.model import JobView, NodeView

#: The event that tells a job ended in each final state.
END = {
    JobState.COMPLETED: "completed",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
    JobState.TIMEOUT: "timeout",
    JobState.NODE_FAIL: "node_fail",
    JobState.PREEMPTED: "preempted",
    JobState.BOOT_FAIL: "boot_fail",
    JobState.DEADLINE: "deadline",
    JobState.OUT_OF_MEMORY: "out_of_memory",
}
#: Every job event type, in the order a job's life may show them.
JOB_TYPES = (
    "submitted",
    "requeued",
    "held",
    "released",
    "pending_reason",
    "started",
    "suspended",
    "resumed",
    "completing",
    *END.values(),
)
NODE_TYPES = ("added", "removed", "down", "drain", "up", "resume", "state")
COMPLETING = "COMPLETING"
_ACTIVE = (JobState.RUNNING, JobState.SUSPENDED)


#: One step of a job's life: its event type, and the job as that step left it.
Step = tuple[str, JobView]


def _as_submitted(job: JobView) -> JobView:
    """The job as it was when submitted, for a job first seen further on."""
    if job.state is JobState.PENDING:
        return job
    return job._replace(state=JobState.PENDING, flags=(), reason="None", exit_status=None,
                        nodes="", start_time=0, end_time=0)  # fmt: skip


def _as_started(job: JobView) -> JobView:
    """The job as it was when it started, for a job first seen ended."""
    if job.state in _ACTIVE:
        return job
    return job._replace(state=JobState.RUNNING, flags=(), reason="None", exit_status=None,
                        end_time=0)  # fmt: skip


def job_changes(before: JobView | None, now: JobView, *, split_task: bool = False) -> list[Step]:
    """The steps from ``before`` (None: a record new to the mirror) to ``now``; a step the
    loads did not see shows the job as that step left it (a started job RUNNING).

    ``split_task``: a new record that is an array task split off an array the mirror already
    showed pending, as slurmctld splits one when it starts: not a submission.
    """
    found: list[Step] = []
    if before is None:
        if not split_task:
            found.append(("submitted", _as_submitted(now)))
        requeued = False
    else:
        # Back in the queue: slurmctld counts each requeue in restart_count.
        requeued = now.restart_count > before.restart_count or (
            before.state is not JobState.PENDING and now.state is JobState.PENDING
        )
        if requeued:
            found.append(("requeued", now))
    # What the job was before this load's steps; a requeued job starts its life over.
    was = None if before is None or requeued else before
    if now.state is JobState.PENDING:
        _pending(was, now, found)
        return found
    if was is None or was.state is JobState.PENDING:
        # A job that ended without ever running (cancelled while pending) holds no nodes.
        if now.state in _ACTIVE or now.nodes:
            found.append(("started", _as_started(now)))
    if now.state is JobState.SUSPENDED and (was is None or was.state is not JobState.SUSPENDED):
        found.append(("suspended", now))
    elif now.state is JobState.RUNNING and was is not None and was.state is JobState.SUSPENDED:
        found.append(("resumed", now))
    if now.state.is_finished:
        _ended(was, now, found)
    return found


def _pending(was: JobView | None, now: JobView, found: list[Step]) -> None:
    held_before = was is not None and was.held
    if now.held and not held_before:
        found.append(("held", now))
    elif held_before and not now.held:
        found.append(("released", now))
    elif was is not None and was.reason != now.reason and not now.held:
        found.append(("pending_reason", now))


def _ended(was: JobView | None, now: JobView, found: list[Step]) -> None:
    completing = COMPLETING in now.flags
    if was is None or not was.state.is_finished:
        found.append(("completing", now) if completing else (END[now.state], now))
    elif COMPLETING in was.flags and not completing:
        found.append((END[now.state], now))
    elif was.state is not now.state:
        found.append((END[now.state], now))


def node_change(before: NodeView | None, now: NodeView | None) -> str | None:
    """The one event type of a node's change, the most telling first; None if none."""
    if before == now:
        return None
    if before is None:
        return "added"
    if now is None:
        return "removed"
    if now.state == "DOWN" and before.state != "DOWN":
        return "down"
    if "DRAIN" in now.flags and "DRAIN" not in before.flags:
        return "drain"
    if before.state == "DOWN" and now.state != "DOWN":
        return "up"
    if "DRAIN" in before.flags and "DRAIN" not in now.flags:
        return "resume"
    return "state"
