"""Which records of a new table changed since the table before it: each record's stamp.

A record's stamp is the generation of the table in which the mirror last saw it change; its
rendering (pieces.py) is reused for as long as its stamp stays the same.

- **Records of their own** (a real cluster's, loaded anew each time) are compared with the
  previous table's record of the same key, but for the fields no version prints: equal, the
  record keeps its stamp.
- **Live records** (the embedded cluster's, changed in place) cannot be compared with what
  they were. A record is taken as changed when the backend marked a change of it at or after
  the time of the previous load (backends report changes made in that second too, as
  slurmctld does), and every record of a whole load is taken as changed: some fields (a
  pending job's expected start) change without a mark, as on a real cluster a node's load.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter, eq
from typing import Any

from slurmgate.mirror.tables import Stamps, Table


@dataclass(frozen=True, slots=True)
class Keyed:
    """How the records of a resource are told apart and compared."""

    #: The attribute that names a record (a job's id, a node's name).
    key_field: str
    #: Fields no version prints, left out of comparisons (a real cluster's job carries the
    #: time of the load that read it: every job would differ from the previous load's).
    unprinted: frozenset[str] = frozenset()
    key: Callable[[Any], Hashable] = field(init=False)
    same: Callable[[Any, Any], bool] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", attrgetter(self.key_field))
        object.__setattr__(self, "same", _SameBut(self.unprinted) if self.unprinted else eq)


class _SameBut:
    """Whether two dataclass records are equal but for the fields named."""

    def __init__(self, left_out: frozenset[str]) -> None:
        self._left_out = left_out
        self._printed: dict[type, Callable[[Any], tuple[Any, ...]]] = {}

    def __call__(self, a: Any, b: Any) -> bool:
        kind = type(a)
        printed = self._printed.get(kind)
        if printed is None:
            names = [f.name for f in fields(kind) if f.name not in self._left_out]
            printed = self._printed[kind] = attrgetter(*names)
        return type(b) is kind and printed(a) == printed(b)


JOBS = Keyed("job_id", frozenset({"last_update"}))
NODES = Keyed("name")
#: By resource name (the collector's ``Resource`` values).
KEYED_BY = {"jobs": JOBS, "nodes": NODES}


def compared(
    previous: Table[Any] | None, items: Sequence[Any], keyed: Keyed, generation: int
) -> Stamps | None:
    """The stamps of ``items`` (records of their own), a changed record's being
    ``generation``; None when nothing changed (the same records in the same order).

    Costs a comparison per record: run it off the event loop for big tables."""
    if previous is None or previous.stamps is None:
        return {keyed.key(record): generation for record in items}
    old, equal = previous.stamps, keyed.same
    before = {keyed.key(record): record for record in previous.items}
    unchanged = len(items) == len(previous.items)
    earlier = iter(previous.items)
    stamps: dict[Hashable, int] = {}
    for record in items:
        key = keyed.key(record)
        found = before.get(key)
        if found is not None and (found is record or equal(found, record)):
            stamps[key] = old[key]
            if unchanged and next(earlier, None) is not found:
                unchanged = False  # the same records, in another order
        else:
            stamps[key] = generation
            unchanged = False
    return None if unchanged else stamps


def live(items: Sequence[Any], keyed: Keyed, generation: int) -> Stamps:
    """The stamps of live records whose backend gives none of its own (``Listing.stamps``):
    such records tell nothing of their changes, so every one is taken as changed."""
    return dict.fromkeys(map(keyed.key, items), generation)
