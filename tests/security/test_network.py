"""Network restrictions: allow-list, trusted proxies' X-Forwarded-For, the unix socket."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from slurmgate.api.middleware import GatewayMiddleware
from slurmgate.api.network import ClientNetworks
from tests.security.gateway import Gateway, launch, running
from tests.support.spec import assert_error_envelope

PING = "/slurm/v0.0.38/ping"


@pytest.fixture(scope="module")
def elsewhere_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """Allows 10.0.0.0/8 and 2001:db8::/32 only; trusts no proxy."""
    settings = '[network]\nallow = ["10.0.0.0/8", "2001:db8::/32"]\n'
    with running(tmp_path_factory.mktemp("allow"), settings) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """Allows 10.0.0.0/8; the proxy on 127.0.0.1 and those in 172.16.0.0/12 are trusted."""
    settings = (
        '[network]\nallow = ["10.0.0.0/8"]\ntrusted_proxies = ["127.0.0.1/32", "172.16.0.0/12"]\n'
    )
    with running(tmp_path_factory.mktemp("proxy"), settings) as gateway:
        yield gateway


def _ping(gateway: Gateway, forwarded_for: str | None = None, auth: bool = True) -> httpx.Response:
    headers = gateway.headers() if auth else {}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return httpx.get(gateway.base_url + PING, headers=headers, timeout=10.0)


def test_client_outside_the_allowed_networks_gets_403_before_authentication(
    elsewhere_only: Gateway,
) -> None:
    response = _ping(elsewhere_only, auth=False)
    assert response.status_code == 403, response.text
    assert_error_envelope(response.json())
    error = response.json()["errors"][0]
    assert "127.0.0.1" in error["description"]
    assert error["error_number"] == 2002  # ESLURM_ACCESS_DENIED


def test_refusal_uses_the_envelope_of_the_requested_version(elsewhere_only: Gateway) -> None:
    response = httpx.get(elsewhere_only.base_url + "/slurm/v0.0.36/diag", timeout=10.0)
    assert response.status_code == 403
    assert_error_envelope(response.json(), version="v0.0.36")


def test_forwarded_for_from_an_untrusted_peer_is_ignored(elsewhere_only: Gateway) -> None:
    assert _ping(elsewhere_only, forwarded_for="10.1.2.3").status_code == 403


def test_allowed_network_gets_in(tmp_path: Path) -> None:
    with running(tmp_path / "state", '[network]\nallow = ["127.0.0.0/8"]\n') as gateway:
        assert _ping(gateway).status_code == 200


def test_trusted_proxy_forwards_an_allowed_client(behind_proxy: Gateway) -> None:
    assert _ping(behind_proxy, forwarded_for="10.1.2.3").status_code == 200


def test_client_is_the_rightmost_untrusted_address(behind_proxy: Gateway) -> None:
    # The client wrote "10.9.9.9" itself; the proxy saw it come from 192.168.1.5.
    assert _ping(behind_proxy, forwarded_for="10.9.9.9, 192.168.1.5").status_code == 403
    # Whatever the client wrote on the left, the proxy's right-most entry decides.
    assert _ping(behind_proxy, forwarded_for="192.168.1.5, 10.1.2.3").status_code == 200
    # Trusted proxies in the chain are skipped.
    assert _ping(behind_proxy, forwarded_for="10.1.2.3, 172.16.0.5").status_code == 200
    assert _ping(behind_proxy, forwarded_for="192.168.1.5, 172.16.0.5").status_code == 403


def test_trusted_proxy_without_forwarded_for_is_the_client(behind_proxy: Gateway) -> None:
    assert _ping(behind_proxy).status_code == 403


def test_garbage_in_forwarded_for_is_refused(behind_proxy: Gateway) -> None:
    assert _ping(behind_proxy, forwarded_for="10.1.2.3, not-an-address").status_code == 403


def test_invalid_network_is_a_start_up_error(tmp_path: Path) -> None:
    tmp_path.joinpath("slurmgate.toml").write_text('[network]\nallow = ["10.0.0.0/33"]\n')
    process = launch(tmp_path, tmp_path / "slurmgate.toml", "127.0.0.1:1")
    assert process.wait(timeout=30) == 2
    log = (tmp_path / "gateway.log").read_text()
    assert "network.allow" in log and "10.0.0.0/33" in log, log


def test_unix_socket_gateway_answers_and_its_socket_is_0660(tmp_path: Path) -> None:
    path = tmp_path / "gw.sock"
    with running(tmp_path / "state", listen=f"unix:{path}") as gateway:
        assert stat.S_IMODE(path.stat().st_mode) == 0o660
        transport = httpx.HTTPTransport(uds=str(path))
        with httpx.Client(transport=transport, base_url="http://gateway", timeout=10.0) as client:
            response = client.get(PING, headers=gateway.headers())
        assert response.status_code == 200, response.text
    assert not path.exists()


# -- the resolution rules, address by address ------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("192.0.2.7", [], "192.0.2.7"),
        ("192.0.2.7", ["10.0.0.1"], "192.0.2.7"),  # not a proxy: its header means nothing
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["10.0.0.1"], "10.0.0.1"),
        ("127.0.0.1", ["6.6.6.6, 10.0.0.1"], "10.0.0.1"),
        ("127.0.0.1", ["6.6.6.6", "10.0.0.1"], "10.0.0.1"),  # several headers are one chain
        ("127.0.0.1", ["10.0.0.1, 172.16.3.4"], "10.0.0.1"),
        ("127.0.0.1", ["172.16.3.4"], "172.16.3.4"),  # only proxies: the left-most one
        ("::ffff:127.0.0.1", ["2001:db8::5"], "2001:db8::5"),
        ("fd00::1", ["[2001:db8::5]:4711"], "2001:db8::5"),
        ("127.0.0.1", ["10.0.0.1:4711"], "10.0.0.1"),
        (None, ["10.0.0.1"], "unix"),  # the unix socket is not trusted unless listed
    ],
)
def test_client_address_resolution(peer: str | None, forwarded: list[str], client: str) -> None:
    networks = ClientNetworks([], ["127.0.0.1/32", "172.16.0.0/12", "fd00::/8"])
    assert networks.client_address(peer, forwarded) == client


def test_unix_socket_proxy_is_trusted_when_listed() -> None:
    networks = ClientNetworks(["10.0.0.0/8"], ["unix"])
    assert networks.client_address(None, ["10.0.0.1"]) == "10.0.0.1"
    assert networks.client_address(None, []) == "unix"
    assert networks.allowed("unix")


def test_allow_list_matches_ipv4_and_ipv6() -> None:
    networks = ClientNetworks(["10.0.0.0/8", "2001:db8::/32"], [])
    assert networks.allowed("10.200.0.1")
    assert networks.allowed("2001:db8:1::1")
    assert not networks.allowed("11.0.0.1")
    assert not networks.allowed("2001:db9::1")
    assert not networks.allowed("not-an-address")
    assert ClientNetworks([], []).allowed("203.0.113.9")


async def test_resolved_address_is_in_request_state() -> None:
    async def client_address(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.state.client_address)

    networks = ClientNetworks([], ["127.0.0.1/32"])
    app = Starlette(
        routes=[Route("/", client_address)],
        middleware=[
            Middleware(
                GatewayMiddleware, networks=networks, max_header_bytes=8192, request_timeout=None
            )
        ],
    )
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200
    assert response.text == "203.0.113.9"
