"""GET /slurmgate/v1/events on every backend: a job's life as events, filters, resuming with
Last-Event-ID, node drains. The lab is shared: streams are filtered to this test's user or
jobs, and assertions look at this test's jobs only."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable

import httpx
import pytest

from tests.contract.conftest import ClientFactory
from tests.support.cluster import Api, Cluster
from tests.support.sse import EVENTS, CurlEventStream, EventStream, Frame, in_order, types_of


def headers(cluster: Cluster, user: str | None = None) -> dict[str, str]:
    name = user or cluster.user
    return {"X-SLURM-USER-TOKEN": cluster.token(name), "X-SLURM-USER-NAME": name}


def stream(cluster: Cluster, user: str | None = None, **params: str) -> EventStream:
    opened = EventStream(cluster.base_url, headers(cluster, user), params=params or None)
    assert opened.response.status_code == 200, opened.response.text
    return opened


def ended(job_id: int) -> Callable[[Frame], bool]:
    return lambda f: f.job_id == job_id and f.event in ("job.completed", "job.failed")


def test_a_jobs_life_arrives_in_order_with_its_exit_code(cluster: Cluster, api: Api) -> None:
    with stream(cluster, users=cluster.user) as events:
        events.opened()
        good = api.submit("#!/bin/sh\nsleep 1\nexit 0\n")
        bad = api.submit("#!/bin/sh\nsleep 1\nexit 3\n")
        events.wait_for(ended(good), 60)
        events.wait_for(ended(bad), 60)
    for job_id, end, code in ((good, "job.completed", 0), (bad, "job.failed", 3)):
        frames = events.job_events(job_id)
        assert in_order(types_of(frames), ["job.submitted", "job.started", end]), types_of(frames)
        last = frames[-1].json
        assert last["state"] == end.removeprefix("job.").upper()
        assert last["exit_code"]["return_code"] == code
        assert last["user"] == cluster.user and last["nodes"]
        assert last["start_time"] > 0 and last["end_time"] >= last["start_time"]
        assert isinstance(last["mirror_time"], float)
        ids = [f.id for f in frames]
        assert all(ids) and len(set(ids)) == len(ids)


def test_filters_choose_jobs_states_and_kinds(cluster: Cluster, api: Api) -> None:
    first = api.submit("#!/bin/sh\nsleep 30\n", hold=True)
    with (
        stream(cluster, job_ids=str(first)) as by_id,
        stream(cluster, users=cluster.user, states="RUNNING") as running,
        stream(cluster, users="nosuchuser") as nobody,
    ):
        for opened in (by_id, running, nobody):
            opened.opened()
        second = api.submit("#!/bin/sh\nsleep 1\n")
        api.cancel(first)
        by_id.wait_for(lambda f: f.job_id == first and f.event == "job.cancelled")
        running.wait_for(lambda f: f.job_id == second and f.event == "job.started", 60)
        api.wait_for(second)
        time.sleep(2.5)  # two loads of the mirror, for anything that should not come
    assert {f.job_id for f in by_id.seen if f.event.startswith(("job.", "node."))} == {first}
    mine = [f for f in running.seen if f.job_id in (first, second)]
    assert types_of(mine) == ["job.started"] and mine[0].json["state"] == "RUNNING"
    assert [f.event for f in nobody.seen] == ["stream.opened"]


def test_a_stream_resumes_after_its_last_event_id(cluster: Cluster, api: Api) -> None:
    with stream(cluster, users=cluster.user) as first:
        first.opened()
        job_id = api.submit("#!/bin/sh\nsleep 1\n")
        submitted = first.wait_for(lambda f: f.job_id == job_id and f.event == "job.submitted")
    assert submitted.id
    api.wait_for(job_id)  # started and ended while nobody listened
    time.sleep(2.0)
    resumed = EventStream(
        cluster.base_url, headers(cluster), {"users": cluster.user}, last_event_id=submitted.id
    )
    with resumed:
        opened = resumed.opened()
        assert opened.json["resumed"] is True and opened.id == submitted.id
        resumed.wait_for(ended(job_id))
        kinds = types_of(resumed.job_events(job_id))
        assert "job.submitted" not in kinds and in_order(kinds, ["job.started", "job.completed"])


def test_an_unknown_last_event_id_says_events_were_missed(cluster: Cluster) -> None:
    with EventStream(cluster.base_url, headers(cluster), last_event_id="0000-42") as events:
        assert events.opened().json["resumed"] is False
        missed = events.wait_for(lambda f: f.event == "stream.missed")
        assert missed.json["last_event_id"] == "0000-42" and "re-read" in missed.json["message"]


def test_a_stream_needs_a_token(cluster: Cluster) -> None:
    answer = httpx.get(f"{cluster.base_url}{EVENTS}", timeout=10)
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["error_number"] == 9008
    bad = httpx.get(f"{cluster.base_url}{EVENTS}?types=jobs", headers=headers(cluster))
    assert bad.status_code == 400 and bad.json()["errors"][0]["source"] == "types"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_reads_a_jobs_life_from_the_stream(cluster: Cluster, api: Api) -> None:
    url = f"{cluster.base_url}{EVENTS}?users={cluster.user}"
    with CurlEventStream(url, headers(cluster)) as events:
        events.opened()
        job_id = api.submit("#!/bin/sh\nsleep 1\n")
        end = events.wait_for(ended(job_id), 60)
    kinds = types_of(events.job_events(job_id))
    assert in_order(kinds, ["job.submitted", "job.started", "job.completed"]), kinds
    assert end.json["state"] == "COMPLETED" and end.json["exit_code"]["return_code"] == 0
    # The frame as curl printed it, line for line.
    text = events.output.decode()
    assert text.startswith("retry: 2000\n") and "event: stream.opened\n" in text
    assert f"id: {end.id}\nevent: job.completed\ndata: {end.data}\n\n" in text


def test_a_drained_node_is_an_event(cluster: Cluster, client_for: ClientFactory) -> None:
    admin = "root"
    with stream(cluster, admin, types="node") as events:
        events.opened()
        nodes = client_for(admin, "v0.0.41")
        reason = f"slurmgate events test {time.time():.0f}"
        node = cluster.node_name
        try:
            drained = nodes.post(f"node/{node}", {"state": ["DRAIN"], "reason": reason})
            assert drained.status_code == 200, drained.text
            drain = events.wait_for(lambda f: f.event == "node.drain")
        finally:
            resumed = nodes.post(f"node/{node}", {"state": ["RESUME"]})
        assert resumed.status_code == 200, resumed.text
        events.wait_for(lambda f: f.event == "node.resume")
    data = drain.json
    assert data["node"] == node and "DRAIN" in data["state_flags"] and data["reason"] == reason
    assert not any(f.event.startswith("job.") for f in events.seen)
