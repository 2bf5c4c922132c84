"""Authentication: Slurm's HS256 keys and JWTs, rotation keys, OIDC JWKS, revocation, and who
a request acts as."""

from slurmgate.auth.authenticate import authenticate
from slurmgate.auth.keys import ensure_key, load_key
from slurmgate.auth.tokens import INFINITE_LIFESPAN, Claims, TokenVerifier, mint

__all__ = [
    "INFINITE_LIFESPAN",
    "Claims",
    "TokenVerifier",
    "authenticate",
    "ensure_key",
    "load_key",
    "mint",
]
