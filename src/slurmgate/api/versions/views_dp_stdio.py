"""A job's standard streams as the data_parser versions print them: the paths with their
patterns (``%j``, ``%x``, ...) replaced and made absolute against the working directory.

v0.0.40 - v0.0.42 print ``standard_output``, ``standard_error`` and ``standard_input`` as
libslurm's ``slurm_get_job_stdout()`` and its siblings give them; v0.0.43 and later print the
paths as the job gave them and the replaced ones apart (``stdout_expanded``, ...).

Two generations of libslurm and slurmctld differ here:

- up to 25.05, slurmctld keeps an unnamed output empty; libslurm shows a batch job's output as
  ``slurm-%j.out`` (``slurm-%A_%a.out`` for an array task) in its working directory, its
  errors where its output goes and its input as ``/dev/null``;
- from 25.11, slurmctld stores those default output names in the job itself, and libslurm
  shows no error file for a job that named none.

A job whose output is empty can only come from the older generation, which tells which rule
applies to it; one that named its output and not its errors cannot be told apart, and is shown
as the newer generation shows it (the same version, v0.0.42, is served by both).
"""

from __future__ import annotations

import re

from slurmgate.domain import Job

#: slurm.h: NO_VAL, which a job that is no array task holds as its task id.
NO_VAL = 0xFFFFFFFE
_PATTERN = re.compile(r"%(?:(%)|([0-9]*)([A-Za-z]))")


def _fields(job: Job, newer: bool) -> dict[str, str]:
    task = NO_VAL if job.array_task_id is None else job.array_task_id
    array = job.array_job_id if job.array_task_id is not None or newer else 0
    found = {
        "A": str(array or job.job_id),
        "a": str(task),
        "b": str(task % 10),
        "j": str(job.job_id),
        "u": job.user_name,
        "x": job.name,
    }
    if newer:  # the wildcards of expand_stdio_fields() that a batch job can resolve
        found.update(J=str(job.job_id), N=job.batch_host, s="batch", r=str(job.restart_count),
                     n="0", t="0")  # fmt: skip
    return found


def expand(path: str, job: Job, *, newer: bool = False) -> str:
    """``path`` with its patterns replaced, relative to the job's working directory."""
    if newer and "\\" in path:  # an escaped path is taken as it is, less its backslashes
        replaced = path.replace("\\", "")
    else:
        fields = _fields(job, newer)

        def one(match: re.Match[str]) -> str:
            if match.group(1):
                return "%"
            width, letter = match.group(2), match.group(3)
            value = fields.get(letter)
            if value is None:  # not a pattern: kept as written
                return match.group(0)
            return value.zfill(min(int(width), 10)) if width and value.isdigit() else value

        replaced = _PATTERN.sub(one, path)
    if replaced.startswith("/"):
        return replaced
    directory = job.current_working_directory
    if newer and (not directory or directory.endswith("/")):
        return f"{directory}{replaced}"
    return f"{directory}/{replaced}"


def _default_output(job: Job) -> str:
    if job.array_job_id:
        task = NO_VAL if job.array_task_id is None else job.array_task_id
        return f"{job.current_working_directory}/slurm-{job.array_job_id}_{task}.out"
    return f"{job.current_working_directory}/slurm-{job.job_id}.out"


# -- v0.0.40 - v0.0.42 -----------------------------------------------------------------------


def stdout_path(job: Job) -> str:
    if job.standard_output:
        return expand(job.standard_output, job)
    return _default_output(job) if job.batch_flag else ""


def stdin_path(job: Job) -> str:
    if job.standard_input:
        return expand(job.standard_input, job)
    return "/dev/null" if job.batch_flag else ""


def stderr_path_older(job: Job) -> str:
    """v0.0.40 and v0.0.41 (served up to 25.05): errors go where the output goes."""
    if job.standard_error:
        return expand(job.standard_error, job)
    if not job.batch_flag:
        return ""
    return stdout_path(job)


def stderr_path(job: Job) -> str:
    """v0.0.42: the older rule for a job of the older generation (no output name kept)."""
    if job.standard_error:
        return expand(job.standard_error, job)
    if job.batch_flag and not job.standard_output:
        return _default_output(job)
    return ""


# -- v0.0.43 and later -----------------------------------------------------------------------


def stdin_expanded(job: Job) -> str:
    return expand(job.standard_input, job, newer=True) if job.standard_input else ""


def stdout_expanded(job: Job) -> str:
    return expand(job.standard_output, job, newer=True) if job.standard_output else ""


def stderr_expanded(job: Job) -> str:
    return expand(job.standard_error, job, newer=True) if job.standard_error else ""


VIEWS = {name: value for name, value in globals().items() if callable(value)
         and getattr(value, "__module__", "") == __name__
         and name not in ("expand",)}  # fmt: skip
