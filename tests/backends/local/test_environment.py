from __future__ import annotations

from slurmgate.backends.local.environment import compress_counts, job_environment, tasks_per_node
from slurmgate.domain.jobs import Job, JobState, NodeAllocation


def running_job(**fields: object) -> Job:
    values: dict[str, object] = {
        "job_id": 42,
        "name": "analysis",
        "user_id": 1000,
        "user_name": "alice",
        "group_id": 100,
        "state": JobState.RUNNING,
        "partition": "debug",
        "current_working_directory": "/home/alice/work",
        "nodes": "n1",
        "cpus": 4,
        "tasks": 4,
        "start_time": 1_700_000_000,
        "allocations": [NodeAllocation("n1", 4, 4096)],
        "memory_per_node": 4096,
    }
    values.update(fields)
    return Job(**values)  # type: ignore[arg-type]


def env_for(job: Job, base: dict[str, str] | None = None, **kwargs: int) -> dict[str, str]:
    return job_environment(
        job,
        base or {"PATH": "/usr/bin:/bin", "HOME": "/home/alice"},
        node_name="n1",
        submit_host="gateway",
        cluster_name="lab",
        **kwargs,
    )


def test_batch_script_sees_slurms_job_variables() -> None:
    env = env_for(running_job())
    assert env["PATH"] == "/usr/bin:/bin" and env["HOME"] == "/home/alice"
    expected = {
        "SLURM_JOB_ID": "42",
        "SLURM_JOBID": "42",
        "SLURM_JOB_NAME": "analysis",
        "SLURM_JOB_USER": "alice",
        "SLURM_JOB_UID": "1000",
        "SLURM_JOB_GID": "100",
        "SLURM_JOB_PARTITION": "debug",
        "SLURM_SUBMIT_DIR": "/home/alice/work",
        "SLURM_SUBMIT_HOST": "gateway",
        "SLURM_CLUSTER_NAME": "lab",
        "SLURM_CPUS_ON_NODE": "4",
        "SLURM_NTASKS": "4",
        "SLURM_NPROCS": "4",
        "SLURM_NNODES": "1",
        "SLURM_JOB_NUM_NODES": "1",
        "SLURM_JOB_NODELIST": "n1",
        "SLURM_NODELIST": "n1",
        "SLURMD_NODENAME": "n1",
        "SLURM_TASKS_PER_NODE": "4",
        "SLURM_JOB_CPUS_PER_NODE": "4",
        "SLURM_MEM_PER_NODE": "4096",
        "SLURM_PRIO_PROCESS": "0",
        "SLURM_GTIDS": "0",
        "SLURM_LOCALID": "0",
        "SLURM_PROCID": "0",
        "SLURM_NODEID": "0",
        "SLURM_JOB_START_TIME": "1700000000",
        "ENVIRONMENT": "BATCH",
    }
    assert {k: env.get(k) for k in expected} == expected


def test_optional_variables_are_absent_when_not_requested() -> None:
    env = env_for(running_job())
    for name in (
        "SLURM_JOB_ACCOUNT",
        "SLURM_JOB_QOS",
        "SLURM_CPUS_PER_TASK",
        "SLURM_MEM_PER_CPU",
        "SLURM_ARRAY_JOB_ID",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_HET_JOB_ID",
        "SLURM_JOB_END_TIME",
        "SLURM_EXPORT_ENV",
    ):
        assert name not in env


def test_slurm_variables_override_submitted_ones_and_export_env_is_dropped() -> None:
    base = {
        "SLURM_JOB_ID": "1",
        "SLURM_EXPORT_ENV": "ALL",
        "SLURM_MEM_PER_CPU": "1",
        "ENVIRONMENT": "INTERACTIVE",
        "MY_VAR": "kept",
    }
    env = env_for(running_job(), base)
    assert env["SLURM_JOB_ID"] == "42"
    assert env["ENVIRONMENT"] == "BATCH"
    assert env["MY_VAR"] == "kept"
    assert "SLURM_EXPORT_ENV" not in env
    assert "SLURM_MEM_PER_CPU" not in env  # the job asked for memory per node


def test_account_qos_cpus_per_task_memory_per_cpu_and_end_time() -> None:
    job = running_job(
        account="physics",
        qos="normal",
        cpus_per_task=2,
        tasks=2,
        memory_per_node=None,
        memory_per_cpu=512,
        time_limit=30,
    )
    env = env_for(job)
    assert env["SLURM_JOB_ACCOUNT"] == "physics"
    assert env["SLURM_JOB_QOS"] == "normal"
    assert env["SLURM_CPUS_PER_TASK"] == "2"
    assert env["SLURM_MEM_PER_CPU"] == "512"
    assert "SLURM_MEM_PER_NODE" not in env
    assert env["SLURM_TASKS_PER_NODE"] == "2"
    assert env["SLURM_JOB_END_TIME"] == str(1_700_000_000 + 30 * 60)


def test_array_task_sees_its_array_facts() -> None:
    job = running_job(job_id=57, array_job_id=50, array_task_id=7)
    env = env_for(job, array_task_count=4, array_task_min=1, array_task_max=7, array_task_step=2)
    assert env["SLURM_JOB_ID"] == "57"
    assert env["SLURM_ARRAY_JOB_ID"] == "50"
    assert env["SLURM_ARRAY_TASK_ID"] == "7"
    assert env["SLURM_ARRAY_TASK_COUNT"] == "4"
    assert env["SLURM_ARRAY_TASK_MIN"] == "1"
    assert env["SLURM_ARRAY_TASK_MAX"] == "7"
    assert env["SLURM_ARRAY_TASK_STEP"] == "2"


def test_heterogeneous_component_sees_its_het_job_id() -> None:
    env = env_for(running_job(job_id=61, het_job_id=60, het_job_offset=1))
    assert env["SLURM_HET_JOB_ID"] == "60"


def test_multi_node_job_counts_are_run_length_encoded() -> None:
    job = running_job(
        nodes="n[1-3]",
        cpus=10,
        tasks=10,
        allocations=[
            NodeAllocation("n1", 4, 1),
            NodeAllocation("n2", 4, 1),
            NodeAllocation("n3", 2, 1),
        ],
    )
    env = env_for(job)
    assert env["SLURM_JOB_NODELIST"] == "n[1-3]"
    assert env["SLURM_NNODES"] == "3"
    assert env["SLURM_JOB_CPUS_PER_NODE"] == "4(x2),2"
    assert env["SLURM_TASKS_PER_NODE"] == "4(x2),2"
    assert env["SLURM_CPUS_ON_NODE"] == "4"


def test_compress_counts_uses_slurms_repeat_notation() -> None:
    assert compress_counts([2, 2, 2, 1]) == "2(x3),1"
    assert compress_counts([1, 2, 1]) == "1,2,1"
    assert compress_counts([]) == ""


def test_tasks_fill_nodes_in_blocks_with_at_least_one_task_each() -> None:
    assert tasks_per_node([4, 4], 5, 1) == [4, 1]
    assert tasks_per_node([4, 4], 2, 1) == [1, 1]
    assert tasks_per_node([4, 4], 4, 2) == [2, 2]
    assert tasks_per_node([1, 1], 4, 1) == [2, 2]  # overcommit goes round-robin
