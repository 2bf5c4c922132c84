"""Minting and verifying Slurm's JWTs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from slurmgate.auth.tokens import INFINITE_LIFESPAN, Claims, TokenVerifier, mint
from slurmgate.domain.errors import AuthError

KEY = bytes(range(64))
OTHER_KEY = bytes(range(1, 65))
NOW = 1_700_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, object], dict[str, object]]:
    header, payload, _ = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "==")),
        json.loads(base64.urlsafe_b64decode(payload + "==")),
    )


def hand_made(header: dict[str, object], claims: dict[str, object], key: bytes = KEY) -> str:
    """A token signed with HMAC-SHA256 whatever its header claims, for alg-confusion cases."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def fresh_claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    return {"exp": now + 600, "iat": now, "sun": "alice", **extra}


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(KEY, admins=["root", "slurm"])


def test_minted_token_has_scontrol_token_shape() -> None:
    token = mint(KEY, "alice", 1800, now=NOW)
    header_segment, payload_segment, _ = token.split(".")
    # What libjwt writes for slurmctld: sorted keys, compact JSON.
    assert header_segment == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    assert payload_segment == b64(b'{"exp":1700001800,"iat":1700000000,"sun":"alice"}')


def test_minted_token_is_a_standard_hs256_jwt() -> None:
    token = mint(KEY, "alice", 1800)
    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    assert set(claims) == {"exp", "iat", "sun"}
    assert claims["exp"] - claims["iat"] == 1800
    assert claims["sun"] == "alice"


def test_mint_verify_round_trip(verifier: TokenVerifier) -> None:
    now = int(time.time())
    claims = verifier.verify(mint(KEY, "alice", 60, now=now))
    assert claims == Claims(user_name="alice", issued_at=now, expires_at=now + 60)


def test_infinite_lifespan_is_what_scontrol_asks_for(verifier: TokenVerifier) -> None:
    token = mint(KEY, "alice", None, now=NOW)
    _, claims = segments(token)
    assert claims["exp"] == NOW + 2**31 - 2
    assert verifier.verify(mint(KEY, "alice", None)).expires_at > time.time() + 60 * 365 * 86400


@pytest.mark.parametrize("lifespan", [0, -5, INFINITE_LIFESPAN + 1])
def test_lifespan_out_of_range_is_refused(lifespan: int) -> None:
    with pytest.raises(ValueError, match="lifespan"):
        mint(KEY, "alice", lifespan)


def test_token_from_another_issuer_with_username_claim_is_accepted(
    verifier: TokenVerifier,
) -> None:
    now = int(time.time())
    token = jwt.encode({"exp": now + 60, "username": "bob"}, KEY, algorithm="HS256")
    assert verifier.verify(token) == Claims(user_name="bob", issued_at=None, expires_at=now + 60)


def test_sun_is_preferred_over_username(verifier: TokenVerifier) -> None:
    token = jwt.encode(fresh_claims(sun="alice", username="bob"), KEY, algorithm="HS256")
    assert verifier.verify(token).user_name == "alice"


def test_key_that_looks_like_a_pem_file_works_as_slurm_uses_it() -> None:
    # Some sites create jwt_hs256.key with `openssl genrsa`; slurmctld uses its bytes as they are.
    pem = b"-----BEGIN PRIVATE KEY-----\n" + b"A" * 64 + b"\n-----END PRIVATE KEY-----\n"
    assert TokenVerifier(pem).verify(mint(pem, "alice", 60)).user_name == "alice"


def _alg_none() -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(fresh_claims()).encode())}."


def _tampered() -> str:
    header, _, signature = mint(KEY, "alice", 600).split(".")
    return f"{header}.{b64(json.dumps(fresh_claims(sun='root')).encode())}.{signature}"


BAD_TOKENS = {
    "alg none": (_alg_none, "algorithm none is not supported"),
    "alg none, capitalised": (
        lambda: hand_made({"alg": "None", "typ": "JWT"}, fresh_claims()),
        "algorithm is not supported",
    ),
    "no alg": (lambda: hand_made({"typ": "JWT"}, fresh_claims()), "algorithm is not supported"),
    "wrong key": (
        lambda: jwt.encode(fresh_claims(), OTHER_KEY, algorithm="HS256"),
        "signature does not match",
    ),
    "HS512": (lambda: jwt.encode(fresh_claims(), KEY, algorithm="HS512"), "HS512 is not supported"),
    "HS384": (lambda: jwt.encode(fresh_claims(), KEY, algorithm="HS384"), "HS384 is not supported"),
    "RS256 header, HMAC signature": (
        lambda: hand_made({"alg": "RS256", "typ": "JWT"}, fresh_claims()),
        "RS256 is not supported",
    ),
    "expired": (lambda: mint(KEY, "alice", 60, now=int(time.time()) - 120), "expired"),
    "no exp": (
        lambda: jwt.encode({"iat": int(time.time()), "sun": "alice"}, KEY, algorithm="HS256"),
        "no expiration",
    ),
    "exp not a number": (
        lambda: hand_made({"alg": "HS256"}, fresh_claims(exp="tomorrow")),
        "not an integer",
    ),
    "not valid yet": (
        lambda: jwt.encode(fresh_claims(nbf=int(time.time()) + 600), KEY, algorithm="HS256"),
        "not valid yet",
    ),
    "no user claim": (
        lambda: jwt.encode({"exp": int(time.time()) + 60}, KEY, algorithm="HS256"),
        "names no user",
    ),
    "empty user": (lambda: jwt.encode(fresh_claims(sun=""), KEY, algorithm="HS256"), "no user"),
    "user not a string": (
        lambda: jwt.encode(fresh_claims(sun=0), KEY, algorithm="HS256"),
        "names no user",
    ),
    "tampered payload": (_tampered, "signature does not match"),
    "truncated": (lambda: mint(KEY, "alice", 600)[:-6], "signature does not match|malformed"),
    "two segments": (lambda: mint(KEY, "alice", 600).rsplit(".", 1)[0], "malformed"),
    "garbage": (lambda: "not-a-token", "malformed"),
    "garbage in three parts": (lambda: "xyzzy1.xyzzy2.xyzzy3", "malformed"),
    "payload not an object": (
        lambda: hand_made({"alg": "HS256"}, ["exp"]),  # type: ignore[arg-type]
        "not a JSON object",
    ),
    "empty": (lambda: "", "empty"),
    "huge": (lambda: "a" * 100_000, "longer than"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS), ids=list(BAD_TOKENS))
def test_bad_token_is_rejected(verifier: TokenVerifier, case: str) -> None:
    make, message = BAD_TOKENS[case]
    token = make()
    with pytest.raises(AuthError, match=message) as caught:
        verifier.verify(token)
    error = caught.value
    assert error.error_number == 9008  # ESLURM_REST_AUTH_FAIL
    for part in filter(None, token.split(".")):
        assert part not in error.description  # the token never appears in an error


def test_expired_token_is_rejected_even_when_cached() -> None:
    clock = [float(NOW)]
    verifier = TokenVerifier(KEY, clock=lambda: clock[0])
    token = mint(KEY, "alice", 60, now=NOW)
    assert verifier.verify(token).user_name == "alice"
    clock[0] = NOW + 59.5
    assert verifier.verify(token).user_name == "alice"
    clock[0] = NOW + 60
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(token)


def test_leeway_forgives_clock_skew() -> None:
    verifier = TokenVerifier(KEY, leeway=30, clock=lambda: NOW + 70)
    assert verifier.verify(mint(KEY, "alice", 60, now=NOW)).user_name == "alice"
    with pytest.raises(AuthError, match="expired"):
        TokenVerifier(KEY, clock=lambda: NOW + 70).verify(mint(KEY, "alice", 60, now=NOW))


def test_cache_is_bounded() -> None:
    verifier = TokenVerifier(KEY, cache_size=3)
    tokens = [mint(KEY, f"user{i}", 600) for i in range(10)]
    for token in tokens:
        verifier.verify(token)
    assert len(verifier._cache) == 3
    assert list(verifier._cache) == tokens[-3:]


def test_failed_verifications_are_not_cached(verifier: TokenVerifier) -> None:
    token = jwt.encode(fresh_claims(), OTHER_KEY, algorithm="HS256")
    for _ in range(2):
        with pytest.raises(AuthError):
            verifier.verify(token)
    assert len(verifier._cache) == 0


def test_admins_are_known_by_name(verifier: TokenVerifier) -> None:
    assert verifier.is_admin("root")
    assert verifier.is_admin("slurm")
    assert not verifier.is_admin("alice")
