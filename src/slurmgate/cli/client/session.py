"""What every client command works with: the connection, the server's versions once asked,
and how to print (colours and progress only on a terminal, never with NO_COLOR)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from slurmgate.cli.client.discovery import Server, discover
from slurmgate.cli.client.errors import ClientError
from slurmgate.cli.client.settings import ClientSettings
from slurmgate.cli.client.transport import Transport

#: ANSI colours of a job's or node's state.
COLOURS = {
    "RUNNING": "32",
    "COMPLETED": "34",
    "PENDING": "33",
    "SUSPENDED": "33",
    "COMPLETING": "36",
    "CANCELLED": "35",
    "IDLE": "32",
    "MIXED": "36",
    "ALLOCATED": "33",
    "UP": "32",
}
FAILURES = ("FAILED", "TIMEOUT", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "DOWN",
            "DRAIN", "DRAINED", "DRAINING", "INACTIVE", "FAIL")  # fmt: skip


class Session:
    def __init__(
        self,
        settings: ClientSettings,
        environ: Mapping[str, str] | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.settings = settings
        self.transport = Transport(settings)
        self.out = out or sys.stdout
        environ = os.environ if environ is None else environ
        self.terminal = self.out.isatty()
        self.colour = (
            self.terminal and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"
        )
        self._server: Server | None = None

    def server(self) -> Server:
        if self._server is None:
            self._server = discover(self.transport, self.settings.api_version)
        return self._server

    def accounting(self) -> str:
        version = self.server().accounting
        if version is None:
            raise ClientError(
                f"the server at {self.transport.url} offers no accounting (/slurmdb/): "
                "its history is not available"
            )
        return version

    def user(self) -> str:
        if not self.settings.user:
            raise ClientError(
                "who you are is unknown: set SLURM_USER_NAME, or use a token that names its "
                "user (sun)"
            )
        return self.settings.user

    def paint(self, text: str, state: str) -> str:
        """``text`` in the colour of ``state``, on a terminal that takes colours."""
        if not self.colour:
            return text
        code = "31" if state.upper() in FAILURES else COLOURS.get(state.upper())
        return f"\x1b[{code}m{text}\x1b[0m" if code else text

    def warn(self, message: str) -> None:
        print(f"slurmgate: warning: {message}", file=sys.stderr)

    def close(self) -> None:
        self.transport.close()
