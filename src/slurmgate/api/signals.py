"""Signals as DELETE job/{job_id}?signal= names them: a number or a name, SIGKILL by default."""

from __future__ import annotations

import re
import signal as _signal

from slurmgate.domain import InvalidRequest
from slurmgate.domain import slurm_errno as errno

# sig_name2num in src/common/proc_args.c: these names, with or without "SIG", any case.
_SIGNAL_LIST = "HUP INT QUIT ABRT KILL ALRM TERM USR1 USR2 URG CONT STOP TSTP TTIN TTOU XCPU"
_SIGNAL_NAMES = {name: int(getattr(_signal, f"SIG{name}")) for name in _SIGNAL_LIST.split()}
_SIGRTMAX = int(getattr(_signal, "SIGRTMAX", 64))


def parse_signal(value: str | int | None) -> int:
    """DELETE ?signal=: a number or a signal name; none means SIGKILL (cancel)."""
    if value is None:
        return int(_signal.SIGKILL)
    number = 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?[0-9]+", text):
            number = int(text)
        else:
            name = text.upper().removeprefix("SIG")
            number = _SIGNAL_NAMES.get(name, 0)
    if not 1 <= number < _SIGRTMAX:
        raise InvalidRequest(
            f"invalid signal: {value}",
            error_number=errno.ESLURM_REST_INVALID_QUERY,
            error="Query empty or not RFC7320 compliant",
            source="HTTP request: signal",
        )
    return number
