"""Mint and verify Slurm's JWTs: HS256 over the raw key, claims ``iat``, ``exp``, ``sun``.

Tokens from ``slurmgate token`` and from ``scontrol token`` are interchangeable: same header
(``{"alg":"HS256","typ":"JWT"}``), same claims, same key. Verification follows slurmctld's
auth/jwt: the signature must match, ``exp`` must lie ahead, and the user comes from ``sun``,
else from ``username`` (what other issuers use). Every request verifies a token, so successful
verifications are cached until their token expires.

Beyond Slurm's single key, the key a token is checked against is chosen by its header:

- ``alg`` HS256 without ``kid``: the default key (Slurm's ``jwt_hs256.key``);
- ``alg`` HS256 with ``kid``: that key among the rotation keys (``auth.keys``), refused once
  the key is retired;
- ``alg`` RS256 with ``kid``: that RSA public key of the OIDC provider's JWKS; the user comes
  from the configured claim (Slurm's ``userclaimfield``).

Each algorithm looks only among keys of its own kind, so an HMAC secret never checks an RS256
token and an RSA key never checks an HS256 one (the classic key-confusion attack).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import jwt
from jwt.algorithms import HMACAlgorithm

from slurmgate.auth.keyring import HmacKey, KeyRing, format_time
from slurmgate.domain.errors import AuthError

if TYPE_CHECKING:
    from slurmgate.auth.jwks import JwksKeys

ALGORITHM = "HS256"
RSA_ALGORITHM = "RS256"
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
    checked the key, so it is used untouched (which also keeps a cache miss cheap). Only
    secrets from the key files ever reach it: the RSA keys of the JWKS go to ``_RS256``.
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
# A separate instance knowing RS256 alone: whatever a token's header says, this one can only
# check an RSA signature, and ``_JWS`` only an HMAC one.
_RS256 = jwt.PyJWS(algorithms=[RSA_ALGORITHM])


def mint(
    key: bytes,
    user: str,
    lifespan: int | None,
    now: int | None = None,
    *,
    kid: str | None = None,
    jti: str | None = None,
) -> str:
    """A token for ``user`` valid ``lifespan`` seconds from ``now``; None lives "forever".

    Without ``kid`` and ``jti``, exactly what slurmctld issues for ``scontrol token``: claims
    ``exp``, ``iat`` and ``sun``, in libjwt's (sorted) order. ``kid`` names the signing key in
    the header; ``jti`` gives the token an id it can be revoked by.
    """
    if not user:
        raise ValueError("a token needs a user name")
    if lifespan is None:
        lifespan = INFINITE_LIFESPAN
    if not 0 < lifespan <= INFINITE_LIFESPAN:
        raise ValueError(f"lifespan must be 1..{INFINITE_LIFESPAN} seconds, not {lifespan}")
    issued_at = int(time.time()) if now is None else now
    claims: dict[str, object] = {"exp": issued_at + lifespan, "iat": issued_at, "sun": user}
    if jti is not None:
        claims["jti"] = jti
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    headers = {"kid": kid} if kid is not None else None
    return _JWS.encode(payload, key, algorithm=ALGORITHM, headers=headers)


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says."""

    user_name: str
    #: ``iat``; None when the issuer left it out (Slurm does not need it).
    issued_at: int | None
    expires_at: int
    #: ``jti``: the id the token can be revoked by; Slurm's own tokens have none.
    token_id: str | None = None
    #: The header's ``kid``: which key signed it (None: the default key).
    key_id: str | None = None
    algorithm: str = ALGORITHM


class RevocationList(Protocol):
    """What the verifier asks of the revocation store (``slurmgate.auth.revocation``)."""

    def revoked(self, claims: Claims, now: float) -> str | None:
        """Why the token is revoked, or None when it is not."""
        ...


@dataclass(frozen=True, slots=True)
class _Cached:
    claims: Claims
    #: The verification holds until then: the token's expiry, or its key's retirement.
    valid_until: float
    #: The JWKS generation an RS256 token was checked against; a changed JWKS re-checks it.
    jwks_generation: int


class TokenVerifier:
    """Checks tokens against the configured keys; ``verify`` is safe to call from any thread.

    ``admins`` are the users whose tokens may act for another user (Slurm: root and SlurmUser).
    ``leeway`` seconds of clock skew are forgiven on ``exp`` and ``nbf``. ``keys`` are the
    rotation keys chosen by ``kid``; ``jwks`` the OIDC provider's public keys; tokens whose
    lifespan (``exp - iat``) exceeds ``max_lifespan`` are refused, as are those ``revocations``
    names, even when an earlier verification of theirs is cached.
    """

    def __init__(
        self,
        key: bytes,
        admins: Iterable[str] = ("root",),
        leeway: int = 0,
        *,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.time,
        keys: Iterable[HmacKey] = (),
        jwks: JwksKeys | None = None,
        revocations: RevocationList | None = None,
        max_lifespan: int | None = None,
        user_claim: str = "sun",
    ) -> None:
        if not key:
            raise ValueError("the HS256 key must not be empty")
        self._keyring = KeyRing(key, keys)
        self.admins = frozenset(admins)
        self._leeway = leeway
        self._cache_size = cache_size
        self._clock = clock
        self._jwks = jwks
        self._revocations = revocations
        self._max_lifespan = max_lifespan
        self._user_claim = user_claim
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def keyring(self) -> KeyRing:
        return self._keyring

    def is_admin(self, user_name: str) -> bool:
        return user_name in self.admins

    def verify(self, token: str) -> Claims:
        """The token's claims, or ``AuthError`` saying what is wrong (never echoing the token)."""
        now = self._clock()
        generation = self._jwks.generation() if self._jwks is not None else 0
        with self._lock:
            cached = self._cache.get(token)
            if cached is not None:
                if now < cached.valid_until and (
                    cached.claims.algorithm != RSA_ALGORITHM or cached.jwks_generation == generation
                ):
                    self._cache.move_to_end(token)
                else:
                    del self._cache[token]
                    cached = None
        if cached is not None:
            self._check_revoked(cached.claims, now)
            return cached.claims
        claims, valid_until = self._verify_uncached(token, now)
        self._check_revoked(claims, now)
        with self._lock:
            self._cache[token] = _Cached(claims, valid_until, generation)
            self._cache.move_to_end(token)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return claims

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _check_revoked(self, claims: Claims, now: float) -> None:
        if self._revocations is not None:
            reason = self._revocations.revoked(claims, now)
            if reason is not None:
                raise AuthError(reason)

    def _verify_uncached(self, token: str, now: float) -> tuple[Claims, float]:
        if not token:
            raise AuthError("empty token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError(f"token is longer than {MAX_TOKEN_LENGTH} characters")
        try:
            header = _JWS.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthError("token is malformed: not a JSON Web Token") from None
        alg = header.get("alg")
        kid = header.get("kid")
        signer: HmacKey | None = None
        if alg == ALGORITHM:
            signer = self._hmac_key(kid)
            payload = _decode(_JWS, token, signer.secret, ALGORITHM)
        elif alg == RSA_ALGORITHM and self._jwks is not None:
            payload = _decode(_RS256, token, self._jwks.key(kid), RSA_ALGORITHM)
        else:
            raise AuthError(self._unsupported_algorithm(alg))
        valid_until = float("inf")
        if signer is not None and signer.retire_after is not None:
            # Checked after the signature, so only the key's holders learn it is retired.
            if now >= signer.retire_after:
                raise AuthError(
                    f"token was signed with key '{signer.kid}', retired since "
                    f"{format_time(signer.retire_after)}: get a new token "
                    "(`slurmgate token`, or POST /slurmgate/v1/token/refresh before it retires)"
                )
            valid_until = signer.retire_after
        claims = self._claims(payload, now, alg, kid)
        return claims, min(valid_until, claims.expires_at + self._leeway)

    def _hmac_key(self, kid: object) -> HmacKey:
        if kid is None:
            return self._keyring.default
        found = self._keyring.get(str(kid))
        if found is not None:
            return found
        if self._jwks is not None and self._jwks.has(str(kid)):
            raise AuthError(
                "token algorithm HS256 does not match its key, an RS256 key of the JWKS: "
                "refused (an RSA public key is never used as an HMAC secret)"
            )
        raise AuthError("token names a signing key (kid header) this gateway does not have")

    def _claims(self, payload: dict[str, Any], now: float, alg: str, kid: object) -> Claims:
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
        issued_at = iat if _is_int(iat) else None
        if self._max_lifespan is not None:
            self._check_lifespan(exp, issued_at, now)
        user = self._user(payload, alg)
        jti = payload.get("jti")
        return Claims(
            user_name=user,
            issued_at=issued_at,
            expires_at=exp,
            token_id=jti if isinstance(jti, str) and jti else None,
            key_id=kid if isinstance(kid, str) else None,
            algorithm=alg,
        )

    def _check_lifespan(self, exp: int, issued_at: int | None, now: float) -> None:
        assert self._max_lifespan is not None  # noqa: S101 - the caller checked
        if issued_at is None:
            raise AuthError(
                "token has no issue time (iat claim), which tokens need when a maximum "
                "lifespan is set (auth.max_lifespan)"
            )
        # An issue time in the future must not stretch the span still ahead of the token.
        lifespan = exp - min(issued_at, int(now))
        if lifespan > self._max_lifespan + self._leeway:
            raise AuthError(
                f"token lifespan of {lifespan} seconds exceeds the maximum of "
                f"{self._max_lifespan} seconds (auth.max_lifespan): get a shorter-lived token"
            )

    def _user(self, payload: dict[str, Any], alg: str) -> str:
        # 'sun' is preferred, 'username' taken otherwise, as slurmctld does; OIDC tokens name
        # their user in the configured claim (Slurm's userclaimfield).
        if alg == RSA_ALGORITHM and self._user_claim != "sun":
            names: tuple[str, ...] = (self._user_claim,)
        else:
            names = ("sun", "username")
        for name in names:
            user = payload.get(name)
            if isinstance(user, str) and user:
                return user
        raise AuthError(f"token names no user ({' or '.join(names)} claim)")

    def _unsupported_algorithm(self, alg: object) -> str:
        accepted = ALGORITHM if self._jwks is None else f"{ALGORITHM} and {RSA_ALGORITHM}"
        only = "only " + accepted + (" is" if self._jwks is None else " are") + " accepted"
        if isinstance(alg, str) and alg in _KNOWN_ALGORITHMS:
            return f"token algorithm {alg} is not supported: {only}"
        return f"token algorithm is not supported: {only}"


def _decode(jws: jwt.PyJWS, token: str, key: Any, algorithm: str) -> dict[str, Any]:
    try:
        decoded = jws.decode_complete(token, key, algorithms=[algorithm])
    except jwt.InvalidAlgorithmError:
        raise AuthError(f"token algorithm is not supported: only {algorithm} here") from None
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
    return payload


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
