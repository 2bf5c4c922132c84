"""Never a file the user could not read: the checks of output/files.py one by one, as root
for another user, and through a gateway whose jobs run as that user."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from slurmgate.domain import Conflict, NotFound, PermissionDenied
from slurmgate.output.files import Identity, identity, open_for
from tests.push.conftest import GatewayFactory, reachable_directory

USER = "nobody"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="acts for another user: run as root")


@pytest.fixture
def place() -> Iterator[Path]:
    path = reachable_directory("slurmgate-files-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def who() -> Identity:
    return identity(USER)


def _file(path: Path, mode: int, owner: str = "root") -> Path:
    path.write_bytes(b"content\n")
    entry = pwd.getpwnam(owner)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    os.chmod(path, mode)
    return path


def _read(path: Path, who: Identity) -> bytes:
    fd, _ = open_for(str(path), who)
    try:
        return os.read(fd, 100)
    finally:
        os.close(fd)


def test_modes_decide_as_the_kernel_would(place: Path, who: Identity) -> None:
    assert _read(_file(place / "public", 0o644), who) == b"content\n"
    with pytest.raises(PermissionDenied, match="may not read"):
        _read(_file(place / "private", 0o600), who)
    # The owner's bits alone apply to the owner, even where others may read.
    with pytest.raises(PermissionDenied, match="may not read"):
        _read(_file(place / "not-for-owner", 0o044, USER), who)
    assert _read(_file(place / "own", 0o400, USER), who) == b"content\n"
    assert _read(_file(place / "secret", 0o600), identity("root")) == b"content\n"


def test_a_directory_the_user_may_not_search_hides_its_files(place: Path, who: Identity) -> None:
    closed = place / "closed"
    closed.mkdir(mode=0o700)
    inside = _file(closed / "readable", 0o644)
    with pytest.raises(PermissionDenied, match="may not search"):
        _read(inside, who)


def test_links_fifos_and_missing_files(place: Path, who: Identity) -> None:
    secret = _file(place / "secret", 0o600)
    (place / "link").symlink_to(secret)
    with pytest.raises(PermissionDenied, match="symbolic link"):
        _read(place / "link", who)
    os.mkfifo(place / "fifo")
    os.chmod(place / "fifo", 0o666)
    with pytest.raises(Conflict, match="not a regular file"):
        _read(place / "fifo", who)
    with pytest.raises(NotFound):
        _read(place / "missing", who)
    # A link to a directory above the file is followed, as the user's own open follows it.
    (place / "dir-link").symlink_to(place)
    assert _read(place / "dir-link" / _file(place / "shown", 0o644).name, who) == b"content\n"


@pytest.mark.skipif(shutil.which("setfacl") is None, reason="setfacl is not installed")
def test_an_access_acl_is_applied(place: Path, who: Identity) -> None:
    granted = _file(place / "granted", 0o600)
    subprocess.run(["setfacl", "-m", f"u:{USER}:r", str(granted)], check=True)
    assert _read(granted, who) == b"content\n"
    masked = _file(place / "masked", 0o600)
    subprocess.run(["setfacl", "-m", f"u:{USER}:r,m::-", str(masked)], check=True)
    with pytest.raises(PermissionDenied):
        _read(masked, who)


def test_through_the_gateway_a_user_is_refused_what_they_may_not_read(
    gateway_with: GatewayFactory,
) -> None:
    gateway = gateway_with()
    script = '#!/bin/sh\necho secret\nchmod 044 "$(pwd)/slurm-$SLURM_JOB_ID.out"\n'
    job_id = gateway.submit(script, user=USER)
    gateway.wait_until_ended(job_id)
    url = f"{gateway.base_url}/slurmgate/v1/job/{job_id}/output"
    refused = httpx.get(url, headers=gateway.headers(USER))
    assert refused.status_code == 403, refused.text
    assert "may not read" in refused.json()["errors"][0]["description"]
    # root, an administrator, reads it: the gateway itself could all along.
    assert httpx.get(url, headers=gateway.headers("root")).content == b"secret\n"
    readable = gateway.submit("#!/bin/sh\necho mine\n", user=USER)
    gateway.wait_until_ended(readable)
    answer = httpx.get(
        f"{gateway.base_url}/slurmgate/v1/job/{readable}/output", headers=gateway.headers(USER)
    )
    assert answer.status_code == 200 and answer.content == b"mine\n"
