"""The script, environment and arguments of submitted jobs, kept on disk until they have run.

slurmctld keeps each batch script and environment in its state directory; so do we, under
``<state_dir>/scripts/<id>/`` where ``<id>`` is the job id of a single job, the array job id
of an array (one copy for every task) or the leader's id of a heterogeneous job. The files are
written before the job's record is committed, so a job the store knows always has them.
Everything here blocks: call it from a worker thread.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Payload:
    script: str
    environment: dict[str, str]
    argv: list[str]
    append: bool


class PayloadStore:
    def __init__(self, root: Path, *, durable: bool) -> None:
        self.root = root
        #: fsync files and directory (SQLite synchronous=FULL: survive power loss too).
        self.durable = durable

    def _dir(self, key: int) -> Path:
        return self.root / str(key)

    def write(self, key: int, payload: Payload) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self._dir(key)
        if target.exists():  # a leftover of a submission whose record never committed
            shutil.rmtree(target)
        target.mkdir(mode=0o700)
        body = {"environment": payload.environment, "argv": payload.argv, "append": payload.append}
        for name, data in (
            ("script", payload.script.encode()),
            ("job.json", json.dumps(body).encode()),
        ):
            fd = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                if self.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        if self.durable:
            fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self, key: int) -> Payload:
        """Raises OSError or ValueError when the files are missing or damaged."""
        target = self._dir(key)
        script = (target / "script").read_text()
        body = json.loads((target / "job.json").read_bytes())
        return Payload(
            script=script,
            environment={str(k): str(v) for k, v in body["environment"].items()},
            argv=[str(a) for a in body["argv"]],
            append=bool(body["append"]),
        )

    def mark_ending(self, key: int, job_id: int, state: str) -> None:
        """Remember that ``job_id`` is being terminated (cancel, time limit) across restarts."""
        try:
            (self._dir(key) / f"ending.{job_id}").write_text(state)
        except OSError:  # the job ended and its directory is gone: nothing left to remember
            pass

    def ending(self, key: int, job_id: int) -> str | None:
        try:
            return (self._dir(key) / f"ending.{job_id}").read_text().strip() or None
        except OSError:
            return None

    def remove(self, key: int) -> None:
        shutil.rmtree(self._dir(key), ignore_errors=True)

    def keys(self) -> set[int]:
        try:
            return {int(p.name) for p in self.root.iterdir() if p.name.isdigit()}
        except FileNotFoundError:
            return set()
