"""Build, cache and load the cffi binding to libslurm.

The binding is compiled against the installed ``slurm/slurm.h`` and ``slurm/slurmdb.h``
(package libslurm-dev) with partial struct declarations, so the C compiler, not this file,
decides every struct layout. What differs between releases is selected by the headers'
``SLURM_VERSION_NUMBER`` in one place, ``releases``. The module is built on first use, in a
child process (``build``), and cached by a hash of the declarations, the Slurm version header
and the interpreter, so a Slurm upgrade rebuilds it.

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
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slurmgate.backends.slurm import (
    build,
    cdef_access,
    cdef_accounting,
    cdef_actions,
    cdef_cluster,
    cdef_core,
    cdef_jobs,
    releases,
    shims_accounting,
)
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

#: The releases the binding is tested on; others are tried, and refused if they do not build.
SUPPORTED_RELEASES = releases.SUPPORTED_RELEASES


@dataclass(frozen=True, slots=True)
class Binding:
    """The compiled module's ``ffi`` and ``lib``, and what it was built from."""

    ffi: Any
    lib: Any
    library: Path
    version: tuple[int, int, int]


def declarations() -> str:
    return "\n".join(
        (
            cdef_core.CDEF,
            releases.TYPES_CDEF,
            cdef_jobs.CDEF,
            cdef_cluster.CDEF,
            cdef_access.CDEF,
            cdef_actions.CDEF,
            cdef_accounting.CDEF,
            shims_accounting.CDEF,
            releases.CDEF,
        )
    )


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
                releases.PREAMBLE,
                " ".join(build.STRICT_FLAGS),
                (include_dir / "slurm" / "slurm_version.h").read_text(),
                str(include_dir),
                sys.version,
                _cffi_version(),
            )
        ).encode()
    ).hexdigest()[:16]
    module_name = f"_slurmgate_libslurm_{key}"
    built = _build(cache_dir, module_name, include_dir)
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


def _build(cache_dir: Path, module_name: str, include_dir: Path) -> Path:
    target_dir = cache_dir / module_name
    for existing in target_dir.glob(f"{module_name}*.so") if target_dir.is_dir() else ():
        return existing
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{module_name}-", dir=cache_dir))
    try:
        built = _compile(module_name, include_dir, work)
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


def _compile(module_name: str, include_dir: Path, work: Path) -> Path:
    """The module built by ``build`` in a child; ``ConfigError`` naming what failed."""
    _require_setuptools(include_dir)
    argv = [sys.executable, "-m", "slurmgate.backends.slurm.build", module_name]
    # C locale: the compiler's messages in plain ASCII quotes, for ``first_failure``.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [*argv, str(include_dir), str(work)],
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines and Path(lines[-1]).is_file():
        return Path(lines[-1])
    raise ConfigError(unbindable(include_dir, done.stdout + done.stderr))


def unbindable(include_dir: Path, output: str) -> str:
    """One line: the release found, the releases supported, the first declaration refused."""
    try:
        major, minor, micro = header_version(include_dir)
        release = f"Slurm {major}.{minor:02d}.{micro}"
    except ConfigError:
        release = "an unknown Slurm release"
    return (
        f"{release} ({include_dir}/slurm/slurm.h) cannot be bound by this slurmgate "
        f"(supported releases: {', '.join(SUPPORTED_RELEASES)}): {first_failure(output)}"
    )


_COMPILER_ERROR = re.compile(r"^[^:\n]+:\d+:(?:\d+:)? (?:fatal )?error: (.*)$", re.MULTILINE)
# How gcc and clang name what a declaration expected and the headers lack or type otherwise.
_WHAT = (
    (re.compile(r"'([\w ]+)'(?: \{aka '[^']*'\})? has no member named '(\w+)'"), "{0}.{1}"),
    (re.compile(r"no member named '(\w+)' in '([\w ]+)'"), "{1}.{0}"),
    (re.compile(r"'(\w+)' undeclared"), "{0}"),
    (re.compile(r"use of undeclared identifier '(\w+)'"), "{0}"),
    (re.compile(r"implicit declaration of function '(\w+)'"), "{0}()"),
    (re.compile(r"unknown type name '(\w+)'"), "{0}"),
    (re.compile(r"conflicting types for '(\w+)'"), "{0}()"),
    (re.compile(r"of '(\w+)'"), "{0}()"),
)
# cffi's own refusals: at parse time, and when it compares a field's size with the compiler's.
_CFFI_ERROR = re.compile(r"^(?:\w+\.)*(?:CDefError|FFIError|error|VerificationError): (.*)$", re.M)


def first_failure(output: str) -> str:
    """The first declaration the compiler or cffi refused, and why, from their output."""
    found = _COMPILER_ERROR.search(output)
    if found is not None:
        message = found.group(1).strip()
        for pattern, form in _WHAT:
            named = pattern.search(message)
            if named is not None:
                return f"{form.format(*named.groups())}: {message}"
        return message
    found = _CFFI_ERROR.search(output)
    if found is not None:
        return found.group(1).split(". fix it")[0].strip()
    tail = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return tail[-1] if tail else "the build failed without a message"


def _cffi_version() -> str:
    try:
        import cffi
    except ImportError as exc:
        raise ConfigError("the slurm backend needs the cffi package") from exc
    return str(cffi.__version__)


def _require_setuptools(include_dir: Path) -> None:
    """cffi compiles through setuptools, which Python no longer bundles from 3.12 on."""
    if importlib.util.find_spec("setuptools") is None:
        raise ConfigError(
            f"building the Slurm binding against {include_dir}/slurm/slurm.h needs the "
            "setuptools package (and a C compiler): install slurmgate with its dependencies"
        )
