"""The client over HTTPS (a private CA, a client certificate when the gateway asks for one)
and over a unix socket, against a real ``slurmgate serve``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from slurmgate.auth.tokens import mint
from tests.cli.client_support import Client
from tests.security.gateway import Gateway, running
from tests.security.test_tls import Pki, pki  # noqa: F401 (the fixture, shared)
from tests.support.cluster import current_user, read_key


@pytest.fixture(scope="module")
def https(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:  # noqa: F811
    """HTTPS that checks the client certificates it is shown against the test CA."""
    settings = (
        f'[tls]\ncert = "{pki.server_cert}"\nkey = "{pki.server_key}"\n'
        f'client_ca = "{pki.ca}"\nrequire_client_cert = false\n'
    )
    with running(tmp_path_factory.mktemp("https"), settings, scheme="https") as gateway:
        yield gateway


def client_of(
    url: str,
    gateway: Gateway,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Client:
    token = mint(read_key(gateway.state_dir), current_user(), lifespan=300)
    workdir = tmp_path / "work"
    workdir.mkdir()
    return Client(url, token, workdir, tmp_path / "home", monkeypatch, capsys)


def test_https_with_a_private_ca_and_client_certificates(
    https: Gateway,
    pki: Pki,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = client_of(https.base_url, https, tmp_path, monkeypatch, capsys)
    untrusted = client.run("nodes")
    assert untrusted.status == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.err, untrusted
    assert "node1" in client.ok("nodes", env={"SLURMGATE_CA_FILE": str(pki.ca)})

    config = tmp_path / "tls.toml"
    config.write_text(
        f'ca_file = "{pki.ca}"\ncert = "{pki.client_cert}"\nkey = "{pki.client_key}"\n'
    )
    assert "node1" in client.ok("nodes", "--config", str(config))
    config.write_text(
        f'ca_file = "{pki.ca}"\ncert = "{pki.stranger_cert}"\nkey = "{pki.stranger_key}"\n'
    )
    stranger = client.run("nodes", "--config", str(config))
    assert stranger.status == 1 and "cannot reach the server" in stranger.err, stranger
    config.write_text(f'cert = "{tmp_path / "missing.pem"}"\n')
    assert client.run("nodes", "--config", str(config)).status == 2


def test_a_unix_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    socket = tmp_path / "gateway.sock"
    with running(tmp_path / "state", listen=f"unix:{socket}") as gateway:
        client = client_of(f"unix:{socket}", gateway, tmp_path, monkeypatch, capsys)
        job_id = client.submit("#!/bin/sh\nexit 6\n")
        assert client.run("watch", str(job_id)).status == 6
