"""Build, cache and load the cffi binding to libslurm.

The binding is compiled against the installed ``slurm/slurm.h`` and ``slurm/slurmdb.h``
(package libslurm-dev) with partial struct declarations, so the C compiler, not this file,
decides every struct layout: the same declarations build against any release whose fields keep
their names. It is built on first use and cached by a hash of the declarations, the Slurm
version header and the interpreter, so a Slurm upgrade rebuilds it.

``libslurmfull.so`` is loaded with RTLD_GLOBAL before the extension module: the module leaves
its Slurm symbols unresolved and libslurm's plugins look ``slurm_conf`` up globally. slurmrestd
links the library before libc; a Python process loads it after, hence RTLD_DEEPBIND too.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slurmgate.backends.slurm import cdef_access, cdef_cluster, cdef_core, cdef_jobs
from slurmgate.domain.errors import ConfigError

#: Where distributions install the library that exports Slurm's whole client API.
LIBRARY_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/slurm-wlm/libslurmfull.so",
    "/usr/lib/aarch64-linux-gnu/slurm-wlm/libslurmfull.so",
    "/usr/lib64/slurm/libslurmfull.so",
    "/usr/lib/slurm/libslurmfull.so",
    "/usr/local/lib/slurm/libslurmfull.so",
)
INCLUDE_CANDIDATES = ("/usr/include", "/usr/local/include")

#: Versions whose headers the declarations are known to compile against.
SUPPORTED_RELEASES = ("22.05",)

_PREAMBLE = """
#include <stdint.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurmdb.h>
/* Not in slurm.h: the per-thread credential slurmrestd itself sets for each request. */
extern int auth_g_thread_config(const char *token, const char *username);
extern void auth_g_thread_clear(void);
"""


@dataclass(frozen=True, slots=True)
class Binding:
    """The compiled module's ``ffi`` and ``lib``, and what it was built from."""

    ffi: Any
    lib: Any
    library: Path
    version: tuple[int, int, int]


def declarations() -> str:
    return "\n".join((cdef_core.CDEF, cdef_jobs.CDEF, cdef_cluster.CDEF, cdef_access.CDEF))


def find_library(configured: Path | None) -> Path:
    if configured is not None:
        if not configured.is_file():
            raise ConfigError(f"slurm.library {configured} does not exist")
        return configured
    for candidate in LIBRARY_CANDIDATES:
        if os.path.isfile(candidate):
            return Path(candidate)
    raise ConfigError(
        "libslurmfull.so was not found (looked in "
        + ", ".join(LIBRARY_CANDIDATES)
        + "); install Slurm's client libraries or set slurm.library"
    )


def find_include_dir(configured: Path | None) -> Path:
    candidates = [configured] if configured is not None else [Path(p) for p in INCLUDE_CANDIDATES]
    for candidate in candidates:
        if (candidate / "slurm" / "slurm.h").is_file():
            return candidate
    raise ConfigError(
        "slurm/slurm.h was not found; install Slurm's development headers "
        "(Debian: libslurm-dev, RPM: slurm-devel) or set slurm.include_dir"
    )


def header_version(include_dir: Path) -> tuple[int, int, int]:
    for line in (include_dir / "slurm" / "slurm_version.h").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[:2] == ["#define", "SLURM_VERSION_NUMBER"]:
            number = int(parts[2], 0)
            return (number >> 16) & 0xFF, (number >> 8) & 0xFF, number & 0xFF
    raise ConfigError(f"{include_dir}/slurm/slurm_version.h has no SLURM_VERSION_NUMBER")


_lock = threading.Lock()
_loaded: Binding | None = None


def load(
    cache_dir: Path, *, library: Path | None = None, include_dir: Path | None = None
) -> Binding:
    """The process's one binding, built into ``cache_dir`` if needed, libslurm initialised."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load(cache_dir, find_library(library), find_include_dir(include_dir))
        return _loaded


def _load(cache_dir: Path, library: Path, include_dir: Path) -> Binding:
    version = header_version(include_dir)
    source = declarations()
    key = hashlib.sha256(
        "\0".join(
            (
                source,
                _PREAMBLE,
                (include_dir / "slurm" / "slurm_version.h").read_text(),
                str(include_dir),
                sys.version,
                _cffi_version(),
            )
        ).encode()
    ).hexdigest()[:16]
    module_name = f"_slurmgate_libslurm_{key}"
    built = _build(cache_dir, module_name, source, include_dir)
    # The module resolves its Slurm symbols against this globally loaded library. DEEPBIND:
    # libslurm's own calls to its log function ``error`` must not bind to glibc's error(3),
    # found first in the interpreter's scope, which would end the process.
    ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL | os.RTLD_DEEPBIND)
    spec = importlib.util.spec_from_file_location(
        module_name, built, loader=importlib.machinery.ExtensionFileLoader(module_name, str(built))
    )
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load the Slurm binding {built}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ffi, lib = module.ffi, module.lib
    # The client side uses auth/jwt only when SLURM_JWT is set when libslurm starts; each call
    # then sends the token its thread was given (auth_g_thread_config).
    os.environ.setdefault("SLURM_JWT", "daemon")
    lib.slurm_init(ffi.NULL)
    return Binding(ffi=ffi, lib=lib, library=library, version=version)


def _build(cache_dir: Path, module_name: str, source: str, include_dir: Path) -> Path:
    target_dir = cache_dir / module_name
    for existing in target_dir.glob(f"{module_name}*.so") if target_dir.is_dir() else ():
        return existing
    import cffi  # only the slurm backend needs a compiler and cffi's builder

    ffi = cffi.FFI()
    ffi.cdef(source)
    ffi.set_source(module_name, _PREAMBLE, include_dirs=[str(include_dir)])
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{module_name}-", dir=cache_dir))
    try:
        try:
            built = Path(ffi.compile(tmpdir=str(work), verbose=False))
        except Exception as exc:  # cffi raises VerificationError and compiler errors
            raise ConfigError(
                f"building the Slurm binding against {include_dir}/slurm/slurm.h failed "
                f"(a C compiler and Python headers are needed): {exc}"
            ) from exc
        staged = work / "out"
        staged.mkdir()
        shutil.move(str(built), staged / built.name)
        try:
            os.rename(staged, target_dir)  # atomic: a concurrent builder may win, equally good
        except OSError:
            if not target_dir.is_dir():
                raise
        return next(target_dir.glob(f"{module_name}*.so"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cffi_version() -> str:
    try:
        import cffi
    except ImportError as exc:
        raise ConfigError("the slurm backend needs the cffi package") from exc
    return str(cffi.__version__)
