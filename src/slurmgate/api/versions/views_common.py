"""Views every version's envelope reads: what a change returned, warnings, errors."""

from __future__ import annotations

from slurmgate.api.versions.answer import Answer
from slurmgate.domain import SlurmgateError, Stats, SubmitResult

# -- envelope --------------------------------------------------------------------------------


def statistics(answer: Answer) -> Stats:
    """diag's one record."""
    stats: Stats = answer.items[0]
    return stats


def submitted_job_id(answer: Answer) -> int:
    result: SubmitResult = answer.result
    return result.job_id


def submitted_step_id(answer: Answer) -> str:
    """jobs.c names the special steps in upper case ("BATCH")."""
    step: str = answer.result.step_id
    return step if step.isdigit() else step.upper()


def submitted_user_message(answer: Answer) -> str:
    message: str = answer.result.user_message
    return message


def warning_description(warning: str) -> str:
    return warning


def warning_text(warning: str) -> str:
    """The warning without its source ("source: text"), as data_parser versions print it."""
    return warning.split(": ", 1)[1] if ": " in warning else warning


def warning_source(warning: str) -> str:
    return warning.split(":", 1)[0]


def error_name(error: SlurmgateError) -> str:
    return error.error


def hostnames(answer: Answer) -> str:
    """util/hostnames' answer (comma-separated, printed as a list)."""
    return ",".join(answer.extra["hostnames"])


def hostlist(answer: Answer) -> str:
    found: str = answer.extra["hostlist"]
    return found


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__}  # fmt: skip
