"""Request bodies of v0.0.39 and later (data_parser) -> domain types."""

from __future__ import annotations

from slurmgate.api.versions.notation import Record
from slurmgate.domain import JobSubmission, JobUpdate


def parse_submission(body: object, record: Record) -> tuple[JobSubmission, list[str]]:
    raise NotImplementedError


def parse_update(body: object, record: Record) -> tuple[JobUpdate, list[str]]:
    raise NotImplementedError
