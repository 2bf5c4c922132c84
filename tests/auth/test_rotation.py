"""Several HS256 keys by kid, the primary one signing; retirement; the maximum lifespan."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jwt
import pytest

from slurmgate.auth.issuer import TokenIssuer
from slurmgate.auth.keyring import HmacKey, KeyRing, load_rotation_keys
from slurmgate.auth.setup import build_auth
from slurmgate.auth.tokens import INFINITE_LIFESPAN, TokenVerifier, mint
from slurmgate.config import SigningKey, load_settings
from slurmgate.domain.errors import AuthError, ConfigError, InvalidRequest

SLURM_KEY = bytes(range(64))
OLD = HmacKey("2025-a", bytes(range(1, 65)), retire_after=1_700_000_600)
NEW = HmacKey("2025-b", bytes(range(2, 66)), primary=True)
NOW = 1_700_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(clock: Clock) -> TokenVerifier:
    return TokenVerifier(SLURM_KEY, keys=[OLD, NEW], clock=clock)


def test_token_names_its_key_and_is_checked_with_it(verifier: TokenVerifier) -> None:
    token = mint(NEW.secret, "alice", 300, NOW, kid=NEW.kid)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": NEW.kid, "typ": "JWT"}
    claims = verifier.verify(token)
    assert (claims.user_name, claims.key_id) == ("alice", NEW.kid)


def test_scontrol_tokens_without_kid_use_the_default_key(verifier: TokenVerifier) -> None:
    assert verifier.verify(mint(SLURM_KEY, "alice", 300, NOW)).key_id is None
    with pytest.raises(AuthError, match="signature does not match"):
        verifier.verify(mint(NEW.secret, "alice", 300, NOW))  # a rotation key, but no kid


def test_a_kid_must_match_its_own_key(verifier: TokenVerifier) -> None:
    with pytest.raises(AuthError, match="signature does not match"):
        verifier.verify(mint(SLURM_KEY, "alice", 300, NOW, kid=NEW.kid))


def test_unknown_kid_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(AuthError, match="signing key .kid header. this gateway does not have"):
        verifier.verify(mint(NEW.secret, "alice", 300, NOW, kid="2024-z"))


def test_retired_key_is_refused_with_a_clear_reason(verifier: TokenVerifier, clock: Clock) -> None:
    token = mint(OLD.secret, "alice", 3600, NOW, kid=OLD.kid)
    assert verifier.verify(token).user_name == "alice"  # within its grace period, and cached
    clock.now = OLD.retire_after or 0
    with pytest.raises(
        AuthError, match="signed with key '2025-a', retired since 2023-11-14T22:23:20Z"
    ):
        verifier.verify(token)


def test_keyring_signs_with_the_primary_key() -> None:
    assert KeyRing(SLURM_KEY, [OLD, NEW]).signing is NEW
    assert KeyRing(SLURM_KEY, [OLD]).signing.kid is None  # no primary: Slurm's key, no kid
    with pytest.raises(ValueError, match="both primary"):
        KeyRing(SLURM_KEY, [NEW, HmacKey("c", b"c" * 32, primary=True)])
    with pytest.raises(ValueError, match="kid"):
        KeyRing(SLURM_KEY, [NEW, NEW])


def test_issuer_mints_with_the_primary_kid_and_a_random_jti(verifier: TokenVerifier) -> None:
    issuer = TokenIssuer(NEW, default_lifespan=600, clock=lambda: time.time())
    first, second = issuer.issue("alice"), issuer.issue("alice")
    assert jwt.get_unverified_header(first.token)["kid"] == NEW.kid
    assert first.jti != second.jti and len(first.jti) >= 20
    claims = TokenVerifier(SLURM_KEY, keys=[NEW]).verify(first.token)
    assert (claims.token_id, claims.expires_at - (claims.issued_at or 0)) == (first.jti, 600)
    assert first.token not in repr(first)


def test_mint_without_kid_and_jti_is_what_scontrol_prints() -> None:
    header, payload, _ = mint(SLURM_KEY, "alice", 60, NOW).split(".")
    assert header == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    claims = json.loads(jwt.utils.base64url_decode(payload))
    assert list(claims) == ["exp", "iat", "sun"]
    with_jti = jwt.decode(mint(SLURM_KEY, "a", 60, jti="x"), SLURM_KEY, algorithms=["HS256"])
    assert list(with_jti) == ["exp", "iat", "jti", "sun"]


# -- key files -----------------------------------------------------------------------------


def _key_file(path: Path, mode: int = 0o600) -> Path:
    path.write_bytes(os.urandom(64))
    os.chmod(path, mode)
    return path


def test_rotation_key_files_get_the_default_keys_checks(tmp_path: Path) -> None:
    good = _key_file(tmp_path / "good.key")
    loose = _key_file(tmp_path / "loose.key", 0o644)
    assert load_rotation_keys([SigningKey(kid="a", path=good)])[0].secret == good.read_bytes()
    with pytest.raises(ConfigError, match="accessible by group or others"):
        load_rotation_keys([SigningKey(kid="b", path=loose)])
    with pytest.raises(ConfigError, match=r"\(auth.keys, kid c\) does not exist"):
        load_rotation_keys([SigningKey(kid="c", path=tmp_path / "missing")])
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 8)
    os.chmod(short, 0o600)
    with pytest.raises(ConfigError, match="at least 32"):
        load_rotation_keys([SigningKey(kid="d", path=short)])


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"keys": [{"kid": "a", "path": "/k"}, {"kid": "a", "path": "/l"}]}, "more than once"),
        (
            {
                "keys": [
                    {"kid": "a", "path": "/k", "primary": True},
                    {"kid": "b", "path": "/l", "primary": True},
                ]
            },
            "only one key may be primary",
        ),
        (
            {"keys": [{"kid": "a", "path": "/k", "primary": True, "retire_after": 1}]},
            "primary key a cannot have retire_after",
        ),
        ({"default_lifespan": 7200, "max_lifespan": 3600}, "exceeds max_lifespan"),
        ({"user_claim": ""}, "user_claim"),
    ],
)
def test_inconsistent_key_settings_are_refused(auth: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(auth=auth)


def test_gateway_auth_is_built_from_the_settings(tmp_path: Path) -> None:
    default = _key_file(tmp_path / "jwt_hs256.key")
    new = _key_file(tmp_path / "new.key")
    settings = load_settings(
        state_dir=tmp_path,
        auth={
            "jwt_key": default,
            "max_lifespan": 3600,
            "keys": [{"kid": "new", "path": new, "primary": True}],
        },
    )
    auth = build_auth(settings)
    try:
        issued = auth.issuer.issue("alice", 3600)
        assert auth.verifier.verify(issued.token).key_id == "new"
        assert auth.verifier.verify(mint(default.read_bytes(), "bob", 60)).user_name == "bob"
        assert (tmp_path / "revocations.db").exists()
    finally:
        auth.close()


# -- the maximum lifespan ------------------------------------------------------------------


def test_token_longer_lived_than_the_maximum_is_refused() -> None:
    verifier = TokenVerifier(SLURM_KEY, max_lifespan=3600, clock=lambda: NOW + 10)
    assert verifier.verify(mint(SLURM_KEY, "alice", 3600, NOW)).user_name == "alice"
    with pytest.raises(AuthError, match="lifespan of 3601 seconds exceeds the maximum of 3600"):
        verifier.verify(mint(SLURM_KEY, "alice", 3601, NOW))
    with pytest.raises(AuthError, match="exceeds the maximum"):
        verifier.verify(mint(SLURM_KEY, "alice", None, NOW))


def test_an_issue_time_in_the_future_does_not_stretch_the_maximum() -> None:
    verifier = TokenVerifier(SLURM_KEY, max_lifespan=3600, clock=lambda: NOW)
    with pytest.raises(AuthError, match="exceeds the maximum"):
        verifier.verify(mint(SLURM_KEY, "alice", 3600, NOW + 86400))


def test_with_a_maximum_tokens_need_an_issue_time() -> None:
    no_iat = jwt.encode({"exp": NOW + 60, "sun": "alice"}, SLURM_KEY, algorithm="HS256")
    assert TokenVerifier(SLURM_KEY, clock=lambda: NOW).verify(no_iat).issued_at is None
    with pytest.raises(AuthError, match="no issue time"):
        TokenVerifier(SLURM_KEY, max_lifespan=60, clock=lambda: NOW).verify(no_iat)


def test_issuer_refuses_lifespans_over_the_maximum_and_infinite() -> None:
    issuer = TokenIssuer(NEW, default_lifespan=600, max_lifespan=3600)
    assert issuer.check_lifespan(3600) == 3600
    with pytest.raises(InvalidRequest, match="3601 seconds exceeds the maximum of 3600"):
        issuer.issue("alice", 3601)
    with pytest.raises(InvalidRequest, match="infinite lifespan is not allowed"):
        issuer.issue("alice", infinite=True)
    unbounded = TokenIssuer(NEW, default_lifespan=600)
    assert unbounded.check_lifespan(None) == INFINITE_LIFESPAN
    for bad in (0, -1, INFINITE_LIFESPAN + 1):
        with pytest.raises(InvalidRequest, match="lifespan must be"):
            unbounded.check_lifespan(bad)
