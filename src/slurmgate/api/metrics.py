"""``GET /metrics``: the cluster (from the mirror) and the gateway in Prometheus' text format.

Who may read it: clients in ``metrics.allow`` (loopback by default) without a token; anyone
else with an administrator's token (``auth.admins``, or an operator of the cluster). Reading
the metrics loads a table only when the mirror's copy is older than ``mirror.max_age``, and
does not keep it loaded afterwards: a scrape a minute costs slurmctld a few loads a minute.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from slurmgate import __version__
from slurmgate.api.network import ClientNetworks
from slurmgate.api.requests import authenticated
from slurmgate.backends.base import Backend
from slurmgate.config import MetricsSettings
from slurmgate.domain import AuthError, NotFound, PermissionDenied, SlurmgateError
from slurmgate.events.hub import EventHub
from slurmgate.metrics import cluster
from slurmgate.metrics.exposition import CONTENT_TYPE, Exposition
from slurmgate.metrics.gateway import GatewayMetrics
from slurmgate.mirror import Mirror, RenderCache, Resource

_TOKEN_HEADERS = ("x-slurm-user-token", "authorization")
_STARTED = time.time()


async def metrics(request: Request) -> Response:
    settings: MetricsSettings = request.app.state.settings.metrics
    if not settings.enabled:
        raise NotFound("Unable to find path /metrics (metrics.enabled is false)", source="metrics")
    request.state.action = "metrics"
    await _check_access(request, settings)
    out = Exposition()
    mirror: Mirror = request.app.state.mirror
    await _cluster(out, mirror, settings)
    _gateway(out, request)
    return Response(out.text(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


async def _check_access(request: Request, settings: MetricsSettings) -> None:
    networks: ClientNetworks | None = getattr(request.app.state, "metrics_networks", None)
    if networks is None:
        networks = request.app.state.metrics_networks = ClientNetworks(settings.allow, ())
    address = getattr(request.state, "client_address", None) or (
        request.client.host if request.client else ""
    )
    if settings.allow and networks.allowed(address):
        return
    if not any(name in request.headers for name in _TOKEN_HEADERS):
        raise AuthError(
            f"Metrics from {address} need an administrator's token (not in metrics.allow)",
            source="metrics.allow",
        )
    principal = await authenticated(request, "metrics")
    if principal.is_admin or (await request.app.state.mirror.access()).is_operator(
        principal.user_name
    ):
        return
    raise PermissionDenied(
        f"User {principal.user_name} may not read the metrics: administrators only "
        "(auth.admins, or the cluster's operators), or clients in metrics.allow",
        source="metrics.allow",
    )


async def _cluster(out: Exposition, mirror: Mirror, settings: MetricsSettings) -> None:
    """The cluster's families; a table the cluster does not give (it is down) is left out, and
    ``slurmgate_cluster_up`` says so."""
    tables: dict[Resource, Any] = {}
    for which in (Resource.JOBS, Resource.NODES, Resource.PARTITIONS, Resource.STATS):
        try:
            tables[which] = await mirror.read(which, keep_loading=False)
        except SlurmgateError:
            continue
    out.gauge("slurmgate_cluster_up", "Whether the cluster answered the last loads (1) or not",
              int(len(tables) == 4))  # fmt: skip
    if Resource.JOBS in tables:
        cluster.jobs(out, tables[Resource.JOBS].items, settings)
    if Resource.NODES in tables:
        cluster.nodes(out, tables[Resource.NODES].items, settings)
        if Resource.PARTITIONS in tables:
            cluster.partitions(out, tables[Resource.PARTITIONS].items, tables[Resource.NODES].items)
    if Resource.STATS in tables and tables[Resource.STATS].items:
        cluster.scheduler(out, tables[Resource.STATS].items[0])


def _gateway(out: Exposition, request: Request) -> None:
    state = request.app.state
    backend: Backend = state.backend
    out.family("slurmgate_info", "gauge", "The gateway's version, backend and Slurm release")
    out.sample("slurmgate_info", 1, (("version", __version__), ("backend", backend.name),
                                     ("slurm_release", backend.info.release)))  # fmt: skip
    gateway: GatewayMetrics | None = getattr(state, "metrics", None)
    if gateway is not None:
        gateway.write(out)
    cache: RenderCache = state.responses
    out.family("slurmgate_render_cache_requests_total", "counter",
               "Answers served from a kept rendering (hit), rendered anew (miss), or from the "
               "previous rendering while a new one was made (stale)")  # fmt: skip
    out.sample("slurmgate_render_cache_requests_total", cache.hits, (("result", "hit"),))
    out.sample("slurmgate_render_cache_requests_total", cache.misses, (("result", "miss"),))
    out.sample("slurmgate_render_cache_requests_total", cache.stale, (("result", "stale"),))
    out.gauge("slurmgate_render_cache_bytes", "Bytes of renderings kept", cache.size)
    out.gauge("slurmgate_render_cache_entries", "Renderings kept", cache.entries)
    mirror: Mirror = state.mirror
    ages = [(r.value, t.age) for r in Resource if (t := mirror.latest(r)) is not None]
    out.labelled("slurmgate_mirror_table_age_seconds", "gauge",
                 "Seconds since each table of the mirror was known current",
                 "table", ages)  # fmt: skip
    hub: EventHub = state.events
    out.gauge("slurmgate_event_streams", "Event streams open", hub.streams)
    out.gauge("slurmgate_output_follows", "Job outputs followed (follow=true)",
              hub.long_lived - hub.streams)  # fmt: skip
    out.labelled("slurmgate_events_total", "counter", "Events made, by type", "type",
                 sorted(hub.published.items()))  # fmt: skip
    out.family("slurmgate_event_streams_cut_total", "counter",
               "Event streams disconnected for falling behind (events.queue_bound)")  # fmt: skip
    out.sample("slurmgate_event_streams_cut_total", hub.cut)
    _process(out)


def _process(out: Exposition) -> None:
    """The process, by the names Prometheus' own clients use."""
    usage = os.times()
    out.family("process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds")
    out.sample("process_cpu_seconds_total", round(usage.user + usage.system, 3))
    with open("/proc/self/statm", "rb") as statm:
        pages = int(statm.read().split()[1])
    out.gauge("process_resident_memory_bytes", "Resident memory size in bytes",
              pages * os.sysconf("SC_PAGE_SIZE"))  # fmt: skip
    out.gauge("process_open_fds", "Number of open file descriptors",
              len(os.listdir("/proc/self/fd")))  # fmt: skip
    out.gauge("process_max_fds", "Maximum number of open file descriptors",
              resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # fmt: skip
    out.gauge("process_start_time_seconds", "Start time of the process since the epoch in seconds",
              round(_STARTED, 3))  # fmt: skip
