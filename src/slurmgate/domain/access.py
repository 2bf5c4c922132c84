"""Who may see what: Slurm's PrivateData, and the users it does not restrict.

slurmctld hides other users' records from a user who is not an operator when PrivateData
names their kind. These types carry what a backend knows of those rules, so that a shared
copy of the cluster's state can show each user what slurmctld would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: PrivateData's keywords, as slurm.conf and ``scontrol show config`` spell them.
PRIVATE_DATA_KINDS = (
    "accounts",
    "events",
    "jobs",
    "nodes",
    "partitions",
    "reservations",
    "usage",
    "users",
)


@dataclass(frozen=True, slots=True)
class PrivateData:
    """slurm.conf's PrivateData: kinds of records a non-operator sees only partly."""

    kinds: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> PrivateData:
        """From slurm.conf's comma-separated list ("jobs,usage", "all", "none" or empty)."""
        words = {word.strip().lower() for word in text.split(",") if word.strip()}
        if "all" in words:
            return cls(frozenset(PRIVATE_DATA_KINDS))
        return cls(frozenset(words & set(PRIVATE_DATA_KINDS)))

    def __contains__(self, kind: object) -> bool:
        return kind in self.kinds

    def __str__(self) -> str:
        return ",".join(sorted(self.kinds)) or "none"


@dataclass(frozen=True, slots=True)
class AccessRules:
    """PrivateData and the users it does not restrict, as the backend last knew them."""

    private: PrivateData = PrivateData()
    #: Users who see everything: root, SlurmUser, and AdminLevel Operator or Administrator.
    operators: frozenset[str] = frozenset()
    #: Accounts each user coordinates: a coordinator sees those accounts' jobs.
    coordinators: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def is_operator(self, user: str) -> bool:
        return user in self.operators

    def restricts(self, kind: str, user: str) -> bool:
        """Whether ``user`` sees only part of ``kind`` (and so not the shared, whole view)."""
        return kind in self.private and user not in self.operators

    def sees_job(self, user: str, owner: str, account: str) -> bool:
        """slurmctld's rule for one job under PrivateData=jobs."""
        if owner == user or not self.restricts("jobs", user):
            return True
        return account in self.coordinators.get(user, frozenset())
