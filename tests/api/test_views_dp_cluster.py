"""v0.0.40 and later print nodes, partitions, reservations, licenses, pings, statistics, shares
and resource layouts as slurmrestd 24.11 and 26.05 print them: states as lists, limits as
no-value objects, each version's keys."""

from __future__ import annotations

import math
import sys
from typing import Any

import orjson
import pytest

from slurmgate.api.versions import VERSIONS, views_common, views_dp, views_dp_cluster
from slurmgate.domain import ControllerPing, License, Node, NodeState, Partition, Reservation
from tests.support.samples import (
    INFO,
    LAYOUTS,
    LICENSE,
    NODES,
    PARTITIONS,
    PINGS,
    RESERVATION,
    RESERVATIONS,
    SHARES,
    STATS,
)
from tests.support.spec import assert_matches_spec

NEW = ("v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44", "v0.0.45")
UNSET = {"set": False, "infinite": False, "number": 0}
INFINITE = {"set": False, "infinite": True, "number": 0}


def number(value: int) -> dict[str, Any]:
    return {"set": True, "infinite": False, "number": value}


def wire(body: object) -> Any:
    return orjson.loads(orjson.dumps(body))


def node(name: str, item: Node) -> dict[str, Any]:
    found: dict[str, Any] = wire(VERSIONS[name].nodes([item], INFO))["nodes"][0]
    return found


def partition(name: str, item: Partition) -> dict[str, Any]:
    found: dict[str, Any] = wire(VERSIONS[name].partitions([item], INFO))["partitions"][0]
    return found


def reservation(name: str, item: Reservation) -> dict[str, Any]:
    found: dict[str, Any] = wire(VERSIONS[name].reservations([item], INFO))["reservations"][0]
    return found


def pings(name: str, items: list[ControllerPing]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = wire(VERSIONS[name].ping(items, INFO))["pings"]
    return found


def statistics(name: str) -> dict[str, Any]:
    found: dict[str, Any] = wire(VERSIONS[name].diag(STATS, INFO))["statistics"]
    return found


def shares(name: str) -> Any:
    return wire(VERSIONS[name].answer("shares", INFO, result=SHARES))


def layouts(name: str) -> Any:
    return wire(VERSIONS[name].answer("resources", INFO, items=LAYOUTS))


# -- nodes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW)
def test_a_node_state_is_the_base_state_then_its_flags_in_the_daemons_order(name: str) -> None:
    assert node(name, NODES["mixed"])["state"] == ["MIXED", "DRAIN"]
    assert node(name, NODES["drained"])["state"] == ["IDLE", "DRAIN", "NOT_RESPONDING"]
    assert node(name, NODES["idle"])["state"] == ["IDLE"]


def test_node_counts_and_times_are_what_the_model_holds() -> None:
    row = node("v0.0.40", NODES["mixed"])
    assert (row["alloc_cpus"], row["alloc_idle_cpus"], row["effective_cpus"]) == (3, 5, 8)
    assert row["features"] == ["gpu", "fast"] and row["partitions"] == ["gpu", "debug"]
    drained = node("v0.0.40", NODES["drained"])
    assert drained["reason_changed_at"] == number(1_700_000_000)
    assert (drained["owner"], drained["reason_set_by_user"]) == ("alice", "root")
    # A time the model holds as 0 is set, as the daemon prints a node that never booted.
    assert drained["boot_time"] == number(0)


def test_what_the_model_does_not_hold_is_printed_as_a_quiet_cluster_prints_it() -> None:
    row = node("v0.0.40", NODES["idle"])
    assert row["next_state_after_reboot"] == ["INVALID"]
    assert row["gres_drained"] == "N/A"
    assert row["energy"]["current_watts"] == number(0)
    assert row["energy"]["consumed_energy"] == 0
    assert (row["external_sensors"], row["power"]) == ({}, {})
    assert row["resume_after"] == number(0)


def test_free_memory_not_reported_yet_is_unset() -> None:
    # The slurm backend keeps NO_VAL64 as slurmrestd 22.05 printed it, through int64: -2.
    silent = Node(name="n5", hostname="n5", address="n5", state=NodeState.DOWN, free_memory=-2)
    assert node("v0.0.42", silent)["free_mem"] == UNSET
    assert node("v0.0.42", NODES["idle"])["free_mem"] == number(0)


def test_nodes_gain_and_lose_keys_by_version() -> None:
    assert "gpu_spec" not in node("v0.0.40", NODES["idle"])
    assert node("v0.0.41", NODES["idle"])["res_cores_per_gpu"] == 0
    assert "cert_flags" not in node("v0.0.42", NODES["idle"])
    v43 = node("v0.0.43", NODES["idle"])
    assert (v43["cert_flags"], v43["tls_cert_last_renewal"], v43["topology"]) == (
        [],
        number(0),
        "",
    )
    v45 = node("v0.0.45", NODES["idle"])
    assert not {"external_sensors", "power", "tres_weighted"} & set(v45)
    assert v45["suspend_time"] == INFINITE  # power saving off


def test_v0045_names_who_set_a_reason_only_while_there_is_one() -> None:
    cleared = Node(name="n4", hostname="n4", address="n4", state=NodeState.IDLE,
                   reason_set_by_user="root")  # fmt: skip
    assert node("v0.0.44", cleared)["reason_set_by_user"] == "root"
    assert node("v0.0.45", cleared)["reason_set_by_user"] == ""
    assert node("v0.0.45", NODES["drained"])["reason_set_by_user"] == "root"


# -- partitions ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW)
def test_unlimited_partition_limits_are_infinite(name: str) -> None:
    maximums = partition(name, PARTITIONS["unlimited"])["maximums"]
    assert maximums["time"] == maximums["nodes"] == maximums["cpus_per_node"] == INFINITE
    assert maximums["cpus_per_socket"] == INFINITE
    assert maximums["over_time_limit"] == UNSET  # not set: the cluster's
    assert partition(name, PARTITIONS["exclusive"])["maximums"]["over_time_limit"] == INFINITE


@pytest.mark.parametrize("name", NEW)
def test_set_partition_limits_are_numbers(name: str) -> None:
    part = partition(name, PARTITIONS["limited"])
    assert (part["maximums"]["time"], part["maximums"]["nodes"]) == (number(120), number(1))
    assert part["defaults"]["time"] == number(30)
    assert part["partition"]["state"] == ["DOWN"]
    assert part["nodes"] == {"allowed_allocation": "", "configured": "n2", "total": 0}
    assert partition(name, PARTITIONS["unlimited"])["defaults"]["time"] == UNSET


def test_a_limit_never_set_is_unset_rather_than_infinite() -> None:
    never = Partition(name="p", nodes="n1", max_time=0xFFFFFFFE, max_nodes=0xFFFFFFFE)  # NO_VAL
    maximums = partition("v0.0.41", never)["maximums"]
    assert maximums["time"] == maximums["nodes"] == UNSET


def test_memory_limits_are_per_cpu_or_per_node() -> None:
    per_cpu = partition("v0.0.40", PARTITIONS["limited"])["defaults"]
    assert per_cpu["partition_memory_per_cpu"] == number(1024)
    assert per_cpu["partition_memory_per_node"] == UNSET
    # The raw field carries MEM_PER_CPU, its top bit, and is printed as a signed number.
    assert per_cpu["memory_per_cpu"] == 1024 - 2**63
    exclusive = partition("v0.0.40", PARTITIONS["exclusive"])
    assert exclusive["defaults"]["partition_memory_per_node"] == number(2048)
    assert exclusive["defaults"]["memory_per_cpu"] == 2048
    assert exclusive["maximums"]["partition_memory_per_cpu"] == number(4096)
    # No limit at all is a per-node amount of 0, as slurmctld holds it.
    none = partition("v0.0.40", PARTITIONS["unlimited"])["maximums"]
    assert (none["partition_memory_per_node"], none["partition_memory_per_cpu"]) == (
        number(0),
        UNSET,
    )
    assert partition("v0.0.45", PARTITIONS["limited"])["defaults"]["memory_per_cpu"] == 0


def test_partition_flags_are_printed_from_v0045_only() -> None:
    for name in NEW[:-1]:
        assert "flags" not in partition(name, PARTITIONS["unlimited"]), name
    assert partition("v0.0.45", PARTITIONS["unlimited"])["flags"] == ["DEFAULT"]
    listed = Partition(name="debug", nodes="n1", is_default=True, flags=["DEFAULT"])
    assert partition("v0.0.45", listed)["flags"] == ["DEFAULT"]
    exclusive = partition("v0.0.45", PARTITIONS["exclusive"])
    assert exclusive["flags"] == ["HIDDEN", "REQ_RESV"]
    assert exclusive["partition"] == {
        "exclusive": "USER",
        "oversubscribe": "NO",
        "state": ["DRAIN"],
    }


def test_preemption_and_select_type_by_version() -> None:
    assert partition("v0.0.45", PARTITIONS["exclusive"])["preempt_mode"] == ["CLUSTER_GLOBAL"]
    assert partition("v0.0.45", PARTITIONS["unlimited"])["preempt_mode"] == ["DISABLED"]
    gang = Partition(name="p", nodes="n1", preemption_mode="REQUEUE,GANG")
    assert partition("v0.0.45", gang)["preempt_mode"] == ["REQUEUE"]
    assert "preempt_mode" not in partition("v0.0.44", gang)
    assert "select_type" not in partition("v0.0.40", gang)
    assert partition("v0.0.41", gang)["select_type"] == []
    assert partition("v0.0.45", gang)["select_type"] == ["NONE"]
    assert partition("v0.0.43", gang)["topology"] == ""
    assert partition("v0.0.44", gang)["cpus"]["task_binding"] == 0
    assert partition("v0.0.45", gang)["cpus"]["task_binding"] == []


def test_v0045_prints_oversubscribe_as_removed_fields() -> None:
    assert partition("v0.0.44", PARTITIONS["unlimited"])["maximums"]["shares"] == 1
    maximums = partition("v0.0.45", PARTITIONS["unlimited"])["maximums"]
    assert (maximums["shares"], maximums["oversubscribe"]) == (0, {"jobs": 0, "flags": []})


# -- reservations ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW)
def test_purge_comp_is_a_flag_with_its_time(name: str) -> None:
    row = reservation(name, RESERVATIONS["purge"])
    assert row["flags"] == ["MAINT", "IGNORE_JOBS", "PURGE_COMP"]  # parsers.c's order
    assert row["purge_completed"] == {"time": number(600)}
    assert row["core_specializations"] == [{"node": "n1", "core": "0-1"}]
    assert row["node_list"] == "n[1-2]"
    # Without the flag slurmctld still holds (and prints) its default idle time.
    assert reservation(name, RESERVATION)["purge_completed"] == {"time": number(300)}


def test_reservation_flags_a_version_does_not_know_are_left_out() -> None:
    newer = Reservation(name="r", flags=["MAINT", "NO_MAGNETIC", "FIRST_CORES"])
    assert reservation("v0.0.43", newer)["flags"] == ["MAINT"]
    assert reservation("v0.0.44", newer)["flags"] == ["MAINT", "NO_MAGNETIC"]


def test_watts_is_an_empty_object_until_it_is_gone() -> None:
    for name in NEW[:-1]:
        assert reservation(name, RESERVATION)["watts"] == {}, name
    assert "watts" not in reservation("v0.0.45", RESERVATION)


@pytest.mark.parametrize("name", NEW)
def test_reservation_samples_match_the_documents(name: str) -> None:
    for item in RESERVATIONS.values():
        body = wire(VERSIONS[name].reservations([item], INFO))
        assert_matches_spec(f"/slurm/{name}/reservations", body)


# -- licenses and pings ----------------------------------------------------------------------


def test_licenses_keep_their_capitalised_keys_and_gain_nodes() -> None:
    row: Any = wire(VERSIONS["v0.0.40"].licenses([LICENSE], INFO))["licenses"][0]
    assert (row["LicenseName"], row["Total"], row["Used"], row["Free"], row["Reserved"]) == (
        "matlab",
        10,
        3,
        6,
        1,
    )
    assert "Nodes" not in row
    gone = License(name="x", total=1, used=2)
    assert wire(VERSIONS["v0.0.44"].licenses([gone], INFO))["licenses"][0]["Free"] == 0
    assert wire(VERSIONS["v0.0.44"].licenses([LICENSE], INFO))["licenses"][0]["Nodes"] == ""


def test_pings_say_up_or_down_then_responding_then_a_status() -> None:
    assert [(p["pinged"], p["mode"]) for p in pings("v0.0.40", PINGS)] == [
        ("UP", "primary"),
        ("DOWN", "backup"),
    ]
    assert "responding" not in pings("v0.0.41", PINGS)[0]
    v42 = pings("v0.0.42", PINGS)
    assert [(p["responding"], p["primary"], p["pinged"]) for p in v42] == [
        (True, True, "UP"),
        (False, False, "DOWN"),
    ]
    v45 = pings("v0.0.45", [*PINGS, ControllerPing("ctl3", False, mode="backup2", status=1001)])
    assert [p["status"] for p in v45] == [
        "No error",
        "Unspecified error",
        "Communication connection failure",
    ]
    assert not {"pinged", "mode"} & set(v45[0])


# -- statistics ------------------------------------------------------------------------------


def test_v0040_prints_the_backfill_queue_mean_as_the_table_size_mean() -> None:
    stats = statistics("v0.0.40")
    assert stats["bf_table_size_mean"] == STATS.bf_queue_len_mean
    assert "bf_cycle_max" not in stats
    assert statistics("v0.0.41")["bf_table_size_mean"] == STATS.bf_table_size_mean


def test_rpc_statistics_by_version() -> None:
    old = statistics("v0.0.40")
    assert old["rpcs_by_message_type"] == [
        {"message_type": "REQUEST_PING", "type_id": 1008, "count": 3, "average_time": 10,
         "total_time": 30}
    ]  # fmt: skip
    assert old["rpcs_by_user"][0]["user"] == "alice"
    new = statistics("v0.0.41")
    assert new["rpcs_by_message_type"][0]["average_time"] == number(10)
    assert new["rpcs_by_message_type"][0]["queued"] == 0
    assert new["rpcs_by_user"][0]["average_time"] == number(5)
    assert new["pending_rpcs"] == new["pending_rpcs_by_hostlist"] == []


def test_diag_keys_by_version() -> None:
    assert statistics("v0.0.40")["jobs_submitted"] == 7
    assert statistics("v0.0.40")["bf_active"] is True
    assert statistics("v0.0.40")["req_time"] == number(0)
    assert statistics("v0.0.44")["parts_packed"] == 0
    assert "parts_packed" not in statistics("v0.0.45")
    assert statistics("v0.0.45")["schedule_exit"]["end_job_queue"] == 0


# -- shares ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW)
def test_shares_match_the_documents(name: str) -> None:
    body = shares(name)
    assert_matches_spec(f"/slurm/{name}/shares", body)
    assert body["shares"]["total_shares"] == 1
    root, alice = body["shares"]["shares"]
    assert (root["type"], alice["type"]) == (["ASSOCIATION"], ["USER"])
    assert (root["shares"], alice["shares"]) == (UNSET, number(1))
    assert root["usage_normalized"]["set"] is False
    assert root["tres"]["run_seconds"] == [{"name": "cpu", "value": number(0)}]
    assert root["tres"]["group_minutes"] == [{"name": "cpu", "value": INFINITE}]  # no limit
    assert root["tres"]["usage"] == [{"name": "cpu", "value": 12.5}]


def test_shares_doubles_are_plain_until_v0042() -> None:
    root, alice = shares("v0.0.41")["shares"]["shares"]
    assert root["effective_usage"] == 1.0
    # Unset is slurmctld's NO_VAL as a double; JSON has no infinity: the largest double.
    assert root["fairshare"] == {"factor": 0.0, "level": 4294967294.0}
    assert alice["fairshare"]["level"] == sys.float_info.max
    root, alice = shares("v0.0.42")["shares"]["shares"]
    assert root["effective_usage"] == {"set": True, "infinite": False, "number": 1.0}
    assert root["fairshare"]["level"]["set"] is False
    assert alice["fairshare"]["level"]["infinite"] is True
    assert not math.isinf(alice["fairshare"]["factor"]["number"])


# -- resource layouts ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["v0.0.44", "v0.0.45"])
def test_resource_layouts_match_the_documents(name: str) -> None:
    body = layouts(name)
    assert_matches_spec(f"/slurm/{name}/resources/42", body)
    first, second = body["nodes"]
    # The cores as slurmctld's mask of the node's 8 cores, as the daemons print it.
    assert (first["node"], first["mem_alloc"], first["core_bitmap"]) == ("n1", 1024, "0x0F")
    assert second["core_bitmap"] == "0x2"
    assert first["gres"] == [{"name": "gpu", "type": "a100", "count": 1, "index": "0"}]
    assert (first["channel"], second["channel"]) == (UNSET, number(3))


def test_resource_layouts_are_served_from_v0044_on() -> None:
    assert "resources" not in VERSIONS["v0.0.43"].operations()
    assert "resources" in VERSIONS["v0.0.44"].operations()


# -- the views themselves --------------------------------------------------------------------


def test_no_view_of_these_records_hides_another_of_the_same_name() -> None:
    others = set(views_common.VIEWS) | set(views_dp.VIEWS)
    assert not others & set(views_dp_cluster.VIEWS)
