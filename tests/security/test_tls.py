"""HTTPS from a real ``slurmgate serve``: TLS 1.2 at least, plain HTTP refused, client certs."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.security.gateway import Gateway, launch, read_until_closed, running

PING = "/slurm/v0.0.38/ping"


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    #: A client certificate signed by nobody the gateway trusts.
    stranger_cert: Path
    stranger_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_cert(cert: x509.Certificate, path: Path) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA, a server certificate for 127.0.0.1, and two client certificates."""
    where = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue("slurmgate test CA", ca_key, _name("slurmgate test CA"), ca_key, ca=True)
    _write_cert(ca_cert, where / "ca.pem")
    paths = {}
    for role, issuer_key, issuer in (
        ("server", ca_key, ca_cert.subject),
        ("client", ca_key, ca_cert.subject),
        ("stranger", None, _name("stranger")),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(role, key, issuer, issuer_key or key, server=role == "server")
        _write_cert(cert, where / f"{role}.pem")
        _write_key(key, where / f"{role}.key")
        paths[role] = (where / f"{role}.pem", where / f"{role}.key")
    return Pki(
        ca=where / "ca.pem",
        server_cert=paths["server"][0],
        server_key=paths["server"][1],
        client_cert=paths["client"][0],
        client_key=paths["client"][1],
        stranger_cert=paths["stranger"][0],
        stranger_key=paths["stranger"][1],
    )


def _tls_settings(pki: Pki, client_ca: bool = False, require: bool = True) -> str:
    lines = ["[tls]", f'cert = "{pki.server_cert}"', f'key = "{pki.server_key}"']
    if client_ca:
        lines += [f'client_ca = "{pki.ca}"', f"require_client_cert = {str(require).lower()}"]
    return "\n".join(lines) + "\n"


def _client_context(
    pki: Pki, cert: tuple[Path, Path] | None = None, maximum: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    if maximum is not None:
        # OpenSSL 3 clients offer nothing below TLS 1.2 at their default security level.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            # Offering an old protocol on purpose: Python warns that it is deprecated.
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            context.maximum_version = maximum
    return context


def _ping(gateway: Gateway, context: ssl.SSLContext) -> httpx.Response:
    with httpx.Client(verify=context, timeout=10.0) as client:
        return client.get(gateway.base_url + PING, headers=gateway.headers())


@pytest.fixture(scope="module")
def https_gateway(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    state_dir = tmp_path_factory.mktemp("https")
    with running(state_dir, _tls_settings(pki), scheme="https") as gateway:
        yield gateway


def test_https_serves_the_api(https_gateway: Gateway, pki: Pki) -> None:
    response = _ping(https_gateway, _client_context(pki))
    assert response.status_code == 200, response.text
    assert response.json()["pings"]
    assert "(https)" in https_gateway.log


def test_tls_1_2_is_accepted(https_gateway: Gateway, pki: Pki) -> None:
    context = _client_context(pki, maximum=ssl.TLSVersion.TLSv1_2)
    assert _ping(https_gateway, context).status_code == 200


def test_tls_1_1_is_refused(https_gateway: Gateway, pki: Pki) -> None:
    context = _client_context(pki, maximum=ssl.TLSVersion.TLSv1_1)
    with pytest.raises(httpx.ConnectError) as refused:
        _ping(https_gateway, context)
    # The server hung up on the hello (or alerted), rather than the client offering nothing.
    reason = str(refused.value).upper()
    assert "NO_PROTOCOLS_AVAILABLE" not in reason, reason
    hung_up = ("UNEXPECTED_EOF", "CONNECTION HAS BEEN CLOSED (EOF)")
    assert "PROTOCOL_VERSION" in reason or any(words in reason for words in hung_up), reason


def test_plain_http_gets_no_answer(https_gateway: Gateway) -> None:
    sock = https_gateway.connect()
    with sock:
        sock.sendall(b"GET /slurm/v0.0.38/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = read_until_closed(sock, timeout=10.0)
    assert not answer.startswith(b"HTTP/"), answer


def test_client_without_certificate_is_refused_when_one_is_required(
    pki: Pki, tmp_path: Path
) -> None:
    with running(tmp_path / "state", _tls_settings(pki, client_ca=True), scheme="https") as gateway:
        with pytest.raises(httpx.TransportError):
            _ping(gateway, _client_context(pki))
        with pytest.raises(httpx.TransportError):
            _ping(gateway, _client_context(pki, cert=(pki.stranger_cert, pki.stranger_key)))
        signed = _client_context(pki, cert=(pki.client_cert, pki.client_key))
        assert _ping(gateway, signed).status_code == 200


def test_optional_client_certificate_is_verified_when_presented(pki: Pki, tmp_path: Path) -> None:
    settings = _tls_settings(pki, client_ca=True, require=False)
    with running(tmp_path / "state", settings, scheme="https") as gateway:
        assert _ping(gateway, _client_context(pki)).status_code == 200
        signed = _client_context(pki, cert=(pki.client_cert, pki.client_key))
        assert _ping(gateway, signed).status_code == 200
        with pytest.raises(httpx.TransportError):
            _ping(gateway, _client_context(pki, cert=(pki.stranger_cert, pki.stranger_key)))


def _start_failure(tmp_path: Path, settings: str, status: int = 1) -> str:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    config = state_dir / "slurmgate.toml"
    config.write_text(settings)
    process = launch(state_dir, config, "127.0.0.1:1")
    try:
        assert process.wait(timeout=30) == status
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    return (state_dir / "gateway.log").read_text()


def test_key_of_another_certificate_is_a_start_up_error(pki: Pki, tmp_path: Path) -> None:
    settings = f'[tls]\ncert = "{pki.server_cert}"\nkey = "{pki.client_key}"\n'
    log = _start_failure(tmp_path, settings)
    assert "is not the private key of tls.cert" in log, log


def test_unreadable_certificate_is_a_start_up_error(pki: Pki, tmp_path: Path) -> None:
    settings = f'[tls]\ncert = "{tmp_path / "missing.pem"}"\nkey = "{pki.server_key}"\n'
    log = _start_failure(tmp_path, settings)
    assert "cannot read tls.cert" in log and "missing.pem" in log, log


def test_certificate_without_key_is_a_start_up_error(pki: Pki, tmp_path: Path) -> None:
    log = _start_failure(tmp_path, f'[tls]\ncert = "{pki.server_cert}"\n', status=2)
    assert "tls.cert and tls.key must be set together" in log, log
