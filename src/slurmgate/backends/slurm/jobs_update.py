"""JobUpdate -> job_desc_msg_t for slurm_update_job2.

As slurmrestd 22.05 does for POST /job/{id} (``_handle_job_post``: the options through
``slurm_opt_create_job_desc`` without defaults, then ``job_id_str``), only the changed fields
are set; everything else keeps slurm_init_job_desc_msg's "no change" values. Hold and release
are expressed as scontrol hold/release express them: priority 0, and priority INFINITE.

Send it with slurm_update_job2, as slurmrestd does: slurm_update_job logs an error when
``job_id_str`` is set, and answers only for the first task of an array.
"""

from __future__ import annotations

from typing import Any

from slurmgate.backends.slurm import jobs_options as options
from slurmgate.backends.slurm.cvalues import INFINITE, cstring
from slurmgate.domain import JobUpdate


def _str(ffi: Any, keep: list[Any], field: str, value: str) -> Any:
    try:
        return cstring(ffi, keep, value)
    except ValueError:
        raise options.invalid(field, "contains a NUL character") from None


def fill_job_update(
    ffi: Any, lib: Any, desc: Any, job_id: int | str, update: JobUpdate, keep: list[Any]
) -> None:
    """Fill ``desc`` (already through slurm_init_job_desc_msg) to change ``job_id``.

    ``job_id`` may be a number or Slurm's text form ("123", "123_4", "123_[1-3]", "123+1");
    it is sent as ``job_id_str``, which slurmctld resolves for arrays and het jobs alike.
    """
    if isinstance(job_id, int):
        lib.slurmgate_desc_set_job_id(desc, job_id)
    desc.job_id_str = _str(ffi, keep, "job_id", str(job_id))

    for field, value in (
        ("name", update.name),
        ("comment", update.comment),
        ("partition", update.partition),
        ("account", update.account),
        ("qos", update.qos),
        ("dependency", update.dependency),
        ("features", update.constraints),
        ("std_out", update.standard_output),
        ("std_err", update.standard_error),
        ("wckey", update.wckey),
    ):
        if value is not None:
            setattr(desc, field, _str(ffi, keep, field, value))

    min_nodes, max_nodes = update.min_nodes, update.max_nodes
    if min_nodes is not None and not max_nodes:
        max_nodes = None  # as for a submission: a maximum of 0 sets none
    tasks = 1 if update.tasks is None else update.tasks
    cpus_per_task = update.cpus_per_task
    options.set_numbers(
        ffi,
        desc,
        [
            ("time_limit", "time_limit", update.time_limit),
            ("time_minimum", "time_min", update.time_minimum),
            ("begin_time", "begin_time", update.begin_time),
            ("deadline", "deadline", update.deadline),
            ("priority", "priority", None if update.hold is not None else update.priority),
            ("min_nodes", "min_nodes", min_nodes),
            ("max_nodes", "max_nodes", max_nodes),
            ("tasks", "num_tasks", update.tasks),
            ("cpus_per_task", "cpus_per_task", cpus_per_task),
            # slurm_opt_create_job_desc's rule, as for a submission.
            ("cpus_per_task", "min_cpus", None if cpus_per_task is None else tasks * cpus_per_task),
        ],
    )
    if update.nice is not None:
        if abs(update.nice) >= options.NICE_LIMIT:
            raise options.invalid("nice", f"out of range: {update.nice}")
        desc.nice = ffi.integer_const("NICE_OFFSET") + update.nice
    # Hold and release win over a priority given with them, as in slurm_opt_create_job_desc.
    if update.hold is not None:
        desc.priority = 0 if update.hold else INFINITE
    if update.requeue is not None:
        desc.requeue = int(update.requeue)

    if update.memory_per_node is not None and update.memory_per_cpu is not None:
        raise options.invalid(
            "memory_per_cpu", "memory_per_node and memory_per_cpu are mutually exclusive"
        )
    if update.memory_per_node is not None:
        options.set_numbers(
            ffi, desc, [("memory_per_node", "pn_min_memory", update.memory_per_node)]
        )
    elif update.memory_per_cpu is not None:
        if not 0 <= update.memory_per_cpu < options.MEM_LIMIT:
            raise options.invalid("memory_per_cpu", f"out of range: {update.memory_per_cpu}")
        desc.pn_min_memory = update.memory_per_cpu | ffi.integer_const("MEM_PER_CPU")
