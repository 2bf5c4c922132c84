"""Which accounting records a query chooses, by slurmdbd's rules (as_mysql_jobacct_process.c).

``prefilter`` narrows the SQL read to rows that may match (job ids, users, accounts, the window's
start); ``Selection.matches`` then applies every filter exactly as slurmdbd does, the time window
first: without states, jobs eligible before the window's end that had not ended at its start;
with states, jobs in each state during the window (a finished state: ended within it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from slurmgate.backends.local.acct_rows import REQUEUED
from slurmgate.domain import InvalidRequest, Job, JobState, hostlist
from slurmgate.domain.accounting import AccountingQuery, StepSelector, default_window

#: Terminal states slurmdbd selects by their end within the window.
_ENDED = frozenset(s.value for s in JobState if s.is_finished) | {REQUEUED, "REVOKED", "RESIZING"}


#: slurmdbd's unlimited time limit (INFINITE).
_INFINITE = 0xFFFFFFFF


def _midnight(now: int) -> int:
    local = time.localtime(now)
    return int(time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1)))


def _names(text: str) -> set[str]:
    if not text:
        return set()
    try:
        return set(hostlist.expand(text))
    except InvalidRequest:
        return {text}


@dataclass(frozen=True)
class Selection:
    """A query with its window settled; ``start``/``end`` None when the query has no window."""

    query: AccountingQuery
    start: int | None
    end: int | None
    selectors: tuple[StepSelector, ...]

    @classmethod
    def of(cls, query: AccountingQuery, now: int) -> Selection:
        query.check()
        if query.window_is_submit_time:
            start, end = query.start_time, query.end_time
        else:
            start, end = default_window(query, now, _midnight(now))
        return cls(query, start, end, tuple(query.selectors()))

    def prefilter(self) -> tuple[str, list[object]]:
        """A WHERE clause (with its parameters) no matching row fails."""
        clauses: list[str] = []
        params: list[object] = []
        q = self.query
        if self.selectors:
            ids = sorted({s.job_id for s in self.selectors})
            marks = ",".join("?" * len(ids))
            clauses.append(
                f"(job_id IN ({marks}) OR array_job_id IN ({marks}) OR het_job_id IN ({marks}))"
            )
            params += ids * 3
        for column, values in (("user_name", q.users), ("account", q.accounts)):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params += list(values)
        if self.start is not None and not (self.selectors and q.window_is_submit_time):
            clauses.append("(end_time = 0 OR end_time >= ?)")
            params.append(self.start)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def chooses(self, job: Job) -> bool:
        """Whether the job named, if any were named, is among those named."""
        if not self.selectors:
            return True
        return any(_selected(s, job, self.query.whole_hetjob) for s in self.selectors)

    def steps_for(self, job: Job) -> set[str] | None:
        """The step ids asked for of ``job``; None for every step."""
        wanted: set[str] = set()
        for selector in self.selectors:
            if _selected(selector, job, self.query.whole_hetjob):
                if selector.step is None:
                    return None
                wanted.add(selector.step)
        return wanted or None

    def in_window(self, job: Job, state: str) -> bool:
        q, start, end = self.query, self.start, self.end
        eligible, submitted = job.eligible_time, job.submit_time
        pending = state == JobState.PENDING.value
        began = 0 if pending else job.start_time
        ended = 0 if pending else job.end_time
        if q.states:
            if start is None and end is None:
                return state in {s.upper() for s in q.states}
            s, e = start or 0, end if end is not None else 1 << 62
            return any(
                _state_in_window(wanted.upper(), state, eligible, began, ended, s, e)
                for wanted in q.states
            )
        if self.selectors:
            if q.window_is_submit_time:
                return True
            return submitted < (end or 0) and (ended >= (start or 0) or ended == 0)
        if start:
            if end is None:
                return ended >= start or ended == 0
            return bool(eligible) and eligible < end and (ended >= start or ended == 0)
        if end is not None:
            return bool(eligible) and eligible < end
        return True

    def matches(self, job: Job, state: str) -> bool:
        """Every filter of the query but the time window and job ids, as slurmdbd applies it."""
        q = self.query
        checks: list[tuple[tuple[str, ...], str]] = [
            (q.users, job.user_name),
            (q.accounts, job.account),
            (q.partitions, job.partition),
            (q.qos, job.qos),
            (q.job_names, job.name),
            (q.wckeys, job.wckey),
            (q.clusters, job.cluster),
            (q.associations, str(job.association_id)),
            (q.reservations, job.reservation),
            (q.reasons, job.state_reason),
        ]
        for wanted, value in checks:
            if wanted and value not in wanted:
                return False
        if q.groups and not {job.group_name, str(job.group_id)} & set(q.groups):
            return False
        for constraint in q.constraints:  # every one, as a substring (slurmdbd's LIKE)
            if (constraint and constraint not in job.features) or (not constraint and job.features):
                return False
        if q.reservation_ids:  # the embedded cluster's reservations have no ids
            return False
        if q.nodes and not _names(q.nodes) & _names(job.nodes):
            return False
        if q.exit_code is not None and (job.exit_code is None or job.exit_code.raw != q.exit_code):
            return False
        started = state != JobState.PENDING.value
        limit = job.time_limit if job.time_limit is not None else _INFINITE
        for amount, low, high in (
            (job.cpus if started else 0, q.cpus_min, q.cpus_max),
            (job.node_count if started else 0, q.nodes_min, q.nodes_max),
            (limit, q.time_limit_min, q.time_limit_max),
        ):
            # slurmdbd: a minimum alone asks for that exact amount, with a maximum a range.
            if low and not (low <= amount <= high if high else amount == low):
                return False
        # The embedded cluster records no start flags: every job is "unset".
        return not (q.scheduler and "unset" not in q.scheduler)


def _selected(selector: StepSelector, job: Job, whole_hetjob: bool | None) -> bool:
    if selector.array_task_id is not None:
        return job.array_job_id == selector.job_id and job.array_task_id == selector.array_task_id
    if selector.het_offset is not None:
        return job.het_job_id == selector.job_id and job.het_job_offset == selector.het_offset
    if job.job_id == selector.job_id or job.array_job_id == selector.job_id:
        return True
    return job.het_job_id == selector.job_id and whole_hetjob is not False


def _state_in_window(
    wanted: str, state: str, eligible: int, began: int, ended: int, start: int, end: int
) -> bool:
    if wanted == JobState.PENDING.value:
        return (
            bool(eligible)
            and (
                (bool(began) and start < began)
                or (not began and bool(ended) and start < ended)
                or (not began and not ended and state == wanted)
            )
            and end > eligible
        )
    if wanted == JobState.RUNNING.value:
        return bool(began) and (start < ended or (not ended and state == wanted)) and end > began
    if wanted == JobState.SUSPENDED.value:
        return state == wanted
    if wanted in _ENDED:
        return state == wanted and bool(ended) and start <= ended <= end
    return state == wanted
