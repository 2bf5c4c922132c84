"""The differential suite: slurmrestd and slurmgate (backend "slurm") on the same lab cluster.

Every test sends the same requests, with the same user's token, to the cluster's real
slurmrestd and to one slurmgate started for the session, and compares the answers (pair.py,
compare.py; what may differ, and why, is in known.py). Without a lab cluster the tests skip,
saying why; in CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.differential.pair import CancelAtEnd, Daemons, job_request
from tests.support.cluster import read_key_file
from tests.support.lab import Lab, LabGateway, lab_gateway, require_lab, shared_directory

Connect = Callable[[str], Daemons]


@pytest.fixture(scope="session")
def lab() -> Lab:
    return require_lab()


@pytest.fixture(scope="session")
def gateway(lab: Lab) -> Iterator[LabGateway]:
    with lab_gateway(lab) as started:
        yield started


@pytest.fixture(scope="session")
def connect(lab: Lab, gateway: LabGateway) -> Iterator[Connect]:
    """Clients of both daemons for a lab user; all closed when the session ends."""
    key = read_key_file(lab.jwt_key)
    made: list[Daemons] = []

    def make(user: str) -> Daemons:
        daemons = Daemons(lab.restd_url, gateway, key, user)
        made.append(daemons)
        return daemons

    yield make
    for daemons in made:
        daemons.close()


@pytest.fixture(scope="session")
def alice(lab: Lab, connect: Connect) -> Daemons:
    """The lab's first user, who submits the tests' jobs."""
    return connect(lab.users[0])


@pytest.fixture(scope="session")
def bob(lab: Lab, connect: Connect) -> Daemons:
    """The lab's other user, whose job alice may not change."""
    return connect(lab.users[1])


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    """Where the tests' jobs run; writable by every lab user."""
    with shared_directory("slurmgate-differential-") as path:
        yield path


@pytest.fixture(scope="session")
def cancel_at_end(alice: Daemons, bob: Daemons) -> Iterator[CancelAtEnd]:
    """Register a job to cancel, through slurmrestd, when the session ends.

    (It asks for the users' clients so that they are closed only after it is done.)
    """
    jobs: list[tuple[Daemons, int]] = []
    yield lambda owner, job_id: jobs.append((owner, job_id))
    for owner, job_id in jobs:
        try:
            owner.restd("DELETE", f"/slurm/v0.0.38/job/{job_id}")
        except httpx.TransportError:  # slurmrestd is down: the jobs end at their time limit
            break


@pytest.fixture(scope="session")
def bobs_job(bob: Daemons, workdir: Path, cancel_at_end: CancelAtEnd) -> int:
    """A held job of bob's."""
    body = job_request(workdir, "differential-bob", hold=True)
    answer = bob.restd("POST", "/slurm/v0.0.38/job/submit", json=body)
    assert answer.status == 200, answer
    job_id: int = answer.body["job_id"]
    cancel_at_end(bob, job_id)
    return job_id


@pytest.fixture(scope="session")
def alices_job(alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd) -> int:
    """A held job of alice's, submitted through slurmrestd."""
    answer = alice.restd(
        "POST",
        "/slurm/v0.0.38/job/submit",
        json=job_request(workdir, "differential-read", hold=True, comment="read me"),
    )
    assert answer.status == 200, answer
    job_id: int = answer.body["job_id"]
    cancel_at_end(alice, job_id)
    return job_id
