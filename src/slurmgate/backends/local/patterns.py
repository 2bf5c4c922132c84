"""Output file name patterns (``--output``, ``--error``, ``--input``) of a batch job.

The replacement symbols are sbatch's: %j %x %u %A %a %N %J %s %n %t %%, with an optional
zero-padding width (``%4j``, at most 10). As in Slurm, a pattern containing a backslash is not
expanded at all; the backslashes are only removed.
"""

from __future__ import annotations

import os.path

from slurmgate.domain.jobs import Job

#: Slurm's MAX_WIDTH for "%<width><symbol>".
MAX_WIDTH = 10
#: NO_VAL, what Slurm prints for %a of a job that is not an array task.
NO_ARRAY_TASK = 4294967294


def expand_path(pattern: str, job: Job, node_name: str) -> str:
    """``pattern`` with its symbols replaced; relative results are under the job's cwd."""
    if "\\" in pattern:
        path = pattern.replace("\\", "")
    else:
        path = _substitute(pattern, job, node_name)
    if not os.path.isabs(path):
        path = os.path.join(job.current_working_directory, path)
    return path


def _substitute(pattern: str, job: Job, node_name: str) -> str:
    numbers: dict[str, int] = {
        "j": job.job_id,
        "A": job.array_job_id if job.array_task_id is not None else job.job_id,
        "a": job.array_task_id if job.array_task_id is not None else NO_ARRAY_TASK,
        "n": 0,
        "t": 0,
    }
    texts = {
        "x": job.name,
        "u": job.user_name,
        "N": node_name,
        "J": f"{job.job_id}.batch",
        "s": "batch",
    }
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char != "%" or i + 1 >= len(pattern):
            out.append(char)
            i += 1
            continue
        j = i + 1
        while j < len(pattern) and pattern[j].isdigit():
            j += 1
        width = min(int(pattern[i + 1 : j]), MAX_WIDTH) if j > i + 1 else 0
        symbol = pattern[j] if j < len(pattern) else ""
        if symbol in numbers:
            out.append(str(numbers[symbol]).zfill(width))
        elif symbol in texts:
            out.append(texts[symbol])
        elif symbol == "%" and j == i + 1:
            out.append("%")
        else:
            # Unknown symbols stay as written, as Slurm leaves them.
            out.append(pattern[i : j + 1])
        i = j + 1
    return "".join(out)
