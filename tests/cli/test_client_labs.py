"""The client against the real slurmrestd of each lab cluster (docs/labs.md): Slurm 22.05's
(v0.0.38), 24.11's (v0.0.42) and 26.05's (v0.0.45), as the lab's user sgalice. A lab that is
not up is skipped, saying why; a plain slurmrestd has no event stream (watch polls) and no job
output (logs says so)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from slurmgate.auth.tokens import mint
from tests.cli.client_support import Client, wait_until
from tests.support.cluster import read_key_file
from tests.support.lab import lab_release, require_lab, shared_directory

ROOTS = Path(os.environ.get("LAB_ROOTS", "/var/lib/slurmgate-lab/roots"))
#: Each release's root, where it is not this process's own lab (docs/labs.md).
RELEASES = {"22.05": "", "24.11": "trixie", "26.05": "sid"}
NEWEST = {"22.05": "v0.0.38", "24.11": "v0.0.42", "26.05": "v0.0.45"}


@dataclass(frozen=True)
class Restd:
    release: str
    url: str
    key: bytes
    user: str
    node: str


def _root_lab(release: str) -> Restd:
    """A lab in its root, seen from the host: its lab.env and key are under the root."""
    root = ROOTS / RELEASES[release]
    env_file = root / "run" / "slurmgate-lab" / "lab.env"
    if os.geteuid() != 0:
        pytest.skip("the lab tests run as root (they mint tokens with the cluster's key)")
    if not env_file.exists():
        pytest.skip(f"the {release} lab is not up: sudo scripts/lab-cluster up {release}")
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    url = values["LAB_RESTD_URL"]
    try:
        urllib.request.urlopen(f"{url}/openapi/v3", timeout=60)  # noqa: S310 (a lab's URL)
    except urllib.error.HTTPError:
        pass  # 401: it answers, and wants a token
    except urllib.error.URLError as exc:
        # Nothing listens: the lab is down. (A slow answer is no reason to skip: tests wait.)
        if isinstance(exc.reason, ConnectionRefusedError):
            pytest.skip(f"the {release} lab's slurmrestd does not answer at {url}: {exc}")
    except TimeoutError:
        pass
    key = read_key_file(root / values["LAB_JWT_KEY"].lstrip("/"))
    return Restd(release, url, key, values["LAB_USERS"].split()[0], values["LAB_NODE"])


@pytest.fixture(scope="module", params=list(RELEASES))
def restd(request: pytest.FixtureRequest) -> Restd:
    release: str = request.param
    if release == lab_release():
        lab = require_lab()
        return Restd(release, lab.restd_url, read_key_file(lab.jwt_key), lab.users[0], lab.node)
    if not RELEASES[release] or not ROOTS.is_dir():
        pytest.skip(f"the {release} lab is reached from the host only")
    return _root_lab(release)


@pytest.fixture(scope="module")
def shared() -> Iterator[Path]:
    with shared_directory("slurmgate-client-") as path:
        yield path


@pytest.fixture
def client(
    restd: Restd,
    shared: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Client]:
    token = mint(restd.key, restd.user, lifespan=900)
    made = Client(restd.url, token, shared, tmp_path / "home", monkeypatch, capsys)
    submitted: list[int] = []
    original = made.submit

    def submit(script: str, *options: str) -> int:
        # Little memory and time: the job fits on the lab's node beside others'.
        job_id = original(script, "--mem", "64", "-t", "2", *options)
        submitted.append(job_id)
        return job_id

    made.submit = submit  # type: ignore[method-assign]
    yield made
    for job_id in submitted:
        made.run("cancel", str(job_id))


def test_the_newest_version_both_know_is_spoken(client: Client, restd: Restd) -> None:
    job_id = client.submit("#!/bin/sh\nsleep 60\n", "-H")
    answer = client.ok("show", str(job_id), "--json")
    # v0.0.40 and later print states as lists, v0.0.38 as words.
    state = json.loads(answer)[0]["job_state"]
    assert state == ("PENDING" if restd.release == "22.05" else ["PENDING"])
    newest = NEWEST[restd.release]
    older = {"22.05": "v0.0.37", "24.11": "v0.0.40", "26.05": "v0.0.42"}[restd.release]
    assert client.run("show", str(job_id), "--api-version", older).status == 0
    refused = client.run("jobs", "--api-version", "v0.0.36" if newest != "v0.0.38" else "v0.0.45")
    assert refused.status == 1 and "the server does not offer" in refused.err


def test_submit_show_jobs_and_cancel(client: Client, restd: Restd) -> None:
    script = "#!/bin/sh\n#SBATCH -J lab-script\n#SBATCH -p gpu\nsleep 60\n"
    job_id = client.submit(script, "-H", "-J", "lab-cli")
    record = client.record(job_id)
    assert (record["name"], record["partition"]) == ("lab-cli", "gpu")
    assert record["state_reason"] == "JobHeldUser"
    row = next(
        line.split()
        for line in client.ok("jobs", "--me").splitlines()
        if line.split()[0] == str(job_id)
    )
    assert row[1:5] == ["gpu", "lab-cli", restd.user, "PD"] and row[-1] == "(JobHeldUser)"
    client.ok("release", str(job_id))
    assert client.record(job_id)["state_reason"] != "JobHeldUser"
    client.ok("cancel", str(job_id))
    wait_until(lambda: client.state(job_id) == "CANCELLED", "cancelled")


def test_watch_polls_a_plain_slurmrestd_and_exits_with_the_exit_code(client: Client) -> None:
    job_id = client.submit("#!/bin/sh\nsleep 1\nexit 3\n")
    result = client.run("watch", str(job_id), "--interval", "0.5")
    assert result.status == 3, result
    assert f"job {job_id} FAILED" in result.out


def test_nodes_and_partitions(client: Client, restd: Restd) -> None:
    nodes = client.ok("nodes").splitlines()
    node = next(line.split() for line in nodes[1:] if line.split()[0] == restd.node)
    assert node[2].endswith("/8") and node[4] == "debug,gpu,short"
    partitions = {
        line.split()[0].rstrip("*"): line.split()
        for line in client.ok("partitions").splitlines()[1:]
    }
    assert set(partitions) == {"debug", "gpu", "short"}
    assert partitions["short"][1:3] == ["up", "5:00"]


def test_history_from_slurmdbd(client: Client) -> None:
    job_id = client.submit("#!/bin/sh\nexit 2\n", "-J", "lab-history")
    assert client.run("watch", str(job_id), "--interval", "0.5").status == 2

    def recorded() -> bool:
        return any(line.startswith(f"{job_id} ") for line in client.ok("history").splitlines())

    wait_until(recorded, "in accounting")  # slurmdbd records an end a moment later
    row = next(
        line.split()
        for line in client.ok("history", "-j", str(job_id)).splitlines()
        if line.startswith(f"{job_id} ")
    )
    assert row[1:3] == ["lab-history", "debug"] and row[5] == "FAILED"


def test_logs_says_a_plain_slurmrestd_serves_no_output(client: Client) -> None:
    job_id = client.submit("#!/bin/sh\ntrue\n", "-H", "-o", "out-%j.txt")
    result = client.run("logs", str(job_id))
    assert result.status == 1
    assert "is no slurmgate: it serves no job output" in result.err
    assert f"out-{job_id}.txt" in result.err


def test_the_daemons_errors_are_shown(client: Client) -> None:
    refused = client.run("submit", "--wrap", "true", "-p", "nosuchpartition")
    assert refused.status == 1 and "Invalid partition name specified" in refused.err, refused
    unknown = client.run("cancel", "99999999")
    assert unknown.status == 1 and "job 99999999: HTTP" in unknown.err, unknown
