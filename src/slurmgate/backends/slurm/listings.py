"""Whole tables from slurmctld as ``Listing``s, loaded only when they changed.

Every load passes on the caller's ``updated_since``. slurmctld 22.05 answers
SLURM_NO_CHANGE_IN_DATA when the table last changed before that second (proc_req.c:
``(last_update - 1) >= last_job_update`` and its like), else sends the whole table stamped with
the time it packed it. That stamp is the listing's ``last_update``: passing it back asks for
the table again only if it changed since, a change in the very second of the stamp included.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack
from typing import Any

from slurmgate.backends.base import Listing
from slurmgate.backends.slurm import cluster_read, jobs_read
from slurmgate.backends.slurm.client import Call
from slurmgate.domain import Job, License, Node, Partition, Reservation

Message = AbstractContextManager[Any]


def unchanged(updated_since: int) -> Listing[Any]:
    """slurmctld's SLURM_NO_CHANGE_IN_DATA: the caller's copy as of ``updated_since`` holds."""
    return Listing([], updated_since, changed=False)


def jobs(
    call: Call, updated_since: int, cluster: str, known: jobs_read.KnownJobs | None = None
) -> Listing[Job]:
    """Jobs; with ``known``, only the records that changed since the last load are
    converted (jobs_read.KnownJobs)."""
    lib = call.lib
    with call.loaded(
        "job_info_msg_t",
        lambda out: lib.slurm_load_jobs(updated_since, out, lib.SHOW_ALL | lib.SHOW_DETAIL),
        lib.slurm_free_job_info_msg,
        "slurm_load_jobs",
    ) as msg:
        if msg is None:
            return unchanged(updated_since)
        found = jobs_read.jobs_from_msg(call.ffi, lib, msg, cluster, known)
        return Listing(found, int(msg.last_update))


def nodes(call: Call, updated_since: int) -> Listing[Node]:
    """Nodes, each naming its partitions: those come from the partition table.

    So the listing has changed when either table has. Both are asked; a change to one
    reloads the other in full. Its ``last_update`` is the earlier of the two messages' stamps,
    so that passing it back cannot miss a change made between the two loads (at worst the
    next call reloads what it already has).
    """
    with ExitStack() as stack:
        node_msg = stack.enter_context(_node_msg(call, updated_since))
        if node_msg is None:
            part_msg = stack.enter_context(_partition_msg(call, updated_since))
            if part_msg is None:
                return unchanged(updated_since)
            node_msg = stack.enter_context(_node_msg(call, 0))
        else:
            part_msg = stack.enter_context(_partition_msg(call, 0))
        return Listing(
            cluster_read.nodes_from_msg(call.ffi, call.lib, node_msg, part_msg),
            min(int(node_msg.last_update), int(part_msg.last_update)),
        )


def partitions(call: Call, updated_since: int) -> Listing[Partition]:
    with _partition_msg(call, updated_since) as msg:
        if msg is None:
            return unchanged(updated_since)
        found = cluster_read.partitions_from_msg(call.ffi, call.lib, msg)
        return Listing(found, int(msg.last_update))


def reservations(call: Call, updated_since: int) -> Listing[Reservation]:
    lib = call.lib
    with call.loaded(
        "reserve_info_msg_t",
        lambda out: lib.slurm_load_reservations(updated_since, out),
        lib.slurm_free_reservation_info_msg,
        "slurm_load_reservations",
    ) as msg:
        if msg is None:
            return unchanged(updated_since)
        found = cluster_read.reservations_from_msg(call.ffi, lib, msg)
        return Listing(found, int(msg.last_update))


def licenses(call: Call, updated_since: int) -> Listing[License]:
    lib = call.lib
    with call.loaded(
        "license_info_msg_t",
        lambda out: lib.slurm_load_licenses(updated_since, out, lib.SHOW_ALL),
        lib.slurm_free_license_info_msg,
        "slurm_load_licenses",
    ) as msg:
        if msg is None:
            return unchanged(updated_since)
        return Listing(cluster_read.licenses_from_msg(call.ffi, lib, msg), int(msg.last_update))


def _node_msg(call: Call, updated_since: int) -> Message:
    lib = call.lib
    # SHOW_MIXED: a partly allocated node reads as mixed, as v0.0.37+ load nodes.
    flags = lib.SHOW_ALL | lib.SHOW_DETAIL | lib.SHOW_MIXED
    return call.loaded(
        "node_info_msg_t",
        lambda out: lib.slurm_load_node(updated_since, out, flags),
        lib.slurm_free_node_info_msg,
        "slurm_load_node",
    )


def _partition_msg(call: Call, updated_since: int) -> Message:
    lib = call.lib
    return call.loaded(
        "partition_info_msg_t",
        lambda out: lib.slurm_load_partitions(updated_since, out, lib.SHOW_ALL),
        lib.slurm_free_partition_info_msg,
        "slurm_load_partitions",
    )
