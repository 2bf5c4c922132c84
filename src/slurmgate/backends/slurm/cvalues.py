"""Reading C values: strings that may be NULL and numbers with Slurm's sentinels.

Slurm marks "not set" as NO_VAL (all ones but the last bit) and "unlimited" as INFINITE (all
ones), at every integer width.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

NO_VAL8, INFINITE8 = 0xFE, 0xFF
NO_VAL16, INFINITE16 = 0xFFFE, 0xFFFF
NO_VAL, INFINITE = 0xFFFFFFFE, 0xFFFFFFFF
NO_VAL64, INFINITE64 = 0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF


def text(ffi: Any, pointer: Any) -> str:
    """A C string, "" for NULL; undecodable bytes are replaced rather than refused."""
    if pointer == ffi.NULL:
        return ""
    return bytes(ffi.string(pointer)).decode("utf-8", errors="replace")


def number(value: int, bits: int = 32) -> int | None:
    """``value`` or None when it is NO_VAL or INFINITE at width ``bits``."""
    infinite = (1 << bits) - 1
    return None if value in (infinite, infinite - 1) else value


def count(value: int, bits: int = 32) -> int:
    """``value``, or 0 when it is a sentinel: for counters Slurm leaves unset."""
    found = number(value, bits)
    return 0 if found is None else found


def cstring(ffi: Any, keep: list[Any], value: str | None) -> Any:
    """A NUL-terminated copy of ``value`` kept alive by ``keep``, or NULL for None."""
    if value is None:
        return ffi.NULL
    data = value.encode()
    if b"\0" in data:
        raise ValueError("a NUL character cannot reach Slurm")
    pointer = ffi.new("char[]", data)
    keep.append(pointer)
    return pointer


def pointer(ffi: Any, record: Any) -> Any:
    """A pointer to ``record``, which may be a struct (an array item) or a pointer already:
    what a C function taking the struct needs."""
    return record if ffi.typeof(record).kind == "pointer" else ffi.addressof(record)


_functions: dict[tuple[int, str, str], Any] = {}
_functions_lock = threading.Lock()


def libslurm_function(ffi: Any, name: str, signature: str) -> Any:
    """A libslurm function that slurm.h does not declare, callable through ``ffi``.

    The API-mode module can only bind what the header declares; libslurmfull exports more
    (job_state_string, the sbatch option parsers). ``binding.load`` opened it RTLD_GLOBAL,
    so the process's global symbols have them. ``signature`` must match Slurm's prototype.
    """
    key = (id(ffi), name, signature)
    found = _functions.get(key)
    if found is None:
        with _functions_lock:
            address = ctypes.cast(getattr(ctypes.CDLL(None), name), ctypes.c_void_p).value
            found = _functions.setdefault(key, (ffi, ffi.cast(signature, address)))
    return found[1]
