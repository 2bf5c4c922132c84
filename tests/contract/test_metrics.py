"""GET /metrics on every backend: slurmctld's names with the cluster's values, the gateway's
own counters, and the Prometheus text format. The suite's gateways run on loopback, which
``metrics.allow`` admits by default."""

from __future__ import annotations

import re

import httpx

from tests.support.cluster import Api, Cluster
from tests.support.sse import EventStream

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (-?[0-9.e+-]+|NaN|\+Inf)$")


def scrape(cluster: Cluster) -> dict[str, float]:
    """Every sample, keyed by its name and labels as written."""
    answer = httpx.get(f"{cluster.base_url}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, float] = {}
    for line in answer.text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", line), line
            continue
        match = _SAMPLE.match(line)
        assert match, line
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


EXPECTED = (
    *("slurm_jobs", "slurm_jobs_pending", "slurm_jobs_running", "slurm_jobs_hold"),
    *("slurm_jobs_cpus_alloc", "slurm_jobs_memory_alloc", "slurm_nodes", "slurm_nodes_idle"),
    *("slurm_nodes_alloc", "slurm_nodes_mixed", "slurm_partitions", "slurm_schedule_cycle_cnt"),
    *("slurm_bf_cycle_cnt", "slurmgate_cluster_up"),
)


def test_the_cluster_is_measured_under_slurmctlds_names(cluster: Cluster, api: Api) -> None:
    held = api.submit("#!/bin/sh\ntrue\n", hold=True)
    try:
        api.wait_for(held, states={"PENDING"})
        samples = scrape(cluster)
    finally:
        api.cancel(held)
    for name in EXPECTED:
        assert name in samples, name
    assert samples["slurm_jobs_pending"] >= 1 and samples["slurm_jobs_hold"] >= 1
    assert samples["slurm_jobs"] >= samples["slurm_jobs_pending"] + samples["slurm_jobs_running"]
    assert samples['slurm_partition_jobs_pending{partition="debug"}'] >= 1
    assert samples["slurm_nodes"] >= 1 and samples["slurmgate_cluster_up"] == 1
    node = cluster.node_name
    assert samples[f'slurm_node_cpus{{node="{node}"}}'] == 8
    assert samples[f'slurm_node_memory_bytes{{node="{node}"}}'] == 8192 * 1024 * 1024
    assert samples[f'slurm_node_cpus_idle{{node="{node}"}}'] <= 8
    # Off unless asked for: one series per user.
    assert not any(key.startswith("slurm_user_jobs") for key in samples)


def test_the_gateway_counts_its_requests(cluster: Cluster, api: Api) -> None:
    assert api.get("diag").status_code == 200
    samples = scrape(cluster)
    diag = 'slurmgate_requests_total{route="/slurm/{version}/diag",version="v0.0.38",'
    assert samples[diag + 'method="GET",status="200"}'] >= 1
    bucket = 'slurmgate_request_duration_seconds_bucket{route="/slurm/{version}/diag",le="+Inf"}'
    assert samples[bucket] >= 1
    assert 'slurmgate_mirror_table_age_seconds{table="jobs"}' in samples
    assert 'slurmgate_render_cache_requests_total{result="miss"}' in samples
    assert samples["slurmgate_event_streams"] >= 0
    assert samples["process_resident_memory_bytes"] > 10 * 1024 * 1024


def test_open_streams_and_the_events_made_are_counted(cluster: Cluster, api: Api) -> None:
    headers = {"X-SLURM-USER-TOKEN": cluster.token(), "X-SLURM-USER-NAME": cluster.user}
    held = 0
    try:
        with EventStream(cluster.base_url, headers, {"users": cluster.user}) as events:
            events.opened()
            held = api.submit("#!/bin/sh\ntrue\n", hold=True)
            events.wait_for(lambda f: f.job_id == held and f.event == "job.submitted")
            samples = scrape(cluster)
    finally:
        if held:
            api.cancel(held)
    assert samples["slurmgate_event_streams"] >= 1
    assert samples['slurmgate_events_total{type="job.submitted"}'] >= 1
