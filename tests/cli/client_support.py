"""Running the client as a user would, against a server: ``slurmgate`` with its arguments and
an environment of its own, its output and exit status kept for the test to read."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from slurmgate.cli.main import main


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str


@dataclass
class Client:
    """The CLI for one server and token; ``run`` calls its main function in this process."""

    url: str
    token: str
    workdir: Path
    home: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def environment(self) -> dict[str, str]:
        return {
            "SLURMGATE_URL": self.url,
            "SLURM_JWT": self.token,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
        }

    def run(
        self, *argv: str, env: Mapping[str, str | None] | None = None, stdin: str = ""
    ) -> Result:
        with self.monkeypatch.context() as patch:
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            for name in ("SLURMGATE_URL", "SLURM_JWT", "SLURM_USER_NAME", "NO_COLOR"):
                patch.delenv(name, raising=False)
            for name, value in {**self.environment(), **(env or {})}.items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            patch.chdir(self.workdir)
            self.capsys.readouterr()
            try:
                status = main(list(argv))
            except SystemExit as exc:  # argparse: --help, or a usage error
                status = int(exc.code or 0)
            out, err = self.capsys.readouterr()
        return Result(status, out, err)

    def ok(self, *argv: str, env: Mapping[str, str | None] | None = None) -> str:
        result = self.run(*argv, env=env)
        assert result.status == 0, result
        return result.out

    def submit(self, script: str, *options: str) -> int:
        path = self.workdir / f"job-{os.urandom(3).hex()}.sh"
        path.write_text(script)
        return int(self.ok("submit", "--parsable", *options, str(path)).strip())

    def record(self, job_id: int, *options: str) -> dict[str, object]:
        records = json.loads(self.ok("show", str(job_id), "--json", *options))
        assert records
        found: dict[str, object] = records[0]
        return found

    def state(self, job_id: int) -> str:
        state = self.record(job_id)["job_state"]
        return state if isinstance(state, str) else str(state[0])  # type: ignore[index]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {timeout}s")
        time.sleep(0.2)


@contextlib.contextmanager
def watching(argv: list[str], env: Mapping[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """The command as a separate process, its output read as it comes; ended if still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "slurmgate.cli.main", *argv],
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
