"""Who a request acts as, from slurmrestd's authentication headers.

The rules of slurmrestd's rest_auth/jwt and slurmctld's auth/jwt together:

- the token comes from ``X-SLURM-USER-TOKEN`` or from ``Authorization: Bearer``; both at once
  is ambiguous and refused, neither is refused;
- ``X-SLURM-USER-NAME`` is optional; when it names someone other than the token's user, the
  token's user must be an administrator (Slurm: root or SlurmUser), who then acts as that user.
"""

from __future__ import annotations

from collections.abc import Mapping

from slurmgate.auth.tokens import TokenVerifier
from slurmgate.domain.errors import AuthError
from slurmgate.domain.principal import Principal

HEADER_USER_TOKEN = "x-slurm-user-token"  # noqa: S105 - a header name, not a secret
HEADER_USER_NAME = "x-slurm-user-name"
HEADER_AUTHORIZATION = "authorization"
_BEARER = "bearer "


def authenticate(headers: Mapping[str, str], verifier: TokenVerifier) -> Principal:
    """The caller, or ``AuthError``; ``headers`` are looked up by lower-case name."""
    token_header = headers.get(HEADER_USER_TOKEN)
    authorization = headers.get(HEADER_AUTHORIZATION)
    user_name = headers.get(HEADER_USER_NAME)

    if token_header is None and authorization is None:
        if user_name is not None:
            raise AuthError("missing header user token: X-SLURM-USER-TOKEN")
        raise AuthError(
            "authentication required: send a token in X-SLURM-USER-TOKEN "
            "or Authorization: Bearer (create one with `slurmgate token`)"
        )
    if token_header is not None and authorization is not None:
        raise AuthError(
            "mutually exclusive headers X-SLURM-USER-TOKEN and Authorization found: "
            "rejecting ambiguous authentication request"
        )
    token = token_header.strip() if token_header is not None else _bearer(authorization or "")
    if not token:
        raise AuthError("empty token")

    claims = verifier.verify(token)

    if user_name is not None:
        user_name = user_name.strip()
        if not user_name:
            raise AuthError("header X-SLURM-USER-NAME is empty")
    if user_name is None or user_name == claims.user_name:
        return Principal(
            user_name=claims.user_name,
            token=token,
            is_admin=verifier.is_admin(claims.user_name),
        )
    if not verifier.is_admin(claims.user_name):
        raise AuthError(
            f"attempt to authenticate as alternate user {user_name} from non-admin user "
            f"{claims.user_name}: only administrators may act for another user"
        )
    return Principal(
        user_name=user_name,
        token=token,
        is_admin=verifier.is_admin(user_name),
        token_user_name=claims.user_name,
    )


def _bearer(authorization: str) -> str:
    # The scheme is case-insensitive (RFC 9110 section 11.1); the value is never echoed.
    if authorization[: len(_BEARER)].lower() != _BEARER:
        raise AuthError("unexpected format for Authorization header: expected 'Bearer TOKEN'")
    return authorization[len(_BEARER) :].strip()
