"""The differential suite: slurmrestd and slurmgate (backend "slurm") on the same lab cluster.

Every test sends the same requests, with the same user's token, to the cluster's real
slurmrestd and to one slurmgate started for the session, and compares the answers (pair.py,
compare.py; what may differ, and why, is in known.py). The versions compared are those both
serve on the lab the tests run in (pair.VERSIONS). Without a lab cluster the tests skip,
saying why; in CI (``CI=true``) they fail instead.

Jobs the tests submit are cancelled when their module ends, so that the lab's node is free for
what runs next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.differential.pair import LATEST, CancelAtEnd, Daemons, job_request
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
    made: dict[str, Daemons] = {}

    def make(user: str) -> Daemons:
        if user not in made:
            made[user] = Daemons(lab.restd_url, gateway, key, user)
        return made[user]

    yield make
    for daemons in made.values():
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


@pytest.fixture(scope="module")
def cancel_at_end(alice: Daemons, bob: Daemons) -> Iterator[CancelAtEnd]:
    """Register a job to cancel, through slurmrestd, when the module ends.

    (It asks for the users' clients so that they are closed only after it is done.)
    """
    jobs: list[tuple[Daemons, int]] = []
    yield lambda owner, job_id: jobs.append((owner, job_id))
    for owner, job_id in jobs:
        try:
            owner.cancel(job_id)
        except httpx.TransportError:  # slurmrestd is down: the jobs end at their time limit
            break


@pytest.fixture(scope="module")
def bobs_job(bob: Daemons, workdir: Path, cancel_at_end: CancelAtEnd) -> int:
    """A held job of bob's."""
    job_id = bob.submit(LATEST, job_request(workdir, "differential-bob", LATEST, hold=True))
    cancel_at_end(bob, job_id)
    return job_id


@pytest.fixture(scope="module")
def alices_job(alice: Daemons, workdir: Path, cancel_at_end: CancelAtEnd) -> int:
    """A held job of alice's, submitted through slurmrestd."""
    request = job_request(workdir, "differential-read", LATEST, hold=True, comment="read me")
    job_id = alice.submit(LATEST, request)
    cancel_at_end(alice, job_id)
    return job_id
