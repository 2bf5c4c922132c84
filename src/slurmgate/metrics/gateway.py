"""The gateway's own metrics (``slurmgate_*``): requests, latencies, refusals.

Counted in the outermost middleware, once per request, for a few microseconds: a counter per
(route, API version, method, status) and a latency histogram per route. Labels come from the
route table and the known versions only, never from what a client wrote, so a scan of unknown
paths adds one series (``route="unmatched"``), not one per path.
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any

from starlette.types import Scope

from slurmgate.metrics.exposition import Exposition

#: Upper bounds (seconds) of the latency histogram's buckets.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_METHODS = frozenset({"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"})
#: Refusals told by their status alone.
_REFUSED_BY_STATUS = {
    429: "rate_limit",
    503: "busy",
    504: "request_timeout",
    408: "request_timeout",
    431: "headers_too_large",
}


class _Histogram:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.count += 1
        self.total += seconds


class GatewayMetrics:
    """What the gateway counts of its own work, for ``GET /metrics``."""

    def __init__(self, versions: frozenset[str]) -> None:
        #: The API versions a request's version label may name; others are "unknown".
        self.versions = versions
        self.requests: Counter[tuple[str, str, str, int]] = Counter()
        self.latency: dict[str, _Histogram] = {}
        self.refused: Counter[str] = Counter()

    def observe(self, scope: Scope, status: int | None, seconds: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path", None)
        label = (path.rstrip("/") or "/") if isinstance(path, str) else "unmatched"
        params: dict[str, Any] = scope.get("path_params") or {}
        version = params.get("version", "")
        if version and version not in self.versions:
            version = "unknown"
        method = scope.get("method", "")
        method = method if method in _METHODS else "OTHER"
        code = status or 0
        self.requests[label, version, method, code] += 1
        state = scope.get("state") or {}
        reason = state.get("refused") or _REFUSED_BY_STATUS.get(code)
        if reason:
            self.refused[reason] += 1
        if not state.get("streaming"):
            histogram = self.latency.get(label)
            if histogram is None:
                histogram = self.latency[label] = _Histogram()
            histogram.observe(seconds)

    def connection_refused(self, reason: str) -> None:
        """A refusal of the HTTP server itself, before any request reached the application."""
        self.refused[reason] += 1

    def write(self, out: Exposition) -> None:
        out.family(
            "slurmgate_requests_total",
            "counter",
            "Requests answered, by route, API version, method and status",
        )
        for (route, version, method, status), count in sorted(self.requests.items()):
            labels = (("route", route), ("version", version), ("method", method))
            out.sample("slurmgate_requests_total", count, (*labels, ("status", str(status))))
        name = "slurmgate_request_duration_seconds"
        out.family(name, "histogram", "Time from a request's arrival to its answer's end, by route "
                   "(event streams and followed outputs left out)")  # fmt: skip
        for route, histogram in sorted(self.latency.items()):
            cumulative = 0
            for bound, count in zip((*BUCKETS, float("inf")), histogram.buckets, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.sample(f"{name}_bucket", cumulative, (("route", route), ("le", le)))
            out.sample(f"{name}_sum", histogram.total, (("route", route),))
            out.sample(f"{name}_count", histogram.count, (("route", route),))
        out.labelled(
            "slurmgate_requests_refused_total",
            "counter",
            "Requests refused before their work: rate limits, client networks, connection "
            "limits, time-outs, oversized heads, what is not HTTP",
            "reason",
            sorted(self.refused.items()),
        )
