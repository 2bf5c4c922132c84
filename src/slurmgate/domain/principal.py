"""Who is asking: the authenticated user a request acts as."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    ``token`` is the caller's own JWT, kept so that a real-cluster backend can pass it through
    to slurmctld; it is never logged or rendered.
    """

    user_name: str
    token: str = ""
    is_admin: bool = False
    #: The name in the token when an administrator acts for another user (X-SLURM-USER-NAME).
    token_user_name: str = ""

    def __repr__(self) -> str:  # keep tokens out of logs and tracebacks
        return f"Principal(user_name={self.user_name!r}, is_admin={self.is_admin})"
