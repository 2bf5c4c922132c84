"""Compile the binding in a child process: ``python -m slurmgate.backends.slurm.build``.

A child, so the compiler's messages are captured whole (the parent names the first failing
declaration from them) and a failed build cannot leave the gateway half set up. After
compiling, the child loads the module without libslurm (symbols resolve lazily) and lays out
every declared struct: cffi checks each field's size against the compiler's only then, and a
field whose width changed must fail here, at build time, not at the first request.

Arguments: module name, include directory, output directory. Prints the built file's path.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

#: What gcc 14 refuses by default, refused by older compilers too: a call to a function the
#: release no longer declares must fail the build, not return a truncated int at run time.
STRICT_FLAGS = (
    "-Werror=implicit-function-declaration",
    "-Werror=incompatible-pointer-types",
    "-Werror=int-conversion",
)


def compile_module(module_name: str, include_dir: Path, out_dir: Path) -> Path:
    import cffi

    from slurmgate.backends.slurm.binding import declarations
    from slurmgate.backends.slurm.releases import PREAMBLE

    ffi = cffi.FFI()
    ffi.cdef(declarations())
    ffi.set_source(
        module_name,
        PREAMBLE,
        include_dirs=[str(include_dir)],
        extra_compile_args=list(STRICT_FLAGS),
    )
    return Path(ffi.compile(tmpdir=str(out_dir), verbose=False))


def lay_out(module_name: str, path: Path) -> None:
    """Load the module and complete every struct, so cffi compares its field sizes."""
    sys.setdlopenflags(os.RTLD_LAZY)
    loader = importlib.machinery.ExtensionFileLoader(module_name, str(path))
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    if spec is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    ffi: Any = module.ffi
    typedefs, structs, unions = ffi.list_types()
    for name in [*typedefs, *(f"struct {s}" for s in structs), *(f"union {u}" for u in unions)]:
        ctype = ffi.typeof(name)
        if ctype.kind in ("struct", "union"):
            try:
                ffi.sizeof(ctype)  # completing the struct is the check
            except ffi.error as exc:
                if "wrong" in str(exc):
                    raise
                # else an opaque struct (struct xlist ...): no layout to check


def main(argv: list[str]) -> int:
    module_name, include_dir, out_dir = argv
    built = compile_module(module_name, Path(include_dir), Path(out_dir))
    lay_out(module_name, built)
    print(built)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
