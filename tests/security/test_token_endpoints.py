"""Refresh and revocation against a real ``slurmgate serve``, and the CLI reaching it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from tests.security.token_gateway import (
    ADMIN,
    DEFAULT_LIFESPAN,
    MAX_LIFESPAN,
    NEW_KID,
    OIDC_KID,
    USER,
    TokenGateway,
    jwk,
    rsa_key,
    start_token_gateway,
    write_jwks,
)
from tests.support.cluster import stop_process
from tests.support.spec import assert_error_envelope

REFRESH = "/slurmgate/v1/token/refresh"
REVOKE = "/slurmgate/v1/token/revoke"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenGateway]:
    started = start_token_gateway(tmp_path_factory.mktemp("tokens"))
    try:
        yield started
    finally:
        stop_process(started.process)


def ping(gateway: TokenGateway, token: str) -> httpx.Response:
    return httpx.get(
        f"{gateway.base_url}/slurm/v0.0.38/ping", headers={"X-SLURM-USER-TOKEN": token}
    )


def post(gateway: TokenGateway, path: str, token: str, body: Any = None) -> httpx.Response:
    return httpx.post(f"{gateway.base_url}{path}", headers={"X-SLURM-USER-TOKEN": token}, json=body)


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def wait_until_refused(gateway: TokenGateway, token: str, timeout: float = 5.0) -> float:
    """Seconds until the gateway answers 401 to ``token``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if ping(gateway, token).status_code == 401:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"token still accepted after {timeout}s")


# -- refresh -------------------------------------------------------------------------------


def test_refresh_trades_a_token_for_a_new_one_of_the_same_user(gateway: TokenGateway) -> None:
    old = gateway.token(lifespan=60)
    response = post(gateway, REFRESH, old, {"lifespan": 1200})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] == [] and body["warnings"] == [] and "meta" in body
    claims = claims_of(body["token"])
    assert claims["sun"] == USER
    assert claims["exp"] - claims["iat"] == 1200
    assert body["expires_at"] == claims["exp"]
    assert claims["jti"] and claims.get("jti") != claims_of(old).get("jti")
    assert jwt.get_unverified_header(body["token"])["kid"] == NEW_KID
    assert ping(gateway, body["token"]).status_code == 200


def test_refresh_without_a_body_gives_the_default_lifespan(gateway: TokenGateway) -> None:
    response = post(gateway, REFRESH, gateway.token())
    assert response.status_code == 200, response.text
    claims = claims_of(response.json()["token"])
    assert claims["exp"] - claims["iat"] == DEFAULT_LIFESPAN


def test_refresh_accepts_slurm_and_oidc_tokens(gateway: TokenGateway) -> None:
    for token in (gateway.scontrol_token(), gateway.oidc_token()):
        response = post(gateway, REFRESH, token, {"lifespan": 100})
        assert response.status_code == 200, response.text
        assert claims_of(response.json()["token"])["sun"] == USER


def test_refresh_beyond_the_maximum_lifespan_is_refused(gateway: TokenGateway) -> None:
    response = post(gateway, REFRESH, gateway.token(), {"lifespan": MAX_LIFESPAN + 1})
    assert response.status_code == 400, response.text
    assert_error_envelope(response.json())
    assert "auth.max_lifespan" in response.json()["errors"][0]["description"]


@pytest.mark.parametrize("body", [{"lifespan": "long"}, {"lifespan": 0}, {"ttl": 5}, [1]])
def test_refresh_with_a_bad_body_is_refused(gateway: TokenGateway, body: Any) -> None:
    response = post(gateway, REFRESH, gateway.token(), body)
    assert response.status_code == 400, response.text
    assert_error_envelope(response.json())


def test_refresh_needs_a_valid_token(gateway: TokenGateway) -> None:
    response = httpx.post(f"{gateway.base_url}{REFRESH}", json={})
    assert response.status_code == 401
    assert_error_envelope(response.json())
    old = post(gateway, REFRESH, gateway.token(lifespan=60)).json()["token"]
    assert post(gateway, REFRESH, old[:-4]).status_code == 401


def test_admin_acting_for_a_user_refreshes_their_own_token(gateway: TokenGateway) -> None:
    response = httpx.post(
        f"{gateway.base_url}{REFRESH}",
        headers={"X-SLURM-USER-TOKEN": gateway.token(ADMIN), "X-SLURM-USER-NAME": USER},
    )
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["token"])["sun"] == ADMIN


# -- revocation by the endpoint ------------------------------------------------------------


def test_only_administrators_may_revoke(gateway: TokenGateway) -> None:
    response = post(gateway, REVOKE, gateway.token(USER), {"username": USER})
    assert response.status_code == 403, response.text
    assert_error_envelope(response.json())
    assert "administrators" in response.json()["errors"][0]["description"]


def test_revoking_a_token_id_refuses_that_token_at_once(gateway: TokenGateway) -> None:
    issued = post(gateway, REFRESH, gateway.token()).json()["token"]
    sibling = post(gateway, REFRESH, gateway.token()).json()["token"]
    assert ping(gateway, issued).status_code == 200  # now cached as good
    response = post(gateway, REVOKE, gateway.token(ADMIN), {"jti": claims_of(issued)["jti"]})
    assert response.status_code == 200, response.text
    assert response.json()["revoked"]["jti"] == claims_of(issued)["jti"]
    refused = ping(gateway, issued)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["errors"][0]["description"]
    assert post(gateway, REFRESH, issued).status_code == 401  # no way around it
    assert ping(gateway, sibling).status_code == 200


def test_revoking_a_users_tokens_before_now_spares_later_ones(gateway: TokenGateway) -> None:
    user = "carol"
    old_tokens = [
        gateway.token(user),
        gateway.scontrol_token(user),
        gateway.oidc_token(gateway.oidc_claims(int(time.time()), user)),
    ]
    assert all(ping(gateway, t).status_code == 200 for t in old_tokens)
    time.sleep(1.1)  # tokens carry whole seconds: the cutoff must lie after their iat
    response = post(gateway, REVOKE, gateway.token(ADMIN), {"username": user, "before": "now"})
    assert response.status_code == 200, response.text
    assert response.json()["revoked"]["username"] == user
    for token in old_tokens:
        assert ping(gateway, token).status_code == 401
    assert ping(gateway, gateway.token(user)).status_code == 200
    assert ping(gateway, gateway.token("dave")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"jti": "a", "username": "b"}, {"jti": ""}, {"username": "x", "before": "soon"}],
)
def test_bad_revocation_requests_are_refused(gateway: TokenGateway, body: Any) -> None:
    response = post(gateway, REVOKE, gateway.token(ADMIN), body)
    assert response.status_code == 400, response.text
    assert_error_envelope(response.json())


# -- revocation from the shell -------------------------------------------------------------


def test_cli_revocation_reaches_the_running_gateway_within_two_seconds(
    gateway: TokenGateway,
) -> None:
    token = post(gateway, REFRESH, gateway.token("erin")).json()["token"]
    assert ping(gateway, token).status_code == 200
    done = gateway.cli("revoke", f"jti={claims_of(token)['jti']}")
    assert done.returncode == 0, done.stderr
    assert wait_until_refused(gateway, token) < 2.0


def test_cli_user_revocation_reaches_the_running_gateway(gateway: TokenGateway) -> None:
    token = gateway.scontrol_token("frank")
    assert ping(gateway, token).status_code == 200
    time.sleep(1.1)
    done = gateway.cli("revoke", "username=frank", "before=now")
    assert done.returncode == 0, done.stderr
    assert wait_until_refused(gateway, token) < 2.0
    listing = gateway.cli("list-revoked")
    assert listing.returncode == 0, listing.stderr
    assert "frank" in listing.stdout and "carol" in listing.stdout


def test_the_revocation_list_is_readable_by_the_gateway_alone(gateway: TokenGateway) -> None:
    db = gateway.state_dir / "revocations.db"
    assert db.exists()
    assert db.stat().st_mode & 0o077 == 0


# -- lifespans at the CLI ------------------------------------------------------------------


def test_cli_refuses_a_lifespan_over_the_maximum(gateway: TokenGateway) -> None:
    done = gateway.cli(f"lifespan={MAX_LIFESPAN + 1}")
    assert done.returncode == 2 and done.stdout == ""
    assert f"exceeds the maximum of {MAX_LIFESPAN} seconds" in done.stderr
    infinite = gateway.cli("lifespan=infinite")
    assert infinite.returncode == 2
    assert "infinite lifespan is not allowed" in infinite.stderr


def test_cli_token_is_signed_with_the_primary_key_and_accepted(gateway: TokenGateway) -> None:
    done = gateway.cli(f"lifespan={MAX_LIFESPAN}")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().removeprefix("SLURM_JWT=")
    assert jwt.get_unverified_header(token)["kid"] == NEW_KID
    assert claims_of(token)["jti"]
    assert ping(gateway, token).status_code == 200


def test_a_new_jwks_key_is_accepted_by_the_running_gateway(gateway: TokenGateway) -> None:
    rolled = rsa_key()
    write_jwks(gateway.jwks_file, [jwk(gateway.oidc_key, OIDC_KID), jwk(rolled, "oidc-2")])
    now = int(time.time())
    token = jwt.encode(
        gateway.oidc_claims(now), rolled, algorithm="RS256", headers={"kid": "oidc-2"}
    )
    deadline = time.monotonic() + 5
    while ping(gateway, token).status_code != 200:
        assert time.monotonic() < deadline, "the new JWKS key was never accepted"
        time.sleep(0.05)
    assert ping(gateway, gateway.oidc_token()).status_code == 200


def test_openapi_document_describes_the_token_endpoints(gateway: TokenGateway) -> None:
    paths = httpx.get(f"{gateway.base_url}/openapi/v3").json()["paths"]
    assert "post" in paths[REFRESH] and "post" in paths[REVOKE]
