"""Which records of a new table changed since the table before it: each record's stamp.

A record's stamp is the generation of the table in which the mirror last saw it change; its
rendering (pieces.py) is reused for as long as its stamp stays the same.

- **Records of their own** (a real cluster's, loaded anew each time) are compared with the
  previous table's record of the same key: equal, the record keeps its stamp.
- **Live records** (the embedded cluster's, changed in place) cannot be compared with what
  they were. A record is taken as changed when the backend marked a change of it at or after
  the time of the previous load (backends report changes made in that second too, as
  slurmctld does), and every record of a whole load is taken as changed: some fields (a
  pending job's expected start) change without a mark, as on a real cluster a node's load.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from slurmgate.mirror.tables import Stamps, Table


@dataclass(frozen=True, slots=True)
class Keyed:
    """How the records of a resource are told apart, and how a live one tells its changes."""

    #: The attribute that names a record (a job's id, a node's name).
    key_field: str
    #: Live records: the attribute holding when the backend last marked a change of the
    #: record (Unix time). None: such records tell nothing, and every one is taken as changed.
    marked_field: str | None = None
    key: Callable[[Any], Hashable] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", attrgetter(self.key_field))


JOBS = Keyed("job_id", "last_update")
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
    old = previous.stamps
    before = {keyed.key(record): record for record in previous.items}
    same = len(items) == len(previous.items)
    earlier = iter(previous.items)
    stamps: dict[Hashable, int] = {}
    for record in items:
        key = keyed.key(record)
        found = before.get(key)
        if found is not None and (found is record or found == record):
            stamps[key] = old[key]
            if same and next(earlier, None) is not found:
                same = False  # the same records, in another order
        else:
            stamps[key] = generation
            same = False
    return None if same else stamps


def live(
    previous: Table[Any] | None,
    items: Sequence[Any],
    keyed: Keyed,
    generation: int,
    *,
    whole: bool,
) -> Stamps:
    """The stamps of ``items`` (live records) after a load; ``whole``: a whole load."""
    if previous is None or previous.stamps is None or whole or keyed.marked_field is None:
        return dict.fromkeys(map(keyed.key, items), generation)
    old, since = previous.stamps, previous.last_update
    keys = list(map(keyed.key, items))
    stamps = {key: old.get(key, generation) for key in keys}
    for key, marked in zip(keys, map(attrgetter(keyed.marked_field), items), strict=True):
        if marked >= since:
            stamps[key] = generation
    return stamps
