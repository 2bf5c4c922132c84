"""The one exception tree of slurmgate.

Backends translate their failures into these classes at their boundary; the HTTP layer maps
each class to a status once (``slurmgate.api.errors``; the statuses below are that mapping).
Nothing below the API knows HTTP.

    SlurmgateError
    ├── ConfigError                 bad settings at start-up (never reaches HTTP)
    ├── AuthError                   401: no token, bad signature, expired, unknown user ...
    ├── PermissionDenied            403: authenticated, but not allowed (someone else's job)
    ├── InvalidRequest              400: unparsable body, wrong types, bad field values
    │   └── UnprocessableRequest    422: well-formed but refused by the scheduler's rules
    ├── NotFound                    404: unknown job, node, partition, reservation
    ├── Conflict                    409: the request contradicts the object's state
    ├── TooManyRequests             429: a rate limit was hit
    ├── NotSupported                501: the backend lacks the capability
    └── BackendUnavailable          502: the cluster (slurmctld, the local store) did not answer

Each error carries Slurm's error number and name where one applies, so the envelope can show
``error_number`` exactly as slurmrestd would.
"""

from __future__ import annotations


class SlurmgateError(Exception):
    """Root of every error slurmgate raises on purpose."""

    #: Slurm's errno for this failure (slurm_errno.h); 0 when there is none.
    default_error_number = 0
    default_error_name = "Unspecified error"

    description: str
    error_number: int
    #: Slurm's short name of the error (slurm_strerror).
    error: str
    #: Where it was detected: a field path, a function, the request.
    source: str

    def __init__(
        self,
        description: str,
        *,
        error_number: int | None = None,
        error: str | None = None,
        source: str = "",
    ) -> None:
        super().__init__(description)
        self.description = description
        self.error_number = self.default_error_number if error_number is None else error_number
        self.error = error or self.default_error_name
        self.source = source


class ConfigError(SlurmgateError):
    """A setting is missing or invalid; raised before serving."""

    default_error_name = "Invalid configuration"


class AuthError(SlurmgateError):
    """The request could not be authenticated."""

    default_error_number = 9008  # ESLURM_REST_AUTH_FAIL
    default_error_name = "Authentication failure"


class PermissionDenied(SlurmgateError):
    default_error_number = 2002  # ESLURM_ACCESS_DENIED
    default_error_name = "Access/permission denied"


class InvalidRequest(SlurmgateError):
    default_error_number = 9000  # ESLURM_REST_INVALID_QUERY
    default_error_name = "Rest invalid query"


class UnprocessableRequest(InvalidRequest):
    default_error_number = 9001  # ESLURM_REST_FAIL_PARSING
    default_error_name = "Rest failed to parse query"


class NotFound(SlurmgateError):
    default_error_number = 9003  # ESLURM_REST_EMPTY_RESULT
    default_error_name = "Rest empty result"


class Conflict(SlurmgateError):
    default_error_number = 2021  # ESLURM_ALREADY_DONE
    default_error_name = "Job/step already completing or completed"


class TooManyRequests(SlurmgateError):
    default_error_number = 9009  # ESLURM_REST_BAD_REQUEST
    default_error_name = "Rate limit exceeded"

    def __init__(self, description: str, *, retry_after: float, **kwargs: object) -> None:
        super().__init__(description, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class NotSupported(SlurmgateError):
    default_error_number = 2036  # ESLURM_NOT_SUPPORTED
    default_error_name = "Not supported by this backend"


class BackendUnavailable(SlurmgateError):
    default_error_number = 1800  # SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR
    default_error_name = "Unable to contact slurm controller (connect failure)"
