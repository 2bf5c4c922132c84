"""The audit log: one JSON line per request, with a request id, and never a secret."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from slurmgate.api.audit import AuditLog, audited_path
from slurmgate.app import create_app
from slurmgate.auth.tokens import mint
from slurmgate.config import Settings
from tests.security.gateway import Gateway, poll, running
from tests.support.cluster import current_user, free_port

PING = "/slurm/v0.0.38/ping"
SUBMIT = "/slurm/v0.0.38/job/submit"
FIELDS = {
    "time",
    "request_id",
    "client",
    "user",
    "token_user",
    "method",
    "path",
    "status",
    "latency_ms",
    "action",
    "job_ids",
    "script_sha256",
}
#: A script whose text must never reach the log.
SCRIPT = "#!/bin/sh\n# audit-canary-7f3a91 do not log me\ntrue\n"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    state_dir = tmp_path_factory.mktemp("audited")
    settings = f'[audit]\nenabled = true\npath = "{state_dir / "audit.log"}"\n'
    with running(state_dir, settings) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def jobs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jobs")
    os.chmod(path, 0o1777)
    return path


def _lines(gateway: Gateway) -> list[dict[str, Any]]:
    path = gateway.state_dir / "audit.log"
    text = path.read_bytes() if path.exists() else b""
    return [orjson.loads(line) for line in text.splitlines()]


def _line_of(gateway: Gateway, request_id: str) -> dict[str, Any]:
    """The line of one request, once the writer thread has written it."""
    found: list[dict[str, Any]] = []

    def written() -> bool:
        found[:] = [line for line in _lines(gateway) if line.get("request_id") == request_id]
        return bool(found)

    assert poll(written, timeout=10.0), f"no audit line for {request_id}"
    assert len(found) == 1, found
    return found[0]


def _headers(gateway: Gateway, request_id: str, user: str | None = None) -> dict[str, str]:
    return {**gateway.headers(user), "X-Request-ID": request_id}


def test_every_request_gets_one_json_line_with_every_field(audited: Gateway) -> None:
    response = httpx.get(audited.base_url + PING, headers=_headers(audited, "ping-1"), timeout=10.0)
    assert response.status_code == 200
    line = _line_of(audited, "ping-1")
    assert set(line) == FIELDS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert abs(time.time() - _epoch(line["time"])) < 60
    assert line["client"] == "127.0.0.1"
    assert line["user"] == current_user()
    assert line["token_user"] is None
    assert (line["method"], line["path"], line["status"]) == ("GET", PING, 200)
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert line["action"] == "ping"
    assert line["job_ids"] == []
    assert line["script_sha256"] is None


def test_the_log_file_is_private_to_the_gateways_user(audited: Gateway) -> None:
    mode = (audited.state_dir / "audit.log").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_a_sane_request_id_is_echoed_and_another_is_replaced(audited: Gateway) -> None:
    echoed = httpx.get(audited.base_url + "/openapi/v3", headers={"X-Request-ID": "trace-42.a"})
    assert echoed.headers["X-Request-ID"] == "trace-42.a"
    forged = httpx.get(audited.base_url + "/openapi/v3", headers={"X-Request-ID": 'x" injected="1'})
    generated = forged.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    line = _line_of(audited, generated)
    assert (line["user"], line["action"], line["status"]) == (None, None, 200)
    missing = httpx.get(audited.base_url + "/openapi/v3")
    assert re.fullmatch(r"[0-9a-f]{32}", missing.headers["X-Request-ID"])
    assert missing.headers["X-Request-ID"] != generated


def test_a_submission_logs_its_job_id_and_the_scripts_hash_not_its_text(
    audited: Gateway, jobs_dir: Path
) -> None:
    job = {
        "script": SCRIPT,
        "current_working_directory": str(jobs_dir),
        "environment": {"PATH": "/usr/bin:/bin"},
    }
    headers = _headers(audited, "submit-1")
    response = httpx.post(audited.base_url + SUBMIT, json={"job": job}, headers=headers)
    assert response.status_code == 200, response.text
    job_id = response.json()["job_id"]
    line = _line_of(audited, "submit-1")
    assert line["action"] == "job_submit"
    assert line["job_ids"] == [job_id]
    assert line["script_sha256"] == [hashlib.sha256(SCRIPT.encode()).hexdigest()]
    cancelled = httpx.delete(
        f"{audited.base_url}/slurm/v0.0.38/job/{job_id}",
        params={"signal": "KILL"},
        headers=_headers(audited, "cancel-1"),
    )
    assert cancelled.status_code == 200, cancelled.text
    line = _line_of(audited, "cancel-1")
    assert (line["action"], line["job_ids"]) == ("job_cancel", [job_id])
    assert line["path"] == f"/slurm/v0.0.38/job/{job_id}?signal=KILL"
    assert SCRIPT.splitlines()[1] not in (audited.state_dir / "audit.log").read_text()


def test_no_token_script_or_query_secret_reaches_the_log_even_when_refused(
    audited: Gateway,
) -> None:
    key = b"not-the-gateway-key-" * 4
    forged = mint(key, current_user(), lifespan=300, now=int(time.time()))
    refused = httpx.get(
        audited.base_url + PING,
        headers={"X-SLURM-USER-TOKEN": forged, "X-Request-ID": "forged-1"},
    )
    assert refused.status_code == 401
    bearer = httpx.get(
        audited.base_url + PING,
        headers={"Authorization": f"Bearer {forged}x", "X-Request-ID": "forged-2"},
    )
    assert bearer.status_code == 401
    valid = audited.headers()
    malformed = httpx.post(
        audited.base_url + SUBMIT,
        json={"job": {"script": SCRIPT, "nodes": "not a number", "no_such_field": 1}},
        headers={**valid, "X-Request-ID": "bad-1"},
    )
    assert malformed.status_code in (400, 422), malformed.text
    secret_query = httpx.get(
        audited.base_url + "/slurm/v0.0.38/jobs",
        params={"update_time": "0", "token": "query-secret-c0ffee"},
        headers={**valid, "X-Request-ID": "query-1"},
    )
    assert secret_query.status_code == 200
    assert _line_of(audited, "forged-1")["status"] == 401
    assert _line_of(audited, "forged-1")["user"] is None
    assert _line_of(audited, "forged-2")["status"] == 401
    assert _line_of(audited, "bad-1")["status"] == malformed.status_code
    assert _line_of(audited, "query-1")["path"] == "/slurm/v0.0.38/jobs?update_time=0&token"
    text = (audited.state_dir / "audit.log").read_text()
    for secret in (forged, valid["X-SLURM-USER-TOKEN"], "query-secret-c0ffee", "audit-canary"):
        assert secret not in text
    for token in (forged, valid["X-SLURM-USER-TOKEN"]):  # nor any of a token's three parts
        assert not any(part in text for part in token.split("."))


def test_lines_still_queued_are_written_on_shutdown(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    settings = f'[audit]\nenabled = true\npath = "{log}"\n'
    with running(tmp_path / "gateway", settings) as gateway:
        for n in range(50):
            httpx.get(gateway.base_url + "/openapi/v3", headers={"X-Request-ID": f"last-{n}"})
    # The gateway has stopped: every line is there, without waiting for anything.
    ids = [orjson.loads(line)["request_id"] for line in log.read_bytes().splitlines()]
    assert ids == [f"last-{n}" for n in range(50)]


def test_clients_refused_by_the_network_settings_are_logged_too(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    settings = f'[network]\nallow = ["192.0.2.0/24"]\n[audit]\nenabled = true\npath = "{log}"\n'
    with running(tmp_path / "gateway", settings) as gateway:
        response = httpx.get(gateway.base_url + PING, headers=_headers(gateway, "refused-1"))
        assert response.status_code == 403
        assert response.headers["X-Request-ID"] == "refused-1"
    [line] = [orjson.loads(raw) for raw in log.read_bytes().splitlines()]  # flushed on stop
    assert (line["client"], line["user"], line["status"]) == ("127.0.0.1", None, 403)


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        (b"", "/slurm/v0.0.38/jobs"),
        (b"update_time=17", "/slurm/v0.0.38/jobs?update_time=17"),
        (b"password=hunter2&signal=TERM&flag", "/slurm/v0.0.38/jobs?password&signal=TERM&flag"),
        (b"a%20b=c&a%20b=d", "/slurm/v0.0.38/jobs?a%20b&a%20b"),
    ],
)
def test_only_query_keys_and_harmless_values_are_logged(query: bytes, logged: str) -> None:
    scope = {"path": "/slurm/v0.0.38/jobs", "query_string": query}
    assert audited_path(scope) == logged


def test_an_audit_path_that_cannot_be_opened_stops_start_up(tmp_path: Path) -> None:
    config = tmp_path / "slurmgate.toml"
    config.write_text(f'[audit]\nenabled = true\npath = "{tmp_path / "missing" / "audit.log"}"\n')
    argv = [sys.executable, "-m", "slurmgate.cli.main", "serve"]
    argv += ["--listen", f"127.0.0.1:{free_port()}", "--state-dir", str(tmp_path / "state")]
    argv += ["--config", str(config)]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURMGATE_")}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "cannot open audit.path" in result.stderr
    assert "No such file or directory" in result.stderr


async def test_the_request_id_is_returned_even_when_auditing_is_off(tmp_path: Path) -> None:
    app = create_app(Settings(state_dir=tmp_path))
    assert app.state.audit is None
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/openapi/v3", headers={"X-Request-ID": "off-1"})
        assert response.headers["X-Request-ID"] == "off-1"
        response = await client.get("/no/such/path")
        assert response.status_code == 404
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_without_a_path_lines_go_to_standard_output(capfd: pytest.CaptureFixture[str]) -> None:
    audit = AuditLog(None)
    audit.record(
        {
            "time": 0.0,
            "request_id": "stdout-1",
            "client": "unix",
            "user": "alice",
            "token_user": "root",
            "method": "POST",
            "path": SUBMIT,
            "status": 200,
            "latency_ms": 1.5,
            "action": "job_submit",
            "job_ids": [7],
            "scripts": ["#!/bin/sh\n"],
        }
    )
    audit.close()
    line = orjson.loads(capfd.readouterr().out)
    assert line["time"] == "1970-01-01T00:00:00.000Z"
    assert line["script_sha256"] == [hashlib.sha256(b"#!/bin/sh\n").hexdigest()]
    assert set(line) == FIELDS


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
