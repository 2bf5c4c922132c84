"""``nodes`` and ``partitions``, as ``sinfo -N`` and ``sinfo`` print them."""

from __future__ import annotations

import argparse
import json
from typing import Any

from slurmgate.cli.client import formats
from slurmgate.cli.client.records import Record, infinite, number, section, text, words
from slurmgate.cli.client.session import Session


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    nodes = commands.add_parser(
        "nodes", parents=[common], help="list nodes, as sinfo -N",
        description="List the cluster's nodes: state, CPUs and memory in use, partitions.",
    )  # fmt: skip
    nodes.add_argument("--json", action="store_true", help="the nodes' records as JSON")
    partitions = commands.add_parser(
        "partitions", parents=[common], help="list partitions, as sinfo",
        description="List the cluster's partitions; the default one is marked with *.",
    )  # fmt: skip
    partitions.add_argument("--json", action="store_true", help="the partitions' records as JSON")


def _read(session: Session, what: str) -> list[Record]:
    version = session.server().version
    answer = session.transport.call("GET", f"/slurm/{version}/{what}", f"listing {what}").json()
    found = (answer or {}).get(what) or []
    return list(found)


def node_state(record: Record) -> str:
    """``idle``, ``mixed+drain``: the base state then its flags, lower case as sinfo."""
    states = words(record.get("state")) + words(record.get("state_flags"))
    seen = list(dict.fromkeys(states))
    return "+".join(s.lower() for s in seen) or "unknown"


def nodes(args: argparse.Namespace, session: Session) -> int:
    found = sorted(_read(session, "nodes"), key=lambda n: text(n.get("name")))
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    rows = [
        [
            text(n.get("name")),
            node_state(n),
            f"{number(n.get('alloc_cpus')) or 0}/{number(n.get('cpus')) or 0}",
            f"{number(n.get('alloc_memory')) or 0}/{number(n.get('real_memory')) or 0}",
            text(n.get("partitions")),
            text(n.get("reason")),
        ]
        for n in found
    ]
    headers = ["NODELIST", "STATE", "CPUS(A/T)", "MEMORY(A/T)", "PARTITIONS", "REASON"]
    print(formats.table(headers, rows, _painter(session, 1)))
    return 0


#: slurmctld's partition states: PARTITION_SUBMIT (1) | PARTITION_SCHED (2).
_STATE_NUMBERS = {3: "UP", 1: "DOWN", 2: "DRAIN", 0: "INACTIVE"}


def partition_row(record: Record) -> list[str]:
    """PARTITION, AVAIL, TIMELIMIT, NODES, CPUS, NODELIST of either family's record."""
    inner = section(record, "partition")
    state = words(inner.get("state")) or words(record.get("state"))
    if not state and isinstance(record.get("nodes_online"), int):
        # v0.0.36 prints the state only as slurmctld's number, under this odd name.
        state = [_STATE_NUMBERS.get(record["nodes_online"], "unknown")]
    flags = words(record.get("flags")) + words(inner.get("flags"))
    maximums = section(record, "maximums")
    max_time = maximums.get("time") if maximums else record.get("max_time_limit")
    time_limit = None if infinite(max_time) else number(max_time)
    if time_limit is not None and time_limit < 0:  # v0.0.36-38: -1 is no limit
        time_limit = None
    node_info = record.get("nodes")
    if isinstance(node_info, dict):
        node_list, node_count = text(node_info.get("configured")), number(node_info.get("total"))
    else:
        node_list, node_count = text(node_info), number(record.get("total_nodes"))
    cpus = record.get("cpus")
    cpu_count = (
        number(cpus.get("total")) if isinstance(cpus, dict) else number(record.get("total_cpus"))
    )
    name = text(record.get("name")) + ("*" if "DEFAULT" in flags else "")
    return [
        name,
        (state[0] if state else "unknown").lower(),
        formats.limit(time_limit),
        str(node_count or 0),
        str(cpu_count or 0),
        node_list,
    ]


def partitions(args: argparse.Namespace, session: Session) -> int:
    found = _read(session, "partitions")
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    rows = [partition_row(p) for p in found]
    headers = ["PARTITION", "AVAIL", "TIMELIMIT", "NODES", "CPUS", "NODELIST"]
    print(formats.table(headers, rows, _painter(session, 1)))
    return 0


def _painter(session: Session, column: int) -> Any:
    def paint(index: int, cell: str, padded: str) -> str:
        if index != column:
            return padded
        return session.paint(padded, cell.split("+")[-1] if "+" in cell else cell)

    return paint
