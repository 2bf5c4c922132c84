"""PrivateData on the event stream: a user sees their own jobs' events and no node's; an
operator sees everything. The embedded cluster has no PrivateData: these run on a gateway in
this process whose backend applies slurmctld's PrivateData=jobs,nodes."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.push.conftest import private_gateway
from tests.support.sse import EventStream

OTHER = "nobody"


def test_each_user_sees_only_what_private_data_shows_them(tmp_path: Path) -> None:
    with private_gateway(tmp_path) as gateway:
        with (
            EventStream(gateway.base_url, gateway.headers("root")) as operator,
            EventStream(gateway.base_url, gateway.headers(OTHER)) as user,
        ):
            operator.opened()
            user.opened()
            roots = gateway.submit(hold=True, user="root")
            theirs = gateway.submit(hold=True, user=OTHER)
            drained = httpx.post(
                f"{gateway.base_url}/slurm/v0.0.41/node/node1",
                json={"state": ["DRAIN"], "reason": "private data test"},
                headers=gateway.headers("root"),
            )
            assert drained.status_code == 200, drained.text
            operator.wait_for(lambda f: f.event == "node.drain", 15)
            user.wait_for(lambda f: f.job_id == theirs, 15)
            time.sleep(2.0)  # two loads: whatever the user should not see would have come
    seen_by_operator = {f.job_id for f in operator.seen} - {None}
    assert {roots, theirs} <= seen_by_operator
    assert {f.job_id for f in user.seen} - {None} == {theirs}
    assert not any(f.event.startswith("node.") for f in user.seen)


def test_resuming_does_not_replay_what_the_user_may_not_see(tmp_path: Path) -> None:
    with private_gateway(tmp_path) as gateway:
        with EventStream(gateway.base_url, gateway.headers(OTHER)) as first:
            position = first.opened().id
        roots = gateway.submit(hold=True, user="root")
        theirs = gateway.submit(hold=True, user=OTHER)
        time.sleep(2.0)
        with EventStream(gateway.base_url, gateway.headers(OTHER), last_event_id=position) as again:
            assert again.opened().json["resumed"] is True
            again.wait_for(lambda f: f.job_id == theirs, 15)
            time.sleep(1.0)
    assert roots not in {f.job_id for f in again.seen}
