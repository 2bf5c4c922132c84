"""The client subcommands against slurmgate on the embedded cluster: submitting with #SBATCH
lines, the jobs table, show, watch and its exit status, logs, cancel/hold/release, nodes,
partitions, history, and how failures are told. Both API families are spoken: the newest
(v0.0.45) and slurmrestd 22.05's (v0.0.38)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from slurmgate.auth.tokens import mint
from tests.cli.client_support import Client, wait_until, watching
from tests.contract.conftest import LOCAL_CONFIG
from tests.support.cluster import current_user, read_key, start_gateway, stop_process

VERSIONS = ["v0.0.45", "v0.0.38"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, bytes]]:
    state_dir = tmp_path_factory.mktemp("gateway")
    process, url = start_gateway(state_dir, LOCAL_CONFIG)
    try:
        yield url, read_key(state_dir)
    finally:
        stop_process(process)


@pytest.fixture
def client(
    gateway: tuple[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Client:
    url, key = gateway
    workdir = tmp_path / "work"
    workdir.mkdir()
    os.chmod(workdir, 0o777)
    token = mint(key, current_user(), lifespan=900)
    return Client(url, token, workdir, tmp_path / "home", monkeypatch, capsys)


def held_reason() -> str:
    """An operator's hold is an admin hold: root's jobs are held so."""
    return "JobHeldAdmin" if current_user() == "root" else "JobHeldUser"


SCRIPT = """#!/bin/sh
#SBATCH -J from-script
#SBATCH --partition=gpu --mem 100
#SBATCH -t 1:30:00   # a comment after the option
echo started
#SBATCH -p short    never read: sbatch stops at the first command
sleep 60
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_submit_reads_sbatch_lines_and_the_command_line_wins(client: Client, version: str) -> None:
    job_id = client.submit(SCRIPT, "-H", "-J", "from-cli", "--api-version", version)
    record = client.record(job_id)
    assert record["name"] == "from-cli"
    assert record["partition"] == "gpu"
    assert record["state_reason"] == held_reason()
    assert record["current_working_directory"] == str(client.workdir)
    shown = client.ok("show", str(job_id))
    assert "MinMemoryNode=100M" in shown and "TimeLimit=1:30:00" in shown
    client.ok("cancel", str(job_id))


def test_submit_prints_the_job_id_as_sbatch(client: Client) -> None:
    out = client.ok("submit", "--wrap", "true", "-D", str(client.workdir))
    assert out.startswith("Submitted batch job ")
    job_id = int(out.split()[-1])
    assert client.record(job_id)["name"] == "wrap"


def test_the_jobs_table_is_squeues(client: Client) -> None:
    job_id = client.submit("#!/bin/sh\nsleep 60\n", "-H", "-J", "tabled", "-p", "short")
    lines = client.ok("jobs", "--me").splitlines()
    assert lines[0].split() == [
        "JOBID", "PARTITION", "NAME", "USER", "ST", "TIME", "NODES", "NODELIST(REASON)"
    ]  # fmt: skip
    row = next(line.split() for line in lines if line.split()[0] == str(job_id))
    assert row == [str(job_id), "short", "tabled", current_user(), "PD", "0:00", "1",
                   f"({held_reason()})"]  # fmt: skip
    assert "\x1b[" not in "\n".join(lines)  # no colours off a terminal
    client.ok("cancel", str(job_id))


def test_jobs_filters_and_json(client: Client) -> None:
    short = client.submit("#!/bin/sh\nsleep 60\n", "-H", "-p", "short")
    debug = client.submit("#!/bin/sh\nsleep 60\n", "-H", "-p", "debug")
    listed = json.loads(client.ok("jobs", "--json", "-p", "short", "-t", "PD"))
    ids = {record["job_id"] for record in listed}
    assert short in ids and debug not in ids
    assert str(debug) not in client.ok("jobs", "-u", "nosuchuser")
    client.ok("cancel", str(short), str(debug))
    # Ended jobs are listed when asked for, as squeue -t.
    wait_until(lambda: client.state(debug) == "CANCELLED", "cancelled")
    assert str(debug) not in client.ok("jobs", "--me")
    finished = client.ok("jobs", "--me", "-t", "CA")
    assert any(line.split()[0] == str(debug) for line in finished.splitlines())


@pytest.mark.parametrize("mode", ["events", "poll"])
def test_watch_exits_with_the_jobs_exit_code(client: Client, mode: str) -> None:
    job_id = client.submit("#!/bin/sh\nsleep 1\nexit 3\n")
    options = ["--poll", "--interval", "0.5"] if mode == "poll" else []
    result = client.run("watch", str(job_id), *options)
    assert result.status == 3, result
    assert f"job {job_id} FAILED" in result.out and "exit code 3:0" in result.out


def test_watch_follows_a_job_from_pending_to_its_end(client: Client) -> None:
    job_id = client.submit("#!/bin/sh\nsleep 1\n", "-H")
    env = {**os.environ, **client.environment()}
    with watching(["watch", str(job_id)], env, client.workdir) as watch:
        assert watch.stdout is not None
        first = watch.stdout.readline()
        assert f"job {job_id} PENDING ({held_reason()})" in first
        client.ok("release", str(job_id))
        rest, _ = watch.communicate(timeout=120)
    assert watch.returncode == 0, rest
    assert f"job {job_id} COMPLETED" in rest.splitlines()[-1]


def test_logs_prints_a_jobs_output_and_its_error(client: Client) -> None:
    job_id = client.submit("#!/bin/sh\necho to-output\necho to-error >&2\n", "-e", "errors-%j.txt")
    assert client.run("watch", str(job_id)).status == 0
    assert client.ok("logs", str(job_id)) == "to-output\n"
    assert client.ok("logs", str(job_id), "--stderr") == "to-error\n"


def test_logs_follows_a_running_job_to_its_end(client: Client) -> None:
    job_id = client.submit("#!/bin/sh\necho one\nsleep 2\necho two\n")
    assert client.ok("logs", "-f", str(job_id)) == "one\ntwo\n"


def test_hold_release_and_cancel(client: Client) -> None:
    first = client.submit("#!/bin/sh\nsleep 60\n", "-H")
    second = client.submit("#!/bin/sh\nsleep 60\n", "-d", f"afterok:{first}")
    client.ok("hold", str(second))
    assert client.record(second)["state_reason"] == held_reason()
    client.ok("release", str(second))
    # Released, it waits for its dependency again (once the scheduler has looked at it).
    wait_until(lambda: client.record(second)["state_reason"] == "Dependency", "waiting")
    client.ok("cancel", str(first), str(second))
    wait_until(lambda: client.state(first) == client.state(second) == "CANCELLED", "cancelled")


def test_cancelling_an_unknown_job_shows_the_servers_error(client: Client) -> None:
    result = client.run("cancel", "999999")
    assert result.status == 1
    assert "job 999999: HTTP 404" in result.err and "Invalid job id" in result.err


@pytest.mark.parametrize("version", VERSIONS)
def test_nodes_as_sinfo(client: Client, version: str) -> None:
    nodes = client.ok("nodes", "--api-version", version).splitlines()
    assert nodes[0].split()[:3] == ["NODELIST", "STATE", "CPUS(A/T)"]
    node = next(line.split() for line in nodes if line.startswith("node1 "))
    assert node[2].endswith("/8") and node[3].endswith("/8192") and node[4] == "debug,gpu,short"


# v0.0.36 prints a partition's state only as slurmctld's number; v0.0.40-43 do not say which
# partition is the default.
@pytest.mark.parametrize(
    ("version", "default"), [("v0.0.45", "debug*"), ("v0.0.38", "debug*"), ("v0.0.36", "debug*"),
                             ("v0.0.40", "debug")]
)  # fmt: skip
def test_partitions_as_sinfo(client: Client, version: str, default: str) -> None:
    lines = client.ok("partitions", "--api-version", version).splitlines()
    assert lines[0].split() == ["PARTITION", "AVAIL", "TIMELIMIT", "NODES", "CPUS", "NODELIST"]
    partitions = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(partitions) == {default, "gpu", "short"}
    assert partitions["short"][1:] == ["up", "5:00", "1", "8", "node1"]
    assert partitions[default][2] == "infinite"


@pytest.mark.parametrize("version", VERSIONS)
def test_history_lists_ended_jobs(client: Client, version: str) -> None:
    job_id = client.submit("#!/bin/sh\nexit 2\n", "-J", "for-history")
    assert client.run("watch", str(job_id)).status == 2
    result = client.run("history", "-j", str(job_id), "--api-version", version)
    assert result.status == 0, result
    row = next(line.split() for line in result.out.splitlines() if line.startswith(f"{job_id} "))
    assert row[1:3] == ["for-history", "debug"] and row[4:7] == [current_user(), "FAILED", "2:0"]
    # Another user's history holds none of these.
    others = client.ok("history", "-u", "nosuchuser", "--api-version", version)
    assert not any(line.startswith(f"{job_id} ") for line in others.splitlines())


def test_errors_are_told_with_the_servers_envelope(client: Client) -> None:
    refused = client.run("submit", "--wrap", "true", "-p", "nosuchpartition")
    assert refused.status == 1
    assert refused.err.startswith("slurmgate: error: submission refused: HTTP 400: ")
    assert "Invalid partition name specified" in refused.err and "error 2000" in refused.err
    forged = client.run("jobs", env={"SLURM_JWT": client.token[:-4] + "AAAA"})
    assert forged.status == 1 and "HTTP 401" in forged.err
    tokenless = client.run("jobs", env={"SLURM_JWT": None})
    assert tokenless.status == 1 and "HTTP 401" in tokenless.err and "SLURM_JWT" in tokenless.err
    nobody = client.run("jobs", env={"SLURMGATE_URL": "http://127.0.0.1:9"})
    assert nobody.status == 1 and "cannot reach the server at http://127.0.0.1:9" in nobody.err


def test_usage_errors_exit_2(client: Client) -> None:
    script = client.workdir / "no-shebang.sh"
    script.write_text("echo hi\n")
    not_a_script = client.run("submit", str(script))
    assert not_a_script.status == 2 and "must start with #!" in not_a_script.err
    assert client.run("jobs", "--api-version", "v0.0.39").status == 2
    assert client.run("submit", "--wrap", "true", "-t", "soon").status == 2
    assert client.run("cancel", "twelve").status == 2


@pytest.mark.parametrize(
    "command",
    ["submit", "jobs", "show", "watch", "logs", "cancel", "hold", "release", "nodes",
     "partitions", "history"],
)  # fmt: skip
def test_every_command_has_help(client: Client, command: str) -> None:
    result = client.run(command, "--help")
    assert result.status == 0 and result.out.startswith(f"usage: slurmgate {command}")
    assert "--url" in result.out and "--token" in result.out


def test_settings_come_from_the_config_file_and_flags_win(client: Client) -> None:
    config = client.home / ".config" / "slurmgate" / "client.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'url = "{client.url}"\ntoken = "{client.token}"\n')
    unset = {"SLURMGATE_URL": None, "SLURM_JWT": None}
    assert "JOBID" in client.run("jobs", env=unset).out
    elsewhere = client.run("jobs", "--url", "http://127.0.0.1:9", env=unset)
    assert elsewhere.status == 1 and "127.0.0.1:9" in elsewhere.err
    named = client.workdir / "other.toml"
    named.write_text('url = "http://127.0.0.1:9"\n')
    assert "127.0.0.1:9" in client.run("jobs", "--config", str(named), env=unset).err


def test_an_arrays_tasks_are_named_as_squeue_names_them(client: Client) -> None:
    array = client.submit("#!/bin/sh\necho task $SLURM_ARRAY_TASK_ID\nsleep 60\n", "-a", "0-2")
    tasks = [f"{array}_{n}" for n in range(3)]

    def running() -> bool:
        rows = [line.split() for line in client.ok("jobs", "-j", str(array)).splitlines()[1:]]
        return sorted(row[0] for row in rows if row[4] == "R") == tasks

    wait_until(running, "running")
    client.ok("cancel", tasks[1])
    wait_until(lambda: "CANCELLED" in client.ok("show", tasks[1]), "cancelled")

    def states() -> dict[str, str]:
        rows = client.ok("jobs", "-j", str(array), "-t", "all").splitlines()[1:]
        return {line.split()[0]: line.split()[4] for line in rows}

    # The listing comes from the mirror, which may be up to max_age older than the task's
    # own record (an array's, read from the cluster itself).
    wait_until(lambda: states()[tasks[1]] == "CA", "listed as cancelled")
    assert states() == {tasks[0]: "R", tasks[1]: "CA", tasks[2]: "R"}
    # A task's output is read by its own name too (the endpoint takes job ids only).
    wait_until(lambda: client.ok("logs", tasks[2]) == "task 2\n", "written")
    client.ok("cancel", str(array))


def test_watching_one_task_of_an_array_shows_that_task_alone(client: Client) -> None:
    array = client.submit("#!/bin/sh\nsleep 1\nexit $((SLURM_ARRAY_TASK_ID + 4))\n", "-a", "0-1")
    result = client.run("watch", f"{array}_1")
    assert result.status == 5, result
    assert all(f" job {array}_1 " in line for line in result.out.splitlines()), result.out
    whole = client.run("watch", str(array))
    assert whole.status == 5 and f"job {array}_0 FAILED" in whole.out


def test_a_script_from_standard_input_and_the_environment_export_chooses(client: Client) -> None:
    script = '#!/bin/sh\n#SBATCH -o out-%j.txt\necho "$GREETING ${SLURM_JWT:-no token}"\n'
    submitted = client.run("submit", "--parsable", "--export=ALL,GREETING=hello", "-", stdin=script)
    assert submitted.status == 0, submitted
    job_id = submitted.out.strip()
    assert client.run("watch", job_id).status == 0
    assert client.ok("logs", job_id) == "hello no token\n"
    assert (client.workdir / f"out-{job_id}.txt").read_text() == "hello no token\n"


def test_cancel_with_a_signal_sends_it_to_the_job(client: Client) -> None:
    script = (
        "#!/bin/sh\ntrap 'echo got USR1; exit 7' USR1\necho ready\nwhile true; do sleep 0.1; done\n"
    )
    job_id = client.submit(script)
    wait_until(lambda: client.run("logs", str(job_id)).out == "ready\n", "ready")
    client.ok("cancel", "-s", "USR1", str(job_id))
    assert client.run("watch", str(job_id)).status == 7
    assert client.ok("logs", str(job_id)).endswith("got USR1\n")


def test_watch_polls_when_the_event_stream_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state_dir = tmp_path / "full"
    process, url = start_gateway(state_dir, LOCAL_CONFIG + "\n[events]\nmax_streams = 0\n")
    try:
        token = mint(read_key(state_dir), current_user(), lifespan=900)
        workdir = tmp_path / "work"
        workdir.mkdir()
        client = Client(url, token, workdir, tmp_path / "home", monkeypatch, capsys)
        job_id = client.submit("#!/bin/sh\nexit 4\n")
        result = client.run("watch", str(job_id), "--interval", "0.5")
    finally:
        stop_process(process)
    assert result.status == 4, result
    assert "no event stream: HTTP 503" in result.err and "reading the job every 0.5 s" in result.err
