"""The embedded controller's job table: jobs in memory, indexed, and the store each change goes to.

Every module that acts on jobs takes this table (or less) rather than the backend: a change is
recorded with ``touch``, which stamps the job and queues it for the store's next group commit.
Arrays and heterogeneous jobs are indexed by their leader's id, as Slurm reads such an id.
"""

from __future__ import annotations

import time
from collections.abc import Hashable

from slurmgate.backends.local.store import JobStore
from slurmgate.domain import BackendUnavailable, Job


class JobTable:
    def __init__(self, first_job_id: int) -> None:
        self.jobs: dict[int, Job] = {}
        #: array_job_id -> task job ids; het_job_id -> component job ids.
        self.arrays: dict[int, list[int]] = {}
        self.hets: dict[int, list[int]] = {}
        #: When a job last changed (Unix seconds): listings compare it with ``updated_since``.
        self.last_change = 0
        #: Counts changes; each job's count at its last change. Finer than seconds: the
        #: mirror renders again exactly the jobs changed since its previous load.
        self.revision = 0
        self.revisions: dict[int, int] = {}
        #: The count at the last whole listing: no stamp is older.
        self._base = 0
        #: The next job id to give out; ids are never reused.
        self.next_job_id = first_job_id
        #: Jobs given ids whose records are not committed yet (MaxJobCount counts them).
        self.in_flight_jobs = 0
        self._store: JobStore | None = None

    @property
    def store(self) -> JobStore:
        if self._store is None:
            raise BackendUnavailable("the local cluster is not started")
        return self._store

    @property
    def attached_store(self) -> JobStore | None:
        return self._store

    def attach(self, store: JobStore | None) -> None:
        self._store = store

    def touch(self, job: Job, now: int | None = None) -> None:
        """Record a change of ``job``: bump its last_update and queue it for the store."""
        stamp = int(time.time()) if now is None else now
        job.last_update = stamp
        self.last_change = max(self.last_change, stamp)
        self.revision += 1
        self.revisions[job.job_id] = self.revision
        if self._store is not None:
            self._store.save_nowait([job])

    def stamps(self, jobs: list[Job], *, whole: bool) -> dict[Hashable, int]:
        """Each job's stamp for the mirror: its count at its last change, which grows with
        every change of it. A ``whole`` listing renews every stamp (a field that changes
        without ``touch``, such as a pending reason, is shown anew at the latest then)."""
        if whole:
            self.revision += 1
            self._base = self.revision
        revisions, base = self.revisions, self._base
        stamps: dict[Hashable, int] = {
            job.job_id: max(revisions.get(job.job_id, 0), base) for job in jobs
        }
        return stamps

    def payload_key(self, job: Job) -> int:
        """Whose script ``job`` runs: an array's or het job's, or its own."""
        return job.array_job_id or job.het_job_id or job.job_id

    def group(self, job: Job) -> list[Job]:
        """Jobs sharing ``job``'s payload: the whole array, the whole het job, or itself."""
        if job.array_job_id:
            ids = self.arrays.get(job.array_job_id, [job.job_id])
        elif job.het_job_id:
            ids = self.hets.get(job.het_job_id, [job.job_id])
        else:
            return [job]
        return [self.jobs[i] for i in ids if i in self.jobs]

    def targets(self, job_id: int) -> list[Job]:
        """A job id as Slurm reads it: an array's id means every task, a het leader's every
        component; [] when unknown here."""
        for index in (self.arrays, self.hets):
            ids = index.get(job_id)
            if ids:
                return [self.jobs[i] for i in ids if i in self.jobs]
        job = self.jobs.get(job_id)
        return [job] if job is not None else []

    async def load_stored(self, job_id: int) -> list[Job]:
        """A job (or an array's tasks) from the store, after committing what is queued."""
        await self.store.flush()
        return await self.store.load_jobs(job_id)

    async def script_kept(self, job: Job) -> bool:
        return await self.store.load_payload(self.payload_key(job)) is not None

    def index(self, job: Job) -> None:
        self.jobs[job.job_id] = job
        if job.array_job_id:
            self.arrays.setdefault(job.array_job_id, []).append(job.job_id)
        if job.het_job_id:
            self.hets.setdefault(job.het_job_id, []).append(job.job_id)

    def unindex(self, job: Job) -> None:
        self.jobs.pop(job.job_id, None)
        self.revisions.pop(job.job_id, None)
        for index, key in ((self.arrays, job.array_job_id), (self.hets, job.het_job_id)):
            if key and key in index:
                index[key] = [i for i in index[key] if i != job.job_id]
                if not index[key]:
                    del index[key]
