"""What a submission needs besides its job description: who submits it, and why it was refused.

slurmctld expects the submitting user's uid and primary gid in the job description and checks
them against the credential; a refusal's error number often says which value it refused, which
the error's description then names.
"""

from __future__ import annotations

import pwd
import time

from slurmgate.backends.slurm.client import Call
from slurmgate.domain import JobSubmission
from slurmgate.domain.errors import AuthError

#: Submission fields that a refusal's error number points at, to name the value in the message.
_REFUSED_FIELDS = {
    "ESLURM_INVALID_PARTITION_NAME": "partition",
    "ESLURM_INVALID_ACCOUNT": "account",
    "ESLURM_INVALID_QOS": "qos",
    "ESLURM_INVALID_LICENSES": "licenses",
    "ESLURM_DEPENDENCY": "dependency",
    "ESLURM_RESERVATION_INVALID": "reservation",
    "ESLURM_INVALID_FEATURE": "constraints",
}


def refusal(call: Call, errno: int, submission: JobSubmission) -> str:
    """slurmctld's reason, naming the value it refused where the error number tells which."""
    reason = call.errors.name(errno)
    for constant, field in _REFUSED_FIELDS.items():
        if errno == call.errors.number(constant):
            values = [getattr(spec, field) for spec in submission.jobs]
            given = [v for v in values if v is not None]
            if given:
                return f"{reason}: {field} {', '.join(repr(v) for v in given)}"
    return reason


_id_cache: dict[str, tuple[int, int, float]] = {}


def user_ids(user_name: str) -> tuple[int, int]:
    """The user's uid and primary gid, which slurmctld expects in the job description."""
    now = time.monotonic()
    cached = _id_cache.get(user_name)
    if cached is not None and now - cached[2] < 60:
        return cached[0], cached[1]
    try:
        entry = pwd.getpwnam(user_name)
    except KeyError:
        raise AuthError(
            f"User {user_name!r} is not known on this host", error_number=9004
        ) from None
    _id_cache[user_name] = (entry.pw_uid, entry.pw_gid, now)
    return entry.pw_uid, entry.pw_gid
