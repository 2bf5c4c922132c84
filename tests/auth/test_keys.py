"""Loading and creating the HS256 key file (Slurm's jwt_hs256.key)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from slurmgate.auth.keys import MIN_KEY_BYTES, NEW_KEY_BYTES, ensure_key, load_key
from slurmgate.domain.errors import ConfigError


def write_key(path: Path, data: bytes = b"k" * 32, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def test_key_bytes_are_used_as_they_are(tmp_path: Path) -> None:
    data = bytes(range(256))  # arbitrary bytes, NULs and newlines included, as dd writes them
    assert load_key(write_key(tmp_path / "jwt_hs256.key", data)) == data


def test_read_only_key_is_accepted(tmp_path: Path) -> None:
    assert load_key(write_key(tmp_path / "k", mode=0o400)) == b"k" * 32


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o666, 0o620, 0o602])
def test_key_open_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = write_key(tmp_path / "jwt_hs256.key", mode=mode)
    with pytest.raises(ConfigError) as caught:
        load_key(path)
    assert str(path) in caught.value.description
    assert f"chmod 600 {path}" in caught.value.description


def test_key_owned_by_someone_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_key(tmp_path / "jwt_hs256.key")
    someone_else = os.stat(path).st_uid + 4242
    monkeypatch.setattr(os, "geteuid", lambda: someone_else)
    with pytest.raises(ConfigError) as caught:
        load_key(path)
    assert str(path) in caught.value.description
    assert "chown" in caught.value.description


def test_root_may_read_a_key_owned_by_another_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_key(tmp_path / "jwt_hs256.key")
    if os.geteuid() == 0:
        os.chown(path, 4242, 4242)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert load_key(path) == b"k" * 32


def test_empty_key_is_refused(tmp_path: Path) -> None:
    path = write_key(tmp_path / "jwt_hs256.key", b"")
    with pytest.raises(ConfigError, match="is empty"):
        load_key(path)


def test_short_key_is_refused_with_a_way_to_make_a_good_one(tmp_path: Path) -> None:
    path = write_key(tmp_path / "jwt_hs256.key", b"x" * (MIN_KEY_BYTES - 1))
    with pytest.raises(ConfigError) as caught:
        load_key(path)
    assert f"{MIN_KEY_BYTES - 1} bytes" in caught.value.description
    assert "dd if=/dev/urandom" in caught.value.description


def test_missing_key_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_key(tmp_path / "nope.key")
    assert "nope.key" in caught.value.description
    assert "--jwt-key" in caught.value.description


def test_directory_is_not_a_key(tmp_path: Path) -> None:
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(ConfigError):
        load_key(directory)


def test_ensure_key_creates_a_private_random_key(tmp_path: Path) -> None:
    path = tmp_path / "state" / "jwt_hs256.key"
    assert ensure_key(path) is True
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = load_key(path)
    assert len(data) == NEW_KEY_BYTES
    assert [p.name for p in path.parent.iterdir()] == ["jwt_hs256.key"]  # no temp file left


def test_ensure_key_keeps_an_existing_key(tmp_path: Path) -> None:
    path = write_key(tmp_path / "jwt_hs256.key", b"z" * 40)
    assert ensure_key(path) is False
    assert path.read_bytes() == b"z" * 40


def test_fresh_keys_differ(tmp_path: Path) -> None:
    ensure_key(tmp_path / "a")
    ensure_key(tmp_path / "b")
    assert (tmp_path / "a").read_bytes() != (tmp_path / "b").read_bytes()


def test_concurrent_ensure_key_settles_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "state" / "jwt_hs256.key"
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(ensure_key(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    assert len(load_key(path)) == NEW_KEY_BYTES
    assert [p.name for p in path.parent.iterdir()] == ["jwt_hs256.key"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a file for another user")
def test_root_creates_the_key_for_the_owner_of_the_state_dir(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    os.chown(state, 4242, 4343)
    path = state / "jwt_hs256.key"
    ensure_key(path)
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (4242, 4343)


def test_fifo_is_not_a_key(tmp_path: Path) -> None:
    fifo = tmp_path / "jwt_hs256.key"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_key(fifo)
