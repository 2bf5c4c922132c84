"""What an answer is rendered from: the envelope every version wraps its records in.

Each version's response records read these objects: the listed ``items``, ``errors`` and
``warnings``, the ``meta`` block, the times of the listing, and the result of a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slurmgate.domain import SlurmgateError


@dataclass(frozen=True, slots=True)
class Meta:
    """The ``meta`` block: which plugin answered, and the Slurm release behind it."""

    plugin_type: str
    plugin_name: str
    data_parser: str
    accounting_storage: str
    major: int
    minor: int
    micro: int
    release: str
    cluster: str
    #: The command that answered (``slurmrestd`` prints its argv; slurmgate its name).
    command: tuple[str, ...] = ()
    client_source: str = ""
    client_user: str = ""
    client_group: str = ""

    @property
    def major_text(self) -> str:
        return str(self.major)

    @property
    def minor_text(self) -> str:
        """Two digits, as the daemons print SLURM_MINOR ("05" of 26.05)."""
        return f"{self.minor:02d}"

    @property
    def micro_text(self) -> str:
        return str(self.micro)


@dataclass(slots=True)
class Answer:
    meta: Meta
    items: Sequence[Any] = ()
    errors: Sequence[SlurmgateError] = ()
    #: What the request asked for that slurmgate accepted but will not act on.
    warnings: Sequence[str] = ()
    #: When the listing was made (Unix seconds; 0 unknown).
    last_update: int = 0
    #: When the backfill scheduler last ran (job listings; 0 unknown).
    last_backfill: int = 0
    #: What a change returned (a SubmitResult, the jobs a signal reached, ...).
    result: Any = None
    #: Anything else a response record reads by name.
    extra: dict[str, Any] = field(default_factory=dict)
