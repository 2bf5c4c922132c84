"""One resource's records as the mirror last loaded them."""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: Each record's stamp by its key (a job's id, a node's name): see stamps.py.
Stamps = Mapping[Hashable, int]


@dataclass(frozen=True, slots=True)
class Table(Generic[T]):
    """A resource's records, never changed once made: a new load makes a new table."""

    items: list[T]
    #: The backend's time of the load (Unix seconds): what the next load passes back to be
    #: told only of changes.
    last_update: int
    #: ``last_update`` of the load that found ``items`` changed: no change is older, so a
    #: client's ``update_time`` after it means "nothing new".
    changed_at: int
    #: Counts changes of ``items``: what rendered responses and ETags are keyed by.
    generation: int
    #: When the load that produced or confirmed these records began (monotonic clock).
    loaded_at: float
    #: Each record's stamp, for the resources whose answers are assembled from records
    #: rendered one by one (jobs, nodes); None for the others.
    stamps: Stamps | None = None

    @property
    def age(self) -> float:
        """Seconds since the records were known current."""
        return max(time.monotonic() - self.loaded_at, 0.0)

    def confirmed(self, last_update: int, loaded_at: float) -> Table[T]:
        """The same records, found unchanged by a load begun at ``loaded_at``."""
        return Table(
            self.items, last_update, self.changed_at, self.generation, loaded_at, self.stamps
        )
