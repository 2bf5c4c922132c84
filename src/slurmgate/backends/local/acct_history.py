"""The embedded cluster's job history: accounting records chosen and read from the store.

Rows are narrowed in SQL (``Selection.prefilter``), then decoded, chosen by slurmdbd's rules and
turned into domain records in a worker thread: the event loop never decodes a large answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from slurmgate.backends.local.acct_book import AccountingBook
from slurmgate.backends.local.acct_records import StepRecord, accounting_job, step_from_row
from slurmgate.backends.local.acct_select import Selection
from slurmgate.backends.local.job_json import job_from_json
from slurmgate.backends.local.table import JobTable
from slurmgate.backends.local.users import group_name
from slurmgate.domain import Job
from slurmgate.domain.accounting import AccountingJob, AccountingQuery

_CHUNK = 500


async def select(
    table: JobTable, book: AccountingBook, query: AccountingQuery
) -> list[AccountingJob]:
    """The records ``query`` chooses, with their steps unless it skips them."""
    now = int(time.time())
    selection = Selection.of(query, now)
    where, params = selection.prefilter()
    store = table.store
    await store.flush()
    rows = await store.read(
        f"SELECT job_id, run, state, data FROM acct_jobs{where} ORDER BY job_id, run",  # noqa: S608
        tuple(params),
    )
    picked = await asyncio.to_thread(_pick, rows, selection)
    steps: dict[tuple[int, int], list[StepRecord]] = {}
    if picked and not query.skip_steps:
        ids = sorted({job.job_id for job, _ in picked})
        for first in range(0, len(ids), _CHUNK):
            chunk = ids[first : first + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in await store.read(
                f"SELECT data FROM acct_steps WHERE job_id IN ({marks})",  # noqa: S608
                tuple(chunk),
            ):
                step = step_from_row(bytes(row[0]))
                steps.setdefault((step.job_id, step.run), []).append(step)
    lineage = AccountingBook(book.cluster, associations=dict(book.associations))
    return await asyncio.to_thread(_records, picked, steps, selection, now, lineage.lineage)


def _pick(rows: list[tuple[Any, ...]], selection: Selection) -> list[tuple[Job, str]]:
    """The runs of ``rows`` the selection chooses (in a worker thread: JSON decoding)."""
    picked: list[tuple[Job, str]] = []
    for _, _, state, data in rows:
        job = job_from_json(bytes(data))
        if (
            selection.chooses(job)
            and selection.in_window(job, str(state))
            and selection.matches(job, str(state))
        ):
            picked.append((job, str(state)))
    if not selection.query.duplicates:
        last: dict[int, tuple[Job, str]] = {}
        for job, state in picked:
            last[job.job_id] = (job, state)
        picked = list(last.values())
    return picked


def _records(
    picked: list[tuple[Job, str]],
    steps: dict[tuple[int, int], list[StepRecord]],
    selection: Selection,
    now: int,
    lineage: Callable[[int], str],
) -> list[AccountingJob]:
    found = []
    for job, _ in picked:
        own = steps.get((job.job_id, job.restart_count), [])
        wanted = selection.steps_for(job)
        if wanted is not None:
            own = [s for s in own if s.step_id in wanted]
        record = accounting_job(job, own, now=now, group_name=group_name, lineage=lineage)
        if selection.query.truncate_times:
            record = _truncated(record, selection)
        found.append(record)
    return found


def _truncated(record: AccountingJob, selection: Selection) -> AccountingJob:
    """Start and end cut to the window, as sacct shows them by default."""
    start, end = record.start_time, record.end_time
    if selection.start is not None and start and start < selection.start:
        start = selection.start
    if selection.end is not None and end and end > selection.end:
        end = selection.end
    elapsed = max((end or int(time.time())) - start, 0) if start else 0
    return dataclasses.replace(record, start_time=start, end_time=end, elapsed=elapsed)
