"""Health endpoints for service managers and load balancers, outside slurmrestd's URL space.

``/livez`` and ``/healthz``: the process serves requests. ``/readyz``: it can answer reads,
that is, the cluster answered its last ping. None needs a token; the network allow-list still
applies. The answers are small JSON objects, never the envelope: nothing here is an API call.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slurmgate.domain import SlurmgateError
from slurmgate.mirror import Mirror, Resource


def _json(status: int, body: dict[str, object]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


async def live(request: Request) -> Response:
    return _json(200, {"status": "ok"})


async def ready(request: Request) -> Response:
    mirror: Mirror = request.app.state.mirror
    try:
        table = await mirror.read(Resource.PING)
    except SlurmgateError as exc:
        return _json(503, {"status": "unavailable", "reason": exc.description})
    down = [p.hostname for p in table.items if not p.responding]
    if table.items and len(down) == len(table.items):
        return _json(503, {"status": "unavailable", "reason": "no controller responds"})
    return _json(200, {"status": "ok", "data_age_seconds": round(table.age, 3)})


def health_routes() -> list[BaseRoute]:
    return [
        Route("/livez", live, methods=["GET"]),
        Route("/healthz", live, methods=["GET"]),
        Route("/readyz", ready, methods=["GET"]),
    ]
