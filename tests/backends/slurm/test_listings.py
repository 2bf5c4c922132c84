"""Listings from slurmctld: the whole table, or word that nothing changed since a time.

slurmctld stamps each table it sends with the time it packed it; passing that stamp back gets
SLURM_NO_CHANGE_IN_DATA until the table changes. Other users share the lab cluster, so a table
may change between two loads: the tests retry until one quiet moment shows the answer.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from slurmgate.backends.base import Listing
from tests.backends.slurm.lab_backend import LabBackend
from tests.support.lab import slurm_client_env

KINDS = ("jobs", "nodes", "partitions", "reservations", "licenses")
#: Seconds to wait for one load-and-check that no other user's change interrupts.
QUIET = 60.0

Lister = Callable[..., Awaitable[Listing[Any]]]


def _lister(lab_backend: LabBackend, kind: str) -> Lister:
    lister: Lister = getattr(lab_backend.backend, f"list_{kind}")
    return lister


async def _unchanged_since(list_: Lister, lab_backend: LabBackend) -> tuple[int, Listing[Any]]:
    """A listing's stamp and the answer to passing it straight back, once nothing changed."""
    principal = lab_backend.service
    deadline = time.monotonic() + QUIET
    stamp = (await list_(principal)).last_update
    while True:
        again = await list_(principal, updated_since=stamp)
        if not again.changed:
            return stamp, again
        assert time.monotonic() < deadline, "the table kept changing"
        stamp = again.last_update
        await asyncio.sleep(1)  # a change in the stamp's own second is sent again


@pytest.mark.parametrize("kind", KINDS)
async def test_a_first_listing_is_the_whole_table(lab_backend: LabBackend, kind: str) -> None:
    listing = await _lister(lab_backend, kind)(lab_backend.service)
    assert listing.changed and listing.items  # the lab has one of each, at least
    assert abs(listing.last_update - time.time()) < 60


@pytest.mark.parametrize("kind", KINDS)
async def test_passing_back_last_update_says_unchanged(lab_backend: LabBackend, kind: str) -> None:
    stamp, again = await _unchanged_since(_lister(lab_backend, kind), lab_backend)
    assert again == Listing([], stamp, changed=False)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_earlier_time_gets_the_whole_table(lab_backend: LabBackend, kind: str) -> None:
    list_ = _lister(lab_backend, kind)
    stamp, _ = await _unchanged_since(list_, lab_backend)
    whole = await list_(lab_backend.service, updated_since=1)
    assert whole.changed and whole.items and whole.last_update >= stamp


async def test_nodes_change_when_only_partitions_change(lab_backend: LabBackend) -> None:
    # Each node names its partitions, so a partition update must reach the node listing too.
    backend, principal = lab_backend.backend, lab_backend.service
    stamp, _ = await _unchanged_since(backend.list_nodes, lab_backend)
    short = await backend.get_partition(principal, "short")
    # Setting MaxTime to its own value changes nothing but the partition table's time.
    subprocess.run(
        ["scontrol", "update", "PartitionName=short", f"MaxTime={short.max_time or 'UNLIMITED'}"],
        check=True,
        capture_output=True,
        env=slurm_client_env(),
    )
    nodes = await backend.list_nodes(principal, updated_since=stamp)
    assert nodes.changed
    assert [node.partitions for node in nodes.items] == [["debug", "gpu", "short"]]
    assert nodes.last_update >= stamp
