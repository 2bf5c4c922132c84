"""Mint and verify Slurm's JWTs: HS256 over the raw key, claims ``iat``, ``exp``, ``sun``.

Tokens from ``slurmgate token`` and from ``scontrol token`` are interchangeable: same header
(``{"alg":"HS256","typ":"JWT"}``), same claims, same key. Verification follows slurmctld's
auth/jwt: the signature must match, ``exp`` must lie ahead, and the user comes from ``sun``,
else from ``username`` (what other issuers use). Every request verifies a token, so successful
verifications are cached until their token expires.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

from slurmgate.domain.errors import AuthError

ALGORITHM = "HS256"
#: ``scontrol token lifespan=infinite`` asks for INT_MAX - 1 seconds (about 68 years).
INFINITE_LIFESPAN = 2**31 - 2
#: No token from Slurm comes near this; bigger input is refused before any decoding.
MAX_TOKEN_LENGTH = 16384
#: Algorithms named in messages; any other ``alg`` value is reported as unsupported, unechoed.
_KNOWN_ALGORITHMS = frozenset(
    {"none", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES256K", "ES384"}
    | {"ES512", "PS256", "PS384", "PS512", "EdDSA", "Ed25519", "Ed448"}
)


class _SlurmHS256(HMACAlgorithm):
    """HS256 taking the key file's bytes as they are, as slurmctld does.

    PyJWT refuses HMAC secrets that look like PEM or DER keys, but some sites create
    jwt_hs256.key with ``openssl genrsa`` and slurmctld accepts it; ``load_key`` has already
    checked the key, so it is used untouched (which also keeps a cache miss cheap).
    """

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)

    def prepare_key(self, key: str | bytes) -> bytes:
        if not isinstance(key, bytes) or not key:
            raise jwt.InvalidKeyError("the HS256 key must be non-empty bytes")
        return key


def _make_jws() -> jwt.PyJWS:
    jws = jwt.PyJWS(algorithms=[])
    jws.register_algorithm(ALGORITHM, _SlurmHS256())
    return jws


_JWS = _make_jws()


def mint(key: bytes, user: str, lifespan: int | None, now: int | None = None) -> str:
    """A token for ``user`` valid ``lifespan`` seconds from ``now``; None lives "forever".

    Exactly what slurmctld issues for ``scontrol token``: claims ``exp``, ``iat`` and ``sun``,
    in libjwt's (sorted) order.
    """
    if not user:
        raise ValueError("a token needs a user name")
    if lifespan is None:
        lifespan = INFINITE_LIFESPAN
    if not 0 < lifespan <= INFINITE_LIFESPAN:
        raise ValueError(f"lifespan must be 1..{INFINITE_LIFESPAN} seconds, not {lifespan}")
    issued_at = int(time.time()) if now is None else now
    claims = {"exp": issued_at + lifespan, "iat": issued_at, "sun": user}
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return _JWS.encode(payload, key, algorithm=ALGORITHM)


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says."""

    user_name: str
    #: ``iat``; None when the issuer left it out (Slurm does not need it).
    issued_at: int | None
    expires_at: int


class TokenVerifier:
    """Checks tokens against one key; ``verify`` is safe to call from any thread.

    ``admins`` are the users whose tokens may act for another user (Slurm: root and SlurmUser).
    ``leeway`` seconds of clock skew are forgiven on ``exp`` and ``nbf``.
    """

    def __init__(
        self,
        key: bytes,
        admins: Iterable[str] = ("root",),
        leeway: int = 0,
        *,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not key:
            raise ValueError("the HS256 key must not be empty")
        self._key = key
        self.admins = frozenset(admins)
        self._leeway = leeway
        self._cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, Claims] = OrderedDict()
        self._lock = threading.Lock()

    def is_admin(self, user_name: str) -> bool:
        return user_name in self.admins

    def verify(self, token: str) -> Claims:
        """The token's claims, or ``AuthError`` saying what is wrong (never echoing the token)."""
        now = self._clock()
        with self._lock:
            claims = self._cache.get(token)
            if claims is not None:
                if now < claims.expires_at + self._leeway:
                    self._cache.move_to_end(token)
                    return claims
                del self._cache[token]
        claims = self._verify_uncached(token, now)
        with self._lock:
            self._cache[token] = claims
            self._cache.move_to_end(token)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return claims

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _verify_uncached(self, token: str, now: float) -> Claims:
        if not token:
            raise AuthError("empty token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError(f"token is longer than {MAX_TOKEN_LENGTH} characters")
        try:
            decoded = _JWS.decode_complete(token, self._key, algorithms=[ALGORITHM])
        except jwt.InvalidAlgorithmError:
            raise AuthError(_unsupported_algorithm(token)) from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature does not match this cluster's key") from None
        except jwt.InvalidTokenError:
            raise AuthError("token is malformed: not a JSON Web Token") from None
        try:
            payload = json.loads(decoded["payload"])
        except (ValueError, RecursionError):
            raise AuthError("token payload is not JSON") from None
        if not isinstance(payload, dict):
            raise AuthError("token payload is not a JSON object")
        return self._claims(payload, now)

    def _claims(self, payload: dict[str, Any], now: float) -> Claims:
        exp = payload.get("exp")
        if exp is None:
            raise AuthError("token has no expiration time (exp claim)")
        if not _is_int(exp):
            raise AuthError("token expiration time (exp claim) is not an integer")
        if exp <= now - self._leeway:
            raise AuthError("token expired")
        nbf = payload.get("nbf")
        if nbf is not None and (not _is_int(nbf) or nbf > now + self._leeway):
            raise AuthError("token is not valid yet (nbf claim)")
        iat = payload.get("iat")
        # 'sun' is preferred, 'username' taken otherwise, as slurmctld does.
        user = payload.get("sun")
        if not isinstance(user, str) or not user:
            user = payload.get("username")
        if not isinstance(user, str) or not user:
            raise AuthError("token names no user (sun or username claim)")
        return Claims(user_name=user, issued_at=iat if _is_int(iat) else None, expires_at=exp)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unsupported_algorithm(token: str) -> str:
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError:
        alg = None
    if isinstance(alg, str) and alg in _KNOWN_ALGORITHMS:
        return f"token algorithm {alg} is not supported: only {ALGORITHM} is accepted"
    return f"token algorithm is not supported: only {ALGORITHM} is accepted"
