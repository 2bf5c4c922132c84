"""The C that digests job records is generated from the binding's declaration of job_info_t:
a field declared there is a field the digest covers (the lab test of a load converting only
changed records is in test_jobs_c.py)."""

from __future__ import annotations

import re

import pytest

from slurmgate.backends.slurm import cdef_jobs, job_digests


def test_every_declared_field_of_a_job_record_is_in_the_digest() -> None:
    body = cdef_jobs.CDEF.split("} job_info_t;")[0].rsplit("typedef struct {", 1)[1]
    declared = set(re.findall(r"(\w+);", body))
    digested = set(re.findall(r"job->(\w+)", job_digests.preamble()))
    assert declared == digested
    assert len(declared) > 90


def test_strings_are_hashed_by_content_and_the_allocation_by_presence() -> None:
    code = job_digests.preamble()
    assert "slurmgate_mix_string(h, job->name)" in code
    assert "slurmgate_mix(h, job->job_resrcs != NULL)" in code
    assert "slurmgate_mix_bytes(h, &job->billable_tres, sizeof job->billable_tres)" in code
    assert "slurmgate_job_submit_line(job)" in code


def test_a_pointer_the_digest_cannot_follow_is_refused() -> None:
    cdef = (
        "typedef struct {\n    uint32_t job_id;\n    uint32_t *node_inx;\n    ...;\n} job_info_t;"
    )
    assert job_digests.declared_fields(cdef) == [("uint32_t", "job_id"), ("uint32_t*", "node_inx")]
    with pytest.raises(ValueError, match="node_inx"):
        job_digests.preamble(cdef)
