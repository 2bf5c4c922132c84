"""Typed settings, validated once at start-up and passed in; nothing reads them at import time.

Precedence, highest first: command-line flags, ``SLURMGATE_*`` environment variables, the TOML
file given with ``--config``, the defaults below. Nested settings use ``__`` in environment
variables (``SLURMGATE_LOCAL__KILL_WAIT=5``).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from slurmgate.domain.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeConfig(_Strict):
    """A node of the embedded cluster. All nodes run their jobs on this machine."""

    name: str
    cpus: int = Field(ge=1)
    #: MiB of memory the scheduler may hand out.
    memory: int = Field(ge=1)
    features: list[str] = []
    sockets: int = Field(default=1, ge=1)
    threads_per_core: int = Field(default=1, ge=1)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"node name {value!r} may hold only letters, digits, '_', '.', '-'")
        return value


class PartitionConfig(_Strict):
    name: str
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

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"partition name {value!r} is not a valid Slurm name")
        return value


class ReservationConfig(_Strict):
    name: str
    nodes: list[str] = ["ALL"]
    #: Unix seconds.
    start_time: int
    end_time: int
    users: list[str] = []
    accounts: list[str] = []
    flags: list[str] = []


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


class AuthSettings(_Strict):
    #: HS256 key file in Slurm's jwt_hs256.key format. None: <state_dir>/jwt_hs256.key,
    #: created on first start by the embedded backend.
    jwt_key: Path | None = None
    #: Users allowed to act for others with X-SLURM-USER-NAME (Slurm: root and SlurmUser).
    admins: list[str] = ["root"]
    #: Seconds a token from ``slurmgate token`` lives when no lifespan is given.
    default_lifespan: int = Field(default=1800, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SLURMGATE_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    #: Where to listen, in slurmrestd's forms: ":6820", "host:port", "unix:/path".
    listen: str = ":6820"
    backend: Literal["local", "slurm"] = "local"
    #: Where the embedded cluster keeps its database, spool and key.
    state_dir: Path = Field(default_factory=lambda: default_state_dir())
    #: Run even as root (slurmgate refuses by default, as slurmrestd does).
    allow_root: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: Worker threads for blocking backend calls.
    threads: int = Field(default=8, ge=1, le=256)
    auth: AuthSettings = AuthSettings()
    local: LocalSettings = LocalSettings()

    @field_validator("listen")
    @classmethod
    def _valid_listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @property
    def jwt_key_path(self) -> Path:
        return self.auth.jwt_key or self.state_dir / "jwt_hs256.key"

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
