"""What an event says, and the parts of job and node records that events are made from.

The mirror's tables are compared load to load, but the embedded cluster's records are its
live objects, changed in place: what was loaded before is gone by the next load. So each table
is reduced at once to views, small tuples of the fields events report, and views are compared.

An event is encoded once, as the bytes of one Server-Sent Events frame, and the same bytes go
to every client that may see it; the fields clients filter on are kept beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import orjson

from slurmgate.domain import Job, JobState, Node


class JobView(NamedTuple):
    job_id: int
    array_job_id: int
    array_task_id: int | None
    #: A pending array's tasks not yet split off ("3-9"); empty for other records.
    array_tasks: str
    het_job_id: int
    het_job_offset: int | None
    name: str
    user: str
    account: str
    partition: str
    state: JobState
    flags: tuple[str, ...]
    reason: str
    held: bool
    #: The raw wait(2) status, None until the job ended.
    exit_status: int | None
    nodes: str
    submit_time: int
    start_time: int
    end_time: int
    restart_count: int


#: The reasons Slurm gives a held job: a hold is seen by its reason where priority is not 0.
HELD_REASONS = frozenset({"JobHeldUser", "JobHeldAdmin"})


def job_view(job: Job) -> JobView:
    return JobView(
        job.job_id,
        job.array_job_id,
        job.array_task_id,
        job.array_task_string,
        job.het_job_id,
        job.het_job_offset,
        job.name,
        job.user_name,
        job.account,
        job.partition,
        job.state,
        tuple(job.state_flags),
        job.state_reason,
        job.state is JobState.PENDING and (job.priority == 0 or job.state_reason in HELD_REASONS),
        job.exit_code.raw if job.exit_code is not None and job.state.is_finished else None,
        job.nodes,
        job.submit_time,
        job.start_time,
        job.end_time,
        job.restart_count,
    )


class NodeView(NamedTuple):
    name: str
    #: The base state, upper case as Slurm prints it ("IDLE", "MIXED", "DOWN").
    state: str
    flags: tuple[str, ...]
    reason: str


def node_view(node: Node) -> NodeView:
    return NodeView(node.name, node.state.value.upper(), tuple(node.state_flags), node.reason)


@dataclass(frozen=True, slots=True)
class Event:
    """One change, ready to send: its SSE frame, and what filters and PrivateData look at."""

    seq: int
    type: str
    #: "job" or "node".
    kind: str
    #: The job's id, its array's and its heterogeneous job's (what a job_ids filter matches).
    job_ids: frozenset[int]
    user: str
    account: str
    #: The state and its flags, upper case (what a states filter matches).
    states: frozenset[str]
    frame: bytes


def frame(event_id: str | None, event_type: str, data: Mapping[str, object]) -> bytes:
    """One SSE frame. orjson writes no newline inside a document, so one data line holds it."""
    head = b"" if event_id is None else b"id: " + event_id.encode() + b"\n"
    return b"%sevent: %s\ndata: %s\n\n" % (head, event_type.encode(), orjson.dumps(data))


def _exit_code(status: int | None) -> dict[str, int] | None:
    if status is None:
        return None
    # A raw wait(2) status: the low 7 bits a signal, the next byte an exit code.
    signal = status & 0x7F
    return {
        "status": status,
        "return_code": 0 if signal else (status >> 8) & 0xFF,
        "signal": signal,
    }


def job_data(
    event_id: str, event_type: str, view: JobView, before: JobView | None, seen: float
) -> dict[str, object]:
    return {
        "id": event_id,
        "type": event_type,
        "job_id": view.job_id,
        "array_job_id": view.array_job_id,
        "array_task_id": view.array_task_id,
        "array_tasks": view.array_tasks,
        "het_job_id": view.het_job_id,
        "het_job_offset": view.het_job_offset,
        "name": view.name,
        "user": view.user,
        "account": view.account,
        "partition": view.partition,
        "state": view.state.value,
        "state_flags": list(view.flags),
        "reason": view.reason,
        "previous_state": before.state.value if before is not None else None,
        "previous_reason": before.reason if before is not None else None,
        "exit_code": _exit_code(view.exit_status),
        "nodes": view.nodes,
        "submit_time": view.submit_time,
        "start_time": view.start_time,
        "end_time": view.end_time,
        "restart_count": view.restart_count,
        "mirror_time": seen,
    }


def node_data(
    event_id: str, event_type: str, view: NodeView, before: NodeView | None, seen: float
) -> dict[str, object]:
    return {
        "id": event_id,
        "type": event_type,
        "node": view.name,
        "state": view.state,
        "state_flags": list(view.flags),
        "reason": view.reason,
        "previous_state": before.state if before is not None else None,
        "previous_flags": list(before.flags) if before is not None else None,
        "mirror_time": seen,
    }
