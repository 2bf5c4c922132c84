"""A gateway on the embedded cluster, with its audit log on, and a browser to drive its page.

The browser tests skip, saying why, where Chromium or Playwright is missing; in CI
(``CI=true``) they fail instead. The plain HTTP tests need neither.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from slurmgate.auth.tokens import mint
from tests.support.browser import chromium, missing
from tests.support.cluster import current_user, read_key, start_gateway, stop_process

if TYPE_CHECKING:
    import subprocess

    from playwright.sync_api import Browser, Page

CONFIG = """
[local]
kill_wait = 1
sched_interval = 0.5

[[local.nodes]]
name = "node1"
cpus = 4
memory = 4096

[[local.partitions]]
name = "debug"
default = true

[[local.partitions]]
name = "short"
max_time = 5

[audit]
enabled = true
path = "{audit}"

# The user running the tests administers it, as root would (revocations in the tests).
[auth]
admins = ["root", "{user}"]
"""


@dataclass
class WebGateway:
    base_url: str
    state_dir: Path
    workdir: Path
    user: str
    process: subprocess.Popen[bytes]

    def token(self, lifespan: int = 900) -> str:
        return mint(read_key(self.state_dir), self.user, lifespan=lifespan, now=int(time.time()))

    @property
    def audit_log(self) -> str:
        path = self.state_dir / "audit.log"
        return path.read_text() if path.exists() else ""

    @property
    def log(self) -> str:
        return (self.state_dir / "gateway.log").read_text()

    def api(self, method: str, tail: str, body: Any = None) -> httpx.Response:
        headers = {"X-SLURM-USER-TOKEN": self.token()}
        url = f"{self.base_url}/slurm/v0.0.45/{tail}"
        return httpx.request(method, url, headers=headers, json=body, timeout=30.0)

    def submit(self, script: str, **job: Any) -> int:
        job.setdefault("current_working_directory", str(self.workdir))
        response = self.api("POST", "job/submit", {"job": {"script": script, **job}})
        assert response.status_code == 200, response.text
        job_id: int = response.json()["job_id"]
        return job_id


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebGateway]:
    state_dir = tmp_path_factory.mktemp("web-gateway")
    workdir = tmp_path_factory.mktemp("web-jobs")
    os.chmod(workdir, 0o1777)
    config = CONFIG.format(audit=state_dir / "audit.log", user=current_user())
    process, base_url = start_gateway(state_dir, config)
    try:
        yield WebGateway(base_url, state_dir, workdir, current_user(), process)
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module: Playwright's sync API runs an event loop in the main thread for as long as
    # the browser is open, and an async test run meanwhile could not start its own.
    reason = missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the web page's tests")
        pytest.skip(reason)
    with chromium() as launched:
        yield launched


@dataclass
class Tab:
    """One browser tab on the gateway, and what its console said."""

    page: Page
    gateway: WebGateway
    console: list[str]

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.gateway.base_url}/{route}")

    def sign_in(self, token: str | None = None) -> str:
        """Sign in through the form; returns the token used."""
        used = token or self.gateway.token()
        self.open()
        self.page.get_by_label("Token").fill(f"SLURM_JWT={used}")
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("heading", name="Queue").wait_for()
        return used


@pytest.fixture
def tab(browser: Browser, gateway: WebGateway) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    try:
        yield Tab(page, gateway, console)
    finally:
        context.close()
    # The page broke no rule of its own policy and threw nothing.
    problems = [
        line for line in console if "Content Security Policy" in line or "pageerror" in line
    ]
    assert not problems, problems
