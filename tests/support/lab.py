"""The lab cluster (scripts/lab-cluster): whether it is up, and what tests need to know of it.

Real-cluster tests skip, saying why, where there is no lab cluster; in CI (``CI=true``) they
must run, so a missing cluster fails them instead. Run inside the root of another release's lab
(``scripts/lab-cluster run 24.11 -- ...``, docs/labs.md), they find that lab here alike.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cluster import start_gateway, stop_process

ENV_FILE = Path("/run/slurmgate-lab/lab.env")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lab-cluster"


@dataclass(frozen=True)
class Lab:
    #: The Slurm release of this lab: "22.05" on the host, "24.11" or "26.05" in their roots
    #: (docs/labs.md); a lab whose lab.env predates it is the host's 22.05.
    release: str
    cluster: str
    slurm_conf: Path
    #: The cluster's key (root reads it to mint test tokens).
    jwt_key: Path
    #: The user slurmgate runs as, and its own copy of the key.
    gateway_user: str
    gateway_key: Path
    restd_url: str
    users: tuple[str, ...]
    account: str
    node: str


def lab_release() -> str:
    """The release of the lab this process would test, known before any test runs (to choose
    the API versions a suite collects): "22.05" where no lab.env names another."""
    try:
        text = ENV_FILE.read_text()
    except OSError:
        return "22.05"
    for line in text.splitlines():
        if line.startswith("LAB_RELEASE="):
            return line.split("=", 1)[1].strip()
    return "22.05"


def require_lab() -> Lab:
    """The running lab cluster, or skip (fail in CI) with the reason."""
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real-cluster tests must run in CI: {reason}")
        pytest.skip(reason)
    values = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    return Lab(
        release=values.get("LAB_RELEASE", "22.05"),
        cluster=values["LAB_CLUSTER"],
        slurm_conf=Path(values["LAB_SLURM_CONF"]),
        jwt_key=Path(values["LAB_JWT_KEY"]),
        gateway_user=values["LAB_GATEWAY_USER"],
        gateway_key=Path(values["LAB_GATEWAY_KEY"]),
        restd_url=values["LAB_RESTD_URL"],
        users=tuple(values["LAB_USERS"].split()),
        account=values["LAB_ACCOUNT"],
        node=values["LAB_NODE"],
    )


def slurm_client_env() -> dict[str, str]:
    """This process's environment for Slurm commands, as root, authenticated by munge.

    Loading the binding in-process sets SLURM_JWT, which would make scontrol and sacctmgr
    send it as a token.
    """
    return {k: v for k, v in os.environ.items() if k != "SLURM_JWT"}


def _unavailable() -> str:
    if os.geteuid() != 0:
        return "the lab cluster tests run as root (they mint tokens with the cluster's key)"
    if not ENV_FILE.exists():
        return f"no lab cluster is running: start one with `sudo {SCRIPT} up` (Debian/Ubuntu)"
    status = subprocess.run(
        [str(SCRIPT), "status"],
        capture_output=True,
        text=True,
        check=False,
        env=slurm_client_env(),
    )
    if status.returncode != 0:
        return f"the lab cluster is not fully up:\n{status.stdout}"
    return ""


@contextmanager
def shared_directory(prefix: str) -> Iterator[Path]:
    """A directory every lab user can write to (jobs run as those users, not as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(path, 0o1777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def owned_directory(prefix: str, user: str) -> Path:
    """A fresh directory owned by ``user``: the gateway's state directory."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    shutil.chown(path, user, user)
    return path


#: The lab gateway's ``mirror.max_age``: how old what it serves may be. A test that sees a change
#: through slurmrestd (or slurmctld) sees it through slurmgate within this many seconds.
MIRROR_MAX_AGE = 5.0


_binding_cache: Path | None = None


def binding_cache(lab: Lab) -> Path:
    """One directory for the compiled binding of every lab gateway the test run starts: the
    first builds it, the others load it (a build takes seconds, many on a busy machine).
    Removed when the run ends."""
    global _binding_cache
    if _binding_cache is None:
        _binding_cache = owned_directory("slurmgate-binding-", lab.gateway_user)
        atexit.register(shutil.rmtree, _binding_cache, ignore_errors=True)
    return _binding_cache


def gateway_config(lab: Lab) -> str:
    """slurmgate's configuration for the lab cluster: backend "slurm", the cluster's key copy."""
    return (
        f'backend = "slurm"\n[auth]\njwt_key = "{lab.gateway_key}"\n'
        f'[slurm]\nconf = "{lab.slurm_conf}"\nbinding_cache = "{binding_cache(lab)}"\n'
        # Tests change PrivateData and operators: seen within seconds rather than a minute.
        f"[mirror]\naccess_interval = 2\nmax_age = {MIRROR_MAX_AGE}\n"
    )


@dataclass
class LabGateway:
    """slurmgate on the lab cluster, run as its own unprivileged user like a real deployment."""

    lab: Lab
    state_dir: Path
    process: subprocess.Popen[bytes] | None = None
    base_url: str = ""

    def start(self) -> None:
        self.process, self.base_url = start_gateway(
            self.state_dir, gateway_config(self.lab), user=self.lab.gateway_user
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        log = self.state_dir / "gateway.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextmanager
def lab_gateway(lab: Lab) -> Iterator[LabGateway]:
    """A started ``LabGateway``; stopped, and its state directory removed, on exit."""
    gateway = LabGateway(lab, owned_directory("slurmgate-state-", lab.gateway_user))
    try:
        gateway.start()
        yield gateway
    finally:
        gateway.stop()
        shutil.rmtree(gateway.state_dir, ignore_errors=True)
