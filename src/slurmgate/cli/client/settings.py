"""Where the client connects and as whom: flags, then the environment, then the file.

``--url`` / ``SLURMGATE_URL`` / ``url`` (default ``http://localhost:6820``), ``--token`` /
``SLURM_JWT`` / ``token``, and the user name from ``SLURM_USER_NAME`` / ``user``, or else the
token's own ``sun`` claim. The file is ``$XDG_CONFIG_HOME/slurmgate/client.toml``
(``~/.config/...`` without XDG_CONFIG_HOME), or the one ``--config`` names.
"""

from __future__ import annotations

import base64
import binascii
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from slurmgate.cli.client.errors import UsageError

DEFAULT_URL = "http://localhost:6820"
KEYS = ("url", "token", "user", "api_version", "timeout", "ca_file", "cert", "key")


@dataclass(frozen=True)
class ClientSettings:
    url: str = DEFAULT_URL
    token: str | None = None
    user: str | None = None
    #: A version to speak instead of the newest both sides know ("v0.0.38").
    api_version: str | None = None
    #: Seconds a request may take (streams excepted).
    timeout: float = 60.0
    #: HTTPS: the CA bundle to trust (else the system's, or SSL_CERT_FILE), and a client
    #: certificate with its key for a server that asks for one.
    ca_file: Path | None = None
    cert: Path | None = None
    key: Path | None = None


def default_config_path(environ: Mapping[str, str]) -> Path | None:
    base = environ.get("XDG_CONFIG_HOME") or (
        str(Path(environ["HOME"]) / ".config") if environ.get("HOME") else ""
    )
    return Path(base) / "slurmgate" / "client.toml" if base else None


def load_settings(
    environ: Mapping[str, str],
    *,
    config: Path | None = None,
    url: str | None = None,
    token: str | None = None,
    api_version: str | None = None,
) -> ClientSettings:
    """The settings, highest first: the flags given, the environment, the file."""
    values = _read_file(config, required=True) if config else {}
    if config is None:
        default = default_config_path(environ)
        values = _read_file(default, required=False) if default else {}
    from_environment = {
        "url": environ.get("SLURMGATE_URL"),
        "ca_file": environ.get("SLURMGATE_CA_FILE"),
        "token": environ.get("SLURM_JWT"),
        "user": environ.get("SLURM_USER_NAME"),
    }
    flags = {"url": url, "token": token, "api_version": api_version}
    # A user named below the token's layer is not the token's: `--token` for bob is not sent
    # as alice's because SLURM_USER_NAME says alice.
    user_layer = token_layer = 0
    for number, layer in enumerate((from_environment, flags), start=1):
        given = {key: value for key, value in layer.items() if value}
        values.update(given)
        user_layer = number if "user" in given else user_layer
        token_layer = number if "token" in given else token_layer
    if token_layer > user_layer:
        values.pop("user", None)
    timeout = values.get("timeout", 60.0)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise UsageError(f"timeout must be a positive number of seconds, not {timeout!r}")
    token_given = _string(values.get("token"))
    if token_given is not None:
        # `SLURM_JWT=$(scontrol token)` keeps the name in the value: the token is after it.
        token_given = token_given.strip().removeprefix("SLURM_JWT=") or None
    cert, key = _path(values.get("cert")), _path(values.get("key"))
    if key is not None and cert is None:
        raise UsageError("a client key needs its certificate: set cert too")
    return ClientSettings(
        url=(_string(values.get("url")) or DEFAULT_URL).rstrip("/"),
        token=token_given,
        user=_string(values.get("user")) or token_user(token_given),
        api_version=_string(values.get("api_version")),
        timeout=float(timeout),
        ca_file=_path(values.get("ca_file")),
        cert=cert,
        key=key,
    )


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _path(value: object) -> Path | None:
    text = _string(value)
    return Path(text).expanduser() if text else None


def _read_file(path: Path, *, required: bool) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        if required:
            raise UsageError(f"no such configuration file: {path}") from None
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise UsageError(f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    for key in ("url", "token", "user", "api_version", "ca_file", "cert", "key"):
        if key in data and not isinstance(data[key], str):
            raise UsageError(f"{path}: {key} must be a string")
    return dict(data)


def token_user(token: str | None) -> str | None:
    """The user a JWT names (``sun``, or ``username``), read without checking its signature:
    the server checks it; this only fills in X-SLURM-USER-NAME and ``--me``."""
    if not token or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(claims, dict):
        return None
    user = claims.get("sun") or claims.get("username")
    return user if isinstance(user, str) else None
