"""Which events a stream wants (its query's filters), and which its user may see (PrivateData).

An event passes when it matches every filter given. A node event has no job and no user: a
stream filtered by job ids or users gets job events only.
"""

from __future__ import annotations

from dataclasses import dataclass

from slurmgate.domain.access import AccessRules
from slurmgate.events.changes import JOB_TYPES, NODE_TYPES
from slurmgate.events.model import Event

KINDS = ("job", "node")
#: What ``types`` may name: a kind, or one type of event.
TYPES = frozenset(
    (*KINDS, *(f"job.{name}" for name in JOB_TYPES), *(f"node.{name}" for name in NODE_TYPES))
)


@dataclass(frozen=True, slots=True)
class Filters:
    #: Kinds ("job", "node") or event types ("job.completed"); empty: every event.
    types: frozenset[str] = frozenset()
    job_ids: frozenset[int] = frozenset()
    users: frozenset[str] = frozenset()
    #: Upper case: a job's state or state flag, a node's state or flag.
    states: frozenset[str] = frozenset()

    def wants(self, event: Event) -> bool:
        if self.types and event.kind not in self.types and event.type not in self.types:
            return False
        if event.kind == "job":
            if self.job_ids and self.job_ids.isdisjoint(event.job_ids):
                return False
            if self.users and event.user not in self.users:
                return False
        elif self.job_ids or self.users:
            return False
        return not self.states or not self.states.isdisjoint(event.states)


def may_see(user: str, event: Event, rules: AccessRules) -> bool:
    """PrivateData as slurmctld applies it: jobs (owners, coordinators), nodes (operators)."""
    if event.kind == "job":
        return rules.sees_job(user, event.user, event.account)
    return not rules.restricts("nodes", user)
