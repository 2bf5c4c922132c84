"""The web page in a real browser (Debian's Chromium), against a gateway on the embedded cluster:
signing in, submitting and following a job, cancelling one, a refusal beside its field, the
nodes and history pages, a phone-sized screen, and no token where it must not be."""

from __future__ import annotations

import os
import re
import time

import httpx
import pytest

from slurmgate.auth.tokens import mint
from tests.support.cluster import read_key
from tests.web.conftest import Tab

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # CI must run the web page's tests
    pytest.skip("the playwright package is not installed (the test extra)", allow_module_level=True)

#: Bounds for waits on the cluster, never asserted as durations.
JOB_DONE_MS = 60_000


def test_signing_in_keeps_the_token_in_the_tab_only(tab: Tab) -> None:
    token = tab.sign_in()
    page = tab.page
    expect(page.get_by_text(f"Signed in as {tab.gateway.user}")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('slurmgate.token')") == token
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    assert page.context.cookies() == []
    assert token not in page.url
    # Another tab of the same browser starts signed out.
    other = page.context.new_page()
    other.goto(tab.gateway.base_url + "/")
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
    other.close()


def test_a_refused_token_is_said_beside_the_token_field(tab: Tab) -> None:
    tab.open()
    # Signed out, the page offers nothing but signing in.
    expect(tab.page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(tab.page.get_by_role("navigation", name="Main")).to_be_hidden()
    tab.page.get_by_label("Token").fill("not.a.token")
    tab.page.get_by_role("button", name="Sign in").click()
    error = tab.page.locator("#token-error")
    expect(error).to_contain_text("refused this token")
    expect(tab.page.get_by_label("Token")).to_have_attribute("aria-invalid", "true")
    tab.console.clear()  # the browser logs the 401 itself


def test_a_token_revoked_meanwhile_signs_the_tab_out_saying_why(tab: Tab) -> None:
    jti = "web-revoked-" + os.urandom(4).hex()
    token = mint(read_key(tab.gateway.state_dir), tab.gateway.user, lifespan=900,
                 now=int(time.time()), jti=jti)  # fmt: skip
    tab.sign_in(token)
    revoked = httpx.post(
        f"{tab.gateway.base_url}/slurmgate/v1/token/revoke",
        headers={"X-SLURM-USER-TOKEN": tab.gateway.token()},
        json={"jti": jti},
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text
    page = tab.page
    # The next call the page makes is refused, whichever it is.
    page.get_by_role("link", name="Nodes").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=JOB_DONE_MS)
    expect(page.locator("main .notice")).to_contain_text(
        "refused the token: token has been revoked"
    )
    assert page.evaluate("sessionStorage.getItem('slurmgate.token')") is None
    tab.console.clear()  # the browser logs the 401 itself


def test_a_submitted_job_completes_and_its_output_shows(tab: Tab) -> None:
    tab.sign_in()
    page = tab.page
    page.get_by_role("link", name="Submit").click()
    script = (
        "#!/bin/bash\n#SBATCH --job-name=web-hello\n#SBATCH --time=5\n"
        "echo 'hello from the web page'\necho 'to stderr' >&2\n"
    )
    page.get_by_label("Batch script").fill(script)
    # What the #SBATCH lines set is shown, and offered in the fields they fill.
    directives = page.locator(".directives")
    expect(directives).to_contain_text("--job-name")
    expect(directives).to_contain_text("web-hello")
    expect(page.get_by_label("Job name")).to_have_attribute("placeholder", re.compile("web-hello"))
    page.get_by_label("Working directory").fill(str(tab.gateway.workdir))
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page).to_have_url(re.compile(r"#/job/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_contain_text("web-hello")
    expect(page.locator(".state").first).to_have_text("COMPLETED", timeout=JOB_DONE_MS)
    output = page.get_by_label("Job output")
    expect(output).to_contain_text("hello from the web page", timeout=JOB_DONE_MS)
    expect(output).to_contain_text("to stderr")
    expect(page.locator(".output-status")).to_contain_text("Complete")
    timeline = page.get_by_role("list", name="State timeline")
    expect(timeline).to_contain_text("submitted")
    expect(timeline).to_contain_text("completed")
    # The submission used the #SBATCH lines: the job's record says so.
    record = tab.gateway.api("GET", f"job/{job_id}").json()["jobs"][0]
    assert record["name"] == "web-hello"
    assert record["time_limit"]["number"] == 5


def test_the_queue_shows_a_new_job_and_its_end_without_a_reload(tab: Tab) -> None:
    tab.sign_in()
    page = tab.page
    expect(page.locator(".live")).to_have_text("Live")
    job_id = tab.gateway.submit("#!/bin/bash\nsleep 1\n", name="web-live")
    row = page.locator(f"tr[data-job-id='{job_id}']")
    expect(row).to_contain_text("web-live")
    expect(row.locator(".state")).to_have_text("COMPLETED", timeout=JOB_DONE_MS)
    # The table is drawn again as jobs change: a keyboard user keeps their place in it.
    row.get_by_role("link").focus()
    other = tab.gateway.submit("#!/bin/bash\ntrue\n", name="web-live-other")
    expect(page.locator(f"tr[data-job-id='{other}']")).to_be_visible()
    expect(row.get_by_role("link")).to_be_focused()
    # Filtering by state asks the gateway again.
    page.get_by_label("State").select_option("RUNNING")
    expect(row).to_have_count(0)
    page.get_by_label("State").select_option("")


def test_another_job_is_cancelled_from_its_page(tab: Tab) -> None:
    job_id = tab.gateway.submit("#!/bin/bash\nsleep 300\n", name="web-cancel-me")
    tab.sign_in()
    page = tab.page
    page.get_by_role("link", name=str(job_id), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("web-cancel-me")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".state").first).to_have_text("CANCELLED", timeout=JOB_DONE_MS)
    expect(page.get_by_role("button", name="Cancel")).to_be_disabled()
    record = tab.gateway.api("GET", f"job/{job_id}").json()["jobs"][0]
    assert record["job_state"] == ["CANCELLED"]


def test_a_refused_action_says_why(tab: Tab) -> None:
    job_id = tab.gateway.submit("#!/bin/bash\nsleep 300\n", name="web-not-yours")
    other = "nobody" if tab.gateway.user != "nobody" else "daemon"
    tab.sign_in(mint(read_key(tab.gateway.state_dir), other, lifespan=900, now=int(time.time())))
    page = tab.page
    expect(page.get_by_text(f"Signed in as {other}")).to_be_visible()
    expect(page.locator(f"tr[data-job-id='{job_id}']")).to_have_count(0)  # not mine
    page.get_by_label("All I may see").check()
    page.locator(f"tr[data-job-id='{job_id}']").get_by_role("link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alert").filter(has_text="Cancel refused")).to_be_visible()
    assert tab.gateway.api("GET", f"job/{job_id}").json()["jobs"][0]["job_state"] != ["CANCELLED"]
    tab.gateway.api("DELETE", f"job/{job_id}")
    tab.console.clear()  # the browser logs the refusal itself


def test_a_job_is_held_and_released_from_its_page(tab: Tab) -> None:
    job_id = tab.gateway.submit(
        "#!/bin/bash\ntrue\n", name="web-hold-me", begin_time={"set": True, "number": 4102444800}
    )
    tab.sign_in()
    page = tab.page
    tab.open(f"#/job/{job_id}")
    page.get_by_role("button", name="Hold").focus()
    page.keyboard.press("Enter")
    # The keyboard is taken to the button that undoes it.
    expect(page.get_by_role("button", name="Release")).to_be_focused()
    assert tab.gateway.api("GET", f"job/{job_id}").json()["jobs"][0]["hold"] is True
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Hold")).to_be_focused()
    assert tab.gateway.api("GET", f"job/{job_id}").json()["jobs"][0]["hold"] is False
    tab.gateway.api("DELETE", f"job/{job_id}")


def test_a_running_job_is_requeued_from_its_page(tab: Tab) -> None:
    job_id = tab.gateway.submit("#!/bin/bash\nsleep 300\n", name="web-requeue-me")
    tab.sign_in()
    page = tab.page
    tab.open(f"#/job/{job_id}")
    expect(page.locator(".state").first).to_have_text("RUNNING", timeout=JOB_DONE_MS)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Requeue").click()
    expect(page.get_by_role("status").filter(has_text="Requeue: done")).to_be_visible()
    # The event stream tells the page, whose timeline shows the step.
    timeline = page.get_by_role("list", name="State timeline")
    expect(timeline).to_contain_text("requeued", timeout=JOB_DONE_MS)
    assert tab.gateway.api("GET", f"job/{job_id}").json()["jobs"][0]["restart_cnt"] >= 1
    tab.gateway.api("DELETE", f"job/{job_id}")


def test_a_jobs_timeline_holds_the_steps_the_queue_saw(tab: Tab) -> None:
    job_id = tab.gateway.submit(
        "#!/bin/bash\ntrue\n", name="web-steps", begin_time={"set": True, "number": 4102444800}
    )
    tab.sign_in()
    page = tab.page
    row = page.locator(f"tr[data-job-id='{job_id}']")
    expect(row).to_contain_text("web-steps")
    expect(page.locator(".live")).to_have_text("Live")
    tab.gateway.api("POST", f"job/{job_id}", {"hold": True})
    expect(row).to_contain_text("JobHeld")
    tab.gateway.api("POST", f"job/{job_id}", {"hold": False})
    expect(row).not_to_contain_text("JobHeld")
    row.get_by_role("link").click()
    timeline = page.get_by_role("list", name="State timeline")
    expect(timeline).to_contain_text("held")
    expect(timeline).to_contain_text("released")
    tab.gateway.api("DELETE", f"job/{job_id}")


def test_a_bad_time_limit_is_refused_beside_its_field(tab: Tab) -> None:
    tab.sign_in()
    page = tab.page
    tab.open("#/submit")
    before = {job["job_id"] for job in tab.gateway.api("GET", "jobs").json()["jobs"]}
    page.get_by_label("Batch script").fill("#!/bin/bash\ntrue\n")
    page.get_by_label("Time limit").fill("soon")
    page.get_by_role("button", name="Submit", exact=True).click()
    time_limit = page.get_by_label("Time limit")
    # The gateway's own words, beside the field they are about, which takes the focus.
    expect(page.locator("#submit-time-error")).to_contain_text('"soon"')
    expect(time_limit).to_have_attribute("aria-invalid", "true")
    expect(time_limit).to_be_focused()
    expect(page.locator("#submit-partition-error")).to_be_empty()
    after = {job["job_id"] for job in tab.gateway.api("GET", "jobs").json()["jobs"]}
    assert after == before
    tab.console.clear()  # the browser logs the 400 itself


def test_an_unknown_partition_is_refused_beside_its_field(tab: Tab) -> None:
    tab.sign_in()
    page = tab.page
    tab.open("#/submit")
    page.get_by_label("Batch script").fill("#!/bin/bash\n#SBATCH -p nowhere\ntrue\n")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#submit-partition-error")).to_contain_text("nowhere")
    expect(page.get_by_label("Partition", exact=True)).to_be_focused()
    tab.console.clear()


def test_nodes_and_partitions_show_their_use(tab: Tab) -> None:
    job_id = tab.gateway.submit("#!/bin/bash\nsleep 300\n", name="web-busy", cpus_per_task=3)
    tab.sign_in()
    page = tab.page
    page.get_by_role("link", name="Nodes").click()
    node = page.locator("tr", has_text="node1").last
    expect(node).to_contain_text("3 / 4", timeout=JOB_DONE_MS)
    expect(node.get_by_role("img", name=re.compile("3 of 4 CPUs allocated"))).to_be_visible()
    expect(page.locator("tr", has_text="short").first).to_contain_text("00:05:00")
    tab.gateway.api("DELETE", f"job/{job_id}")
    # The job's end reaches the page through the event stream.
    expect(node).to_contain_text("0 / 4", timeout=JOB_DONE_MS)


def test_history_shows_accounting_or_says_plainly_there_is_none(tab: Tab) -> None:
    job_id = tab.gateway.submit("#!/bin/bash\nexit 3\n", name="web-history")
    tab.sign_in()
    path = f"{tab.gateway.base_url}/slurmdb/v0.0.44/jobs"
    answer = httpx.get(path, headers={"X-SLURM-USER-TOKEN": tab.gateway.token()}, timeout=30)
    page = tab.page
    if answer.status_code == 404:
        page.get_by_role("link", name="History").click()
        expect(page.get_by_text("Accounting history is not available")).to_be_visible()
        tab.console.clear()  # the browser logs the 404 itself
        return
    assert answer.status_code == 200, answer.text
    expect(page.locator(f"tr[data-job-id='{job_id}'] .state")).to_have_text(
        "FAILED", timeout=JOB_DONE_MS
    )
    page.get_by_role("link", name="History").click()
    row = page.locator("tr", has_text="web-history")
    expect(row).to_contain_text("FAILED")
    expect(row.locator("td[data-label='Exit code']")).to_have_text("3")
    expect(page.get_by_text("Cannot read the history")).to_have_count(0)


def test_the_page_fits_a_phone_sized_screen(tab: Tab) -> None:
    tab.page.set_viewport_size({"width": 375, "height": 740})
    tab.gateway.submit("#!/bin/bash\ntrue\n", name="web-phone")
    tab.sign_in()
    page = tab.page
    expect(page.locator("tr", has_text="web-phone")).to_be_visible()
    # Each page once its content is there: the jobs, the #SBATCH table, the nodes.
    for route, content in (
        ("#/queue", "web-phone"),
        ("#/submit", "--job-name"),
        ("#/nodes", "node1"),
    ):
        tab.open(route)
        page.locator("main tr", has_text=content).first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, route
    tab.open("#/queue")
    # A row is a card whose cells say what they are.
    cell = page.locator("tr", has_text="web-phone").locator("td").first
    assert cell.evaluate("e => getComputedStyle(e, '::before').content") == '"Job"'


def test_keyboard_users_land_on_each_page_heading(tab: Tab) -> None:
    tab.sign_in()
    page = tab.page
    expect(page.get_by_role("heading", name="Queue")).to_be_focused()
    page.get_by_role("link", name="Nodes").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nodes and partitions")).to_be_focused()
    expect(page.get_by_role("link", name="Nodes")).to_have_attribute("aria-current", "page")
    # Every form control has a label.
    tab.open("#/submit")
    page.get_by_role("heading", level=1).wait_for()
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input, select, textarea')]"
        ".filter(e => !e.labels || !e.labels.length).map(e => e.outerHTML)"
    )
    assert unlabelled == []


def test_no_token_reaches_the_logs(tab: Tab) -> None:
    token = tab.sign_in()
    job_id = tab.gateway.submit("#!/bin/bash\necho logged\n", name="web-logs")
    page = tab.page
    for route in (f"#/job/{job_id}", "#/nodes", "#/history", "#/submit", "#/queue"):
        tab.open(route)
        page.get_by_role("heading", level=1).wait_for()
    expect(page.locator("tr", has_text="web-logs")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('slurmgate.token')") is None
    audit = tab.gateway.audit_log
    # The page's own calls are there, as the token's user, without the token.
    assert '"path":"/slurmgate/v1/events?types"' in audit
    assert f'"user":"{tab.gateway.user}"' in audit
    signature = token.rsplit(".", 1)[1]
    assert signature not in audit
    assert signature not in tab.gateway.log
    tab.console.clear()
