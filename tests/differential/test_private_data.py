"""PrivateData=jobs: through slurmgate's shared mirror each user sees exactly the jobs that
slurmrestd (that is, slurmctld) shows that user.

The module reconfigures the lab cluster with PrivateData=jobs and restores it afterwards.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from tests.differential.pair import LATEST, VERSIONS, Both, Daemons
from tests.support.lab import SCRIPT, Lab, slurm_client_env

#: Seconds slurmgate may take to apply a changed PrivateData (mirror.access_interval is 2 s
#: in the lab gateway's configuration).
APPLIED_WITHIN = 20.0


def _lab_up(private_data: str) -> None:
    env = {**slurm_client_env(), "LAB_PRIVATE_DATA": private_data}
    done = subprocess.run([str(SCRIPT), "up"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def private_jobs(lab: Lab, alice: Daemons, alices_job: int, bobs_job: int) -> Iterator[None]:
    _lab_up("jobs")
    try:
        yield
    finally:
        _lab_up("")
        # The next module finds slurmgate showing every job again, as slurmrestd does: its
        # rules are reloaded within seconds, once slurmctld answers after its restart.
        _listings(alice, LATEST)


def _ids(answer_body: object) -> set[str]:
    assert isinstance(answer_body, dict)
    return {str(job["job_id"]) for job in answer_body["jobs"]}


def _listings(daemons: Daemons, version: str) -> Both:
    """GET jobs from both until they agree, or until slurmgate had time to apply the rules."""
    deadline = time.monotonic() + APPLIED_WITHIN
    while True:
        both = daemons.both("GET", version, "jobs")
        assert both.restd.status == 200, f"slurmrestd: {both.restd}"
        assert both.gate.status == 200, daemons.explain(both.gate)
        if _ids(both.restd.body) == _ids(both.gate.body) or time.monotonic() > deadline:
            return both
        time.sleep(0.5)


@pytest.mark.parametrize("version", VERSIONS)
def test_each_user_sees_what_slurmrestd_shows_them(
    private_jobs: None, alice: Daemons, bob: Daemons, alices_job: int, bobs_job: int, version: str
) -> None:
    for daemons, own, others in ((alice, alices_job, bobs_job), (bob, bobs_job, alices_job)):
        both = _listings(daemons, version)
        assert _ids(both.gate.body) == _ids(both.restd.body), daemons.user
        assert str(own) in _ids(both.gate.body)
        assert str(others) not in _ids(both.gate.body)


def test_someone_elses_job_is_refused_alike(
    private_jobs: None, alice: Daemons, bob: Daemons, alices_job: int
) -> None:
    _listings(bob, LATEST)  # the rules are applied
    both = bob.both("GET", LATEST, f"job/{alices_job}")
    assert both.restd.body is not None and both.gate.body is not None
    assert both.restd.body["jobs"] == both.gate.body["jobs"] == []
    restd_errors = [e["error_number"] for e in both.restd.body["errors"]]
    gate_errors = [e["error_number"] for e in both.gate.body["errors"]]
    assert gate_errors == restd_errors and gate_errors


def test_an_operator_sees_every_job(
    private_jobs: None, connect: Callable[[str], Daemons], alices_job: int, bobs_job: int
) -> None:
    operator = connect("slurm")  # SlurmUser
    both = _listings(operator, LATEST)
    assert _ids(both.gate.body) == _ids(both.restd.body)
    assert {str(alices_job), str(bobs_job)} <= _ids(both.gate.body)
