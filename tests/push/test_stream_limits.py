"""Event streams as a server must hold them: heartbeats, a slow client cut off, a bound on
streams, no request time-out, audited, ended promptly when the gateway stops."""

from __future__ import annotations

import json
import signal
import time

import httpx

from tests.push.conftest import GatewayFactory
from tests.support.sse import EVENTS, EventStream


def test_heartbeats_keep_an_idle_stream_alive(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with("[events]\nheartbeat = 0.5\n")
    with EventStream(gateway.base_url, gateway.headers()) as events:
        assert events.opened().retry == 2000
        beats = [events.next(5) for _ in range(3)]
    assert all(frame is not None and frame.comments == ["heartbeat"] for frame in beats)


def test_a_client_that_falls_behind_is_told_and_disconnected(
    gateway_with: GatewayFactory,
) -> None:
    gateway = gateway_with("[events]\nqueue_bound = 3\n[mirror]\ninterval = 1\n")
    with EventStream(gateway.base_url, gateway.headers()) as events:
        events.opened()
        # Ten tasks at once: ten events in one load, more than three may wait.
        gateway.submit(array="0-9", hold=True)
        cut = events.wait_for(lambda f: f.event == "stream.overflow")
        assert "events.queue_bound" in cut.json["message"]
        assert cut.json["last_event_id"]
        assert events.next(10) is None, "the stream goes on after its last event"
    metrics = httpx.get(f"{gateway.base_url}/metrics").text
    assert "slurmgate_event_streams_cut_total 1" in metrics
    # It may resume where it was cut off.
    with EventStream(
        gateway.base_url, gateway.headers(), last_event_id=cut.json["last_event_id"]
    ) as again:
        assert again.opened().json["resumed"] is True


def test_streams_beyond_the_maximum_are_refused(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with("[events]\nmax_streams = 1\n")
    with EventStream(gateway.base_url, gateway.headers()) as first:
        first.opened()
        second = httpx.get(f"{gateway.base_url}{EVENTS}", headers=gateway.headers(), timeout=10)
        assert second.status_code == 503
        assert second.json()["errors"][0]["source"] == "events.max_streams"
    deadline = time.monotonic() + 10
    while True:  # the place is given back once the server saw the client go
        with EventStream(gateway.base_url, gateway.headers()) as third:
            if third.response.status_code == 200:
                break
        assert time.monotonic() < deadline, "the stream's place was not given back"
        time.sleep(0.2)


def test_a_stream_outlives_the_request_time_out(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with("[limits]\nrequest_timeout = 1\n[events]\nheartbeat = 0.5\n")
    with EventStream(gateway.base_url, gateway.headers()) as events:
        events.opened()
        time.sleep(2.5)
        job_id = gateway.submit(hold=True)
        events.wait_for(lambda f: f.job_id == job_id, 10)
    slow = httpx.get(f"{gateway.base_url}/slurm/v0.0.38/ping", headers=gateway.headers())
    assert slow.status_code == 200  # other requests keep their time-out (nothing to show here)


def test_the_audit_log_has_the_opening_and_the_closing(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with('[audit]\nenabled = true\npath = "{dir}/audit.log"\n')
    audit = gateway.state_dir.parent / "audit.log"
    with EventStream(gateway.base_url, gateway.headers(), params={"users": "root"}) as events:
        events.opened()
        time.sleep(1.2)
    deadline = time.monotonic() + 10
    while True:  # lines are written in batches, the closing one once the server saw the end
        lines = [json.loads(line) for line in audit.read_text().splitlines()]
        mine = [line for line in lines if line["path"].startswith(EVENTS)]
        if len(mine) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [line["action"] for line in mine] == ["events", "events_close"], lines
    opening, closing = mine
    assert opening["status"] == 200 and opening["user"] == closing["user"]
    assert closing["latency_ms"] >= 1000 and closing["path"] == f"{EVENTS}?users"


def test_a_stop_of_the_gateway_ends_the_streams_at_once(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with()
    assert gateway.process is not None
    with EventStream(gateway.base_url, gateway.headers()) as events:
        events.opened()
        started = time.monotonic()
        gateway.process.send_signal(signal.SIGTERM)
        while events.next(8) is not None:
            pass
        gateway.process.wait(8)
    assert time.monotonic() - started < 5, "the stream held the stop for its grace period"
