"""GET /slurmgate/v1/job/{job_id}/output on every backend: pages, Range, follow, and who may
read what. Jobs write in the test's own directory; a file the user may not read is made by
the job itself (chmod), since only the job's user owns it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.contract.conftest import ClientFactory
from tests.support.cluster import Api, Cluster

#: Bytes no text encoding round-trips, and a NUL.
BINARY = "\\000\\001\\377\\376binary\\n"
EXPECTED = b"first line\n\x00\x01\xff\xfebinary\n"
#: A job that writes a line, then waits for the test to create "go" in its directory.
WAITS_FOR_GO = (
    "#!/bin/sh\necho 'line 1'\nwhile [ ! -e go ]; do sleep 0.2; done\necho 'line 2'\nprintf end\n"
)
FOLLOWED = b"line 1\nline 2\nend"


def output_url(job_id: int) -> str:
    return f"/slurmgate/v1/job/{job_id}/output"


def plain_user(cluster: Cluster) -> str:
    """The cluster's user, who must be no administrator: root may read every file."""
    if cluster.user_is_admin:
        pytest.skip(
            "the suite's user is root here, who may read every file, and other users' jobs "
            "cannot start from its private state directory: tests/push/test_output_files.py "
            "checks the embedded cluster with a gateway of its own"
        )
    return cluster.user


@pytest.fixture
def open_directory() -> Iterator[Path]:
    """A directory any user reaches (the tests' own are below a private one)."""
    path = Path(tempfile.mkdtemp(prefix="slurmgate-output-", dir="/tmp"))
    os.chmod(path, 0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def finished_job(api: Api, script: str, **job: object) -> int:
    job_id = api.submit(script, **job)
    api.wait_for(job_id, timeout=60)
    return job_id


def test_a_page_is_the_files_bytes(api: Api) -> None:
    job_id = finished_job(api, f"#!/bin/sh\necho 'first line'\nprintf '{BINARY}'\n")
    answer = api.http.get(output_url(job_id))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.content == EXPECTED
    assert answer.headers["x-slurmgate-size"] == str(len(EXPECTED))
    assert answer.headers["x-slurmgate-output-complete"] == "true"
    paged = api.http.get(output_url(job_id), params={"offset": 5, "limit": 6})
    assert paged.status_code == 200 and paged.content == EXPECTED[5:11]
    assert paged.headers["x-slurmgate-next-offset"] == "11"
    assert "offset=11" in paged.headers["link"]
    assert paged.headers["x-slurmgate-output-complete"] == "false"


def test_a_range_is_partial_content(api: Api) -> None:
    job_id = finished_job(api, f"#!/bin/sh\necho 'first line'\nprintf '{BINARY}'\n")
    size = len(EXPECTED)
    middle = api.http.get(output_url(job_id), headers={"Range": "bytes=6-13"})
    assert middle.status_code == 206 and middle.content == EXPECTED[6:14]
    assert middle.headers["content-range"] == f"bytes 6-13/{size}"
    tail = api.http.get(output_url(job_id), headers={"Range": "bytes=-7"})
    assert tail.status_code == 206 and tail.content == EXPECTED[-7:]
    beyond = api.http.get(output_url(job_id), headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.json()["errors"][0]["source"] == "range"


def test_standard_error_has_its_own_file(api: Api) -> None:
    job_id = finished_job(
        api,
        "#!/bin/sh\necho out\necho err >&2\n",
        standard_output="o-%j.txt",
        standard_error="e-%j-%x.txt",
        name="errs",
    )
    assert api.http.get(output_url(job_id)).content == b"out\n"
    errors = api.http.get(output_url(job_id), params={"stream": "stderr"})
    assert errors.status_code == 200 and errors.content == b"err\n"


def test_follow_streams_the_tail_until_the_job_ends(api: Api, workdir: Path) -> None:
    job_id = api.submit(WAITS_FOR_GO)
    api.wait_for(job_id, states={"RUNNING"}, timeout=120)
    pieces: list[bytes] = []
    try:
        url = output_url(job_id)
        with api.http.stream("GET", url, params={"follow": "true"}, timeout=90) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "application/octet-stream"
            for piece in answer.iter_bytes():
                if not pieces:  # the job waits for "go": its first line came while it ran
                    (workdir / "go").touch()
                pieces.append(piece)
    finally:
        (workdir / "go").touch()
    assert pieces[0] == b"line 1\n"
    assert b"".join(pieces) == FOLLOWED
    assert api.job(job_id)["job_state"] == "COMPLETED"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_follows_the_output_until_the_job_ends(
    cluster: Cluster, api: Api, workdir: Path
) -> None:
    job_id = api.submit(WAITS_FOR_GO)
    api.wait_for(job_id, states={"RUNNING"}, timeout=120)
    url = f"{cluster.base_url}{output_url(job_id)}?follow=true"
    argv = ["curl", "-sN", "--fail", "--max-time", "120", url]
    for name, value in api.http.headers.items():
        if name.lower().startswith("x-slurm-"):
            argv += ["-H", f"{name}: {value}"]
    try:
        with subprocess.Popen(argv, stdout=subprocess.PIPE) as curl:
            assert curl.stdout is not None
            first = curl.stdout.readline()  # the job's first line, written while it waits
            (workdir / "go").touch()
            rest, _ = curl.communicate(timeout=120)  # curl ends when the answer ends
    finally:
        (workdir / "go").touch()
    assert curl.returncode == 0
    assert first == b"line 1\n" and first + rest == FOLLOWED


def test_a_pending_job_has_no_output_yet(api: Api) -> None:
    job_id = api.submit("#!/bin/sh\ntrue\n", hold=True)
    try:
        answer = api.http.get(output_url(job_id))
        assert answer.status_code == 409
        assert "pending" in answer.json()["errors"][0]["description"]
    finally:
        api.cancel(job_id)


def test_another_users_job_output_is_refused(
    cluster: Cluster, api: Api, client_for: ClientFactory
) -> None:
    job_id = finished_job(api, "#!/bin/sh\necho private\n")
    refused = client_for(cluster.other_user).http.get(output_url(job_id))
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["error_number"] == 2002


def test_a_file_the_user_may_not_read_is_refused(
    cluster: Cluster, client_for: ClientFactory, open_directory: Path
) -> None:
    user = client_for(plain_user(cluster))
    # Readable by others (the gateway) but not by its owner, the job's own user.
    script = '#!/bin/sh\necho secret\nchmod 044 "$(pwd)/slurm-$SLURM_JOB_ID.out"\n'
    job_id = finished_job(user, script, current_working_directory=str(open_directory))
    refused = user.http.get(output_url(job_id))
    assert refused.status_code == 403, refused.text
    assert "may not read" in refused.json()["errors"][0]["description"]


def test_an_output_replaced_by_a_link_is_not_followed(
    cluster: Cluster, client_for: ClientFactory, open_directory: Path
) -> None:
    user = client_for(plain_user(cluster))
    script = (
        '#!/bin/sh\nout="$(pwd)/slurm-$SLURM_JOB_ID.out"\nrm -f "$out"\nln -s /etc/shadow "$out"\n'
    )
    job_id = finished_job(user, script, current_working_directory=str(open_directory))
    refused = user.http.get(output_url(job_id))
    assert refused.status_code == 403, refused.text
    assert "symbolic link" in refused.json()["errors"][0]["description"]


def test_output_needs_a_token(cluster: Cluster) -> None:
    answer = httpx.get(f"{cluster.base_url}{output_url(1)}", timeout=10)
    assert answer.status_code == 401
