"""The script, environment and arguments of submitted jobs, kept while the jobs are in memory.

slurmctld keeps each batch script and environment in its state; so do we, in the job store's
``payloads`` table, committed in the same transaction as the job records (so a job the store
knows always has its script), until the jobs sharing it leave memory (a finished job may be
requeued until then). The key is the job id of a single job, the array job id of an
array (one copy for every task) or the leader's id of a heterogeneous job.

The rare marks that a job is being terminated (cancel, time limit) are small files under
``<state_dir>/scripts/<key>/``; everything touching them blocks: call it from a worker thread.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import orjson


@dataclass(frozen=True, slots=True)
class Payload:
    script: str
    environment: dict[str, str]
    argv: list[str]
    append: bool

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "script": self.script,
                "environment": self.environment,
                "argv": self.argv,
                "append": self.append,
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> Payload:
        """Raises ValueError when ``data`` is damaged."""
        try:
            body = orjson.loads(data)
            return cls(
                script=str(body["script"]),
                environment={str(k): str(v) for k, v in body["environment"].items()},
                argv=[str(a) for a in body["argv"]],
                append=bool(body["append"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"damaged job payload: {exc}") from exc


class PayloadStore:
    """Termination marks of running jobs, as files (the payloads live in the job store)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, key: int) -> Path:
        return self.root / str(key)

    def mark_ending(self, key: int, job_id: int, state: str) -> None:
        """Remember that ``job_id`` is being terminated (cancel, time limit) across restarts."""
        try:
            self._dir(key).mkdir(mode=0o700, parents=True, exist_ok=True)
            (self._dir(key) / f"ending.{job_id}").write_text(state)
        except OSError:  # the state directory is unwritable: the mark is only a hint
            pass

    def ending(self, key: int, job_id: int) -> str | None:
        try:
            return (self._dir(key) / f"ending.{job_id}").read_text().strip() or None
        except OSError:
            return None

    def clear_ending(self, key: int, job_id: int) -> None:
        """Forget a termination that is over (a requeued job runs again)."""
        try:
            (self._dir(key) / f"ending.{job_id}").unlink(missing_ok=True)
        except OSError:
            pass

    def remove(self, key: int) -> None:
        shutil.rmtree(self._dir(key), ignore_errors=True)

    def keys(self) -> set[int]:
        try:
            return {int(p.name) for p in self.root.iterdir() if p.name.isdigit()}
        except FileNotFoundError:
            return set()
