"""The OpenAPI operations of the event stream, job output and metrics (see docs/events.md).

Their successful answers are no JSON: an event stream (``text/event-stream``), bytes
(``application/octet-stream``), Prometheus' text. Failures answer in the envelope, as
everywhere. ``x-slurmgate-streaming`` marks an answer that lasts until the client leaves.
"""

from __future__ import annotations

from typing import Any

from slurmgate.api.token_routes import PREFIX
from slurmgate.events.filters import TYPES
from slurmgate.metrics.exposition import CONTENT_TYPE

_FAILURE = {
    "description": "failure; see errors",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/slurmgate_v1_failure"}}
    },
}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": {"type": "string"}}  # fmt: skip


def _events() -> dict[str, Any]:
    words = {"type": "string", "pattern": r"^[^\s]*$"}
    return {
        "get": {
            "tags": ["slurmgate"],
            "operationId": "slurmgate_v1_events",
            "summary": "job and node changes as Server-Sent Events",
            "description": "One event per change the gateway's mirror sees: job.submitted, "
            "job.held, job.released, job.pending_reason, job.started, job.suspended, "
            "job.resumed, job.completing, job.completed, job.failed, job.cancelled, "
            "job.timeout, job.requeued, ... and node.drain, node.resume, node.down, node.up, "
            "node.state. Each user sees what PrivateData lets them see. Heartbeats are SSE "
            "comments. Send Last-Event-ID to resume; events.window bounds how far back.",
            "x-slurmgate-streaming": True,
            "parameters": [
                _query(
                    "types",
                    "comma-separated kinds (job, node) or event types "
                    f"({', '.join(sorted(TYPES)[:3])}, ...)",
                    words,
                ),
                _query(
                    "job_ids",
                    "only these jobs (an array's or heterogeneous job's id "
                    "selects its parts); no node events",
                    words,
                ),
                _query("users", "only these users' jobs; no node events", words),
                _query(
                    "states",
                    "only events whose job or node state or state flag is one of "
                    "these (RUNNING, COMPLETED, DRAIN, ...)",
                    words,
                ),
                _query(
                    "last_event_id",
                    "as the Last-Event-ID header, for clients that cannot send one",
                    {"type": "string"},
                ),
                _header(
                    "Last-Event-ID",
                    "the id of the last event received: the stream "
                    "goes on after it, or says stream.missed",
                ),
            ],  # fmt: skip
            "responses": {
                "200": {
                    "description": "the stream, until the client leaves (or falls more than "
                    "events.queue_bound events behind: stream.overflow)",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "default": _FAILURE,
            },
        }
    }


def _output() -> dict[str, Any]:
    binary = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    headers = {
        name: {"description": description, "schema": {"type": kind}}
        for name, description, kind in (
            ("X-Slurmgate-Offset", "where this page begins", "integer"),
            ("X-Slurmgate-Next-Offset", "where the next page begins", "integer"),
            ("X-Slurmgate-Size", "the file's size when it was read", "integer"),
            ("X-Slurmgate-Job-State", "the job's state", "string"),
            ("X-Slurmgate-Output-Complete", "true once the job ended and this page reaches "
             "the end of the file", "string"),
        )
    }  # fmt: skip
    return {
        "get": {
            "tags": ["slurmgate"],
            "operationId": "slurmgate_v1_job_output",
            "summary": "a page of a job's standard output or error, or its tail followed",
            "description": "The job's owner and administrators only, and only a file the user "
            "asking could read. Pages hold at most output.page_bytes; a Range header gets 206 "
            "with Content-Range. follow=true sends the file as it grows until the job ends.",
            "parameters": [
                {
                    "name": "job_id",
                    "in": "path",
                    "required": True,
                    "description": "the job's id",
                    "schema": {"type": "string"},
                },
                _query(
                    "stream",
                    "stdout (default) or stderr",
                    {"type": "string", "enum": ["stdout", "stderr"]},
                ),
                _query("offset", "the first byte (default 0)", {"type": "integer", "minimum": 0}),
                _query(
                    "limit",
                    "at most this many bytes (at most output.page_bytes)",
                    {"type": "integer", "minimum": 1},
                ),
                _query(
                    "follow", "send the file as it grows until the job ends", {"type": "boolean"}
                ),
                _header(
                    "Range", "one byte range (bytes=first-last, bytes=first-, bytes=-count): 206"
                ),
            ],  # fmt: skip
            "responses": {
                "200": {
                    "description": "the page, or the followed file",
                    "headers": headers,
                    "content": binary,
                },
                "206": {
                    "description": "the range asked for (Content-Range)",
                    "headers": headers,
                    "content": binary,
                },
                "416": {**_FAILURE, "description": "the range begins past the file's end"},
                "default": _FAILURE,
            },  # fmt: skip
        }
    }


def _metrics() -> dict[str, Any]:
    return {
        "get": {
            "tags": ["slurmgate"],
            "operationId": "slurmgate_metrics",
            "summary": "the cluster and the gateway in Prometheus' text format",
            "description": "Without a token from metrics.allow's networks (loopback by "
            "default); from elsewhere with an administrator's token. The cluster's metrics "
            "are named as slurmctld's OpenMetrics plugin names them (slurm_jobs, "
            "slurm_nodes_idle, ...), the gateway's slurmgate_*.",
            "security": [{}, {"token": []}, {"user": [], "token": []}],
            "responses": {
                "200": {
                    "description": "the metrics",
                    "content": {CONTENT_TYPE: {"schema": {"type": "string"}}},
                },
                "default": _FAILURE,
            },
        }
    }


def push_paths() -> dict[str, Any]:
    return {
        f"{PREFIX}/events": _events(),
        f"{PREFIX}/job/{{job_id}}/output": _output(),
        "/metrics": _metrics(),
    }
