"""What the client works out before it sends anything: sbatch's options and #SBATCH lines, the
request body in each API family, the environment --export sends, records of either family,
settings and colours."""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import pytest

from slurmgate.auth.tokens import mint
from slurmgate.cli.client import history, records, sbatch, submission
from slurmgate.cli.client.errors import UsageError
from slurmgate.cli.client.session import Session
from slurmgate.cli.client.settings import ClientSettings, load_settings, token_user


@pytest.mark.parametrize(
    ("given", "minutes"),
    [("30", 30), ("1:30", 2), ("2:00:00", 120), ("1-0", 1440), ("1-2:3", 1563),
     ("0-0:0:1", 1), ("UNLIMITED", "UNLIMITED")],
)  # fmt: skip
def test_time_limits_in_sbatchs_formats(given: str, minutes: int | str) -> None:
    assert sbatch.minutes(given) == minutes


def test_memory_sizes_in_mebibytes() -> None:
    assert [sbatch.megabytes(v) for v in ("100", "2G", "512K", "1T", "3GB")] == [
        100, 2048, 1, 1024 * 1024, 3072,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        sbatch.megabytes("lots")


def test_sbatch_lines_end_at_the_first_command() -> None:
    script = (
        "#!/bin/bash\n\n# a comment\n#SBATCH -J one --mem=1G\n#SBATCH   -t 5 # why\n"
        "#SBATCHX -p never\necho hi\n#SBATCH -p too-late\n"
    )
    assert sbatch.directives(script) == [(4, ["-J", "one", "--mem=1G"]), (5, ["-t", "5"])]
    assert sbatch.script_options(script, "job.sh") == {
        "name": "one",
        "memory_per_node": 1024,
        "time_limit": 5,
    }


def test_an_unknown_sbatch_line_is_reported_and_a_bad_value_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kept = sbatch.script_options("#!/bin/sh\n#SBATCH --mail-type=END -n 2\n", "job.sh")
    assert kept == {"tasks": 2}
    assert "job.sh line 2: option --mail-type=END is not supported" in capsys.readouterr().err
    with pytest.raises(UsageError, match="job.sh line 2: .*invalid time limit"):
        sbatch.script_options("#!/bin/sh\n#SBATCH -t soon\n", "job.sh")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    submission.add_options(parser)
    return parser.parse_args(list(argv))


def test_the_command_line_wins_over_the_script() -> None:
    script = "#!/bin/sh\n#SBATCH -J script -p gpu -n 4\ntrue\n"
    fields = submission.job_fields(_args("-J", "cli", "-c", "2"), script, "a.sh", {})
    assert (fields["name"], fields["partition"], fields["tasks"]) == ("cli", "gpu", 4)
    assert fields["cpus_per_task"] == 2


def test_export_chooses_the_environment_and_never_sends_the_token() -> None:
    environ = {"PATH": "/bin", "HOME": "/home/a", "SLURM_JWT": "secret"}
    assert sbatch.environment(None, environ) == {"PATH": "/bin", "HOME": "/home/a"}
    assert sbatch.environment("NONE", environ) == {"SLURM_EXPORT_ENV": "NONE"}
    assert sbatch.environment("PATH,X=1", environ) == {"PATH": "/bin", "X": "1"}
    # As sbatch: SLURM_* variables always go (the token aside).
    assert sbatch.environment("NONE", {**environ, "SLURM_CONF": "/c"}) == {"SLURM_CONF": "/c"}
    assert sbatch.environment("ALL,HOME=/tmp,SLURM_JWT", environ) == {
        "PATH": "/bin", "HOME": "/tmp",
    }  # fmt: skip


def test_the_body_in_each_family() -> None:
    fields = {"name": "j", "nodes": "1-2", "time_limit": 10, "environment": {"A": "1"}}
    legacy = submission.body(fields, "#!/bin/sh\n", legacy=True)
    assert legacy == {
        "script": "#!/bin/sh\n",
        "job": {"name": "j", "nodes": [1, 2], "time_limit": 10, "environment": {"A": "1"}},
    }
    newer = submission.body(fields, "#!/bin/sh\n", legacy=False)
    assert newer == {
        "job": {"name": "j", "nodes": "1-2", "time_limit": 10, "environment": ["A=1"],
                "script": "#!/bin/sh\n"},
    }  # fmt: skip
    unlimited = {"time_limit": "UNLIMITED", "environment": {}}
    assert submission.body(unlimited, "", legacy=False)["job"]["time_limit"]["infinite"]
    assert submission.body(unlimited, "", legacy=True)["job"]["time_limit"] == 0xFFFFFFFF


def test_records_of_both_families_read_alike() -> None:
    legacy = {"job_id": 7, "job_state": "FAILED", "exit_code": 3 << 8, "time_limit": None,
              "start_time": 100, "end_time": 160, "array_job_id": 0}  # fmt: skip
    number = {"set": True, "infinite": False, "number": 0}
    newer = {
        "job_id": 7,
        "job_state": ["FAILED"],
        "exit_code": {"status": ["ERROR"], "return_code": {**number, "number": 3},
                      "signal": {"id": {**number, "set": False}, "name": ""}},
        "time_limit": {"set": False, "infinite": True, "number": 0},
        "start_time": {**number, "number": 100},
        "end_time": {**number, "number": 160},
        "array_job_id": number,
    }  # fmt: skip
    for record in (legacy, newer):
        job = records.job(record)
        assert (job.state, job.finished, str(job.exit_code)) == ("FAILED", True, "3:0")
        assert job.time_limit is None and job.elapsed(1000) == 60
        assert job.display_id == "7"


def test_display_ids_as_squeue() -> None:
    task = {"job_id": 12, "array_job_id": 10, "array_task_id": 2, "array_task_string": ""}
    rest = {"job_id": 10, "array_job_id": 10, "array_task_id": None, "array_task_string": "3-9"}
    het = {"job_id": 21, "het_job_id": 20, "het_job_offset": 1}
    assert [records.display_id(r) for r in (task, rest, het)] == ["10_2", "10_[3-9]", "20+1"]


def test_the_exit_status_of_watch_is_sbatch_waits() -> None:
    def ended(state: str, raw: int) -> records.Job:
        return records.job({"job_id": 1, "job_state": state, "exit_code": raw})

    assert records.exit_status([ended("COMPLETED", 0)]) == 0
    assert records.exit_status([ended("FAILED", 4 << 8), ended("FAILED", 2 << 8)]) == 4
    assert records.exit_status([ended("CANCELLED", 9)]) == 128 + 9
    assert records.exit_status([ended("CANCELLED", 0)]) == 1


def test_settings_flags_then_environment_then_file(tmp_path: Path) -> None:
    config = tmp_path / "client.toml"
    config.write_text('url = "http://file:1"\nuser = "fromfile"\ntimeout = 5\n')
    from_file = load_settings({}, config=config)
    assert (from_file.url, from_file.user, from_file.timeout) == ("http://file:1", "fromfile", 5)
    environment = {"SLURMGATE_URL": "http://env:2/", "SLURM_USER_NAME": "fromenv"}
    from_env = load_settings(environment, config=config)
    assert (from_env.url, from_env.user) == ("http://env:2", "fromenv")
    assert load_settings(environment, config=config, url="http://flag:3").url == "http://flag:3"
    with pytest.raises(UsageError, match="unknown setting 'colour'"):
        config.write_text("colour = true\n")
        load_settings({}, config=config)
    assert load_settings({"HOME": str(tmp_path / "nobody")}).url == "http://localhost:6820"


def test_the_user_is_the_tokens_own_when_not_named() -> None:
    token = mint(b"k" * 32, "alice", lifespan=60)
    assert token_user(token) == "alice"
    assert load_settings({"SLURM_JWT": token}).user == "alice"
    assert load_settings({"SLURM_JWT": token, "SLURM_USER_NAME": "bob"}).user == "bob"
    assert token_user("not-a-token") is None
    # What `SLURM_JWT=$(scontrol token)` leaves in the variable still works.
    assert load_settings({"SLURM_JWT": f"SLURM_JWT={token}\n"}).token == token


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colours_only_on_a_terminal_and_never_with_no_color() -> None:
    settings = ClientSettings()
    assert Session(settings, {}, Terminal()).paint("R", "RUNNING") == "\x1b[32mR\x1b[0m"
    assert Session(settings, {"NO_COLOR": "1"}, Terminal()).paint("R", "RUNNING") == "R"
    assert Session(settings, {}, io.StringIO()).paint("R", "RUNNING") == "R"


def test_a_token_given_above_the_user_brings_its_own_user(tmp_path: Path) -> None:
    bobs = mint(b"k" * 32, "bob", lifespan=60)
    environment = {"SLURM_USER_NAME": "alice", "SLURM_JWT": mint(b"k" * 32, "alice", lifespan=60)}
    assert load_settings(environment, token=bobs).user == "bob"
    config = tmp_path / "client.toml"
    config.write_text('user = "alice"\n')
    assert load_settings({"SLURM_JWT": bobs}, config=config).user == "bob"


def test_history_times_as_sacct_reads_them() -> None:
    now = time.mktime((2026, 12, 3, 10, 30, 0, 0, 0, -1))
    assert history.when("now", now) == int(now)
    assert history.when("now-2hours", now) == int(now) - 7200
    assert history.when("now-3days", now) == int(now) - 3 * 86400
    assert history.when("2026-12-01", now) == time.mktime((2026, 12, 1, 0, 0, 0, 0, 0, -1))
    assert history.when("2026-12-01T08:15", now) == time.mktime((2026, 12, 1, 8, 15, 0, 0, 0, -1))
    assert history.midnight(now) == time.mktime((2026, 12, 3, 0, 0, 0, 0, 0, -1))
    with pytest.raises(UsageError, match="invalid time 'yesterday'"):
        history.when("yesterday", now)


def test_accounting_records_of_both_families() -> None:
    legacy = {"job_id": 5, "name": "n", "user": "u", "state": {"current": "FAILED"},
              "exit_code": {"status": "FAILED", "return_code": 2},
              "time": {"elapsed": 3, "start": 10, "end": 13},
              "array": {"job_id": 0, "task_id": None}}  # fmt: skip
    unset = {"set": False, "infinite": False, "number": 0}
    newer = {"job_id": 6, "name": "n", "user": "u", "state": {"current": ["FAILED"]},
             "exit_code": {"status": ["ERROR"], "return_code": {**unset, "set": True, "number": 2},
                           "signal": {"id": unset}},
             "time": {"elapsed": 3, "start": 10, "end": 13},
             "array": {"job_id": 4, "task_id": {**unset, "set": True, "number": 1}}}  # fmt: skip
    rows = [history.row(legacy), history.row(newer)]
    assert [(r.display_id, r.state, str(r.exit_code), r.elapsed) for r in rows] == [
        ("5", "FAILED", "2:0", 3), ("4_1", "FAILED", "2:0", 3),
    ]  # fmt: skip
