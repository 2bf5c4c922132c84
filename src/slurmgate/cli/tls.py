"""The server's TLS context, from the ``[tls]`` settings, checked before serving."""

from __future__ import annotations

import ssl
from pathlib import Path

from slurmgate.config import TlsSettings
from slurmgate.domain.errors import ConfigError

#: TLS 1.2 suites with forward secrecy and authenticated encryption only (TLS 1.3 suites are
#: all of that already and OpenSSL chooses them itself).
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!MD5:!DSS"


def server_context(tls: TlsSettings) -> ssl.SSLContext | None:
    """The SSL context to serve HTTPS with; None when TLS is not configured."""
    if tls.cert is None or tls.key is None:
        return None  # the settings refuse one without the other
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.options |= ssl.OP_NO_RENEGOTIATION
    _load_cert_chain(context, tls.cert, tls.key)
    if tls.client_ca is not None:
        _readable(tls.client_ca, "tls.client_ca")
        try:
            context.load_verify_locations(cafile=str(tls.client_ca))
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"tls.client_ca {tls.client_ca} holds no usable CA certificate: {_reason(exc)}"
            ) from None
        context.verify_mode = ssl.CERT_REQUIRED if tls.require_client_cert else ssl.CERT_OPTIONAL
    return context


def _load_cert_chain(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    _readable(cert, "tls.cert")
    _readable(key, "tls.key")
    try:
        # A password callback, so that an encrypted key fails here instead of prompting on a
        # terminal that a service does not have.
        context.load_cert_chain(str(cert), str(key), password=_no_password)
    except _EncryptedKey:
        raise ConfigError(
            f"tls.key {key} is encrypted: give the gateway an unencrypted key that only its "
            "user can read"
        ) from None
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise ConfigError(f"tls.key {key} is not the private key of tls.cert {cert}") from None
        raise ConfigError(
            f"cannot load tls.cert {cert} and tls.key {key} (PEM expected): {_reason(exc)}"
        ) from None


class _EncryptedKey(Exception):
    pass


def _no_password() -> str:
    raise _EncryptedKey


def _readable(path: Path, setting: str) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot read {setting} {path}: {exc.strerror}") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    if isinstance(exc, OSError):
        return str(exc.strerror or exc)
    return str(exc)
