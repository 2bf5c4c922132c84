"""The canonical domain model: no HTTP and no Slurm structs in here."""

from slurmgate.domain.cluster import (
    ControllerPing,
    License,
    Node,
    NodeState,
    Partition,
    Reservation,
)
from slurmgate.domain.errors import (
    AuthError,
    BackendUnavailable,
    ConfigError,
    Conflict,
    InvalidRequest,
    NotFound,
    NotSupported,
    PermissionDenied,
    SlurmgateError,
    TooManyRequests,
    UnprocessableRequest,
)
from slurmgate.domain.jobs import (
    ExitStatus,
    Job,
    JobSpec,
    JobState,
    JobStateReason,
    JobSubmission,
    JobUpdate,
    NodeAllocation,
    SubmitResult,
)
from slurmgate.domain.principal import Principal
from slurmgate.domain.stats import RpcByType, RpcByUser, Stats

__all__ = [
    "AuthError",
    "BackendUnavailable",
    "ConfigError",
    "Conflict",
    "ControllerPing",
    "ExitStatus",
    "InvalidRequest",
    "Job",
    "JobSpec",
    "JobState",
    "JobStateReason",
    "JobSubmission",
    "JobUpdate",
    "License",
    "Node",
    "NodeAllocation",
    "NodeState",
    "NotFound",
    "NotSupported",
    "Partition",
    "PermissionDenied",
    "Principal",
    "Reservation",
    "RpcByType",
    "RpcByUser",
    "SlurmgateError",
    "Stats",
    "SubmitResult",
    "TooManyRequests",
    "UnprocessableRequest",
]
