"""A running gateway for HTTP-level tests, and a small client that speaks its API."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from slurmgate.auth.keys import load_key
from slurmgate.auth.tokens import mint

FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def current_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


@dataclass
class Cluster:
    """What a contract test needs to know about the cluster behind the gateway."""

    backend: str
    base_url: str
    key: bytes
    user: str
    #: An existing account that is not an administrator.
    other_user: str
    #: A directory every test user's jobs can write to.
    workdir: Path
    #: Whether ``user`` is one of the gateway's administrators (Slurm: root, SlurmUser).
    user_is_admin: bool = False
    #: ``user``'s home: where a job that names no working directory runs.
    home: Path | None = None
    #: The Slurm release the cluster behaves as ("22.05" for the embedded one).
    release: str = "22.05"
    #: The cluster's one node (8 CPUs, 8 GiB on every backend the suite runs on).
    node_name: str = "node1"
    process: subprocess.Popen[bytes] | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def held_reason(self) -> str:
        """Slurm's reason for a job ``user`` submitted held: an operator's hold is an admin hold."""
        return "JobHeldAdmin" if self.user_is_admin else "JobHeldUser"

    def token(self, user: str | None = None, lifespan: int = 900) -> str:
        return mint(self.key, user or self.user, lifespan=lifespan, now=int(time.time()))

    def client(
        self, user: str | None = None, version: str = "v0.0.38", workdir: Path | None = None
    ) -> Api:
        token = self.token(user)
        http = httpx.Client(
            base_url=self.base_url,
            headers={"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": user or self.user},
            timeout=30.0,
        )
        return Api(http, version, self, workdir)


@dataclass
class Api:
    http: httpx.Client
    version: str
    cluster: Cluster
    #: Where submitted jobs run and write by default.
    workdir: Path | None = None

    def url(self, tail: str) -> str:
        return f"/slurm/{self.version}/{tail}"

    def get(self, tail: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(self.url(tail), **kwargs)

    def post(self, tail: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(self.url(tail), json=body, **kwargs)

    def delete(self, tail: str, **kwargs: Any) -> httpx.Response:
        return self.http.delete(self.url(tail), **kwargs)

    def submit(self, script: str, **job: Any) -> int:
        """Submit one batch job the way the seed does and return its id."""
        job.setdefault("current_working_directory", str(self.workdir or self.cluster.workdir))
        job.setdefault("environment", {"PATH": "/usr/bin:/bin"})
        job["script"] = script
        response = self.post("job/submit", {"job": job})
        assert response.status_code == 200, response.text
        job_id = response.json()["job_id"]
        assert isinstance(job_id, int) and job_id > 0
        return job_id

    def job(self, job_id: int) -> dict[str, Any]:
        response = self.get(f"job/{job_id}")
        assert response.status_code == 200, response.text
        jobs = response.json()["jobs"]
        assert jobs, response.text
        found: dict[str, Any] = next((j for j in jobs if j["job_id"] == job_id), jobs[0])
        return found

    def wait_for(
        self,
        job_id: int,
        states: Iterable[str] = FINISHED,
        timeout: float = 30.0,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Poll until the job reaches one of ``states`` (and ``reason``, if given)."""
        wanted = set(states)
        deadline = time.monotonic() + timeout
        job = self.job(job_id)
        while time.monotonic() < deadline:
            if job["job_state"] in wanted and (reason is None or job["state_reason"] == reason):
                return job
            time.sleep(0.05)
            job = self.job(job_id)
        raise AssertionError(
            f"job {job_id} is {job['job_state']} ({job['state_reason']}) after {timeout}s, "
            f"wanted {sorted(wanted)}" + (f" with reason {reason}" if reason else "")
        )

    def cancel(self, job_id: int, signal_name: str | None = None) -> httpx.Response:
        params = {"signal": signal_name} if signal_name else None
        return self.delete(f"job/{job_id}", params=params)


def start_gateway(
    state_dir: Path,
    config: str,
    *,
    extra_env: dict[str, str] | None = None,
    user: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Run ``slurmgate serve`` as a real process and wait until it answers.

    With ``user`` (tests run as root), the gateway runs as that user, as it would in
    production, instead of as root with --allow-root.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    config_file = state_dir / "slurmgate.toml"
    config_file.write_text(config)
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "slurmgate.cli.main",
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--state-dir",
        str(state_dir),
        "--config",
        str(config_file),
    ]
    if os.geteuid() == 0 and user is None:
        argv.append("--allow-root")
    # The gateway's own home (where the jobs it runs as itself start by default) is its own.
    home = gateway_home(state_dir)
    home.mkdir(exist_ok=True)
    if user is not None:
        shutil.chown(home, user, user)
    env = {**os.environ, "HOME": str(home), **(extra_env or {})}
    with (state_dir / "gateway.log").open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(argv, stdout=log, stderr=log, env=env, user=user)
    base_url = f"http://127.0.0.1:{port}"
    wait_until_serving(process, base_url, state_dir / "gateway.log")
    return process, base_url


def gateway_home(state_dir: Path) -> Path:
    """``HOME`` of the gateway ``start_gateway`` started with ``state_dir``."""
    return state_dir / "home"


def wait_until_serving(
    process: subprocess.Popen[bytes], base_url: str, log: Path, timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gateway exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/openapi/v3", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"gateway did not answer within {timeout}s:\n{log.read_text()}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_key(state_dir: Path) -> bytes:
    return read_key_file(state_dir / "jwt_hs256.key")


def read_key_file(path: Path) -> bytes:
    return load_key(path)
