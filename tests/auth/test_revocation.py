"""The revocation list: by token id, by user and time, persisted, shared between processes."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from slurmgate.auth.revocation import PRUNE_AFTER, RevocationStore, keep_until, parse_before
from slurmgate.auth.tokens import Claims, TokenVerifier, mint
from slurmgate.cli.main import main
from slurmgate.domain.errors import AuthError

KEY = bytes(range(64))
NOW = 1_700_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "revocations.db"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Path, clock: Clock) -> RevocationStore:
    return RevocationStore(db, clock=clock)


def verifier_for(store: RevocationStore, clock: Clock) -> TokenVerifier:
    return TokenVerifier(KEY, revocations=store, clock=clock)


def token(user: str = "alice", *, jti: str | None = "id-1", issued: int = NOW) -> str:
    return mint(KEY, user, 600, issued, jti=jti)


def test_revoked_token_id_is_refused(store: RevocationStore, clock: Clock) -> None:
    verifier = verifier_for(store, clock)
    store.revoke_token("id-1", by="root")
    with pytest.raises(AuthError, match="token has been revoked"):
        verifier.verify(token(jti="id-1"))
    assert verifier.verify(token(jti="id-2")).token_id == "id-2"


def test_revocation_is_honoured_even_when_the_token_is_cached(
    store: RevocationStore, clock: Clock
) -> None:
    verifier = verifier_for(store, clock)
    good = token()
    assert verifier.verify(good).user_name == "alice"
    store.revoke_token("id-1", by="root")
    with pytest.raises(AuthError, match="revoked"):
        verifier.verify(good)


def test_user_tokens_issued_before_the_cutoff_are_refused(
    store: RevocationStore, clock: Clock
) -> None:
    verifier = verifier_for(store, clock)
    slurm_token = mint(KEY, "alice", 600, NOW - 10)  # Slurm's tokens have no jti
    assert verifier.verify(slurm_token).user_name == "alice"
    store.revoke_user("alice", NOW, by="root")
    with pytest.raises(AuthError, match="tokens of user alice issued before"):
        verifier.verify(slurm_token)
    assert verifier.verify(token(issued=NOW)).user_name == "alice"  # iat == cutoff: kept
    assert verifier.verify(token("bob", issued=NOW - 10)).user_name == "bob"


def test_token_without_issue_time_is_refused_once_its_user_is_cut_off(
    store: RevocationStore, clock: Clock
) -> None:
    import jwt

    verifier = verifier_for(store, clock)
    no_iat = jwt.encode({"exp": NOW + 60, "sun": "alice"}, KEY, algorithm="HS256")
    store.revoke_user("alice", NOW - 3600, by="root")
    with pytest.raises(AuthError, match="revoked"):
        verifier.verify(no_iat)


def test_a_cutoff_only_moves_forward(store: RevocationStore) -> None:
    store.revoke_user("alice", NOW, by="root")
    assert store.revoke_user("alice", NOW - 100, by="root").before == NOW
    assert store.revoke_user("alice", NOW + 100, by="root").before == NOW + 100


def test_revocations_survive_a_restart(db: Path, clock: Clock) -> None:
    first = RevocationStore(db, clock=clock)
    first.revoke_token("id-1", by="root")
    first.revoke_user("bob", NOW, by="root")
    first.close()
    again = RevocationStore(db, clock=clock)
    tokens, users = again.entries()
    assert [t.jti for t in tokens] == ["id-1"]
    assert [(u.user, u.before, u.revoked_by) for u in users] == [("bob", NOW, "root")]


def test_another_process_revocation_is_seen_within_the_check_interval(
    db: Path, clock: Clock
) -> None:
    gateway = RevocationStore(db, clock=clock)
    verifier = verifier_for(gateway, clock)
    good = token()
    assert verifier.verify(good).user_name == "alice"  # also sets the next check a second on
    RevocationStore(db, clock=clock).revoke_token("id-1", by="admin")  # "the shell"
    clock.now += 0.5
    assert verifier.verify(good).user_name == "alice"  # not looked for yet: at most once a second
    clock.now += 0.6
    with pytest.raises(AuthError, match="revoked"):
        verifier.verify(good)


def test_expired_token_ids_are_pruned(store: RevocationStore, clock: Clock) -> None:
    store.revoke_token("old", by="root", expires_at=NOW + 10)
    store.revoke_token("forever", by="root")
    clock.now += 10 + PRUNE_AFTER + 1
    store.revoke_token("new", by="root", expires_at=int(clock.now) + 600)
    assert sorted(t.jti for t in store.entries()[0]) == ["forever", "new"]


def test_the_database_is_private(db: Path, store: RevocationStore) -> None:
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_before_takes_a_unix_time_or_now() -> None:
    assert parse_before("now", NOW + 0.7) == NOW
    assert parse_before("1700000123", NOW) == 1700000123
    assert parse_before(5, NOW) == 5
    for bad in ("soon", -1, True, 1.5, None):
        with pytest.raises(ValueError, match="before"):
            parse_before(bad, NOW)


def test_revoked_ids_are_kept_as_long_as_a_token_can_live() -> None:
    assert keep_until(None, 0, NOW) is None
    assert keep_until(3600, 30, NOW) == NOW + 3630


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("SLURMGATE_"):
            monkeypatch.delenv(name)
    return tmp_path / "state"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_revokes_a_token_id(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["token", "revoke", "jti=abc", "--state-dir", str(state_dir)], capsys)
    assert (status, out) == (0, "revoked token abc\n")
    claims = Claims("alice", NOW, NOW + 60, token_id="abc")
    assert RevocationStore(state_dir / "revocations.db").revoked(claims, time.time())


def test_cli_revokes_a_users_tokens_and_lists_them(
    state_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURMGATE_AUTH__ADMINS", json.dumps(["root", _me()]))
    argv = ["token", "revoke", "username=bob", f"before={NOW}", "--state-dir", str(state_dir)]
    status, out, _ = run(argv, capsys)
    assert status == 0
    assert out == "revoked the tokens of user bob issued before 2023-11-14T22:13:20Z (1700000000)\n"
    status, out, _ = run(["token", "list-revoked", "--state-dir", str(state_dir)], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["KIND", "SUBJECT", "UNTIL/BEFORE", "REVOKED", "AT", "BY"]
    assert lines[1].split()[:3] == ["user", "bob", "2023-11-14T22:13:20Z"]


def test_cli_non_admin_may_revoke_only_their_own_tokens(
    state_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pwd

    uid = 4242
    monkeypatch.setattr(os, "geteuid", lambda: uid)
    monkeypatch.setattr(
        pwd, "getpwuid", lambda _: pwd.struct_passwd(("alice", "x", uid, uid, "", "/", "/bin/sh"))
    )
    status, _, err = run(["token", "revoke", "username=bob", "--state-dir", str(state_dir)], capsys)
    assert status == 1
    assert "user alice may not revoke the tokens of user bob" in err
    status, out, _ = run(
        ["token", "revoke", "username=alice", "--state-dir", str(state_dir)], capsys
    )
    assert status == 0 and "revoked the tokens of user alice" in out


@pytest.mark.parametrize(
    "words",
    [
        [],
        ["jti=a", "username=b"],
        ["jti=a", "before=now"],
        ["username=b", "before=soon"],
        ["jti="],
        ["user=bob"],
    ],
)
def test_cli_bad_revoke_is_a_usage_error(
    state_dir: Path, capsys: pytest.CaptureFixture[str], words: list[str]
) -> None:
    status, out, err = run(["token", "revoke", *words, "--state-dir", str(state_dir)], capsys)
    assert (status, out) == (2, "")
    assert err.startswith("slurmgate: error: ")


def _me() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name
