"""Everything authentication needs, built once from the settings: keys, JWKS, revocations."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from slurmgate.auth.issuer import TokenIssuer
from slurmgate.auth.jwks import JwksKeys
from slurmgate.auth.keyring import KeyRing, load_rotation_keys
from slurmgate.auth.keys import load_key
from slurmgate.auth.revocation import RevocationStore
from slurmgate.auth.tokens import TokenVerifier
from slurmgate.config import Settings

log = logging.getLogger("slurmgate.auth")


def revocation_path(settings: Settings) -> Path:
    return settings.auth.revocation_db or settings.state_dir / "revocations.db"


def load_keyring(settings: Settings) -> KeyRing:
    """The default key and the rotation keys, each file checked; ``ConfigError`` otherwise."""
    return KeyRing(load_key(settings.jwt_key_path), load_rotation_keys(settings.auth.keys))


def build_issuer(settings: Settings, keyring: KeyRing) -> TokenIssuer:
    return TokenIssuer(
        keyring.signing,
        default_lifespan=settings.auth.default_lifespan,
        max_lifespan=settings.auth.max_lifespan,
    )


@dataclass
class Auth:
    verifier: TokenVerifier
    issuer: TokenIssuer
    revocations: RevocationStore
    #: The cluster's own key (jwt_key), which the mirror's service tokens are signed with.
    cluster_key: bytes = field(default=b"", repr=False)

    def close(self) -> None:
        self.revocations.close()


def build_auth(settings: Settings) -> Auth:
    """Load every key and the revocation list; ``ConfigError`` naming the first problem."""
    auth = settings.auth
    keyring = load_keyring(settings)
    jwks = JwksKeys(auth.jwks_file) if auth.jwks_file is not None else None
    revocations = RevocationStore(revocation_path(settings))
    try:
        verifier = TokenVerifier(
            keyring.default.secret,
            admins=frozenset(auth.admins),
            leeway=auth.leeway,
            keys=keyring.rotation,
            jwks=jwks,
            revocations=revocations,
            max_lifespan=auth.max_lifespan,
            user_claim=auth.user_claim,
        )
    except BaseException:
        revocations.close()
        raise
    # Names only, never secrets: what an operator checks after a rotation.
    log.info(
        "tokens: signing key %s, rotation keys [%s], JWKS keys [%s], max lifespan %s",
        keyring.signing.kid or "(default, no kid)",
        ", ".join(keyring.kids),
        ", ".join(jwks.kids) if jwks is not None else "",
        f"{auth.max_lifespan} s" if auth.max_lifespan is not None else "none",
    )
    return Auth(verifier, build_issuer(settings, keyring), revocations, keyring.default.secret)
