"""Slurm's priority/basic: first come, first served; nice shifts a job down (or up).

Each job gets one less than the lowest priority given so far, starting at TOP_PRIORITY, minus
its nice value; a held job has priority 0. After a restart the counting goes on from the
lowest priority of the jobs kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from slurmgate.domain import Job

#: priority/basic's starting point (TOP_PRIORITY in slurmctld).
TOP_PRIORITY = 0xFFFF0000


class PriorityBasic:
    def __init__(self, lowest: int = TOP_PRIORITY) -> None:
        self.lowest = lowest

    def resume(self, jobs: Iterable[Job]) -> None:
        """Go on from the lowest priority ``jobs`` hold (after a restart)."""
        found = [j.priority for j in jobs if j.priority > 1]
        self.lowest = min([TOP_PRIORITY, *found])

    def next(self, nice: int) -> int:
        new = self.lowest - 1 if self.lowest >= 2 else 1
        new = min(max(new - nice, 1), 0xFFFFFFFF)
        self.lowest = min(self.lowest, new)
        return new
