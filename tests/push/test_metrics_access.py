"""Who may read /metrics, and the parts that are off until asked for."""

from __future__ import annotations

import httpx

from tests.push.conftest import GatewayFactory


def test_outside_the_allowed_networks_an_administrators_token_is_needed(
    gateway_with: GatewayFactory,
) -> None:
    gateway = gateway_with('[metrics]\nallow = ["10.99.0.0/16"]\n')
    url = f"{gateway.base_url}/metrics"
    anonymous = httpx.get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["source"] == "metrics.allow"
    user = httpx.get(url, headers=gateway.headers("nobody"))
    assert user.status_code == 403 and "administrators" in user.json()["errors"][0]["description"]
    admin = httpx.get(url, headers=gateway.headers("root"))
    assert admin.status_code == 200 and "slurm_jobs " in admin.text
    counted = httpx.get(url, headers=gateway.headers("root")).text
    assert 'slurmgate_requests_total{route="/metrics",version="",method="GET",status="401"} 1' in (
        counted
    )


def test_per_user_and_per_account_counts_when_asked_for(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with("[metrics]\nusers = true\naccounts = true\nnodes = false\n")
    job_id = gateway.submit(hold=True, user="nobody")
    account = gateway.job(job_id)["account"]
    text = httpx.get(f"{gateway.base_url}/metrics").text
    assert 'slurm_user_jobs_pending{username="nobody"} 1' in text
    assert 'slurm_user_jobs_hold{username="nobody"} 1' in text
    if account:  # the cluster's default account, where it has accounts
        assert f'slurm_account_jobs{{account="{account}"}} 1' in text
    assert "# TYPE slurm_account_jobs gauge" in text
    assert "slurm_node_cpus{" not in text and "slurm_nodes 1" in text


def test_metrics_can_be_turned_off(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with("[metrics]\nenabled = false\n")
    answer = httpx.get(f"{gateway.base_url}/metrics")
    assert answer.status_code == 404 and answer.json()["errors"]


def test_refusals_are_counted(gateway_with: GatewayFactory) -> None:
    gateway = gateway_with(
        '[rate_limit]\nenabled = true\nper_user = "2/minute"\n[limits]\nmax_header_bytes = 2048\n'
    )
    for _ in range(4):
        httpx.get(f"{gateway.base_url}/slurm/v0.0.38/ping", headers=gateway.headers())
    httpx.get(f"{gateway.base_url}/slurm/v0.0.38/ping", headers={"X-Big": "x" * 4000})
    text = httpx.get(f"{gateway.base_url}/metrics").text
    assert 'slurmgate_requests_refused_total{reason="rate_limit"} 2' in text
    assert 'slurmgate_requests_refused_total{reason="headers_too_large"} 1' in text
