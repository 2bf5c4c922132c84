"""The ``slurmgate`` command: ``token``, ``version`` and how ``serve`` refuses to start."""

from __future__ import annotations

import json
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from slurmgate import __version__
from slurmgate.auth.keys import ensure_key, load_key
from slurmgate.auth.tokens import INFINITE_LIFESPAN, TokenVerifier
from slurmgate.cli.main import main


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller's SLURMGATE_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("SLURMGATE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def exported(stdout: str) -> dict[str, str]:
    """What `export $(slurmgate token ...)` puts in the environment."""
    variables = {}
    for word in shlex.split(stdout):  # the shell's word splitting of $(...)
        name, sep, value = word.partition("=")
        assert sep, f"`export {word}` would not set a variable"
        variables[name] = value
    return variables


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("slurmgate: error: ")
    return lines[0]


def me() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """Run the command as the non-root user "alice" (the real uid when not root)."""
    uid = os.geteuid() if os.geteuid() != 0 else 4242
    real_getpwuid = pwd.getpwuid

    def getpwuid(wanted: int) -> pwd.struct_passwd:
        if wanted == uid:
            return pwd.struct_passwd(("alice", "x", uid, uid, "", "/nonexistent", "/bin/sh"))
        return real_getpwuid(wanted)

    monkeypatch.setattr(pwd, "getpwuid", getpwuid)
    monkeypatch.setattr(os, "geteuid", lambda: uid)
    yield "alice", uid


def key_for(state_dir: Path, uid: int) -> Path:
    path = state_dir / "jwt_hs256.key"
    ensure_key(path)
    if os.stat(path).st_uid != uid:
        os.chown(path, uid, -1)  # reachable only as real root, see as_user
    return path


def test_version_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["version"], capsys) == (0, f"slurmgate {__version__}\n", "")


def test_token_prints_what_export_understands(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["token", "--state-dir", str(state_dir), "lifespan=3600"], capsys)
    assert status == 0
    assert out.startswith("SLURM_JWT=eyJ") and out.endswith("\n") and out.count("\n") == 1
    token = exported(out)["SLURM_JWT"]
    claims = TokenVerifier(load_key(state_dir / "jwt_hs256.key")).verify(token)
    assert claims.user_name == me()
    assert claims.issued_at is not None
    assert claims.expires_at - claims.issued_at == 3600


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_export_of_token_output_sets_slurm_jwt_in_a_real_shell(state_dir: Path) -> None:
    command = [sys.executable, "-m", "slurmgate.cli", "token", "--state-dir", str(state_dir)]
    script = f"unset SLURM_JWT; export $({shlex.join(command)} lifespan=3600); printenv SLURM_JWT"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURMGATE_")}
    result = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    claims = TokenVerifier(load_key(state_dir / "jwt_hs256.key")).verify(result.stdout.strip())
    assert claims.user_name == me()


def test_token_creates_the_embedded_key_before_the_first_serve(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["token", "--state-dir", str(state_dir)], capsys)
    assert status == 0
    key = state_dir / "jwt_hs256.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert f"created a new JWT key {key}" in err
    run(["token", "--state-dir", str(state_dir)], capsys)
    assert capsys.readouterr().err == ""  # the second time, the key is there


def test_token_lives_the_default_lifespan(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = exported(run(["token", "--state-dir", str(state_dir)], capsys)[1])["SLURM_JWT"]
    claims = TokenVerifier(load_key(state_dir / "jwt_hs256.key")).verify(token)
    assert claims.issued_at is not None
    assert claims.expires_at - claims.issued_at == 1800


def test_token_default_lifespan_comes_from_settings(
    state_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "slurmgate.toml"
    config.write_text("[auth]\ndefault_lifespan = 60\n")
    argv = ["token", "--state-dir", str(state_dir), "--config", str(config)]
    key = state_dir / "jwt_hs256.key"

    def lifespan() -> int:
        token = exported(run(argv, capsys)[1])["SLURM_JWT"]
        claims = TokenVerifier(load_key(key)).verify(token)
        assert claims.issued_at is not None
        return claims.expires_at - claims.issued_at

    assert lifespan() == 60
    monkeypatch.setenv("SLURMGATE_AUTH__DEFAULT_LIFESPAN", "90")
    assert lifespan() == 90


@pytest.mark.parametrize("word", ["lifespan=infinite", "LIFESPAN=Unlimited"])
def test_infinite_token_as_scontrol_makes_it(
    state_dir: Path, capsys: pytest.CaptureFixture[str], word: str
) -> None:
    token = exported(run(["token", "--state-dir", str(state_dir), word], capsys)[1])["SLURM_JWT"]
    claims = TokenVerifier(load_key(state_dir / "jwt_hs256.key")).verify(token)
    assert claims.issued_at is not None
    assert claims.expires_at - claims.issued_at == INFINITE_LIFESPAN


def test_token_uses_the_configured_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "jwt_hs256.key"
    key.write_bytes(b"s" * 32)
    key.chmod(0o600)
    status, out, _ = run(["token", "--jwt-key", str(key), "--state-dir", str(tmp_path)], capsys)
    assert status == 0
    assert TokenVerifier(b"s" * 32).verify(exported(out)["SLURM_JWT"]).user_name == me()


def test_token_refuses_an_unsafe_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "jwt_hs256.key"
    key.write_bytes(b"s" * 32)
    key.chmod(0o644)
    status, out, err = run(["token", "--jwt-key", str(key)], capsys)
    assert (status, out) == (1, "")
    assert f"chmod 600 {key}" in one_line(err)


def test_token_with_a_missing_key_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["token", "--jwt-key", str(tmp_path / "missing.key")], capsys)
    assert (status, out) == (1, "")
    assert "missing.key does not exist" in one_line(err)


def test_user_may_name_themselves(
    state_dir: Path, capsys: pytest.CaptureFixture[str], as_user: tuple[str, int]
) -> None:
    key = key_for(state_dir, as_user[1])
    status, out, _ = run(["token", "--state-dir", str(state_dir), "username=alice"], capsys)
    assert status == 0
    assert TokenVerifier(load_key(key)).verify(exported(out)["SLURM_JWT"]).user_name == "alice"


def test_user_cannot_mint_a_token_for_someone_else(
    state_dir: Path, capsys: pytest.CaptureFixture[str], as_user: tuple[str, int]
) -> None:
    key_for(state_dir, as_user[1])
    status, out, err = run(["token", "--state-dir", str(state_dir), "username=bob"], capsys)
    assert (status, out) == (1, "")
    assert "user alice may not create a token for user bob" in one_line(err)


def test_configured_admin_may_mint_a_token_for_someone_else(
    state_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    as_user: tuple[str, int],
) -> None:
    key = key_for(state_dir, as_user[1])
    monkeypatch.setenv("SLURMGATE_AUTH__ADMINS", json.dumps(["root", "alice"]))
    status, out, _ = run(["token", "--state-dir", str(state_dir), "username=bob"], capsys)
    assert status == 0
    assert TokenVerifier(load_key(key)).verify(exported(out)["SLURM_JWT"]).user_name == "bob"


@pytest.mark.skipif(os.geteuid() != 0, reason="root's privilege needs root")
def test_root_may_mint_a_token_for_anyone(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(["token", "--state-dir", str(state_dir), "username=bob"], capsys)
    assert status == 0
    key = load_key(state_dir / "jwt_hs256.key")
    assert TokenVerifier(key).verify(exported(out)["SLURM_JWT"]).user_name == "bob"


@pytest.mark.parametrize(
    "word", ["lifespan=0", "lifespan=-1", "lifespan=soon", f"lifespan={2**31}", "user=bob", "x"]
)
def test_bad_token_option_is_a_usage_error(
    state_dir: Path, capsys: pytest.CaptureFixture[str], word: str
) -> None:
    status, out, err = run(["token", "--state-dir", str(state_dir), word], capsys)
    assert (status, out) == (2, "")
    assert word.split("=")[-1] in one_line(err)


def test_bad_settings_exit_2_naming_the_setting(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["serve", "--state-dir", str(state_dir), "--listen", "nowhere"], capsys)
    assert status == 2
    assert "listen" in one_line(err)
    assert not state_dir.exists()


@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [
        ("SLURMGATE_LISTEN", "6820", "listen"),
        ("SLURMGATE_LOG_LEVEL", "loud", "log_level"),
        ("SLURMGATE_BACKEND", "pbs", "backend"),
        ("SLURMGATE_ALLOW_ROOT", "perhaps", "allow_root"),
        ("SLURMGATE_AUTH__DEFAULT_LIFESPAN", "0", "auth.default_lifespan"),
    ],
)
def test_bad_environment_exits_2_naming_the_setting(
    state_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    setting: str,
) -> None:
    monkeypatch.setenv(variable, value)
    for command in ("serve", "token"):
        status, out, err = run([command, "--state-dir", str(state_dir)], capsys)
        assert (status, out) == (2, "")
        assert f" {setting}: " in one_line(err)


def test_bad_config_file_exits_2_naming_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "slurmgate.toml"
    config.write_text('listen = ":6820"\n[local]\nkill_wait = -1\n')
    status, _, err = run(["serve", "--config", str(config)], capsys)
    assert status == 2
    assert "local.kill_wait" in one_line(err)


def test_flag_beats_environment(
    state_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURMGATE_LISTEN", "nowhere")
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # stop at the root check, before serving
    status, _, err = run(["serve", "--state-dir", str(state_dir), "--listen", ":6820"], capsys)
    assert status == 1
    assert "root" in one_line(err)


def test_serve_refuses_to_run_as_root(
    state_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    status, out, err = run(["serve", "--state-dir", str(state_dir)], capsys)
    assert (status, out) == (1, "")
    line = one_line(err)
    assert "should not be run as the root user" in line
    assert "--allow-root" in line
    assert not state_dir.exists()  # refused before touching anything


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_root_may_serve_when_allowed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    argv = ["serve", "--jwt-key", str(tmp_path / "missing.key")]
    if how == "flag":
        argv.append("--allow-root")
    else:
        monkeypatch.setenv("SLURMGATE_ALLOW_ROOT", "true")
    status, _, err = run(argv, capsys)
    # Past the root check, it stops at the key: serving is not what this test is about.
    assert status == 1
    assert "missing.key does not exist" in one_line(err)


def test_serve_refuses_an_unsafe_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "jwt_hs256.key"
    key.write_bytes(b"s" * 32)
    key.chmod(0o640)
    status, _, err = run(["serve", "--allow-root", "--jwt-key", str(key)], capsys)
    assert status == 1
    assert f"chmod 600 {key}" in one_line(err)


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run([], capsys)
    assert status == 2
    assert "serve" in err and "token" in err
