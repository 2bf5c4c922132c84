"""The embedded cluster's job records in SQLite, written by one thread with group commit.

Every ``save`` and ``save_nowait`` queued while a transaction commits goes into the next one,
so thousands of state changes per second cost a handful of commits. Jobs are serialised in the
caller's thread (a snapshot of the mutable ``Job`` at that moment); the writer thread only
touches SQLite, and readers run in worker threads: the event loop never waits on the database.

WAL with ``synchronous=NORMAL`` survives a crash of this process (a committed transaction is in
the WAL file, which the kernel keeps); ``FULL`` also survives power loss.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from slurmgate.backends.local import acct_rows
from slurmgate.backends.local.job_json import job_from_json, job_to_json
from slurmgate.domain.errors import BackendUnavailable, ConfigError
from slurmgate.domain.jobs import Job, JobState

__all__ = ["JobStore", "StoredState", "job_from_json", "job_to_json"]

#: An accounting entity's kind ("account", "user", "association", "qos") and key.
EntityKey = tuple[str, str]

log = logging.getLogger(__name__)

#: 2: accounting tables (acct_rows), filled from the job table when an older database opens.
SCHEMA_VERSION = 2
_UNFINISHED = tuple(s.value for s in JobState if not s.is_finished)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id INTEGER PRIMARY KEY,
    array_job_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    end_time INTEGER NOT NULL,
    last_update INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_array_job_id ON jobs (array_job_id);
CREATE INDEX IF NOT EXISTS jobs_end_time ON jobs (end_time);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS payloads (key INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
_UPSERT = "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?)"
_Row = tuple[int, int, str, int, int, bytes]


@dataclass
class StoredState:
    jobs: dict[int, Job]
    #: Stored next id, never below the highest stored job id + 1 (1 for a new database);
    #: the backend applies its own floor (``first_job_id``).
    next_job_id: int
    #: Node name -> its state as administrators last set it (``node_states``).
    nodes: dict[str, bytes] = field(default_factory=dict)
    #: Accounting entities (kind, key) -> data: accounts, users, associations, QOS.
    entities: dict[EntityKey, bytes] = field(default_factory=dict)


def _row(job: Job) -> _Row:
    return (
        job.job_id,
        job.array_job_id,
        job.state.value,
        job.end_time,
        job.last_update,
        job_to_json(job),
    )


@dataclass
class _Item:
    rows: list[_Row]
    next_job_id: int | None
    future: asyncio.Future[None] | None
    loop: asyncio.AbstractEventLoop | None
    #: Payload key -> data to store, or None to delete it.
    payloads: dict[int, bytes | None] = field(default_factory=dict)
    #: Node name -> its state to store.
    nodes: dict[str, bytes] = field(default_factory=dict)
    #: Accounting rows: runs (those of ``rows`` too), steps, entities.
    runs: list[acct_rows.JobRow] = field(default_factory=list)
    steps: list[acct_rows.StepRow] = field(default_factory=list)
    entities: dict[EntityKey, bytes] = field(default_factory=dict)
    #: Remove finished runs that ended before this time.
    purge_before: int | None = None


def _item(jobs: Iterable[Job], **fields: Any) -> _Item:
    """An item saving ``jobs``: their rows in the job table and their runs' in accounting."""
    saved = list(jobs)
    rows = [_row(j) for j in saved]
    runs = [acct_rows.job_row(j, row[5]) for j, row in zip(saved, rows, strict=True)]
    item = _Item(rows, **fields)
    item.runs = runs + item.runs
    return item


class JobStore:
    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigError(f"invalid SQLite synchronous mode {synchronous!r}")
        self._path = path
        self._synchronous = synchronous.upper()
        self._cond = threading.Condition()
        self._queue: list[_Item] = []
        self._closing = False
        self._writer: threading.Thread | None = None
        self._wconn: sqlite3.Connection | None = None
        self._rconn: sqlite3.Connection | None = None
        self._rlock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path

    async def open(self, *, keep_finished_since: int) -> StoredState:
        """Create or open the database and load what the cluster needs at start-up."""
        state = await asyncio.to_thread(self._open_sync, keep_finished_since)
        self._writer = threading.Thread(
            target=self._write_loop, name="jobstore-writer", daemon=True
        )
        self._writer.start()
        return state

    async def save(
        self,
        jobs: Iterable[Job],
        *,
        next_job_id: int | None = None,
        payloads: Mapping[int, bytes] | None = None,
    ) -> None:
        """Upsert ``jobs`` (and their scripts, ``payloads``) in one transaction; returns once
        they are committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        item = _item(
            jobs, next_job_id=next_job_id, future=future, loop=loop, payloads=dict(payloads or {})
        )
        self._enqueue(item)
        await future

    def save_nowait(
        self,
        jobs: Iterable[Job],
        *,
        drop_payloads: Iterable[int] = (),
        runs: Iterable[Job] = (),
        steps: Iterable[acct_rows.StepRow] = (),
    ) -> None:
        """Queue ``jobs`` (and payload deletions, accounting records of ``runs`` as they are,
        ``steps``) for the next group commit; failures are logged."""
        dropped: dict[int, bytes | None] = dict.fromkeys(drop_payloads)
        item = _item(jobs, next_job_id=None, future=None, loop=None, payloads=dropped)
        item.runs += [acct_rows.job_row(j, job_to_json(j)) for j in runs]
        item.steps = list(steps)
        self._enqueue(item)

    async def save_nodes(self, nodes: Mapping[str, bytes]) -> None:
        """Store node states (``node_states``); returns once they are committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._enqueue(_Item([], None, future, loop, nodes=dict(nodes)))
        await future

    async def save_entities(self, entities: Mapping[EntityKey, bytes]) -> None:
        """Store accounting entities; returns once they are committed."""
        await self._wait_for(_Item([], None, None, None, entities=dict(entities)))

    async def purge_accounting(self, before: int) -> None:
        """Remove accounting records of runs that ended before ``before``, and their steps."""
        await self._wait_for(_Item([], None, None, None, purge_before=before))

    async def read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """Rows of a query, read in a worker thread (after ``flush`` for what is queued)."""
        return await asyncio.to_thread(self._read, sql, params)

    async def _wait_for(self, item: _Item) -> None:
        loop = asyncio.get_running_loop()
        item.future, item.loop = loop.create_future(), loop
        self._enqueue(item)
        await item.future

    async def load_payload(self, key: int) -> bytes | None:
        rows = await asyncio.to_thread(
            self._read, "SELECT data FROM payloads WHERE key = ?", (key,)
        )
        return bytes(rows[0][0]) if rows else None

    async def payload_keys(self) -> set[int]:
        rows = await asyncio.to_thread(self._read, "SELECT key FROM payloads", ())
        return {int(r[0]) for r in rows}

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.save(())

    async def load_jobs(self, job_id: int) -> list[Job]:
        """A job by id, or every task of the array whose ``array_job_id`` is ``job_id``."""
        rows = await asyncio.to_thread(
            self._read,
            "SELECT data FROM jobs WHERE job_id = ? OR array_job_id = ? ORDER BY job_id",
            (job_id, job_id),
        )
        return [job_from_json(r[0]) for r in rows]

    async def close(self) -> None:
        if self._writer is None:
            return
        if not self._closing:
            await self.flush()
        with self._cond:
            self._closing = True
            self._cond.notify()
        await asyncio.to_thread(self._writer.join)
        self._writer = None
        with self._rlock:
            for conn in (self._wconn, self._rconn):
                if conn is not None:
                    conn.close()
            self._wconn = self._rconn = None

    # --- worker-thread side -------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one per batch.
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
        return conn

    def _open_sync(self, keep_finished_since: int) -> StoredState:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._wconn = self._connect()
            mode = self._wconn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ConfigError(f"job database {self._path}: cannot use WAL mode ({mode})")
            self._wconn.execute(f"PRAGMA synchronous = {self._synchronous}")
            self._wconn.executescript(_SCHEMA + acct_rows.SCHEMA)
            self._migrate(self._wconn)
            self._rconn = self._connect()
            marks = ",".join("?" * len(_UNFINISHED))
            rows = self._wconn.execute(
                f"SELECT data FROM jobs WHERE state IN ({marks}) "  # noqa: S608 - only '?' marks
                f"UNION ALL SELECT data FROM jobs WHERE end_time >= ? AND state NOT IN ({marks})",
                (*_UNFINISHED, keep_finished_since, *_UNFINISHED),
            ).fetchall()
            highest = self._wconn.execute("SELECT MAX(job_id) FROM jobs").fetchone()[0] or 0
            stored_next = self._meta(self._wconn, "next_job_id") or 1
            jobs = {job.job_id: job for job in (job_from_json(r[0]) for r in rows)}
            nodes = {
                str(name): bytes(data)
                for name, data in self._wconn.execute("SELECT name, data FROM nodes")
            }
            entities = {
                (str(kind), str(key)): bytes(data)
                for kind, key, data in self._wconn.execute("SELECT * FROM acct_entities")
            }
        except sqlite3.Error as exc:
            self._close_quietly()
            raise ConfigError(f"job database {self._path} is unusable: {exc}") from exc
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            self._close_quietly()
            raise ConfigError(f"job database {self._path} holds an unreadable job: {exc}") from exc
        except ConfigError:
            self._close_quietly()
            raise
        return StoredState(
            jobs=jobs, next_job_id=max(stored_next, highest + 1), nodes=nodes, entities=entities
        )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = self._meta(conn, "schema_version")
        if version is not None and version > SCHEMA_VERSION:
            raise ConfigError(
                f"job database {self._path} has schema version {version}; this slurmgate "
                f"understands up to {SCHEMA_VERSION}"
            )
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        if version is not None:  # jobs from before accounting: their records, as they are
            conn.execute(acct_rows.BACKFILL)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")

    def _close_quietly(self) -> None:
        for conn in (self._wconn, self._rconn):
            if conn is not None:
                conn.close()
        self._wconn = self._rconn = None

    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> int | None:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._rlock:
            if self._rconn is None:
                raise BackendUnavailable(f"job database {self._path} is closed")
            try:
                return self._rconn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise BackendUnavailable(f"job database {self._path}: {exc}") from exc

    def _enqueue(self, item: _Item) -> None:
        with self._cond:
            if self._closing or self._writer is None:
                raise BackendUnavailable(f"job database {self._path} is closed")
            self._queue.append(item)
            self._cond.notify()

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                batch, self._queue = self._queue, []
                if not batch and self._closing:
                    return
            error = self._commit(batch)
            self._resolve(batch, error)

    def _commit(self, batch: list[_Item]) -> Exception | None:
        assert self._wconn is not None  # noqa: S101 - open() sets it before starting us
        # Later saves of the same job (or run) win; one row each keeps the transaction small.
        rows = {row[0]: row for item in batch for row in item.rows}
        runs = {(run[0], run[1]): run for item in batch for run in item.runs}
        steps = {(st[0], st[1], st[2]): st for item in batch for st in item.steps}
        next_ids = [item.next_job_id for item in batch if item.next_job_id is not None]
        payloads = {key: data for item in batch for key, data in item.payloads.items()}
        nodes = {name: data for item in batch for name, data in item.nodes.items()}
        entities = {key: data for item in batch for key, data in item.entities.items()}
        purges = [item.purge_before for item in batch if item.purge_before is not None]
        if not (rows or runs or steps or next_ids or payloads or nodes or entities or purges):
            return None
        conn = self._wconn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_UPSERT, rows.values())
                conn.executemany(acct_rows.UPSERT_JOB, runs.values())
                conn.executemany(acct_rows.UPSERT_STEP, steps.values())
                if payloads:
                    conn.executemany(
                        "INSERT OR REPLACE INTO payloads VALUES (?, ?)",
                        [(k, d) for k, d in payloads.items() if d is not None],
                    )
                    conn.executemany(
                        "DELETE FROM payloads WHERE key = ?",
                        [(k,) for k, d in payloads.items() if d is None],
                    )
                if nodes:
                    conn.executemany("INSERT OR REPLACE INTO nodes VALUES (?, ?)", nodes.items())
                conn.executemany(
                    acct_rows.UPSERT_ENTITY, [(k, n, d) for (k, n), d in entities.items()]
                )
                if purges:
                    conn.execute(acct_rows.PURGE_JOBS, (max(purges),))
                    conn.execute(acct_rows.PURGE_STEPS)
                if next_ids:
                    conn.execute(
                        "INSERT INTO meta VALUES ('next_job_id', ?) ON CONFLICT (key) "
                        "DO UPDATE SET value = MAX(value, excluded.value)",
                        (max(next_ids),),
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            log.error("job database %s: commit of %d jobs failed: %s", self._path, len(rows), exc)
            return BackendUnavailable(f"job database {self._path}: cannot save jobs: {exc}")
        return None

    @staticmethod
    def _resolve(batch: list[_Item], error: Exception | None) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for item in batch:
            if item.future is not None and item.loop is not None:
                by_loop.setdefault(item.loop, []).append(item.future)
        for loop, futures in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, futures, error)
            except RuntimeError:  # the loop closed while we committed: nobody waits any more
                pass


def _settle(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for future in futures:
        if future.done():  # the awaiting task was cancelled
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
