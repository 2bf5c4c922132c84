"""Free CPUs and memory per node over time, on which a scheduling pass places jobs.

A ``Timeline`` is a list of segments, each with the free CPUs and memory of every node from its
start time to the next segment's; running jobs give theirs back at their expected ends. A
``Request`` is what one job needs of it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

#: The end of an unlimited job, and of time.
FOREVER = 1 << 62


@dataclass(frozen=True)
class Request:
    """What one job needs: ``node_count`` of ``nodes`` (index, cpus, memory) for ``duration``."""

    nodes: tuple[tuple[int, int, int], ...]
    node_count: int
    required: frozenset[int]
    duration: int  # seconds; FOREVER = unlimited


@dataclass
class Timeline:
    """Free CPUs and memory per node over time; segment i covers [times[i], times[i + 1])."""

    times: list[int]
    cpus: list[list[int]]
    memory: list[list[int]]

    def _split(self, t: int) -> int:
        i = bisect.bisect_left(self.times, t)
        if i < len(self.times) and self.times[i] == t:
            return i
        self.times.insert(i, t)
        self.cpus.insert(i, list(self.cpus[i - 1]))
        self.memory.insert(i, list(self.memory[i - 1]))
        return i

    def add(self, start: int, end: int, node: int, cpus: int, memory: int) -> None:
        """Add (negative: take) resources on ``node`` during [start, end)."""
        first = self._split(start)
        last = self._split(end) if end < FOREVER else len(self.times)
        for s in range(first, last):
            self.cpus[s][node] += cpus
            self.memory[s][node] += memory

    def copy(self) -> Timeline:
        return Timeline(
            list(self.times), [list(c) for c in self.cpus], [list(m) for m in self.memory]
        )

    def fit(self, req: Request, t: int) -> tuple[list[int], int]:
        """Nodes ``req`` can hold during [t, t + duration), and the first segment that failed.

        The failed segment is -1 on success; when it is set, no window covering it fits either,
        so the search may jump past it.
        """
        first = bisect.bisect_right(self.times, t) - 1
        end = t + req.duration
        ok = list(req.nodes)
        s = first
        while s < len(self.times) and self.times[s] < end:
            free_c, free_m = self.cpus[s], self.memory[s]
            here = [n for n in ok if free_c[n[0]] >= n[1] and free_m[n[0]] >= n[2]]
            if len(here) < req.node_count or not req.required <= {n[0] for n in here}:
                return [], (first if self._room(req, s) else s)
            ok = here
            s += 1
        # Best fit: required nodes first, then those left with the fewest idle CPUs and memory.
        free_c, free_m = self.cpus[first], self.memory[first]
        ok.sort(key=lambda n: (n[0] not in req.required, free_c[n[0]] - n[1], free_m[n[0]] - n[2]))
        return [n[0] for n in ok[: req.node_count]], -1

    def earliest(self, req: Request, start_from: int) -> tuple[int, list[int]] | None:
        """The first time from ``start_from`` at which ``req`` fits, and where; None = never."""
        t = start_from
        while True:
            chosen, failed = self.fit(req, t)
            if failed < 0:
                return t, chosen
            after = failed + 1
            # Segments with too few free nodes cannot be in any window: skip them cheaply.
            while after < len(self.times) and not self._room(req, after):
                after += 1
            if after >= len(self.times):
                return None
            t = self.times[after]

    def _room(self, req: Request, s: int) -> bool:
        free_c, free_m = self.cpus[s], self.memory[s]
        if req.node_count == 1 and not req.required:  # the common case, without the sets
            return any(free_c[i] >= c and free_m[i] >= m for i, c, m in req.nodes)
        fit = {n[0] for n in req.nodes if free_c[n[0]] >= n[1] and free_m[n[0]] >= n[2]}
        return len(fit) >= req.node_count and req.required <= fit
