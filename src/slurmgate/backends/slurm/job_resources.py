"""A job's allocation, from its opaque ``job_resources_t``: CPUs and cores per node, memory.

Read through functions libslurmfull exports (no header declares them) and the binding's shim
for the CPUs of a node, whose function changed in 24.11 (releases.py).
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from slurmgate.backends.slurm.cvalues import libslurm_function
from slurmgate.domain import InvalidRequest, NodeAllocation, hostlist


class _Functions:
    """What reading job resources calls, resolved once per binding."""

    def __init__(self, ffi: Any, c: Any) -> None:
        self.cpus_on_node = c.slurmgate_cpus_on_node
        self.resources_count = libslurm_function(
            ffi,
            "get_job_resources_cnt",
            "int (*)(job_resources_t *, uint32_t, uint16_t *, uint16_t *)",
        )
        # A node's cores as a bitmap of its own (bitstr_t is int64_t): what every release
        # exports, where get_job_resources_bit went in 26.05.
        self.node_cores = libslurm_function(
            ffi, "copy_job_resources_node", "int64_t *(*)(job_resources_t *, uint32_t)"
        )
        self.bit_test = libslurm_function(ffi, "slurm_bit_test", "int (*)(int64_t *, int64_t)")
        self.bit_free = libslurm_function(ffi, "slurm_bit_free", "void (*)(int64_t **)")
        self.cr_cores = ffi.integer_const("SLURMGATE_CR_CORE") | ffi.integer_const(
            "SLURMGATE_CR_SOCKET"
        )
        self.cr_cpu = ffi.integer_const("SLURMGATE_CR_CPU")


_resolved: dict[int, _Functions] = {}
_resolved_lock = threading.Lock()


def _functions(ffi: Any, c: Any) -> _Functions:
    found = _resolved.get(id(ffi))
    if found is None:
        with _resolved_lock:
            found = _resolved.setdefault(id(ffi), _Functions(ffi, c))
    return found


def allocation_unit(ffi: Any, c: Any) -> str:
    """What slurmctld's select plugin counts allocations in, as slurmrestd reads it from its
    own copy of slurm.conf (libslurm's global ``slurm_conf``)."""
    lib = _functions(ffi, c)
    try:
        address = ctypes.addressof(ctypes.c_char.in_dll(ctypes.CDLL(None), "slurm_conf"))
    except ValueError:
        return "cpus"
    param = ffi.cast("slurm_conf_t *", address).select_type_param
    if param & lib.cr_cores:
        return "cores"
    return "cpus" if param & lib.cr_cpu else ""


_UNITS = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2, "P": 1024**3}


def tres_memory(tres: str) -> int | None:
    """The ``mem=`` of a TRES string in MiB ("cpu=2,mem=8G,node=1" -> 8192), None if absent."""
    for item in tres.split(","):
        name, _, value = item.partition("=")
        if name == "mem" and value:
            unit = value[-1].upper()
            digits = value[:-1] if unit in _UNITS else value
            try:
                return int(float(digits) * _UNITS.get(unit, 1))
            except ValueError:
                return None
    return None


def allocations(
    ffi: Any,
    c: Any,
    info: Any,
    nodes: str,
    memory: tuple[int | None, int | None],
    tres_alloc: str,
) -> list[NodeAllocation]:
    """Per node of ``nodes``: CPUs, memory and cores the job has there."""
    if not nodes or info.job_resrcs == ffi.NULL:
        return []
    lib = _functions(ffi, c)
    try:
        names = hostlist.expand(nodes)
    except InvalidRequest:
        return []
    # Per-node allocated memory is not in slurm.h's view of job_resources: the allocated TRES
    # give the total, and the request how it splits (select/cons_tres gives each node the
    # per-node amount, or its CPUs times the per-CPU amount).
    total = tres_memory(tres_alloc)
    per_node, per_cpu = memory
    allocations = []
    sockets = ffi.new("uint16_t *")
    cores_per_socket = ffi.new("uint16_t *")
    for index, name in enumerate(names):
        cpus = max(lib.cpus_on_node(info.job_resrcs, index), 0)
        cores: tuple[tuple[int, int], ...] | None = None
        if lib.resources_count(info.job_resrcs, index, sockets, cores_per_socket) == 0:
            cores = _cores(lib, ffi, info.job_resrcs, index, sockets[0], cores_per_socket[0])
        if len(names) == 1 and total is not None:
            mem = total
        elif per_node is not None:
            mem = per_node
        elif per_cpu is not None:
            mem = cpus * per_cpu
        else:
            mem = (total or 0) // len(names)
        allocations.append(NodeAllocation(node_name=name, cpus=cpus, memory=mem, cores=cores))
    return allocations


def _cores(
    lib: _Functions, ffi: Any, resources: Any, index: int, sockets: int, per_socket: int
) -> tuple[tuple[int, int], ...] | None:
    """(socket, core) of each core the job has on its ``index``-th node."""
    bitmap = lib.node_cores(resources, index)
    if bitmap == ffi.NULL:
        return None
    try:
        return tuple(
            (socket, core)
            for socket in range(sockets)
            for core in range(per_socket)
            if lib.bit_test(bitmap, socket * per_socket + core) == 1
        )
    finally:
        lib.bit_free(ffi.new("int64_t **", bitmap))
