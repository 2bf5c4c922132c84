"""A digest of every job record a load brings, computed in C, so that a load converts to
``Job``s only the records that changed since the previous one.

slurmctld answers a job load with every job as soon as any one of them changed: converting
20,000 records field by field costs a second or more of Python after each change, comparing
their digests a few milliseconds. The C code is generated from the declaration of
``job_info_t`` in ``cdef_jobs``: every field the binding declares is one the conversion may
read, and each is in the digest, a field added there included without more ado. Besides the
fields, the digest covers what the shims read (the submit line, the show flags) and whether the
job holds an allocation; what the allocation holds changes only with fields the digest covers
(state, nodes, CPU count, resize time).
"""

from __future__ import annotations

import re

from slurmgate.backends.slurm import cdef_jobs

_STRUCT = re.compile(r"typedef struct \{\n(?P<body>.*?)\n\} job_info_t;", re.DOTALL)
_FIELD = re.compile(r"^(?P<type>[A-Za-z_][\w ]*?)\s*(?P<stars>\**)\s*(?P<name>\w+);$")

#: Pointers other than strings whose target no declaration describes: only NULL or not counts.
_OPAQUE = frozenset({"job_resources_t"})


def declared_fields(cdef: str = cdef_jobs.CDEF) -> list[tuple[str, str]]:
    """(type, name) of each field of ``job_info_t`` in ``cdef``, in order; a pointer's type
    ends in ``*``."""
    found = _STRUCT.search(cdef)
    if found is None:
        raise ValueError("the declarations have no job_info_t")
    fields = []
    for line in found["body"].splitlines():
        line = line.strip()
        if not line or line == "...;":
            continue
        parsed = _FIELD.match(line)
        if parsed is None:
            raise ValueError(f"cannot digest the job_info_t field {line!r}")
        fields.append((parsed["type"] + parsed["stars"], parsed["name"]))
    return fields


def _mix_field(kind: str, name: str) -> str:
    if kind == "char*":
        return f"    h = slurmgate_mix_string(h, job->{name});"
    if kind.endswith("*"):
        if kind[:-1] not in _OPAQUE:
            raise ValueError(f"no digest for the job_info_t field {kind} {name}")
        return f"    h = slurmgate_mix(h, job->{name} != NULL);"
    return f"    h = slurmgate_mix_bytes(h, &job->{name}, sizeof job->{name});"


_HELPERS = """
/* One 64-bit word into the digest: multiply and fold, so every bit spreads. */
static inline uint64_t slurmgate_mix(uint64_t h, uint64_t value)
{
    h = (h ^ value) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 31);
}

static inline uint64_t slurmgate_mix_bytes(uint64_t h, const void *field, size_t size)
{
    uint64_t value = 0;
    memcpy(&value, field, size < sizeof value ? size : sizeof value);
    return slurmgate_mix(h, value);
}

/* FNV-1a over the bytes, then the length: NULL and "" differ, as do "ab","c" and "a","bc". */
static inline uint64_t slurmgate_mix_string(uint64_t h, const char *text)
{
    if (text == NULL)
        return slurmgate_mix(h, 0xFFFFFFFFFFFFFFFFULL);
    uint64_t f = 0xCBF29CE484222325ULL;
    size_t length = 0;
    for (; text[length]; length++)
        f = (f ^ (unsigned char) text[length]) * 0x100000001B3ULL;
    return slurmgate_mix(slurmgate_mix(h, f), length);
}
"""


def preamble(cdef: str = cdef_jobs.CDEF) -> str:
    """The C of ``slurmgate_job_digests(msg, out)`` for the ``job_info_t`` of ``cdef``: for
    each record i, out[2i] is its job id and out[2i+1] its digest. Needs the shims
    (releases.py) declared before it."""
    lines = [
        _HELPERS,
        "static uint64_t slurmgate_job_digest(const job_info_t *job)",
        "{",
        "    uint64_t h = 0x84222325CBF29CE4ULL;",
        *(_mix_field(kind, name) for kind, name in declared_fields(cdef)),
        "    h = slurmgate_mix_string(h, slurmgate_job_submit_line(job));",
        "    h = slurmgate_mix(h, (uint64_t) slurmgate_job_show_flags(job));",
        "    return h;",
        "}",
        "",
        "static void slurmgate_job_digests(const job_info_msg_t *msg, uint64_t *out)",
        "{",
        "    for (uint32_t i = 0; i < msg->record_count; i++) {",
        "        out[2 * i] = msg->job_array[i].job_id;",
        "        out[2 * i + 1] = slurmgate_job_digest(&msg->job_array[i]);",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


CDEF = """
void slurmgate_job_digests(const job_info_msg_t *msg, uint64_t *out);
"""
