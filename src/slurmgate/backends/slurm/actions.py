"""Signalling jobs by filter, requeues and allocations through libslurm, as the user.

Signals by filter go to ``slurm_kill_jobs`` where the release has it (24.05+), always asking for
the verbose answer so that every job signalled has an outcome (the API shows successes only
when the client asked for them). On older releases the same choice is made here
(``backends.selection``) from the jobs the user can load, and each job chosen is signalled
with ``slurm_kill_job2``; slurmctld checks on each signal that the user may. Either way a
signal other than SIGKILL reaches the batch shell too (KILL_FULL_JOB), as ``signal_job`` does,
unless the selection says BATCH_JOB or FULL_STEPS_ONLY.

Requeues are ``slurm_requeue2`` (scontrol requeue): JOB_REQUEUE_HOLD, JOB_SPECIAL_EXIT, and
JOB_RUNNING for "incomplete". Allocations are ``slurm_allocate_resources``, which returns at
once with the job id, granted or queued, as ``salloc --no-shell`` without waiting.
"""

from __future__ import annotations

import pwd
from typing import Any

from slurmgate.backends import selection as chooser
from slurmgate.backends.slurm import jobs_read, jobs_write
from slurmgate.backends.slurm.client import Call
from slurmgate.backends.slurm.cvalues import NO_VAL, cstring, text
from slurmgate.domain import (
    AllocationResult,
    Job,
    JobSelection,
    JobSpec,
    RequeueOptions,
    SignalOutcome,
)

_KILL_FLAGS = {
    "BATCH_JOB": "KILL_JOB_BATCH",
    "FULL_STEPS_ONLY": "KILL_STEPS_ONLY",
    "ARRAY_TASK": "KILL_ARRAY_TASK",
    "FULL_JOB": "KILL_FULL_JOB",
    "HURRY": "KILL_HURRY",
    "CRON_JOBS": "KILL_CRON",
}
_STATE_VALUES = {state.value: index for index, state in enumerate(jobs_read._STATES)}


def kill_flags(call: Call, selection: JobSelection, signal: int, *, verbose: bool) -> int:
    lib = call.lib
    flags = 0
    for name in selection.flags:
        if name in _KILL_FLAGS:
            flags |= int(getattr(lib, _KILL_FLAGS[name]))
    if signal != 9 and not {"BATCH_JOB", "FULL_STEPS_ONLY"} & set(selection.flags):
        flags |= int(lib.KILL_FULL_JOB)
    if verbose:
        flags |= int(lib.KILL_JOBS_VERBOSE)
    return flags


def with_both_user_forms(selection: JobSelection) -> JobSelection:
    """The selection naming its user both by name and by uid: slurmctld's filter compares uids
    but applies only when a name is given (a name no user has chooses no job)."""
    name, uid = selection.user_name, selection.user_id
    if name and uid is None:
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:  # no such user owns a job: a uid no job has
            uid = NO_VAL
    elif uid is not None and not name:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
    if (name, uid) == (selection.user_name, selection.user_id):
        return selection
    copy = JobSelection(**{f: getattr(selection, f) for f in selection.__slots__})
    copy.user_name, copy.user_id = name, uid
    return copy


def kill_jobs(call: Call, selection: JobSelection, signal: int) -> list[SignalOutcome]:
    """``slurm_kill_jobs`` (24.05+): slurmctld chooses, checks and signals."""
    ffi, lib = call.ffi, call.lib
    keep: list[Any] = []
    msg = ffi.new("kill_jobs_msg_t *")
    msg.signal = signal
    msg.flags = kill_flags(call, selection, signal, verbose=True)
    msg.state = _STATE_VALUES[selection.states[0]] if selection.states else lib.JOB_END
    for field, value in (
        ("account", selection.account),
        ("job_name", selection.job_name),
        ("partition", selection.partition),
        ("qos", selection.qos),
        ("reservation", selection.reservation),
        ("wckey", selection.wckey),
        ("user_name", selection.user_name),
        ("nodelist", ",".join(selection.nodes) or None),
    ):
        if value:
            setattr(msg, field, cstring(ffi, keep, value))
    if selection.user_id is not None:
        msg.user_id = selection.user_id
    if selection.job_ids:
        ids = [cstring(ffi, keep, job_id) for job_id in selection.job_ids]
        array = ffi.new("char *[]", [*ids, ffi.NULL])
        keep.append(array)  # the array lives as long as this owner does
        msg.jobs_array = array
        msg.jobs_cnt = len(ids)
    out = ffi.new("kill_jobs_resp_msg_t **")
    rc = int(lib.slurm_kill_jobs(msg, out))
    if rc:
        # The call returns slurmctld's error number, or 1 when the message never got through.
        errno = int(lib.slurmgate_errno()) if rc in (1, -1) else rc
        raise call.errors.error(errno, "slurm_kill_jobs", "Signal request failed")
    resp = out[0]
    if resp == ffi.NULL:
        return []
    try:
        return [_outcome(call, resp.job_responses[i]) for i in range(resp.jobs_cnt)]
    finally:
        lib.slurm_free_kill_jobs_response_msg(resp)


def _outcome(call: Call, answer: Any) -> SignalOutcome:
    ffi = call.ffi
    number = int(answer.error_code)
    error = call.errors.name(number) if number else ""
    return SignalOutcome(
        job_id=0 if answer.real_job_id == NO_VAL else int(answer.real_job_id),
        error_number=number,
        error=error,
        description=text(ffi, answer.error_msg) or error,
        sibling=text(ffi, answer.sibling_name),
        selected_id="" if answer.id == ffi.NULL else _selected(call, answer.id),
    )


def _selected(call: Call, step: Any) -> str:
    """The id slurmctld names, as fmt_job_id_string prints it."""
    name = str(step.step_id.job_id)
    if step.array_task_id != NO_VAL:
        return f"{name}_{step.array_task_id}"
    tasks = call.ffi.new("char[]", 4096)
    call.lib.slurmgate_selected_tasks(step, tasks, 4096)
    if tasks[0] != b"\0":
        return f"{name}_[{text(call.ffi, tasks)}]"
    if step.het_job_offset != NO_VAL:
        return f"{name}+{step.het_job_offset}"
    return name


def kill_chosen(
    call: Call, selection: JobSelection, signal: int, jobs: list[Job]
) -> list[SignalOutcome]:
    """Releases without slurm_kill_jobs: choose among ``jobs`` (loaded as the user), then
    signal each chosen job as slurm_kill_jobs would."""
    lib = call.lib
    chosen, outcomes = chooser.choose(jobs, selection)
    flags = kill_flags(call, selection, signal, verbose=False)
    for item in chosen:
        rc = lib.slurm_kill_job2(item.selected_id.encode(), signal, flags, call.ffi.NULL)
        number = int(lib.slurmgate_errno()) if rc else 0
        error = call.errors.name(number) if number else ""
        outcomes.append(
            SignalOutcome(
                job_id=item.job.job_id,
                error_number=number,
                error=error,
                description=error,
                selected_id=item.selected_id,
            )
        )
    return outcomes


def load_all(call: Call, cluster: str) -> list[Job]:
    lib = call.lib
    with call.loaded(
        "job_info_msg_t",
        lambda out: lib.slurm_load_jobs(0, out, lib.SHOW_ALL),
        lib.slurm_free_job_info_msg,
        "slurm_load_jobs",
    ) as msg:
        return [] if msg is None else jobs_read.jobs_from_msg(call.ffi, lib, msg, cluster)


def requeue(call: Call, job_id: int, options: RequeueOptions) -> None:
    ffi, lib = call.ffi, call.lib
    flags = 0
    if options.hold:
        flags |= int(lib.JOB_REQUEUE_HOLD)
    if options.special_exit:
        flags |= int(lib.JOB_SPECIAL_EXIT)
    if options.incomplete:
        flags |= int(lib.JOB_RUNNING)  # scontrol requeue incomplete: only a running job
    out = ffi.new("job_array_resp_msg_t **")
    description = f"Requeue of JobId={job_id} failed"
    call.check(
        lib.slurm_requeue2(ffi.new("char[]", str(job_id).encode()), flags, out),
        "slurm_requeue",
        description,
    )
    if out[0] == ffi.NULL:
        return
    try:
        # An array answers per task: refused only when every task was.
        answer = out[0]
        codes = [int(answer.error_code[i]) for i in range(answer.job_array_count)]
    finally:
        lib.slurm_free_job_array_resp(out[0])
    if codes and all(codes):
        raise call.errors.error(codes[0], "slurm_requeue", description)


def allocate(call: Call, spec: JobSpec, *, user_id: int, group_id: int) -> AllocationResult:
    ffi, lib = call.ffi, call.lib
    keep: list[Any] = []
    desc = ffi.new("job_desc_msg_t *")
    lib.slurm_init_job_desc_msg(desc)
    jobs_write.fill_job_desc(ffi, lib, desc, spec, user_id=user_id, group_id=group_id, keep=keep)
    # No script, no batch environment; at least one node, as slurmrestd asks.
    desc.script = ffi.NULL
    desc.environment = ffi.NULL
    desc.env_size = 0
    if desc.min_nodes in (0, NO_VAL):
        desc.min_nodes = 1
    out = ffi.new("resource_allocation_response_msg_t **")
    call.check(
        lib.slurm_allocate_resources(desc, out),
        "slurm_allocate_resources",
        "Job allocation request failed",
    )
    response = out[0]
    if response == ffi.NULL:  # slurmctld answered with a return code alone
        raise call.errors.last_error("slurm_allocate_resources", "Job allocation request failed")
    try:
        number = int(response.error_code)
        return AllocationResult(
            job_id=int(lib.slurmgate_allocated_job_id(response)),
            user_message=text(ffi, response.job_submit_user_msg),
            error_number=number,
            error=call.errors.name(number) if number else "",
        )
    finally:
        lib.slurm_free_resource_allocation_response_msg(response)
