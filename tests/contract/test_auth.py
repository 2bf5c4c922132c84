"""Authentication exactly as slurmrestd's JWT plugin: every failure is a 401 in the envelope."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

from tests.support.cluster import Cluster
from tests.support.spec import assert_error_envelope

PATHS = ["diag", "ping", "jobs", "nodes", "partitions", "job/1"]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bad_tokens(cluster: Cluster) -> dict[str, dict[str, str]]:
    now = int(time.time())
    good = cluster.token()
    header, payload, signature = good.split(".")
    claims = {"sun": cluster.user, "iat": now, "exp": now + 600}
    tampered = _b64({**claims, "sun": "root" if cluster.user != "root" else "daemon"})
    return {
        "no token": {},
        "alg none": {
            "X-SLURM-USER-TOKEN": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        },
        "wrong key": {"X-SLURM-USER-TOKEN": jwt.encode(claims, b"x" * 32, algorithm="HS256")},
        "HS512": {"X-SLURM-USER-TOKEN": jwt.encode(claims, cluster.key, algorithm="HS512")},
        "expired": {
            "X-SLURM-USER-TOKEN": jwt.encode(
                {**claims, "iat": now - 100, "exp": now - 10}, cluster.key, algorithm="HS256"
            )
        },
        "no exp": {
            "X-SLURM-USER-TOKEN": jwt.encode(
                {"sun": cluster.user, "iat": now}, cluster.key, algorithm="HS256"
            )
        },
        "no user": {
            "X-SLURM-USER-TOKEN": jwt.encode(
                {"iat": now, "exp": now + 60}, cluster.key, algorithm="HS256"
            )
        },
        "tampered payload": {"X-SLURM-USER-TOKEN": f"{header}.{tampered}.{signature}"},
        "truncated": {"X-SLURM-USER-TOKEN": good[: len(good) // 2]},
        "garbage": {"X-SLURM-USER-TOKEN": "not-a-token"},
        "both headers": {"X-SLURM-USER-TOKEN": good, "Authorization": f"Bearer {good}"},
        "someone else's name": {
            "X-SLURM-USER-TOKEN": cluster.token(cluster.other_user),
            "X-SLURM-USER-NAME": cluster.user,
        },
    }


@pytest.mark.parametrize("path", PATHS)
def test_every_bad_token_is_refused_with_401(cluster: Cluster, path: str) -> None:
    for name, headers in _bad_tokens(cluster).items():
        response = httpx.get(f"{cluster.base_url}/slurm/v0.0.38/{path}", headers=headers)
        assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
        assert_error_envelope(response.json())


def test_token_is_accepted_from_user_token_header(cluster: Cluster) -> None:
    response = httpx.get(
        f"{cluster.base_url}/slurm/v0.0.36/diag",
        headers={"X-SLURM-USER-TOKEN": cluster.token()},
    )
    assert response.status_code == 200, response.text


def test_token_is_accepted_as_bearer(cluster: Cluster) -> None:
    response = httpx.get(
        f"{cluster.base_url}/slurm/v0.0.38/ping",
        headers={"Authorization": f"Bearer {cluster.token()}"},
    )
    assert response.status_code == 200, response.text


def test_error_body_never_echoes_the_token(cluster: Cluster) -> None:
    token = jwt.encode({"sun": cluster.user, "exp": 1}, cluster.key, algorithm="HS256")
    response = httpx.get(
        f"{cluster.base_url}/slurm/v0.0.38/jobs", headers={"X-SLURM-USER-TOKEN": token}
    )
    assert response.status_code == 401
    assert token not in response.text
