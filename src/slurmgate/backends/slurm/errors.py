"""Slurm error numbers to slurmgate's exception tree, keeping Slurm's number and text.

slurmrestd answers 500 to every failed call; slurmgate keeps its error entry (number, name,
source) and picks a status that says what happened: an unknown job is 404, someone else's job
403, a controller that does not answer 502.
"""

from __future__ import annotations

from typing import Any

from slurmgate.domain.errors import (
    AuthError,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    NotSupported,
    PermissionDenied,
    SlurmgateError,
)

_UNAVAILABLE = (
    "SLURM_COMMUNICATIONS_CONNECTION_ERROR",
    "SLURM_COMMUNICATIONS_SEND_ERROR",
    "SLURM_COMMUNICATIONS_RECEIVE_ERROR",
    "SLURM_COMMUNICATIONS_SHUTDOWN_ERROR",
    "SLURM_PROTOCOL_VERSION_ERROR",
    "SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR",
    "SLURMCTLD_COMMUNICATIONS_SEND_ERROR",
    "SLURMCTLD_COMMUNICATIONS_RECEIVE_ERROR",
    "SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR",
    "SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT",
    # slurmctld closes the connection on a credential it refuses; tokens are verified before
    # any call, so here it means the controller went away mid-call.
    "SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT",
    "ESLURM_IN_STANDBY_MODE",
    "ESLURM_IN_STANDBY_USE_BACKUP",
    # slurmdbd (or its database) could not be reached.
    "ESLURM_DB_CONNECTION",
    "ESLURM_DB_CONNECTION_INVALID",
)
_CLASSES: dict[str, type[SlurmgateError]] = {
    **dict.fromkeys(_UNAVAILABLE, BackendUnavailable),
    "SLURM_PROTOCOL_AUTHENTICATION_ERROR": AuthError,
    "ESLURM_AUTH_CRED_INVALID": AuthError,
    "ESLURM_AUTH_UNPACK": AuthError,
    "ESLURM_ACCESS_DENIED": PermissionDenied,
    # What slurmctld says when a user updates someone else's job.
    "ESLURM_USER_ID_MISSING": PermissionDenied,
    "ESLURM_INVALID_JOB_ID": NotFound,
    "ESLURM_ALREADY_DONE": Conflict,
    "ESLURM_JOB_FINISHED": Conflict,
    "ESLURM_JOB_PENDING": Conflict,
    "ESLURM_JOB_NOT_PENDING": Conflict,
    "ESLURM_JOB_NOT_RUNNING": Conflict,
    "ESLURM_JOB_NOT_PENDING_NOR_RUNNING": Conflict,
    "ESLURM_TRANSITION_STATE_NO_UPDATE": Conflict,
    "ESLURM_DISABLED": Conflict,
    "ESLURM_NOT_SUPPORTED": NotSupported,
    # slurmdbd: what is in use cannot be removed.
    "ESLURM_JOBS_RUNNING_ON_ASSOC": Conflict,
    "ESLURM_NO_REMOVE_DEFAULT_ACCOUNT": Conflict,
}


class ErrorMap:
    """Built once per binding: the numbers come from the installed headers."""

    def __init__(self, ffi: Any, lib: Any) -> None:
        self._ffi = ffi
        self._lib = lib
        self._classes = {getattr(lib, name): cls for name, cls in _CLASSES.items()}
        self.no_change = int(lib.SLURM_NO_CHANGE_IN_DATA)

    def number(self, name: str) -> int:
        """The value of the error constant ``name`` in the installed headers."""
        return int(getattr(self._lib, name))

    def name(self, errno: int) -> str:
        text = self._lib.slurm_strerror(errno)
        return self._ffi.string(text).decode(errors="replace") if text != self._ffi.NULL else ""

    def error(self, errno: int, source: str, description: str = "") -> SlurmgateError:
        """The exception for ``errno`` raised by the call named ``source``.

        Errors not listed are the request's fault (a bad partition, account, time limit ...):
        400, as slurmctld refused what was asked.
        """
        name = self.name(errno) or f"Slurm error {errno}"
        cls = self._classes.get(errno, InvalidRequest)
        if cls is BackendUnavailable:
            description = description or f"slurmctld did not answer: {name}"
        return cls(description or name, error_number=errno, error=name, source=source)

    def last_error(self, source: str, description: str = "") -> SlurmgateError:
        """The error of the call that just failed on this thread."""
        return self.error(int(self._lib.slurmgate_errno()), source, description)
