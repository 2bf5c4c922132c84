"""The client's failures, each reported as ``slurmgate: error: ...`` with its exit status.

ClientError            exit 1: the command failed
+-- ServerError        the server refused: its status and its error envelope
+-- Unreachable        no answer from the server at all
UsageError             exit 2: the command was used or configured wrongly
"""

from __future__ import annotations

#: As ``slurmgate.cli.common`` (not imported: a client command starts without the server's
#: settings and their imports).
EXIT_FAILURE = 1
EXIT_USAGE = 2


class ClientError(Exception):
    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class UsageError(ClientError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


class Unreachable(ClientError):
    pass


class ServerError(ClientError):
    """An answer other than success; ``errors`` are the envelope's entries."""

    def __init__(self, http_status: int, errors: list[str], what: str) -> None:
        self.http_status = http_status
        self.errors = errors
        detail = "; ".join(errors) if errors else "no error given"
        super().__init__(f"{what}: HTTP {http_status}: {detail}")


def describe_error(entry: object) -> str:
    """One entry of slurmrestd's envelope, in every version's wording: ``error``,
    ``description``, ``error_number`` (22.05: ``error_code``, v0.0.36/37: ``errno``), ``source``."""
    if not isinstance(entry, dict):
        return str(entry)
    error = str(entry.get("error") or "")
    description = str(entry.get("description") or "")
    number = next(
        (entry[k] for k in ("error_number", "error_code", "errno") if entry.get(k) is not None),
        None,
    )
    text = error
    if description.startswith(error):  # slurmgate's descriptions often say it again
        text = description
    elif description:
        text = f"{text}: {description}" if text else description
    if number not in (None, 0):
        text = f"{text} (error {number})"
    source = entry.get("source")
    if source:
        text = f"{text} [{source}]"
    return text or "unknown error"
