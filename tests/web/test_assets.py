"""The web page over plain HTTP: served without a token, with its security headers, every file
it loads there, nothing inline, and its requests audited like any other."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import orjson
import pytest

from slurmgate.web.pages import STATIC, WebAssets
from tests.security.gateway import poll, running
from tests.support import browser
from tests.web.conftest import WebGateway

#: The directives the page's policy must hold, whatever else it says.
REQUIRED_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


class _References(HTMLParser):
    """What a page loads (src and href of scripts, styles, images), and what it inlines."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in found:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=...>")
        if tag == "script" and not found.get("src"):
            self.inline.append("<script> without src")
        for name in ("src", "href"):
            value = found.get(name)
            if value and value.startswith("/"):
                self.loads.append(value)


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def _modules(source: str) -> list[str]:
    return re.findall(r'^\s*(?:import|export)\b[^;]*?from\s+"(\.{1,2}/[^"]+)"', source, re.M)


def test_the_page_loads_without_a_token_with_a_strict_policy(gateway: WebGateway) -> None:
    answer = httpx.get(gateway.base_url + "/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    policy = _policy(answer.headers["content-security-policy"])
    for directive, value in REQUIRED_POLICY.items():
        assert policy.get(directive) == value, (directive, policy)
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    assert "unsafe-eval" not in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "set-cookie" not in answer.headers


def test_every_file_the_page_loads_is_served_without_a_token(gateway: WebGateway) -> None:
    page = httpx.get(gateway.base_url + "/").text
    references = _References()
    references.feed(page)
    assert references.inline == []
    assert "/web/js/app.js" in references.loads and "/web/style.css" in references.loads
    pending, seen = list(references.loads), set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = httpx.get(gateway.base_url + path)
        assert answer.status_code == 200, path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" in answer.headers, path
        if path.endswith(".js"):
            assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
            base = path.rsplit("/", 1)[0]
            for module in _modules(answer.text):
                parts = f"{base}/{module}".split("/")
                resolved: list[str] = []
                for part in parts:
                    if part == "..":
                        resolved.pop()
                    elif part != ".":
                        resolved.append(part)
                pending.append("/".join(resolved))
    # Every module of the page was reached from it: none is dead, none missing.
    shipped = {f"/web/{name}" for name in WebAssets().files if name.endswith(".js")}
    assert shipped == {path for path in seen if path.endswith(".js")}


def test_an_unchanged_file_is_not_sent_again(gateway: WebGateway) -> None:
    first = httpx.get(gateway.base_url + "/web/style.css")
    again = httpx.get(
        gateway.base_url + "/web/style.css", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path", ["/web/nothing.js", "/web/../pages.py", "/web/%2e%2e/pages.py", "/web/js"]
)
def test_nothing_but_the_page_files_is_served(gateway: WebGateway, path: str) -> None:
    answer = httpx.get(gateway.base_url + path)
    assert answer.status_code == 404
    assert "def " not in answer.text


def test_the_package_holds_every_file_of_the_page() -> None:
    names = set(WebAssets().files)
    on_disk = {path.relative_to(STATIC).as_posix() for path in STATIC.rglob("*") if path.is_file()}
    assert names == on_disk
    assert {"index.html", "style.css", "js/app.js", "js/events.js"} <= names


def test_page_requests_are_audited_as_web_without_a_user(gateway: WebGateway) -> None:
    request_id = "web-page-audit-1"
    httpx.get(gateway.base_url + "/", headers={"X-Request-ID": request_id})
    lines: list[dict[str, object]] = []

    def written() -> bool:
        lines[:] = [
            line
            for line in map(orjson.loads, gateway.audit_log.splitlines())
            if line.get("request_id") == request_id
        ]
        return bool(lines)

    assert poll(written)
    assert lines[0]["action"] == "web"
    assert lines[0]["user"] is None
    assert lines[0]["path"] == "/"


def test_without_chromium_the_browser_tests_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("PATH", "/nonexistent")
    reason = browser.missing()
    assert reason is not None and "apt-get install chromium" in reason


def test_the_pages_requests_leave_no_token_in_the_logs(gateway: WebGateway) -> None:
    token = gateway.token()
    job_id = gateway.submit("#!/bin/bash\necho logged\n", name="web-audit")
    headers = {"X-SLURM-USER-TOKEN": token}
    # What the page asks, as it asks it: the token in a header, filters in the query.
    asked = [
        "/",
        "/web/js/app.js",
        "/slurm/v0.0.45/ping",
        f"/slurm/v0.0.45/jobs?users={gateway.user}&states=RUNNING",
        f"/slurm/v0.0.45/job/{job_id}",
        "/slurm/v0.0.45/partitions",
        "/slurmdb/v0.0.44/jobs?start_time=0",
        f"/slurmgate/v1/job/{job_id}/output?stream=stdout",
    ]
    ids = []
    with httpx.Client(base_url=gateway.base_url, headers=headers, timeout=30) as client:
        for number, path in enumerate(asked):
            ids.append(f"web-token-{number}")
            client.get(path, headers={"X-Request-ID": ids[-1]})
        ids.append("web-token-events")
        with client.stream(
            "GET", "/slurmgate/v1/events?types=job", headers={"X-Request-ID": ids[-1]}
        ) as stream:
            assert stream.status_code == 200
            next(stream.iter_lines())
    assert poll(lambda: all(f'"request_id":"{i}"' in gateway.audit_log for i in ids))
    users = {
        line["request_id"]: line["user"]
        for line in map(orjson.loads, gateway.audit_log.splitlines())
        if line.get("request_id") in ids
    }
    # The page and its files are nobody's; every API call is the token's user's.
    assert [users[i] for i in ids] == [None, None] + [gateway.user] * (len(ids) - 2)
    signature = token.rsplit(".", 1)[1]
    assert signature not in gateway.audit_log
    assert signature not in gateway.log


def test_a_gateway_may_serve_the_api_alone(tmp_path: Path) -> None:
    with running(tmp_path / "no-page", "[web]\nenabled = false\n") as alone:
        for path in ("/", "/web/js/app.js"):
            answer = httpx.get(alone.base_url + path)
            assert answer.status_code == 404
            assert "web.enabled" in answer.json()["errors"][0]["description"]
        assert httpx.get(alone.base_url + "/openapi/v3").status_code == 200
