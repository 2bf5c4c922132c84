"""Every kind of bad token, on every /slurm/ and /slurmdb/ endpoint of every version: 401 in
the envelope.

Run against a real ``slurmgate serve`` with every token feature on (a maximum lifespan,
rotation keys with a retired one, an OIDC JWKS), so no endpoint can skip a check.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest

from slurmgate.api.openapi import build_openapi
from slurmgate.api.versions import VERSIONS
from slurmgate.auth.tokens import mint
from tests.security.token_gateway import (
    ADMIN,
    MAX_LIFESPAN,
    NEW_KID,
    OIDC_KID,
    OLD_KID,
    USER,
    TokenGateway,
    b64,
    hs256_by_hand,
    rsa_key,
    start_token_gateway,
)
from tests.support.cluster import stop_process
from tests.support.spec import assert_error_envelope

#: Values for the path parameters; with a bad token the request never gets as far as them.
PATH_VALUES = {
    "{job_id}": "1",
    "{node_name}": "node1",
    "{partition_name}": "debug",
    "{reservation_name}": "maint",
}
#: Any other path parameter (an account's, a user's, a QOS's name, ...).
OTHER_PARAMETER = re.compile(r"\{\w+\}")
#: A body each POST would accept, so that nothing but the token is wrong.
BODIES = {
    "/job/submit": {"job": {"environment": {"PATH": "/bin"}, "current_working_directory": "/"}},
    "/job/1": {"comment": "x"},
}


#: The slurmdb versions every kind of bad token is tried on: the newest of each family of tables
#: (the others are the same code path); every other slurmdb endpoint is tried with a few.
SLURMDB_EVERY_TOKEN = ("v0.0.38", "v0.0.45")


def _endpoints() -> list[tuple[str, str]]:
    found = []
    for template, item in build_openapi()["paths"].items():
        if not template.startswith(("/slurm/", "/slurmdb/")):
            continue
        path = template
        for name, value in PATH_VALUES.items():
            path = path.replace(name, value)
        path = OTHER_PARAMETER.sub("name", path)
        found += [(method.upper(), path) for method in item if method in ("get", "post", "delete")]
    return sorted(found)


ALL_ENDPOINTS = _endpoints()
ENDPOINTS = [
    (method, path)
    for method, path in ALL_ENDPOINTS
    if path.startswith("/slurm/") or path.split("/")[2] in SLURMDB_EVERY_TOKEN
]
OTHER_SLURMDB_ENDPOINTS = sorted(set(ALL_ENDPOINTS) - set(ENDPOINTS))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenGateway]:
    started = start_token_gateway(tmp_path_factory.mktemp("bad-tokens"))
    try:
        yield started
    finally:
        stop_process(started.process)


def _segment(data: dict[str, object]) -> str:
    return b64(json.dumps(data).encode())


def _claims(now: int, **extra: object) -> dict[str, object]:
    return {"iat": now, "exp": now + 300, "sun": USER, **extra}


def bad_requests(gateway: TokenGateway) -> dict[str, dict[str, str]]:
    """Header sets that must all be refused, each named after what is wrong."""
    now = int(time.time())
    key = gateway.new_key
    kid = {"kid": NEW_KID}
    good = gateway.token()
    header, payload, signature = good.split(".")
    tampered = _segment({"exp": now + 300, "iat": now, "sun": "root"})
    pem = gateway.oidc_public_pem

    def hs(claims: dict[str, object], secret: bytes = key, **headers: object) -> str:
        return jwt.encode(claims, secret, algorithm="HS256", headers={**kid, **headers})

    revoked_jti = gateway.token(jti="revoked-in-this-test")
    revoked_user = mint(gateway.new_key, "mallory", 300, now - 120, kid=NEW_KID)
    tokens = {
        "alg none": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg none, with the primary kid": f"{_segment({'alg': 'none', **kid})}.{payload}.",
        "HS256 with the wrong key": hs(_claims(now), b"w" * 64),
        "HS256 with the wrong key, no kid": jwt.encode(_claims(now), b"w" * 64, "HS256"),
        "key confusion: HS256 signed with the RSA public key, its kid": hs256_by_hand(
            {"alg": "HS256", "typ": "JWT", "kid": OIDC_KID}, _claims(now), pem
        ),
        "key confusion: HS256 signed with the RSA public key, no kid": hs256_by_hand(
            {"alg": "HS256", "typ": "JWT"}, _claims(now), pem
        ),
        "key confusion: RS256 header, HMAC signature with a rotation key": hs256_by_hand(
            {"alg": "RS256", "typ": "JWT", "kid": NEW_KID}, _claims(now), key
        ),
        "key confusion: RS256 header, HMAC signature with the JWKS kid": hs256_by_hand(
            {"alg": "RS256", "typ": "JWT", "kid": OIDC_KID}, _claims(now), pem
        ),
        "RS256 signed by another RSA key": jwt.encode(
            gateway.oidc_claims(now), rsa_key(), algorithm="RS256", headers={"kid": OIDC_KID}
        ),
        "RS256 without kid": jwt.encode(gateway.oidc_claims(now), gateway.oidc_key, "RS256"),
        "RS256 without the user claim": gateway.oidc_token({"iat": now, "exp": now + 60}),
        "HS512": jwt.encode(_claims(now), key, algorithm="HS512", headers=kid),
        "expired": hs(_claims(now - 400)),
        "not yet valid": hs(_claims(now, nbf=now + 600)),
        "no exp": hs({"iat": now, "sun": USER}),
        "no user claim": hs({"iat": now, "exp": now + 300}),
        "no iat, with a maximum lifespan set": hs({"exp": now + 300, "sun": USER}),
        "tampered payload": f"{header}.{tampered}.{signature}",
        "truncated": good[: len(good) // 2],
        "signature cut short": good[:-5],
        "garbage": "not-a-token",
        "unknown kid": hs(_claims(now), kid="k-unknown"),
        "revoked by jti": revoked_jti,
        "revoked by user-before": revoked_user,
        "lifespan over the maximum": gateway.token(lifespan=MAX_LIFESPAN + 1),
        "lifespan over the maximum, Slurm's key": mint(
            gateway.default_key, USER, MAX_LIFESPAN * 2, now
        ),
        "infinite lifespan": gateway.token(lifespan=2**31 - 2),
        "retired kid": mint(gateway.old_key, USER, 300, now, kid=OLD_KID),
    }
    requests = {name: {"X-SLURM-USER-TOKEN": token} for name, token in tokens.items()}
    requests["header user is not the token user (non-admin)"] = {
        "X-SLURM-USER-TOKEN": good,
        "X-SLURM-USER-NAME": "root",
    }
    requests["OIDC user acting for another (non-admin)"] = {
        "X-SLURM-USER-TOKEN": gateway.oidc_token(),
        "X-SLURM-USER-NAME": ADMIN,
    }
    requests["both headers at once"] = {
        "X-SLURM-USER-TOKEN": good,
        "Authorization": f"Bearer {good}",
    }
    requests["bearer with a revoked token"] = {"Authorization": f"Bearer {revoked_jti}"}
    requests["no token"] = {}
    return requests


@pytest.fixture(scope="module")
def corpus(gateway: TokenGateway) -> dict[str, dict[str, str]]:
    requests = bad_requests(gateway)
    admin = {"X-SLURM-USER-TOKEN": gateway.token(ADMIN)}
    for body in ({"jti": "revoked-in-this-test"}, {"username": "mallory", "before": "now"}):
        response = httpx.post(
            f"{gateway.base_url}/slurmgate/v1/token/revoke", headers=admin, json=body
        )
        assert response.status_code == 200, response.text
    return requests


def test_the_corpus_spans_every_endpoint_and_version() -> None:
    versions = {path.split("/")[2] for _, path in ENDPOINTS if path.startswith("/slurm/")}
    assert versions == set(VERSIONS)
    assert {path.split("/")[1] for _, path in ENDPOINTS} == {"slurm", "slurmdb"}
    assert {method for method, _ in ENDPOINTS} == {"GET", "POST", "DELETE"}
    assert len(ENDPOINTS) >= 3 * 12
    assert {path.split("/")[2] for _, path in OTHER_SLURMDB_ENDPOINTS} == set(VERSIONS) - set(
        SLURMDB_EVERY_TOKEN
    )


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_every_bad_token_is_refused_with_401(
    gateway: TokenGateway, corpus: dict[str, dict[str, str]], method: str, path: str
) -> None:
    version = path.split("/")[2]
    body = BODIES.get(path.split(version, 1)[1]) if method == "POST" else None
    with httpx.Client(base_url=gateway.base_url, timeout=30.0) as client:
        for name, headers in corpus.items():
            response = client.request(method, path, headers=headers, json=body)
            assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
            assert_error_envelope(response.json(), version)
            for header, value in headers.items():
                if header != "X-SLURM-USER-NAME":
                    assert value.removeprefix("Bearer ") not in response.text  # never echoed


@pytest.mark.parametrize(
    ("method", "path"),
    OTHER_SLURMDB_ENDPOINTS,
    ids=[f"{m} {p}" for m, p in OTHER_SLURMDB_ENDPOINTS],
)
def test_every_other_slurmdb_endpoint_refuses_the_commonest_bad_tokens(
    gateway: TokenGateway, corpus: dict[str, dict[str, str]], method: str, path: str
) -> None:
    for name in ("no token", "alg none", "expired"):
        response = httpx.request(method, f"{gateway.base_url}{path}", headers=corpus[name])
        assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
        assert_error_envelope(response.json(), path.split("/")[2])


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_good_tokens_of_every_kind_pass_on_every_version(
    gateway: TokenGateway, version: str
) -> None:
    """The control: the corpus is refused for what is wrong with it, not for being a token."""
    good = {
        "primary rotation key": gateway.token(),
        "scontrol token": gateway.scontrol_token(),
        "OIDC token": gateway.oidc_token(),
        "longest lifespan allowed": gateway.token(lifespan=MAX_LIFESPAN),
    }
    for name, token in good.items():
        response = httpx.get(
            f"{gateway.base_url}/slurm/{version}/diag", headers={"X-SLURM-USER-TOKEN": token}
        )
        assert response.status_code == 200, f"{name}: {response.text}"


def test_retired_key_is_named_in_the_refusal(gateway: TokenGateway) -> None:
    token = mint(gateway.old_key, USER, 300, int(time.time()), kid=OLD_KID)
    response = httpx.get(
        f"{gateway.base_url}/slurm/v0.0.38/ping", headers={"X-SLURM-USER-TOKEN": token}
    )
    assert response.status_code == 401
    assert f"key '{OLD_KID}', retired since" in response.json()["errors"][0]["description"]


def test_over_long_lifespan_is_explained(gateway: TokenGateway) -> None:
    response = httpx.get(
        f"{gateway.base_url}/slurm/v0.0.38/ping",
        headers={"X-SLURM-USER-TOKEN": gateway.token(lifespan=MAX_LIFESPAN + 1)},
    )
    assert response.status_code == 401
    assert "auth.max_lifespan" in response.json()["errors"][0]["description"]
