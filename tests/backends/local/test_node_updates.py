"""scontrol update node on the embedded cluster: drain, resume, down, and what else may change."""

from __future__ import annotations

from pathlib import Path

import pytest

from slurmgate.config import NodeConfig
from slurmgate.domain import (
    InvalidRequest,
    JobState,
    Node,
    NodeState,
    NodeUpdate,
    NotFound,
    NotSupported,
    PermissionDenied,
)
from slurmgate.domain.slurm_errno import (
    ESLURM_ACTIVE_FEATURE_NOT_SUBSET,
    ESLURM_INVALID_NODE_NAME,
    ESLURM_INVALID_NODE_STATE,
    ESLURM_USER_ID_MISSING,
)
from tests.backends.local.cluster import (
    OTHER,
    ROOT,
    Factory,
    spec,
    submit,
    wait_state,
    wait_until,
)

TWO_NODES = [
    NodeConfig(name="node1", cpus=2, memory=2000, features=["fast"]),
    NodeConfig(name="node2", cpus=2, memory=2000),
]


def drain(reason: str = "disk swap") -> NodeUpdate:
    return NodeUpdate(state=["DRAIN"], reason=reason)


async def node(backend: object, name: str) -> Node:
    return await backend.get_node(ROOT, name)  # type: ignore[attr-defined, no-any-return]


async def test_only_administrators_may_change_nodes(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(PermissionDenied) as caught:
        await backend.update_nodes(OTHER, ["node1"], drain())
    assert caught.value.error_number == ESLURM_USER_ID_MISSING
    assert (await node(backend, "node1")).state_flags == []


async def test_draining_needs_a_reason(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(InvalidRequest) as caught:
        await backend.update_nodes(ROOT, ["node1"], NodeUpdate(state=["DRAIN"]))
    assert "You must specify a reason" in caught.value.description


async def test_a_drained_node_shows_why_and_who_and_runs_no_new_jobs(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    await backend.update_nodes(ROOT, ["node1"], drain())

    drained = await node(backend, "node1")
    assert drained.state is NodeState.IDLE and drained.state_flags == ["DRAIN"]
    assert drained.reason == "disk swap" and drained.reason_set_by_user == "root"
    assert drained.reason_changed_at > 0
    job_id = await submit(backend, spec(tmp_path))
    await wait_until(lambda: backend.jobs[job_id].state_reason == "Resources")

    await backend.update_nodes(ROOT, ["node1"], NodeUpdate(state=["RESUME"]))

    resumed = await node(backend, "node1")
    assert resumed.state_flags == [] and resumed.reason == ""
    assert resumed.reason_set_by_user == "" and resumed.reason_changed_at == 0
    await wait_state(backend, job_id, JobState.COMPLETED)


async def test_a_node_draining_keeps_its_running_jobs(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend()
    job_id = await submit(backend, spec(tmp_path, "sleep 60"))
    await wait_state(backend, job_id, JobState.RUNNING)

    await backend.update_nodes(ROOT, ["node1"], drain("draining"))

    draining = await node(backend, "node1")
    assert draining.state is NodeState.MIXED and draining.state_flags == ["DRAIN"]
    assert backend.jobs[job_id].state is JobState.RUNNING


async def test_undrain_clears_drain_only(make_backend: Factory) -> None:
    backend = await make_backend()
    await backend.update_nodes(ROOT, ["node1"], drain())
    await backend.update_nodes(ROOT, ["node1"], NodeUpdate(state=["UNDRAIN"]))
    assert (await node(backend, "node1")).state_flags == []


async def test_resuming_a_node_in_service_is_an_invalid_state(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(InvalidRequest) as caught:
        await backend.update_nodes(ROOT, ["node1"], NodeUpdate(state=["RESUME"]))
    assert caught.value.error_number == ESLURM_INVALID_NODE_STATE


async def test_power_saving_states_are_refused(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(InvalidRequest) as caught:
        await backend.update_nodes(ROOT, ["node1"], NodeUpdate(state=["POWER_DOWN"]))
    assert caught.value.error_number == ESLURM_INVALID_NODE_STATE


async def test_an_unknown_node_is_not_found(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(NotFound) as caught:
        await backend.update_nodes(ROOT, ["node[1-3]"], drain())
    assert caught.value.error_number == ESLURM_INVALID_NODE_NAME
    assert (await node(backend, "node1")).state_flags == []  # nothing changed


async def test_a_drain_survives_a_restart(make_backend: Factory) -> None:
    backend = await make_backend()
    await backend.update_nodes(ROOT, ["node1"], drain("bad fan"))
    await backend.stop()

    again = await make_backend()

    drained = await node(again, "node1")
    assert drained.state_flags == ["DRAIN"] and drained.reason == "bad fan"


async def test_down_ends_the_jobs_running_there(make_backend: Factory, tmp_path: Path) -> None:
    backend = await make_backend()
    requeueable = await submit(backend, spec(tmp_path, "sleep 60"))
    doomed = await submit(backend, spec(tmp_path, "sleep 60", requeue=False))
    await wait_state(backend, requeueable, JobState.RUNNING)
    await wait_state(backend, doomed, JobState.RUNNING)

    await backend.update_nodes(ROOT, ["node1"], NodeUpdate(state=["DOWN"], reason="power"))

    assert (await node(backend, "node1")).state is NodeState.DOWN
    failed = await wait_state(backend, doomed, JobState.NODE_FAIL)
    assert failed.state_reason == "NodeDown"
    await wait_until(lambda: "COMPLETING" not in backend.jobs[requeueable].state_flags)
    requeued = backend.jobs[requeueable]
    assert requeued.state is JobState.PENDING and requeued.restart_count == 1


async def test_features_and_free_text_change_where_jobs_may_run(
    make_backend: Factory, tmp_path: Path
) -> None:
    backend = await make_backend(nodes=TWO_NODES)
    update = NodeUpdate(features=["fast", "gpu"], comment="new card", extra="rack=4", weight=5)
    await backend.update_nodes(ROOT, ["node2"], update)

    changed = await node(backend, "node2")
    assert changed.features == ["fast", "gpu"] and changed.active_features == ["fast", "gpu"]
    assert (changed.comment, changed.extra, changed.weight) == ("new card", "rack=4", 5)
    job_id = await submit(backend, spec(tmp_path, constraints="gpu"))
    job = await wait_state(backend, job_id, JobState.COMPLETED)
    assert job.nodes == "node2"


async def test_active_features_must_be_among_the_features(make_backend: Factory) -> None:
    backend = await make_backend(nodes=TWO_NODES)
    with pytest.raises(InvalidRequest) as caught:
        await backend.update_nodes(ROOT, ["node1"], NodeUpdate(active_features=["gpu"]))
    assert caught.value.error_number == ESLURM_ACTIVE_FEATURE_NOT_SUBSET


async def test_addresses_cannot_change_on_one_machine(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(NotSupported):
        await backend.update_nodes(ROOT, ["node1"], NodeUpdate(address=["10.0.0.1"]))


async def test_a_drain_with_resume_after_ends_by_itself(make_backend: Factory) -> None:
    backend = await make_backend()
    update = NodeUpdate(state=["DRAIN"], reason="short maintenance", resume_after=1)
    await backend.update_nodes(ROOT, ["node1"], update)
    assert (await node(backend, "node1")).state_flags == ["DRAIN"]

    await wait_until(lambda: not backend.node_states["node1"].drain, timeout=10)
    resumed = await node(backend, "node1")
    assert resumed.state_flags == [] and resumed.reason == ""


async def test_removing_nodes_and_fair_share_are_not_supported(make_backend: Factory) -> None:
    backend = await make_backend()
    with pytest.raises(NotSupported):
        await backend.delete_nodes(ROOT, ["node1"])
    with pytest.raises(NotSupported):
        await backend.shares(ROOT, users=[], accounts=[])
