"""The few slurm.conf facts slurmgate needs before libslurm starts.

libslurm exits the whole process when it cannot read its configuration, so the gateway finds
and reads the file itself first and fails with a clear message instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from slurmgate.domain.errors import ConfigError

DEFAULT_PATH = Path("/etc/slurm/slurm.conf")


@dataclass(frozen=True, slots=True)
class SlurmConf:
    path: Path
    #: Keys lower-cased, as Slurm matches them; the last occurrence wins.
    values: dict[str, str]

    @property
    def cluster_name(self) -> str:
        return self.values.get("clustername", "")

    @property
    def slurm_user(self) -> str:
        """SlurmUser: slurmctld runs as this user and, like root, it sees everything."""
        return self.values.get("slurmuser", "") or "root"

    @property
    def jwt_key(self) -> Path:
        """AuthAltParameters' jwt_key, else Slurm's default: StateSaveLocation/jwt_hs256.key."""
        for parameter in self.values.get("authaltparameters", "").split(","):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "jwt_key" and value.strip():
                return Path(value.strip())
        return Path(self.values.get("statesavelocation", "/var/spool/slurmctld")) / "jwt_hs256.key"


def locate(configured: Path | None) -> Path:
    """The slurm.conf a Slurm client would read: the setting, SLURM_CONF, or the default."""
    if configured is not None:
        return configured
    from_env = os.environ.get("SLURM_CONF")
    return Path(from_env) if from_env else DEFAULT_PATH


def read(path: Path) -> SlurmConf:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist: the slurm backend runs on a host configured as a Slurm "
            "client (set slurm.conf or SLURM_CONF to its slurm.conf)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    values: dict[str, str] = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        key, sep, value = line.partition("=")
        # Node and partition lines hold several settings; only simple lines matter here.
        if sep and " " not in key.strip():
            values[key.strip().lower()] = value.strip()
    return SlurmConf(path=path, values=values)
