"""slurmgate's push and observability paths: the event stream, job output, metrics."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from slurmgate.api import events, metrics, output
from slurmgate.api.token_routes import PREFIX


def push_routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/events", events.events, methods=["GET"]),
        Route(f"{PREFIX}/job/{{job_id}}/output", output.job_output, methods=["GET"]),
        Route("/metrics", metrics.metrics, methods=["GET"]),
    ]
