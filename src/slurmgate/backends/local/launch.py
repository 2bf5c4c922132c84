"""Starting a job's batch script: its stored script and environment handed to the executor."""

from __future__ import annotations

from slurmgate.backends.local.environment import job_environment
from slurmgate.backends.local.executor import Executor, LaunchSpec
from slurmgate.backends.local.payloads import Payload
from slurmgate.backends.local.table import JobTable
from slurmgate.domain import Job


def array_facts(job: Job, group: list[Job]) -> dict[str, int]:
    """SLURM_ARRAY_TASK_COUNT/MIN/MAX/STEP of an array task, from its array's tasks."""
    if job.array_task_id is None:
        return {}
    ids = sorted(t.array_task_id for t in group if t.array_task_id is not None)
    gaps = {b - a for a, b in zip(ids, ids[1:], strict=False)}
    return {
        "array_task_count": len(ids),
        "array_task_min": ids[0],
        "array_task_max": ids[-1],
        "array_task_step": gaps.pop() if len(gaps) == 1 else 1,
    }


async def launch_script(
    job: Job,
    table: JobTable,
    executor: Executor,
    *,
    submit_host: str,
    cluster_name: str,
    as_root: bool,
) -> None:
    """Run ``job``'s script; returns once its supervisor runs. Raises ValueError when the
    script is missing from the store, OSError or SlurmgateError when it cannot start."""
    data = await table.store.load_payload(table.payload_key(job))
    if data is None:
        raise ValueError(f"the script of job {job.job_id} is missing from the store")
    payload = Payload.decode(data)
    environment = job_environment(
        job,
        payload.environment,
        node_name=job.batch_host,
        submit_host=submit_host,
        cluster_name=cluster_name,
        **array_facts(job, table.group(job)),
    )
    await executor.launch(
        LaunchSpec(
            job_id=job.job_id,
            script=payload.script,
            argv=payload.argv,
            environment=environment,
            cwd=job.current_working_directory,
            stdout=job.standard_output,
            stderr=job.standard_error,
            stdin=job.standard_input,
            append=payload.append,
            uid=job.user_id if as_root else None,
            gid=job.group_id if as_root else None,
        )
    )
