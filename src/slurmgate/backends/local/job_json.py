"""Job records as JSON, the form the store keeps them in."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from slurmgate.domain.jobs import ExitStatus, Job, JobState, NodeAllocation


def job_to_json(job: Job) -> bytes:
    return orjson.dumps(job)


def job_from_json(data: bytes | str) -> Job:
    raw: dict[str, Any] = orjson.loads(data)
    known = {f.name for f in dataclasses.fields(Job)}
    # Unknown keys come from a newer slurmgate; dropping them beats refusing to start.
    values = {k: v for k, v in raw.items() if k in known}
    values["state"] = JobState(values["state"])
    for name in ("exit_code", "derived_exit_code"):
        if values.get(name) is not None:
            values[name] = ExitStatus(values[name]["raw"])
    values["allocations"] = [_allocation(a) for a in values.get("allocations", [])]
    return Job(**values)


def _allocation(values: dict[str, Any]) -> NodeAllocation:
    cores = values.get("cores")
    if cores is not None:  # JSON has lists where the record holds (socket, core) tuples
        values = {**values, "cores": tuple((int(s), int(c)) for s, c in cores)}
    return NodeAllocation(**values)
