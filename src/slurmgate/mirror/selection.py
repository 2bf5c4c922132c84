"""Which jobs a request for a job list gets: what its user may see, its filters, its page.

The filters and pagination are slurmgate's own, additive to slurmrestd's API: without them a
request gets exactly slurmrestd's answer. Pages follow job ids upwards; the cursor names the
last job id of the previous page, so a page stays correct while jobs come and go.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from slurmgate.domain import InvalidRequest, Job, JobState
from slurmgate.domain import slurm_errno as errno
from slurmgate.domain.access import AccessRules

#: Query parameters of GET jobs, other than slurmrestd's update_time.
FILTERS = ("users", "accounts", "partitions", "states", "job_ids", "name")
CURSOR_PREFIX = b"after:"


@dataclass(frozen=True, slots=True)
class JobQuery:
    users: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    partitions: frozenset[str] = frozenset()
    states: frozenset[JobState] = frozenset()
    job_ids: frozenset[int] = frozenset()
    name: str | None = None
    limit: int | None = None
    #: Only jobs with a greater id (from the cursor).
    after: int = 0

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> JobQuery:
        """From the query string; ``InvalidRequest`` naming the parameter it cannot take."""
        return cls(
            users=_names(params, "users"),
            accounts=_names(params, "accounts"),
            partitions=_names(params, "partitions"),
            states=frozenset(_state(text) for text in _names(params, "states")),
            job_ids=frozenset(_job_id(text) for text in _names(params, "job_ids")),
            name=params.get("name") or None,
            limit=_limit(params.get("limit")),
            after=_cursor(params.get("cursor")),
        )

    @property
    def filters(self) -> bool:
        return bool(
            self.users or self.accounts or self.partitions or self.states or self.job_ids
        ) or (self.name is not None)

    def key(self) -> tuple[object, ...]:
        """What tells two queries' answers apart, for the response cache."""
        return (
            tuple(sorted(self.users)),
            tuple(sorted(self.accounts)),
            tuple(sorted(self.partitions)),
            tuple(sorted(self.states)),
            tuple(sorted(self.job_ids)),
            self.name,
            self.limit,
            self.after,
        )

    def matches(self, job: Job) -> bool:
        if self.users and job.user_name not in self.users:
            return False
        if self.accounts and job.account not in self.accounts:
            return False
        # A pending job may name several partitions ("debug,gpu"): any of them matches.
        if self.partitions and self.partitions.isdisjoint(job.partition.split(",")):
            return False
        if self.states and job.state not in self.states:
            return False
        if self.job_ids and not (
            job.job_id in self.job_ids
            or job.array_job_id in self.job_ids
            or job.het_job_id in self.job_ids
        ):
            return False
        return self.name is None or job.name == self.name


@dataclass(frozen=True, slots=True)
class Page:
    jobs: list[Job]
    #: The cursor of the next page; None on the last.
    next_cursor: str | None


def select(jobs: Iterable[Job], query: JobQuery, viewer: str | None, rules: AccessRules) -> Page:
    """The jobs ``viewer`` gets for ``query`` (None: one who sees every job), one page."""
    if viewer is None and not query.filters and query.limit is None and not query.after:
        return Page(list(jobs), None)
    chosen: list[Job] = []
    for job in jobs:
        if job.job_id <= query.after:
            continue
        if viewer is not None and not rules.sees_job(viewer, job.user_name, job.account):
            continue
        if query.filters and not query.matches(job):
            continue
        chosen.append(job)
    if query.limit is None and not query.after:
        return Page(chosen, None)
    chosen.sort(key=lambda job: job.job_id)
    if query.limit is None or len(chosen) <= query.limit:
        return Page(chosen, None)
    page = chosen[: query.limit]
    return Page(page, encode_cursor(page[-1].job_id))


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(CURSOR_PREFIX + str(after).encode()).decode().rstrip("=")


def _cursor(text: str | None) -> int:
    if not text:
        return 0
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    number = raw.removeprefix(CURSOR_PREFIX)
    if raw.startswith(CURSOR_PREFIX) and number.isdigit() and number.isascii():
        return int(number)
    raise _invalid("cursor", f"cursor {text!r} is not one this gateway issued")


def _names(params: Mapping[str, str], name: str) -> frozenset[str]:
    text = params.get(name)
    if text is None:
        return frozenset()
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def _state(text: str) -> JobState:
    try:
        return JobState(text.upper())
    except ValueError:
        known = ", ".join(state.value for state in JobState)
        raise _invalid("states", f"unknown job state {text!r}: expected one of {known}") from None


def _job_id(text: str) -> int:
    if text.isascii() and text.isdigit() and 0 < int(text) < 2**32:
        return int(text)
    raise _invalid("job_ids", f"invalid job id {text!r}: expected positive integers")


def _limit(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    raise _invalid("limit", f"expected a positive integer, got {text!r}")


def _invalid(parameter: str, message: str) -> InvalidRequest:
    return InvalidRequest(
        f"query parameter {parameter}: {message}",
        error_number=errno.ESLURM_REST_INVALID_QUERY,
        source=parameter,
    )
