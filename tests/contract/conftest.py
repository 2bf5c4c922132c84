"""The contract suite: HTTP-level behaviour every backend must show.

The ``cluster`` fixture is parametrized by backend. ``local`` (the embedded cluster) always
runs; ``slurm`` runs against the lab cluster (scripts/lab-cluster), as its user ``sgalice``,
with ``sgbob`` as the other user, and skips where there is none (never in CI).
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cluster import (
    Api,
    Cluster,
    current_user,
    gateway_home,
    read_key,
    read_key_file,
    start_gateway,
    stop_process,
)
from tests.support.lab import lab_gateway, require_lab, shared_directory

# A partition named "gpu" too, as the seed's cluster has, so its submission runs unchanged.
LOCAL_CONFIG = """
[local]
kill_wait = 1
min_job_age = 600
sched_interval = 0.5

[[local.nodes]]
name = "node1"
cpus = 8
memory = 8192

[[local.partitions]]
name = "debug"
default = true

[[local.partitions]]
name = "gpu"

[[local.partitions]]
name = "short"
max_time = 5

[local.licenses]
matlab = 2

[[local.reservations]]
name = "maint"
start_time = 4102444800
end_time = 4102448400
users = ["root"]
"""


def _other_user(user: str) -> str:
    return "nobody" if user != "nobody" else "daemon"


@pytest.fixture(scope="session", params=["local", "slurm"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    if request.param == "slurm":
        yield from _lab_cluster()
        return
    state_dir = tmp_path_factory.mktemp("gateway")
    workdir = tmp_path_factory.mktemp("jobs")
    os.chmod(workdir, 0o1777)
    process, base_url = start_gateway(state_dir, LOCAL_CONFIG)
    user = current_user()
    try:
        yield Cluster(
            backend=request.param,
            base_url=base_url,
            key=read_key(state_dir),
            user=user,
            other_user=_other_user(user),
            user_is_admin=user == "root",
            workdir=Path(workdir),
            home=gateway_home(state_dir),
            process=process,
        )
    finally:
        stop_process(process)


@pytest.fixture
def workdir(cluster: Cluster) -> Path:
    """A fresh directory for one test's job output, writable by every test user."""
    path = cluster.workdir / os.urandom(4).hex()
    path.mkdir()
    os.chmod(path, 0o777)
    return path


@pytest.fixture
def api(cluster: Cluster, workdir: Path) -> Iterator[Api]:
    """A client for the cluster's main user whose jobs run in this test's own directory."""
    client = cluster.client(workdir=workdir)
    yield client
    client.http.close()


ClientFactory = Callable[..., Api]


@pytest.fixture
def client_for(cluster: Cluster, workdir: Path) -> Iterator[ClientFactory]:
    """Make clients for other users or API versions; all are closed when the test ends."""
    made: list[Api] = []

    def make(user: str | None = None, version: str = "v0.0.38") -> Api:
        client = cluster.client(user, version=version, workdir=workdir)
        made.append(client)
        return client

    yield make
    for client in made:
        client.http.close()


def _lab_cluster() -> Iterator[Cluster]:
    """slurmgate on the lab cluster, run as its own unprivileged user like a real deployment."""
    lab = require_lab()
    with shared_directory("slurmgate-jobs-") as workdir, lab_gateway(lab) as gateway:
        yield Cluster(
            backend="slurm",
            base_url=gateway.base_url,
            key=read_key_file(lab.jwt_key),
            user=lab.users[0],
            other_user=lab.users[1],
            user_is_admin=False,
            node_name=lab.node,
            release=lab.release,
            workdir=workdir,
            home=Path(pwd.getpwnam(lab.users[0]).pw_dir),
            process=gateway.process,
        )
