"""Where a batch job's standard output and error are: the job record's paths, with the
replacement symbols slurmd replaces when it creates the files (``%j``, ``%A``, ``%a``, ``%u``,
``%x``, ``%N``, ...), relative ones under the job's working directory.

A job that names no output writes ``slurm-%j.out`` (an array task ``slurm-%A_%a.out``) in its
working directory, and its errors go where its output goes unless it names an error file, as
sbatch documents. The embedded cluster keeps the replaced paths in the record once a job has
started; replacing again changes nothing there.
"""

from __future__ import annotations

import re

from slurmgate.domain import Job

#: What a job that is no array task shows for %a: NO_VAL.
NO_TASK = 0xFFFFFFFE
#: Slurm's widest zero padding ("%10j").
MAX_WIDTH = 10
_SYMBOL = re.compile(r"%(?:(%)|([0-9]*)([A-Za-z]))")
STREAMS = ("stdout", "stderr")


def _values(job: Job) -> dict[str, str]:
    task = NO_TASK if job.array_task_id is None else job.array_task_id
    return {
        "A": str(job.array_job_id or job.job_id),
        "a": str(task),
        "b": str(task % 10),
        "J": f"{job.job_id}.batch",
        "j": str(job.job_id),
        "N": job.batch_host,
        "n": "0",
        "r": str(job.restart_count),
        "s": "batch",
        "t": "0",
        "u": job.user_name,
        "x": job.name,
    }


def replace_symbols(pattern: str, job: Job) -> str:
    if "\\" in pattern:  # slurmd takes a path with a backslash as written, less its backslashes
        return pattern.replace("\\", "")
    values = _values(job)

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return "%"
        width, letter = match.group(2), match.group(3)
        value = values.get(letter)
        if value is None:  # not a symbol: kept as written
            return match.group(0)
        if width and value.isdigit():
            return value.zfill(min(int(width), MAX_WIDTH))
        return value

    return _SYMBOL.sub(one, pattern)


def output_path(job: Job, stream: str) -> str:
    """The file ``stream`` ("stdout" or "stderr") of ``job`` is written to ("" if none)."""
    pattern = job.standard_error if stream == "stderr" and job.standard_error else ""
    if not pattern:
        pattern = job.standard_output
    if not pattern:
        if not job.batch_flag:
            return ""
        pattern = "slurm-%A_%a.out" if job.array_task_id is not None else "slurm-%j.out"
    path = replace_symbols(pattern, job)
    if not path.startswith("/"):
        directory = job.current_working_directory.rstrip("/")
        path = f"{directory}/{path}"
    return path
