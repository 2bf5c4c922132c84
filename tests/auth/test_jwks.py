"""RS256 tokens of an OIDC provider, checked with its JWKS file; no key confusion either way."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from slurmgate.auth.jwks import JwksKeys, parse_jwks
from slurmgate.auth.keyring import HmacKey
from slurmgate.auth.tokens import TokenVerifier, mint
from slurmgate.domain.errors import AuthError, ConfigError
from tests.security.token_gateway import hs256_by_hand, jwk, write_jwks

SLURM_KEY = bytes(range(64))
NOW = 1_700_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def provider_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def next_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_file(tmp_path: Path, provider_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "jwks.json"
    write_jwks(path, [jwk(provider_key, "kc-1")])
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(jwks_file: Path, clock: Clock) -> TokenVerifier:
    return TokenVerifier(
        SLURM_KEY,
        keys=[HmacKey("hs-1", bytes(range(3, 67)))],
        jwks=JwksKeys(jwks_file, clock=clock),
        user_claim="preferred_username",
        clock=clock,
    )


def oidc(key: Any, kid: str | None = "kc-1", **claims: Any) -> str:
    body = {"iat": NOW, "exp": NOW + 300, "preferred_username": "alice", **claims}
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(body, key, algorithm="RS256", headers=headers)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_rs256_token_of_the_provider_is_accepted(
    verifier: TokenVerifier, provider_key: rsa.RSAPrivateKey
) -> None:
    claims = verifier.verify(oidc(provider_key))
    assert (claims.user_name, claims.algorithm, claims.key_id) == ("alice", "RS256", "kc-1")


def test_user_comes_from_the_configured_claim(
    verifier: TokenVerifier, provider_key: rsa.RSAPrivateKey
) -> None:
    token = oidc(provider_key, preferred_username=None, sun="root")
    with pytest.raises(AuthError, match="names no user .preferred_username claim"):
        verifier.verify(token)


def test_default_user_claim_is_slurms(jwks_file: Path, provider_key: rsa.RSAPrivateKey) -> None:
    verifier = TokenVerifier(SLURM_KEY, jwks=JwksKeys(jwks_file), clock=lambda: NOW)
    assert verifier.verify(oidc(provider_key, sun="bob")).user_name == "bob"
    assert verifier.verify(oidc(provider_key, username="carol")).user_name == "carol"


def test_slurm_tokens_keep_working_beside_the_jwks(verifier: TokenVerifier) -> None:
    assert verifier.verify(mint(SLURM_KEY, "alice", 60, NOW)).algorithm == "HS256"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no kid", "names no key"),
        ("unknown kid", "JWKS file lacks"),
        ("another RSA key", "signature does not match"),
    ],
)
def test_rs256_tokens_the_jwks_does_not_vouch_for_are_refused(
    verifier: TokenVerifier,
    next_key: rsa.RSAPrivateKey,
    provider_key: rsa.RSAPrivateKey,
    case: str,
    message: str,
) -> None:
    token = {
        "no kid": lambda: oidc(provider_key, kid=None),
        "unknown kid": lambda: oidc(provider_key, kid="kc-9"),
        "another RSA key": lambda: oidc(next_key),
    }[case]()
    with pytest.raises(AuthError, match=message):
        verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_refused(
    verifier: TokenVerifier, provider_key: rsa.RSAPrivateKey
) -> None:
    claims = {"iat": NOW, "exp": NOW + 300, "sun": "root", "preferred_username": "root"}
    with_kid = hs256_by_hand({"alg": "HS256", "kid": "kc-1"}, claims, pem(provider_key))
    with pytest.raises(AuthError, match="does not match its key, an RS256 key"):
        verifier.verify(with_kid)
    without_kid = hs256_by_hand({"alg": "HS256"}, claims, pem(provider_key))
    with pytest.raises(AuthError, match="signature does not match"):
        verifier.verify(without_kid)


def test_rs256_header_never_reaches_an_hmac_secret(verifier: TokenVerifier) -> None:
    claims = {"iat": NOW, "exp": NOW + 300, "preferred_username": "root"}
    for kid, secret in (("hs-1", bytes(range(3, 67))), (None, SLURM_KEY)):
        header: dict[str, Any] = {"alg": "RS256", **({"kid": kid} if kid else {})}
        with pytest.raises(AuthError):
            verifier.verify(hs256_by_hand(header, claims, secret))


def test_rs256_is_refused_without_a_jwks(provider_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(AuthError, match="RS256 is not supported: only HS256 is accepted"):
        TokenVerifier(SLURM_KEY, clock=lambda: NOW).verify(oidc(provider_key))


def test_a_changed_jwks_file_is_read_again(
    verifier: TokenVerifier,
    jwks_file: Path,
    clock: Clock,
    provider_key: rsa.RSAPrivateKey,
    next_key: rsa.RSAPrivateKey,
) -> None:
    old = oidc(provider_key)
    assert verifier.verify(old).user_name == "alice"  # cached from now on
    write_jwks(jwks_file, [jwk(next_key, "kc-2")])  # the provider's key rollover
    clock.now += 1.5
    assert verifier.verify(oidc(next_key, kid="kc-2")).key_id == "kc-2"
    with pytest.raises(AuthError, match="JWKS file lacks"):
        verifier.verify(old)


def test_a_broken_jwks_file_keeps_the_previous_keys(
    verifier: TokenVerifier,
    jwks_file: Path,
    clock: Clock,
    provider_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jwks_file.write_text("{not json")
    clock.now += 1.5
    with caplog.at_level(logging.WARNING, logger="slurmgate.auth"):
        assert verifier.verify(oidc(provider_key)).user_name == "alice"
    assert "is not JSON; keeping the previous keys" in caplog.text


def test_jwks_file_writable_by_others_is_refused(jwks_file: Path) -> None:
    os.chmod(jwks_file, 0o666)
    with pytest.raises(ConfigError, match="writable by group or others"):
        JwksKeys(jwks_file)


def test_missing_jwks_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"jwks.json \(auth.jwks_file\) does not exist"):
        JwksKeys(tmp_path / "jwks.json")


def test_only_rs256_signing_keys_are_taken(
    provider_key: rsa.RSAPrivateKey, next_key: rsa.RSAPrivateKey
) -> None:
    ec_key = json.loads(
        jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    )
    document = {
        "keys": [
            jwk(provider_key, "sig"),
            {**jwk(next_key, "enc"), "use": "enc"},
            {**jwk(next_key, "ps"), "alg": "PS256"},
            {**ec_key, "kid": "ec"},
            "not a key",
        ]
    }
    assert sorted(parse_jwks(json.dumps(document).encode(), "test")) == ["sig"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[]", 'no "keys" list'),
        ('{"keys": []}', "no RS256 signing key"),
        ('{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}', "has no kid"),
        ('{"keys": [{"kty": "RSA", "kid": "x", "n": "!!", "e": "AQAB"}]}', "not a valid RSA key"),
    ],
)
def test_bad_jwks_documents_are_refused(document: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_jwks(document.encode(), "test")


def test_short_rsa_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    with pytest.raises(ConfigError, match="1024 bits"):
        parse_jwks(json.dumps({"keys": [jwk(small, "small")]}).encode(), "test")


def test_private_members_of_a_jwk_are_ignored(provider_key: rsa.RSAPrivateKey) -> None:
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider_key))
    keys = parse_jwks(json.dumps({"keys": [{**private, "kid": "p"}]}).encode(), "test")
    assert keys["p"].public_numbers() == provider_key.public_key().public_numbers()
