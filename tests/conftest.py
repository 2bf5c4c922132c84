"""What every test runs inside: a temporary home, and a guard over the real one.

The suite starts gateways, runs jobs and calls ``slurmgate token``; each of those may fall
back on the user's home (a job's default working directory, the default state directory).
Tests run with ``HOME`` (and the XDG directories) pointing at a temporary directory, and each
test is checked afterwards: one that left, removed or changed anything in the real home
fails, naming what it touched.
"""

from __future__ import annotations

import os
import pwd
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

#: How deep below the real home the guard looks: a file a job or a default setting would write
#: (``~/slurm-1.out``, ``~/.local/state/slurmgate``) is within it.
GUARD_DEPTH = 3
#: Caches other programs keep up to date while the suite runs.
GUARD_IGNORED = frozenset({".cache"})
#: The checkout may live in the home; what the suite writes there (caches, hypothesis) is its own.
CHECKOUT = Path(__file__).resolve().parents[1]
_XDG = ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")

Listing = dict[str, tuple[bool, int, int]]


def _real_homes() -> list[Path]:
    homes = {Path(pwd.getpwuid(os.geteuid()).pw_dir)}
    if os.environ.get("HOME"):
        homes.add(Path(os.environ["HOME"]))
    return sorted(home for home in homes if home.is_dir() and home != Path("/"))


def _listing(home: Path) -> Listing:
    """Every entry within ``GUARD_DEPTH`` of ``home``: (is a directory, size, mtime)."""
    found: Listing = {}

    def walk(directory: Path, depth: int) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            if (depth == 1 and entry.name in GUARD_IGNORED) or entry.path == str(CHECKOUT):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            # A directory's size and time change with what is below it, which is listed itself
            # down to GUARD_DEPTH; below that, its time is the only trace.
            below = depth < GUARD_DEPTH
            found[entry.path] = (
                is_dir,
                0 if is_dir else info.st_size,
                0 if is_dir and below else info.st_mtime_ns,
            )
            if is_dir and below:
                walk(Path(entry.path), depth + 1)

    walk(home, 1)
    return found


def _differences(before: Listing, after: Listing) -> list[str]:
    added = [f"left {path}" for path in after.keys() - before.keys()]
    removed = [f"removed {path}" for path in before.keys() - after.keys()]
    changed = [
        f"changed {path}" for path in before.keys() & after.keys() if before[path] != after[path]
    ]
    return sorted(added + removed + changed)


_REAL_HOMES = _real_homes()


@pytest.fixture(scope="session", autouse=True)
def temporary_home() -> Iterator[Path]:
    """``HOME`` and the XDG directories of the whole run, in a temporary directory."""
    saved = {k: os.environ.get(k) for k in ("HOME", *_XDG)}
    with tempfile.TemporaryDirectory(prefix="slurmgate-test-home-") as home:
        os.environ["HOME"] = home
        for name in _XDG:
            os.environ.pop(name, None)
        try:
            yield Path(home)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@pytest.fixture(autouse=True)
def real_home_untouched(temporary_home: Path) -> Iterator[None]:
    """Fails the test that left, removed or changed a file in the real home."""
    before = {home: _listing(home) for home in _REAL_HOMES}
    yield
    touched = [
        change for home in _REAL_HOMES for change in _differences(before[home], _listing(home))
    ]
    if touched:
        pytest.fail("the test touched the real home directory:\n  " + "\n  ".join(touched[:20]))
