"""While slurmctld is away the gateway answers 502 in the envelope, and recovers by itself."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from slurmgate.auth.tokens import mint
from tests.support.cluster import read_key_file
from tests.support.lab import SCRIPT, LabGateway, lab_gateway, require_lab, slurm_client_env
from tests.support.spec import assert_error_envelope

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway() -> Iterator[LabGateway]:
    with lab_gateway(require_lab()) as running:
        yield running


def _controller_up() -> bool:
    ping = subprocess.run(
        ["scontrol", "ping"], capture_output=True, text=True, check=False, env=slurm_client_env()
    )
    return "is UP" in ping.stdout


def test_gateway_answers_502_while_slurmctld_is_down_and_recovers(gateway: LabGateway) -> None:
    user = gateway.lab.users[0]
    token = mint(read_key_file(gateway.lab.jwt_key), user, lifespan=600, now=int(time.time()))
    client = httpx.Client(
        base_url=f"{gateway.base_url}/slurm/v0.0.38",
        headers={"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token},
        timeout=60,
    )
    assert client.get("ping").status_code == 200
    assert client.get("partitions").status_code == 200  # now held by the mirror

    subprocess.run(
        ["scontrol", "shutdown", "slurmctld"],
        check=True,
        capture_output=True,
        env=slurm_client_env(),
    )
    try:
        deadline = time.monotonic() + 30
        while _controller_up():
            assert time.monotonic() < deadline, "slurmctld did not stop"
            time.sleep(0.2)

        # What the mirror held is served while it is younger than mirror.max_age, then 502.
        max_age = 5.0
        while (held := client.get("partitions")).status_code == 200:
            assert float(held.headers["X-Slurmgate-Data-Age"]) <= max_age
            time.sleep(0.5)
        assert held.status_code == 502, held.text

        for path in ("jobs", "diag", "nodes"):
            response = client.get(path)
            assert response.status_code == 502, response.text
            assert_error_envelope(response.json())
            assert "slurmctld" in response.json()["errors"][0]["description"]
        assert gateway.running
    finally:
        subprocess.run([str(SCRIPT), "up"], check=True, capture_output=True, env=slurm_client_env())

    assert client.get("jobs").status_code == 200
    assert client.get("diag").status_code == 200
    client.close()
