"""Typed settings, validated once at start-up and passed in; nothing reads them at import time.

Precedence, highest first: command-line flags, ``SLURMGATE_*`` environment variables, the TOML
file given with ``--config``, the defaults below. Nested settings use ``__`` in environment
variables (``SLURMGATE_LOCAL__KILL_WAIT=5``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from slurmgate.domain.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _slurm_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{value!r} may hold only letters, digits, '_', '.', '-'")
    return value


#: A node, partition or reservation name as Slurm accepts it.
SlurmName = Annotated[str, AfterValidator(_slurm_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeConfig(_Strict):
    """A node of the embedded cluster. All nodes run their jobs on this machine."""

    name: SlurmName
    cpus: int = Field(ge=1)
    #: MiB of memory the scheduler may hand out.
    memory: int = Field(ge=1)
    features: list[str] = []
    sockets: int = Field(default=1, ge=1)
    threads_per_core: int = Field(default=1, ge=1)
    #: DOWN and DRAIN nodes run no new jobs (slurm.conf's State=).
    state: Literal["UP", "DOWN", "DRAIN"] = "UP"
    #: Why the node is DOWN or DRAIN, shown as the node's reason.
    reason: str = ""


class PartitionConfig(_Strict):
    name: SlurmName
    #: Node names, or ["ALL"].
    nodes: list[str] = ["ALL"]
    default: bool = False
    #: Minutes; None = UNLIMITED.
    max_time: int | None = Field(default=None, ge=1)
    #: Minutes a job gets when it asks for none; None = max_time.
    default_time: int | None = Field(default=None, ge=1)
    max_nodes: int | None = Field(default=None, ge=1)
    state: Literal["UP", "DOWN", "DRAIN", "INACTIVE"] = "UP"
    priority_tier: int = Field(default=1, ge=0)
    #: MiB per allocated CPU when a job asks for no memory; None = node memory / node CPUs.
    default_memory_per_cpu: int | None = Field(default=None, ge=1)


class ReservationConfig(_Strict):
    name: SlurmName
    nodes: list[str] = ["ALL"]
    #: Unix seconds.
    start_time: int
    end_time: int
    users: list[str] = []
    accounts: list[str] = []
    flags: list[str] = []


_TRES_ITEM = re.compile(r"^[a-z]+(/[A-Za-z0-9_.:-]+)?=(-1|\d+)[KMGTP]?$")


def _tres_limit(value: str) -> str:
    for item in filter(None, (part.strip() for part in value.split(","))):
        if not _TRES_ITEM.match(item):
            raise ValueError(
                f"{item!r} is not a TRES limit (write e.g. 'cpu=8,mem=16G,gres/gpu=1')"
            )
    return value


#: TRES amounts as sacctmgr takes them: "cpu=8,mem=16G,node=2,gres/gpu=1".
TresLimit = Annotated[str, AfterValidator(_tres_limit)]
_USER = re.compile(r"^[^\s,:/=]+$")


def _user_name(value: str) -> str:
    if not _USER.match(value):
        raise ValueError(f"{value!r} is not a user name")
    return value


UserName = Annotated[str, AfterValidator(_user_name)]


class _AssociationLimits(_Strict):
    """Limits an association may carry (sacctmgr's names); None: not set."""

    #: Fairshare (shares) of the association.
    fairshare: int = Field(default=1, ge=0)
    #: MaxJobs: running jobs per user.
    max_jobs: int | None = Field(default=None, ge=0)
    #: MaxSubmitJobs: pending and running jobs per user.
    max_submit_jobs: int | None = Field(default=None, ge=0)
    #: MaxWallDurationPerJob, minutes.
    max_wall: int | None = Field(default=None, ge=0)
    #: GrpJobs and GrpSubmitJobs: the association and those below it together.
    grp_jobs: int | None = Field(default=None, ge=0)
    grp_submit_jobs: int | None = Field(default=None, ge=0)
    #: MaxTRES (per job) and GrpTRES, e.g. "cpu=8,mem=16G".
    max_tres_per_job: TresLimit = ""
    grp_tres: TresLimit = ""
    #: QOS the association may use; empty: its parent's. The first is the default unless
    #: default_qos says otherwise.
    qos: list[SlurmName] = []
    default_qos: str = ""


class AccountConfig(_AssociationLimits):
    """An account of the embedded cluster's accounting (``sacctmgr add account``)."""

    name: SlurmName
    description: str = ""
    organization: str = ""
    #: The parent account: accounts form a tree under "root".
    parent: SlurmName = "root"


class UserConfig(_AssociationLimits):
    """A user and its associations (``sacctmgr add user name=... account=...``)."""

    name: UserName
    #: Accounts the user may charge; empty: local.default_account.
    accounts: list[SlurmName] = []
    #: Empty: the first of ``accounts``.
    default_account: str = ""
    admin_level: Literal["None", "Operator", "Administrator"] = "None"


class QosConfig(_Strict):
    """A quality of service (``sacctmgr add qos``). Shown and applied at submission; its
    limits and priority are not enforced (priority/basic, AccountingStorageEnforce=associations)."""

    name: SlurmName
    description: str = ""
    priority: int = Field(default=0, ge=0)
    #: QOS flags by slurmrestd's names: "DENY_LIMIT", "NO_RESERVE", "PARTITION_TIME_LIMIT", ...
    flags: list[
        Literal[
            "PARTITION_MINIMUM_NODE",
            "PARTITION_MAXIMUM_NODE",
            "PARTITION_TIME_LIMIT",
            "ENFORCE_USAGE_THRESHOLD",
            "NO_RESERVE",
            "REQUIRED_RESERVATION",
            "DENY_LIMIT",
            "OVERRIDE_PARTITION_QOS",
            "NO_DECAY",
            "USAGE_FACTOR_SAFE",
        ]
    ] = []
    usage_factor: float = Field(default=1.0, ge=0)
    #: MaxWall, minutes.
    max_wall: int | None = Field(default=None, ge=0)
    max_jobs_per_user: int | None = Field(default=None, ge=0)
    max_submit_jobs_per_user: int | None = Field(default=None, ge=0)
    max_tres_per_job: TresLimit = ""
    max_tres_per_user: TresLimit = ""
    grp_tres: TresLimit = ""
    #: QOS this one may preempt.
    preempt: list[SlurmName] = []
    preempt_mode: Literal["", "off", "cancel", "requeue", "suspend"] = ""


class LocalSettings(_Strict):
    """The embedded single-machine cluster (backend ``local``)."""

    cluster_name: str = "slurmgate"
    #: Empty: one node named after this host, with its CPUs and memory.
    nodes: list[NodeConfig] = []
    #: Empty: one default partition ``debug`` holding every node.
    partitions: list[PartitionConfig] = []
    reservations: list[ReservationConfig] = []
    #: License name -> count, as slurm.conf's Licenses=.
    licenses: dict[str, int] = {}
    #: Seconds between SIGTERM and SIGKILL when a job is cancelled or times out (KillWait).
    kill_wait: int = Field(default=30, ge=0)
    #: Seconds a finished job stays in ``/jobs`` (MinJobAge); it stays in ``/job/{id}`` for good.
    min_job_age: int = Field(default=300, ge=0)
    max_array_size: int = Field(default=1001, ge=1)
    max_job_count: int = Field(default=100_000, ge=1)
    first_job_id: int = Field(default=1, ge=1)
    #: Seconds between scheduling passes when nothing else wakes the scheduler.
    sched_interval: float = Field(default=5.0, gt=0)
    #: PATH given to jobs submitted without an environment.
    default_path: str = "/usr/local/bin:/usr/bin:/bin"
    #: SQLite synchronous mode: NORMAL survives process crashes, FULL also power loss.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    #: Whether a job that does not say may be requeued (slurm.conf's JobRequeue, 1 by default).
    job_requeue: bool = True
    #: Accounting: accounts (under "root", which always exists), users with their
    #: associations, QOS (besides "normal", which always exists). They seed the database at
    #: each start; administrators change them through the API.
    accounts: list[AccountConfig] = []
    users: list[UserConfig] = []
    qos: list[QosConfig] = []
    #: The account of users with no association of their own (auto_associate).
    default_account: SlurmName = "root"
    #: The QOS of jobs whose association names none.
    default_qos: SlurmName = "normal"
    #: A user with no association gets one with default_account at their first submission;
    #: off, such a user is refused, as slurmctld with AccountingStorageEnforce=associations.
    auto_associate: bool = True
    #: Seconds accounting records of finished jobs are kept (slurmdbd's PurgeJobAfter);
    #: None: for good.
    accounting_retention: int | None = Field(default=None, ge=60)

    @model_validator(mode="after")
    def _accounting_consistent(self) -> LocalSettings:
        accounts = {"root"} | {a.name for a in self.accounts}
        qos = {"normal"} | {q.name for q in self.qos}
        for account in self.accounts:
            if account.parent not in accounts or account.parent == account.name:
                raise ValueError(f"account {account.name}: no parent account {account.parent!r}")
        users = [u.name for u in self.users]
        repeated = sorted({u for u in users if users.count(u) > 1})
        if repeated:
            raise ValueError(f"users: {', '.join(repeated)} declared more than once")
        if self.default_account not in accounts:
            raise ValueError(f"default_account {self.default_account!r} is not an account")
        if self.default_qos not in qos:
            raise ValueError(f"default_qos {self.default_qos!r} is not a QOS")
        for owner, limits in [(f"account {a.name}", a) for a in self.accounts] + [
            (f"user {u.name}", u) for u in self.users
        ]:
            unknown = sorted(
                {*limits.qos, *([limits.default_qos] if limits.default_qos else [])} - qos
            )
            if unknown:
                raise ValueError(f"{owner}: unknown QOS {', '.join(unknown)}")
        for user in self.users:
            unknown = sorted(set(user.accounts) - accounts)
            if unknown:
                raise ValueError(f"user {user.name}: unknown account {', '.join(unknown)}")
            if user.default_account and user.default_account not in (
                user.accounts or [self.default_account]
            ):
                raise ValueError(
                    f"user {user.name}: default_account {user.default_account!r} is not one "
                    "of its accounts"
                )
        for entry in self.qos:
            unknown = sorted(set(entry.preempt) - qos)
            if unknown:
                raise ValueError(f"qos {entry.name}: unknown QOS {', '.join(unknown)}")
        return self


class AccountingSettings(_Strict):
    """Accounting answers shared between callers (history queries reach slurmdbd's database)."""

    #: Seconds an answer is shared by identical queries of users who may see the same rows;
    #: 0: every query goes to the backend.
    cache_seconds: float = Field(default=5.0, ge=0, le=3600)
    #: Seconds a finished job's record is kept for ``job/{id}`` (it does not change, but for a
    #: requeue); 0: not kept.
    finished_seconds: float = Field(default=3600.0, ge=0)
    #: Finished jobs' records kept at most (least recently used first out).
    finished_jobs: int = Field(default=20_000, ge=0)
    #: Records held at most by shared answers; an answer larger than a tenth of it is not kept.
    max_records: int = Field(default=200_000, ge=0)
    #: Seconds between loads of the accounting daemon's PrivateData and operators.
    rules_interval: float = Field(default=60.0, gt=0)


class SlurmSettings(_Strict):
    """A real Slurm cluster through libslurm in this process (backend ``slurm``)."""

    #: slurm.conf to read; None: SLURM_CONF, else /etc/slurm/slurm.conf, as every Slurm client.
    conf: Path | None = None
    #: libslurmfull.so; None: the first of the distributions' usual places.
    library: Path | None = None
    #: Directory holding slurm/slurm.h to build the binding against; None: /usr/include.
    include_dir: Path | None = None
    #: Where the compiled binding is cached; None: <state_dir>/binding.
    binding_cache: Path | None = None


class SigningKey(_Strict):
    """One HS256 key among several; tokens name it in their header's ``kid``."""

    kid: str = Field(min_length=1)
    path: Path
    #: Unix time after which tokens signed with this key are refused (its grace period's end);
    #: None = accepted for good.
    retire_after: int | None = None
    #: The key new tokens are signed with (at most one may say so).
    primary: bool = False


class AuthSettings(_Strict):
    #: HS256 key file in Slurm's jwt_hs256.key format. None: <state_dir>/jwt_hs256.key,
    #: created on first start by the embedded backend.
    jwt_key: Path | None = None
    #: Users allowed to act for others with X-SLURM-USER-NAME (Slurm: root and SlurmUser).
    admins: list[str] = ["root"]
    #: Seconds a token from ``slurmgate token`` lives when no lifespan is given.
    default_lifespan: int = Field(default=1800, ge=1)
    #: Longest lifespan (exp - iat) accepted or minted, as Slurm's max_token_lifespan;
    #: None = no maximum.
    max_lifespan: int | None = Field(default=None, ge=1)
    #: Extra HS256 keys chosen by the token header's ``kid``, for rotation.
    keys: list[SigningKey] = []
    #: JWKS file of an OIDC provider whose RS256 tokens are accepted.
    jwks_file: Path | None = None
    #: Claim naming the user in JWKS (OIDC) tokens; Slurm's ``userclaimfield``.
    user_claim: str = "sun"
    #: Seconds of clock skew tolerated on exp/nbf/iat.
    leeway: int = Field(default=0, ge=0, le=300)
    #: SQLite file of revoked tokens. None: <state_dir>/revocations.db.
    revocation_db: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AuthSettings:
        if self.max_lifespan is not None and self.default_lifespan > self.max_lifespan:
            raise ValueError(
                f"default_lifespan ({self.default_lifespan}) exceeds max_lifespan "
                f"({self.max_lifespan})"
            )
        kids = [key.kid for key in self.keys]
        repeated = sorted({kid for kid in kids if kids.count(kid) > 1})
        if repeated:
            raise ValueError(f"keys: kid {', '.join(repeated)} is used more than once")
        primaries = [key.kid for key in self.keys if key.primary]
        if len(primaries) > 1:
            raise ValueError(f"keys: only one key may be primary, not {', '.join(primaries)}")
        for key in self.keys:
            if key.primary and key.retire_after is not None:
                raise ValueError(f"keys: the primary key {key.kid} cannot have retire_after")
        if not self.user_claim:
            raise ValueError("user_claim must name a claim")
        return self


class TlsSettings(_Strict):
    """HTTPS. Off unless both ``cert`` and ``key`` are set. TLS 1.2 is the minimum."""

    cert: Path | None = None
    key: Path | None = None
    #: CA bundle to verify client certificates with; enables client-certificate checks.
    client_ca: Path | None = None
    #: With ``client_ca``: refuse clients without a valid certificate (else only verify those
    #: that present one).
    require_client_cert: bool = True

    @model_validator(mode="after")
    def _complete(self) -> TlsSettings:
        if (self.cert is None) != (self.key is None):
            raise ValueError("tls.cert and tls.key must be set together")
        if self.client_ca is not None and self.cert is None:
            raise ValueError("tls.client_ca needs tls.cert and tls.key")
        return self


class NetworkSettings(_Strict):
    #: Client networks (CIDR) allowed to connect; empty = every network.
    allow: list[str] = []
    #: Proxies (CIDR) whose X-Forwarded-For is believed; nobody else's is. "unix" trusts
    #: peers on the unix socket (a proxy on the same host).
    trusted_proxies: list[str] = []
    #: Browser origins allowed by CORS; none by default. ["*"] allows every origin.
    cors_origins: list[str] = []

    @field_validator("allow", "trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for entry in value:
            if entry == "unix" and info.field_name == "trusted_proxies":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not a network (CIDR such as 10.0.0.0/8)") from None
        return value


class RateLimitSettings(_Strict):
    """Token buckets, in the ``limits`` notation ("20/second", "600/minute;20/second")."""

    enabled: bool = False
    per_user: str = "50/second"
    per_address: str = "100/second"
    #: Applied on top of the others to POST job/submit.
    submit_per_user: str = "20/second"
    #: "memory://" (one gateway) or "redis://host:port/db" (shared by several replicas).
    storage: str = "memory://"
    #: Seconds to wait for the storage (Redis) before treating it as unavailable.
    storage_timeout: float = Field(default=0.5, gt=0)
    #: When the storage is unavailable: "allow" requests (and log a warning) or "refuse" them.
    on_storage_error: Literal["allow", "refuse"] = "allow"

    @field_validator("per_user", "per_address", "submit_per_user")
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        from limits import parse_many  # only when settings name a limit

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate limit: write e.g. '20/second' or '600/minute;20/second'"
            ) from None
        return value

    @field_validator("storage")
    @classmethod
    def _valid_storage(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError(f"{value!r} is neither memory:// nor redis[s]://host:port/db")
        return value


class AuditSettings(_Strict):
    enabled: bool = False
    #: File to append JSON lines to; None = standard output.
    path: Path | None = None


class LimitSettings(_Strict):
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_script_bytes: int = Field(default=4 * 1024 * 1024, ge=64)
    #: Total size of the request line and headers.
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    #: Seconds a request may take from its complete head to its response (the head itself
    #: has header_timeout).
    request_timeout: float = Field(default=60.0, gt=0)
    #: Seconds an idle keep-alive connection is kept.
    idle_timeout: float = Field(default=5.0, gt=0)
    #: Seconds a client has to send a request line and headers once it began (slow clients).
    header_timeout: float = Field(default=10.0, gt=0)
    #: Open connections, idle keep-alive ones and event streams included; more: 503.
    max_connections: int = Field(default=8192, ge=1)


class MirrorSettings(_Strict):
    """The shared copy of the cluster's state that every read is served from."""

    #: Seconds between two loads of a resource that clients read (incremental: a load that
    #: finds nothing changed costs slurmctld almost nothing).
    interval: float = Field(default=1.0, gt=0, le=60)
    #: Oldest data a read may be answered with; older, the read waits for a new load (and
    #: fails as a direct call would when slurmctld does not answer).
    max_age: float = Field(default=5.0, gt=0, le=600)
    #: Seconds after its last read that a resource stops being loaded.
    idle_after: float = Field(default=60.0, gt=0)
    #: Seconds between loads of PrivateData and of who is exempt from it (operators,
    #: coordinators).
    access_interval: float = Field(default=60.0, gt=0)
    #: User the mirror reads the cluster as; empty: the backend's (slurm: SlurmUser). Its
    #: tokens are minted with the cluster's key, so it must see every record.
    user: str = ""
    #: Memory for rendered responses kept for reuse (bytes, compressed copies included).
    cache_bytes: int = Field(default=256 * 1024 * 1024, ge=0)

    @model_validator(mode="after")
    def _bound_after_interval(self) -> MirrorSettings:
        if self.max_age < self.interval:
            raise ValueError(
                f"max_age ({self.max_age:g} s) must be at least interval ({self.interval:g} s)"
            )
        return self


class EventSettings(_Strict):
    """``GET /slurmgate/v1/events``: job and node changes pushed as Server-Sent Events."""

    #: Recent events kept for clients that resume with Last-Event-ID; a client whose last event
    #: is older gets a ``stream.missed`` event (re-read what you follow) instead.
    window: int = Field(default=10_000, ge=1, le=1_000_000)
    #: Seconds between heartbeats (SSE comments) on a stream that has had nothing else to send.
    heartbeat: float = Field(default=15.0, gt=0, le=3600)
    #: Events waiting to be written to one client; a client that falls this far behind gets a
    #: final ``stream.overflow`` event and is disconnected.
    queue_bound: int = Field(default=1000, ge=1, le=1_000_000)
    #: Long-lived answers open at once (event streams and followed job outputs); more: 503.
    max_streams: int = Field(default=4096, ge=0)


class OutputSettings(_Strict):
    """``GET /slurmgate/v1/job/{job_id}/output``: a job's standard output and error."""

    #: Most bytes of a job's output one answer carries; a longer Range or limit is cut to it.
    page_bytes: int = Field(default=1024 * 1024, ge=1, le=64 * 1024 * 1024)
    #: Seconds between looks for new bytes in a followed (``follow=true``) output.
    follow_interval: float = Field(default=0.5, gt=0, le=60)


class WebSettings(_Strict):
    """``GET /``: the web page for people (docs/web.md)."""

    #: Serve the page and its files; ``false`` answers 404 there (the API is unchanged).
    enabled: bool = True


class MetricsSettings(_Strict):
    """``GET /metrics``: the cluster and the gateway in Prometheus' text format."""

    enabled: bool = True
    #: Networks (CIDR) that may read the metrics without a token; from anywhere else they take
    #: an administrator's token (auth.admins, or an operator of the cluster).
    allow: list[str] = ["127.0.0.1/32", "::1/128"]
    #: Job counts per user (slurm_user_jobs_*{username=...}): one series per user, off.
    users: bool = False
    #: Job counts per account (slurm_account_jobs_*{account=...}): off, like users.
    accounts: bool = False
    #: Series per node (slurm_node_cpus{node=...}, ...).
    nodes: bool = True

    @field_validator("allow")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not a network (CIDR such as 10.0.0.0/8)") from None
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SLURMGATE_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    #: Where to listen, in slurmrestd's forms: ":6820", "host:port", "unix:/path".
    listen: str = ":6820"
    #: "local": the embedded single-machine cluster; "slurm": a real cluster through libslurm.
    backend: Literal["local", "slurm"] = "local"
    #: Where the embedded cluster keeps its database, spool and key.
    state_dir: Path = Field(default_factory=lambda: default_state_dir())
    #: Run even as root (slurmgate refuses by default, as slurmrestd does).
    allow_root: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: Worker threads for blocking backend calls.
    threads: int = Field(default=8, ge=1, le=256)
    auth: AuthSettings = AuthSettings()
    tls: TlsSettings = TlsSettings()
    network: NetworkSettings = NetworkSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    audit: AuditSettings = AuditSettings()
    limits: LimitSettings = LimitSettings()
    mirror: MirrorSettings = MirrorSettings()
    events: EventSettings = EventSettings()
    output: OutputSettings = OutputSettings()
    metrics: MetricsSettings = MetricsSettings()
    web: WebSettings = WebSettings()
    accounting: AccountingSettings = AccountingSettings()
    local: LocalSettings = LocalSettings()
    slurm: SlurmSettings = SlurmSettings()

    @field_validator("listen")
    @classmethod
    def _valid_listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @property
    def jwt_key_path(self) -> Path:
        """The HS256 key: as set; else the cluster's (slurm.conf) or the embedded one's."""
        if self.auth.jwt_key is not None:
            return self.auth.jwt_key
        if self.backend == "slurm":
            from slurmgate import slurm_conf

            return slurm_conf.read(slurm_conf.locate(self.slurm.conf)).jwt_key
        return self.state_dir / "jwt_hs256.key"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


def default_state_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/slurmgate")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "slurmgate"


ListenAddress = tuple[Literal["tcp"], str, int] | tuple[Literal["unix"], str, int]


def parse_listen(value: str) -> ListenAddress:
    """``":6820"`` -> all interfaces; ``"host:port"``; ``"[::1]:6820"``; ``"unix:/path"``."""
    if value.startswith("unix:"):
        path = value.removeprefix("unix:")
        if not path.startswith("/"):
            raise ValueError(f"unix socket path must be absolute: {value!r}")
        return ("unix", path, 0)
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"listen address must be ':PORT', 'HOST:PORT' or 'unix:/PATH': {value!r}")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 - ":6820" means every interface, as slurmrestd
    return ("tcp", host, int(port_text))


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings, turning every validation failure into one ``ConfigError`` naming it.

    ``overrides`` (command-line flags) beat the environment, which beats the file.
    """
    file_values: dict[str, Any] = {}
    if config_file is not None:
        try:
            file_values = tomllib.loads(config_file.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config_file}: {exc}") from exc
    flags = {k: v for k, v in overrides.items() if v is not None}

    class _FileSource(PydanticBaseSettingsSource):
        def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
            return None, field_name, False

        def __call__(self) -> dict[str, Any]:
            return file_values

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, _FileSource(settings_cls))

    try:
        return _FromFile(**flags)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
