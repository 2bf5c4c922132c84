"""A real gateway with every token feature on: a maximum lifespan, rotation keys, an OIDC JWKS.

Shared by the token endpoint tests and the bad-token corpus; ``TokenGateway`` holds every
secret the tests need to forge good and bad tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from slurmgate.auth.tokens import mint
from tests.support.cluster import current_user, read_key, start_gateway

MAX_LIFESPAN = 3600
DEFAULT_LIFESPAN = 600
OIDC_KID = "oidc-1"
NEW_KID = "k-new"
OLD_KID = "k-old"
#: Administrators of the gateway; neither needs to exist on the host to hold a token.
ADMIN = "tokadmin"
#: An ordinary user the tests hold tokens for.
USER = "alice"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_by_hand(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """HMAC-SHA256 over whatever header and secret: PyJWT refuses PEM secrets, attackers don't."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(private: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return {**entry, "kid": kid, "alg": "RS256", "use": "sig"}


def write_jwks(path: Path, keys: list[dict[str, Any]]) -> None:
    # Written aside and renamed, as a provider's key fetcher would: never seen half-written.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"keys": keys}))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_key(path: Path) -> bytes:
    secret = secrets.token_bytes(64)
    path.write_bytes(secret)
    os.chmod(path, 0o600)
    return secret


@dataclass
class TokenGateway:
    process: subprocess.Popen[bytes]
    base_url: str
    state_dir: Path
    config_file: Path
    jwks_file: Path
    default_key: bytes
    new_key: bytes
    old_key: bytes
    oidc_key: rsa.RSAPrivateKey

    @property
    def oidc_public_pem(self) -> bytes:
        return self.oidc_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def token(self, user: str = USER, lifespan: int = 300, **extra: Any) -> str:
        """A good token signed with the primary rotation key, as slurmgate mints them."""
        return mint(self.new_key, user, lifespan, int(time.time()), kid=NEW_KID, **extra)

    def scontrol_token(self, user: str = USER, lifespan: int = 300) -> str:
        """What `scontrol token` prints: the default key, no kid, no jti."""
        return mint(self.default_key, user, lifespan, int(time.time()))

    def oidc_token(self, claims: dict[str, Any] | None = None, **header: Any) -> str:
        now = int(time.time())
        body = claims if claims is not None else self.oidc_claims(now)
        return jwt.encode(
            body, self.oidc_key, algorithm="RS256", headers={"kid": OIDC_KID, **header}
        )

    @staticmethod
    def oidc_claims(now: int, user: str = USER) -> dict[str, Any]:
        return {"iat": now, "exp": now + 300, "preferred_username": user, "sub": "1234"}

    def headers(self, token: str | None = None, user: str | None = None) -> dict[str, str]:
        headers = {"X-SLURM-USER-TOKEN": token or self.token()}
        if user is not None:
            headers["X-SLURM-USER-NAME"] = user
        return headers

    def cli(self, *words: str) -> subprocess.CompletedProcess[str]:
        """``slurmgate token ...`` from a shell, against this gateway's settings."""
        argv = [sys.executable, "-m", "slurmgate.cli", "token", *words]
        argv += ["--state-dir", str(self.state_dir), "--config", str(self.config_file)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURMGATE_")}
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def start_token_gateway(state_dir: Path) -> TokenGateway:
    state_dir.mkdir(parents=True, exist_ok=True)
    keys = state_dir / "keys"
    keys.mkdir(mode=0o700)
    new_key = write_key(keys / "new.key")
    old_key = write_key(keys / "old.key")
    oidc_key = rsa_key()
    jwks_file = state_dir / "jwks.json"
    write_jwks(jwks_file, [jwk(oidc_key, OIDC_KID)])
    config = f"""
[auth]
# The user running the tests administers it, as root would (revocations in the tests).
admins = ["root", "{ADMIN}", "{current_user()}"]
default_lifespan = {DEFAULT_LIFESPAN}
max_lifespan = {MAX_LIFESPAN}
jwks_file = "{jwks_file}"
user_claim = "preferred_username"

[[auth.keys]]
kid = "{NEW_KID}"
path = "{keys / "new.key"}"
primary = true

[[auth.keys]]
kid = "{OLD_KID}"
path = "{keys / "old.key"}"
retire_after = {int(time.time()) - 60}

[local]
sched_interval = 0.5

[[local.nodes]]
name = "node1"
cpus = 2
memory = 1024

[[local.reservations]]
name = "maint"
start_time = 4102444800
end_time = 4102448400
users = ["root"]
"""
    process, base_url = start_gateway(state_dir, config)
    return TokenGateway(
        process=process,
        base_url=base_url,
        state_dir=state_dir,
        config_file=state_dir / "slurmgate.toml",
        jwks_file=jwks_file,
        default_key=read_key(state_dir),
        new_key=new_key,
        old_key=old_key,
        oidc_key=oidc_key,
    )
