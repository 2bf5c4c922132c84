"""The embedded cluster's accounting tables in SQLite, beside the job table, and their rows.

``acct_jobs`` holds one row per run of every job (a requeued job has one per run), keyed by
job id and run (its restart count), the job record as it last was in that run; it is written
with every save of the job, in the same transaction, and outlives the job table's purge
(MinJobAge) until ``local.accounting_retention``. ``acct_steps`` holds the steps of each run;
``acct_entities`` accounts, users, associations and QOS.
"""

from __future__ import annotations

from slurmgate.domain.jobs import Job, JobState

SCHEMA = """
CREATE TABLE IF NOT EXISTS acct_jobs (
    job_id INTEGER NOT NULL,
    run INTEGER NOT NULL,
    array_job_id INTEGER NOT NULL,
    het_job_id INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    account TEXT NOT NULL,
    state TEXT NOT NULL,
    submit_time INTEGER NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, run)
);
CREATE INDEX IF NOT EXISTS acct_jobs_end_time ON acct_jobs (end_time);
CREATE INDEX IF NOT EXISTS acct_jobs_user_name ON acct_jobs (user_name);
CREATE INDEX IF NOT EXISTS acct_jobs_array_job_id ON acct_jobs (array_job_id);
CREATE TABLE IF NOT EXISTS acct_steps (
    job_id INTEGER NOT NULL,
    run INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    end_time INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, run, step_id)
);
CREATE TABLE IF NOT EXISTS acct_entities (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (kind, key)
);
"""

UPSERT_JOB = "INSERT OR REPLACE INTO acct_jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
UPSERT_STEP = "INSERT OR REPLACE INTO acct_steps VALUES (?, ?, ?, ?, ?)"
UPSERT_ENTITY = "INSERT OR REPLACE INTO acct_entities VALUES (?, ?, ?)"

#: Rows of jobs kept in the job table before accounting existed (schema 1), made once.
BACKFILL = """
INSERT OR IGNORE INTO acct_jobs
SELECT job_id,
       COALESCE(json_extract(CAST(data AS TEXT), '$.restart_count'), 0),
       array_job_id,
       COALESCE(json_extract(CAST(data AS TEXT), '$.het_job_id'), 0),
       COALESCE(json_extract(CAST(data AS TEXT), '$.user_name'), ''),
       COALESCE(json_extract(CAST(data AS TEXT), '$.account'), ''),
       state,
       COALESCE(json_extract(CAST(data AS TEXT), '$.submit_time'), 0),
       COALESCE(json_extract(CAST(data AS TEXT), '$.start_time'), 0),
       end_time,
       data
FROM jobs
"""

#: Finished runs (requeued ones too) that ended before a time.
PURGE_JOBS = f"""
DELETE FROM acct_jobs WHERE end_time > 0 AND end_time < ?
AND state NOT IN ({",".join(f"'{s.value}'" for s in JobState if not s.is_finished)})
"""  # noqa: S608 - the states are the enum's own names
PURGE_STEPS = """
DELETE FROM acct_steps WHERE NOT EXISTS (
    SELECT 1 FROM acct_jobs j WHERE j.job_id = acct_steps.job_id AND j.run = acct_steps.run
)
"""

#: The state flag of a run a requeue ended.
REQUEUED = "REQUEUED"
JobRow = tuple[int, int, int, int, str, str, str, int, int, int, bytes]
StepRow = tuple[int, int, str, int, bytes]


def job_row(job: Job, data: bytes) -> JobRow:
    """The accounting row of ``job``'s current run, holding the same JSON as the job table.

    A run ended by a requeue (state flag REQUEUED) is stored under state "REQUEUED", as
    slurmdbd keeps it; a pending run has neither start nor end yet.
    """
    requeued = REQUEUED in job.state_flags
    pending = job.state is JobState.PENDING and not requeued
    return (
        job.job_id,
        job.restart_count,
        job.array_job_id,
        job.het_job_id,
        job.user_name,
        job.account,
        REQUEUED if requeued else job.state.value,
        job.submit_time,
        0 if pending else job.start_time,
        0 if pending else job.end_time,
        data,
    )
