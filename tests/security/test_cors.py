"""CORS: browsers from listed origins only; no CORS headers at all by default."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.security.gateway import Gateway, running

PORTAL = "https://portal.example.org"
SUBMIT = "/slurm/v0.0.38/job/submit"
PING = "/slurm/v0.0.38/ping"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running(tmp_path_factory.mktemp("plain")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = f'[network]\ncors_origins = ["{PORTAL}"]\n'
    with running(tmp_path_factory.mktemp("portal"), settings) as gateway:
        yield gateway


def _preflight(gateway: Gateway, origin: str, method: str = "POST") -> httpx.Response:
    return httpx.options(
        gateway.base_url + SUBMIT,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "x-slurm-user-token, x-slurm-user-name, content-type",
        },
        timeout=10.0,
    )


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def test_no_cors_headers_by_default(plain: Gateway) -> None:
    preflight = _preflight(plain, PORTAL)
    assert _cors_headers(preflight) == {}
    assert preflight.status_code == 405  # OPTIONS is no method of the API
    response = httpx.get(
        plain.base_url + PING, headers={**plain.headers(), "Origin": PORTAL}, timeout=10.0
    )
    assert response.status_code == 200
    assert _cors_headers(response) == {}


def test_preflight_from_a_listed_origin_is_allowed(portal: Gateway) -> None:
    response = _preflight(portal, PORTAL)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == PORTAL
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    for header in ("x-slurm-user-token", "x-slurm-user-name", "content-type", "authorization"):
        assert header in allowed_headers
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_from_another_origin_is_refused(portal: Gateway) -> None:
    response = _preflight(portal, "https://evil.example.com")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_preflight_for_an_unlisted_method_is_refused(portal: Gateway) -> None:
    assert _preflight(portal, PORTAL, method="PUT").status_code == 400


def test_listed_origin_can_read_responses(portal: Gateway) -> None:
    response = httpx.get(
        portal.base_url + PING, headers={**portal.headers(), "Origin": PORTAL}, timeout=10.0
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL


def test_listed_origin_can_read_errors_too(portal: Gateway) -> None:
    response = httpx.get(portal.base_url + PING, headers={"Origin": PORTAL}, timeout=10.0)
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == PORTAL


def test_other_origins_get_no_cors_headers(portal: Gateway) -> None:
    response = httpx.get(
        portal.base_url + PING,
        headers={**portal.headers(), "Origin": "https://evil.example.com"},
        timeout=10.0,
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_wildcard_allows_every_origin(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = '[network]\ncors_origins = ["*"]\n'
    with running(tmp_path_factory.mktemp("any"), settings) as gateway:
        response = _preflight(gateway, "https://anywhere.example.net")
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
