"""Who may run what where: accounts, users, associations and QOS, as slurmdbd keeps them.

An association ties a user (or, with no user, an account itself) to an account on a cluster,
optionally a partition, with limits; accounts form a tree under ``root``. A QOS adds priority
and limits of its own. The same records serve reads and changes: in a record given to
``set_*``, None means "leave as it is" (or the default, for a new record) and, in a limit,
-1 removes it (Slurm's INFINITE) where a number sets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from slurmgate.domain.accounting import AssociationRef, Tres


class AdminLevel(StrEnum):
    """A user's AdminLevel, by the names slurmrestd prints."""

    NOT_SET = "Not Set"
    NONE = "None"
    OPERATOR = "Operator"
    ADMINISTRATOR = "Administrator"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {
    AdminLevel.NOT_SET: 0,
    AdminLevel.NONE: 1,
    AdminLevel.OPERATOR: 2,
    AdminLevel.ADMINISTRATOR: 3,
}


@dataclass(frozen=True, slots=True)
class Coordinator:
    """A user coordinating an account, or an account a user coordinates (``name``)."""

    name: str
    #: Given directly rather than inherited from a parent account.
    direct: bool = True


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    description: str = ""
    organization: str = ""
    #: Users coordinating it (when asked for).
    coordinators: tuple[Coordinator, ...] = ()
    #: Its associations (when asked for).
    associations: tuple[AssociationRef, ...] = ()
    #: "DELETED".
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountQuery:
    names: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    with_associations: bool = False
    with_coordinators: bool = False
    with_deleted: bool = False


@dataclass(frozen=True, slots=True)
class Wckey:
    """A workload characterization key of a user on a cluster."""

    name: str
    user: str
    cluster: str = ""
    id: int = 0
    is_default: bool = False
    #: "DELETED".
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class User:
    name: str
    #: None in a change: leave it as it is (a new user gets None, Slurm's "None").
    admin_level: AdminLevel | None = None
    default_account: str = ""
    default_wckey: str = ""
    #: The user's default QOS (26.05 on); "" when none.
    default_qos: str = ""
    #: Accounts the user coordinates (when asked for; in a change, accounts to coordinate).
    coordinators: tuple[Coordinator, ...] = ()
    #: The user's associations (when asked for).
    associations: tuple[AssociationRef, ...] = ()
    wckeys: tuple[Wckey, ...] = ()
    #: "DELETED".
    flags: tuple[str, ...] = ()
    old_name: str = ""


@dataclass(frozen=True, slots=True)
class UserQuery:
    names: tuple[str, ...] = ()
    #: Users with exactly this AdminLevel, as slurmdbd filters them.
    admin_level: AdminLevel | None = None
    default_accounts: tuple[str, ...] = ()
    default_wckeys: tuple[str, ...] = ()
    with_associations: bool = False
    with_coordinators: bool = False
    with_deleted: bool = False
    with_wckeys: bool = False
    #: Leave default account and wckey out of the records.
    without_defaults: bool = False


@dataclass(frozen=True, slots=True)
class AssociationLimits:
    """An association's limits (sacctmgr's names in comments); None: not set (inherited)."""

    max_jobs: int | None = None  # MaxJobs: running jobs per user
    max_jobs_accrue: int | None = None  # MaxJobsAccrue
    max_submit_jobs: int | None = None  # MaxSubmitJobs: pending and running
    max_wall_per_job: int | None = None  # MaxWallDurationPerJob, minutes
    grp_jobs: int | None = None  # GrpJobs: running jobs of the association and below
    grp_jobs_accrue: int | None = None  # GrpJobsAccrue
    grp_submit_jobs: int | None = None  # GrpSubmitJobs
    grp_wall: int | None = None  # GrpWall, minutes
    max_tres_per_job: tuple[Tres, ...] | None = None  # MaxTRES
    max_tres_per_node: tuple[Tres, ...] | None = None  # MaxTRESPerNode
    max_tres_mins_per_job: tuple[Tres, ...] | None = None  # MaxTRESMins
    max_tres_run_mins: tuple[Tres, ...] | None = None  # MaxTRESRunMins
    grp_tres: tuple[Tres, ...] | None = None  # GrpTRES
    grp_tres_mins: tuple[Tres, ...] | None = None  # GrpTRESMins
    grp_tres_run_mins: tuple[Tres, ...] | None = None  # GrpTRESRunMins
    min_priority_threshold: int | None = None  # MinPrioThreshold


@dataclass(frozen=True, slots=True)
class Association:
    account: str
    cluster: str = ""
    user: str = ""
    partition: str = ""
    #: 0 for a new association (its id is given when it is added).
    id: int = 0
    parent_account: str = ""
    #: Its place in the tree (23.11 on): "/root/physics/0-alice/".
    lineage: str = ""
    is_default: bool | None = None
    comment: str | None = None
    #: "DELETED".
    flags: tuple[str, ...] = ()
    #: Fairshare (shares_raw).
    shares: int | None = None
    priority: int | None = None
    #: QOS the association may use.
    qos: tuple[str, ...] | None = None
    default_qos: str | None = None
    limits: AssociationLimits = AssociationLimits()

    @property
    def ref(self) -> AssociationRef:
        return AssociationRef(self.account, self.cluster, self.user, self.partition, self.id)


@dataclass(frozen=True, slots=True)
class AssociationQuery:
    ids: tuple[int, ...] = ()
    accounts: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    partitions: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    parent_accounts: tuple[str, ...] = ()
    qos: tuple[str, ...] = ()
    default_qos: tuple[str, ...] = ()
    only_defaults: bool = False
    with_deleted: bool = False
    #: Also the associations of the accounts below the ones named.
    with_sub_accounts: bool = False
    #: Leave out the parent's name and id.
    without_parent_info: bool = False
    #: Leave out limits inherited from parents (only the association's own).
    without_parent_limits: bool = False
    #: QOS as set on the association (with "+"/"-" deltas) rather than resolved.
    with_raw_qos: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.ids
            or self.accounts
            or self.users
            or self.partitions
            or self.clusters
            or self.parent_accounts
            or self.qos
            or self.default_qos
        )


@dataclass(frozen=True, slots=True)
class AssociationAdd:
    """Associations made for every combination of the names given (``sacctmgr add user
    alice,bob account=a,b``): users x accounts x clusters x partitions, with the settings of
    ``template`` (its account, user, cluster and partition are ignored)."""

    accounts: tuple[str, ...]
    users: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    partitions: tuple[str, ...] = ()
    wckeys: tuple[str, ...] = ()
    #: The new users' default account; "" the first of ``accounts``.
    default_account: str = ""
    template: Association | None = None


@dataclass(frozen=True, slots=True)
class QosLimits:
    """A QOS's limits (sacctmgr's names in comments); None: not set."""

    grace_time: int | None = None  # GraceTime, seconds
    max_jobs_per_user: int | None = None  # MaxJobsPerUser
    max_jobs_per_account: int | None = None  # MaxJobsPerAccount
    max_jobs_accrue_per_user: int | None = None  # MaxJobsAccruePerUser
    max_jobs_accrue_per_account: int | None = None  # MaxJobsAccruePerAccount
    max_submit_jobs_per_user: int | None = None  # MaxSubmitJobsPerUser
    max_submit_jobs_per_account: int | None = None  # MaxSubmitJobsPerAccount
    max_wall_per_job: int | None = None  # MaxWall, minutes
    grp_jobs: int | None = None  # GrpJobs
    grp_jobs_accrue: int | None = None  # GrpJobsAccrue
    grp_submit_jobs: int | None = None  # GrpSubmitJobs
    grp_wall: int | None = None  # GrpWall, minutes
    grp_tres: tuple[Tres, ...] | None = None  # GrpTRES
    grp_tres_mins: tuple[Tres, ...] | None = None  # GrpTRESMins
    grp_tres_run_mins: tuple[Tres, ...] | None = None  # GrpTRESRunMins
    max_tres_per_job: tuple[Tres, ...] | None = None  # MaxTRESPerJob
    max_tres_per_node: tuple[Tres, ...] | None = None  # MaxTRESPerNode
    max_tres_per_user: tuple[Tres, ...] | None = None  # MaxTRESPerUser
    max_tres_per_account: tuple[Tres, ...] | None = None  # MaxTRESPerAccount
    max_tres_mins_per_job: tuple[Tres, ...] | None = None  # MaxTRESMinsPerJob
    max_tres_run_mins_per_user: tuple[Tres, ...] | None = None  # MaxTRESRunMinsPerUser
    max_tres_run_mins_per_account: tuple[Tres, ...] | None = None  # MaxTRESRunMinsPerAccount
    min_tres_per_job: tuple[Tres, ...] | None = None  # MinTRESPerJob
    min_priority_threshold: int | None = None  # MinPrioThreshold
    limit_factor: float | None = None  # LimitFactor


@dataclass(frozen=True, slots=True)
class Qos:
    name: str
    #: 0 for a new QOS.
    id: int = 0
    description: str | None = None
    #: "DENY_LIMIT", "NO_RESERVE", "PARTITION_TIME_LIMIT", ... (slurmrestd's names).
    flags: tuple[str, ...] | None = None
    priority: int | None = None
    usage_factor: float | None = None
    usage_threshold: float | None = None
    #: QOS this one may preempt.
    preempt: tuple[str, ...] | None = None
    #: "DISABLED", "SUSPEND", "REQUEUE", "CANCEL", "GANG"; () for the cluster's default.
    preempt_mode: tuple[str, ...] | None = None
    preempt_exempt_time: int | None = None
    limits: QosLimits = QosLimits()


@dataclass(frozen=True, slots=True)
class QosQuery:
    names: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()
    descriptions: tuple[str, ...] = ()
    #: QOS with this preempt mode.
    preempt_mode: str = ""
    with_deleted: bool = False


@dataclass(frozen=True, slots=True)
class WckeyQuery:
    names: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()
    users: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    only_defaults: bool = False
    with_deleted: bool = False
