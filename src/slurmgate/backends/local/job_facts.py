"""Facts about a job that job control, recovery and signals all read."""

from __future__ import annotations

import signal as signals

from slurmgate.domain import Job, JobState


def runs_script(job: Job) -> bool:
    """Only a batch job runs a script, of a heterogeneous job only the leader; the others
    (allocations, components) hold resources."""
    return job.batch_flag and (not job.het_job_id or job.het_job_offset in (0, None))


#: The state flag of a requeued job whose processes are still ending.
COMPLETING = "COMPLETING"


def completing(job: Job) -> bool:
    """A requeued job whose processes are still ending: it holds its allocation."""
    return job.state is JobState.PENDING and COMPLETING in job.state_flags


def raised_signal_reason(sig: int) -> str:
    try:
        name = signals.strsignal(sig) or f"Signal {sig}"
    except ValueError:
        name = f"Signal {sig}"
    return f"RaisedSignal:{sig}({name})"
