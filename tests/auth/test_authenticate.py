"""Who a request acts as, from slurmrestd's authentication headers."""

from __future__ import annotations

import pytest

from slurmgate.auth.authenticate import authenticate
from slurmgate.auth.tokens import TokenVerifier, mint
from slurmgate.domain.errors import AuthError
from slurmgate.domain.principal import Principal

KEY = bytes(range(64))


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(KEY, admins=["root", "slurm"])


def token_for(user: str) -> str:
    return mint(KEY, user, 600)


def test_user_token_header_alone_authenticates(verifier: TokenVerifier) -> None:
    token = token_for("alice")
    principal = authenticate({"x-slurm-user-token": token}, verifier)
    assert principal == Principal(user_name="alice", token=token, is_admin=False)


def test_user_name_matching_the_token_is_accepted(verifier: TokenVerifier) -> None:
    headers = {"x-slurm-user-token": token_for("alice"), "x-slurm-user-name": "alice"}
    assert authenticate(headers, verifier).user_name == "alice"


def test_bearer_token_authenticates(verifier: TokenVerifier) -> None:
    token = token_for("alice")
    principal = authenticate({"authorization": f"Bearer {token}"}, verifier)
    assert (principal.user_name, principal.token) == ("alice", token)


def test_bearer_scheme_is_case_insensitive(verifier: TokenVerifier) -> None:
    assert authenticate({"authorization": f"bearer {token_for('bob')}"}, verifier).user_name == (
        "bob"
    )


def test_surrounding_whitespace_is_ignored(verifier: TokenVerifier) -> None:
    headers = {"x-slurm-user-token": f" {token_for('alice')} ", "x-slurm-user-name": " alice"}
    assert authenticate(headers, verifier).user_name == "alice"


def test_admin_token_is_marked_admin(verifier: TokenVerifier) -> None:
    principal = authenticate({"x-slurm-user-token": token_for("slurm")}, verifier)
    assert principal.is_admin
    assert principal.token_user_name == ""


def test_admin_may_act_for_another_user(verifier: TokenVerifier) -> None:
    token = token_for("root")
    headers = {"x-slurm-user-token": token, "x-slurm-user-name": "alice"}
    principal = authenticate(headers, verifier)
    assert principal.user_name == "alice"
    assert principal.token_user_name == "root"
    assert principal.token == token
    assert not principal.is_admin  # the acting user's rights, not the token owner's


def test_admin_acting_for_another_admin_stays_admin(verifier: TokenVerifier) -> None:
    headers = {"x-slurm-user-token": token_for("root"), "x-slurm-user-name": "slurm"}
    principal = authenticate(headers, verifier)
    assert (principal.user_name, principal.is_admin) == ("slurm", True)


def test_non_admin_cannot_act_for_another_user(verifier: TokenVerifier) -> None:
    headers = {"x-slurm-user-token": token_for("alice"), "x-slurm-user-name": "bob"}
    with pytest.raises(AuthError, match="alternate user bob from non-admin user alice"):
        authenticate(headers, verifier)


def test_non_admin_cannot_become_root(verifier: TokenVerifier) -> None:
    headers = {"authorization": f"Bearer {token_for('alice')}", "x-slurm-user-name": "root"}
    with pytest.raises(AuthError):
        authenticate(headers, verifier)


def test_both_token_headers_are_ambiguous(verifier: TokenVerifier) -> None:
    token = token_for("alice")
    headers = {"x-slurm-user-token": token, "authorization": f"Bearer {token}"}
    with pytest.raises(AuthError, match="mutually exclusive"):
        authenticate(headers, verifier)


def test_no_token_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(AuthError, match="authentication required"):
        authenticate({}, verifier)


def test_user_name_without_token_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(AuthError, match="missing header user token"):
        authenticate({"x-slurm-user-name": "alice"}, verifier)


@pytest.mark.parametrize("value", ["Basic YWxpY2U6cHc=", "Token abc", "Bearer", "Bearer   "])
def test_authorization_other_than_bearer_is_refused(verifier: TokenVerifier, value: str) -> None:
    with pytest.raises(AuthError) as caught:
        authenticate({"authorization": value}, verifier)
    assert "YWxp" not in caught.value.description


def test_empty_token_header_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(AuthError, match="empty token"):
        authenticate({"x-slurm-user-token": ""}, verifier)


def test_empty_user_name_header_is_refused(verifier: TokenVerifier) -> None:
    headers = {"x-slurm-user-token": token_for("alice"), "x-slurm-user-name": ""}
    with pytest.raises(AuthError, match="X-SLURM-USER-NAME is empty"):
        authenticate(headers, verifier)


def test_bad_token_is_refused_whichever_header_carries_it(verifier: TokenVerifier) -> None:
    forged = mint(bytes(64), "alice", 600)
    for headers in ({"x-slurm-user-token": forged}, {"authorization": f"Bearer {forged}"}):
        with pytest.raises(AuthError, match="signature"):
            authenticate(headers, verifier)


def test_principal_repr_hides_the_token(verifier: TokenVerifier) -> None:
    token = token_for("alice")
    assert token not in repr(authenticate({"x-slurm-user-token": token}, verifier))
