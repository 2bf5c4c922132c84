"""The user's walkthrough, command for command: a token, then curl against the gateway.

Only ``scontrol token`` becomes ``slurmgate token``; the curl lines are the seed's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cluster import gateway_home, start_gateway, stop_process

BIN = Path(sys.executable).parent
SEED_JOB = {
    "job": {
        "name": "test_job",
        "partition": "gpu",
        "nodes": 1,
        "tasks": 1,
        "script": '#!/bin/bash\necho "Hello from SLURM REST API"\n',
    }
}

# CI must run the walkthrough: there, a missing curl fails it instead.
pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None and os.environ.get("CI") != "true",
    reason="curl is not installed (scripts/test installs it when run as root)",
)


def _walkthrough(base_url: str, state_dir: Path) -> str:
    """The seed's shell lines, run by bash; prints one JSON document per curl."""
    script = f"""
set -e
unset SLURM_JWT; export $(slurmgate token lifespan=3600)
curl -s -o "/tmp/curl.log.$$" -k -H X-SLURM-USER-TOKEN:$SLURM_JWT \\
  -X GET '{base_url}/slurm/v0.0.36/diag'
cat "/tmp/curl.log.$$"; rm -f "/tmp/curl.log.$$"; echo
for path in jobs nodes partitions; do
  curl -s -H X-SLURM-USER-TOKEN:$SLURM_JWT "{base_url}/slurm/v0.0.36/$path"; echo
done
export $(slurmgate token lifespan=1800)
curl -s -X POST {base_url}/slurm/v0.0.36/job/submit \\
  -H "X-SLURM-USER-TOKEN: $SLURM_JWT" \\
  -H "Content-Type: application/json" \\
  -d '{json.dumps(SEED_JOB)}'
echo
"""
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "SLURMGATE_STATE_DIR": str(state_dir),
    }
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _run(
    state_dir: Path, config: str
) -> tuple[list[dict[str, object]], str, subprocess.Popen[bytes]]:
    process, base_url = start_gateway(
        state_dir, config, extra_env={"SLURMGATE_STATE_DIR": str(state_dir)}
    )
    try:
        lines = _walkthrough(base_url, state_dir).strip().splitlines()
    except BaseException:
        stop_process(process)
        raise
    return [json.loads(line) for line in lines], base_url, process


def test_seed_commands_answer_on_a_default_gateway_and_name_the_missing_partition(
    tmp_path: Path,
) -> None:
    documents, _, process = _run(tmp_path / "state", "")
    try:
        diag, jobs, nodes, partitions, submitted = documents
        assert diag["statistics"]["server_thread_count"] >= 1  # type: ignore[index]
        assert isinstance(jobs["jobs"], list)
        assert len(nodes["nodes"]) == 1  # type: ignore[arg-type]
        assert [p["name"] for p in partitions["partitions"]] == ["debug"]  # type: ignore[union-attr]
        # The default cluster has no "gpu" partition: a clear error, not a silent drop.
        error = submitted["errors"][0]  # type: ignore[index]
        assert "gpu" in error["description"] and "debug" in error["description"]
    finally:
        stop_process(process)


def test_seed_submission_runs_on_a_cluster_with_a_gpu_partition(tmp_path: Path) -> None:
    config = (
        '[[local.partitions]]\nname = "debug"\ndefault = true\n\n'
        '[[local.partitions]]\nname = "gpu"\n'
    )
    state_dir = tmp_path / "state"
    documents, base_url, process = _run(state_dir, config)
    try:
        submitted = documents[-1]
        assert submitted["errors"] == []
        job_id = submitted["job_id"]
        assert isinstance(job_id, int)
        check = f"""
export $(slurmgate token)
for i in $(seq 200); do
  state=$(curl -s -H X-SLURM-USER-TOKEN:$SLURM_JWT {base_url}/slurm/v0.0.36/job/{job_id})
  case "$state" in *'"COMPLETED"'*) echo "$state"; exit 0;; esac
  sleep 0.1
done
echo "$state"; exit 1
"""
        env = {
            **os.environ,
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "SLURMGATE_STATE_DIR": str(tmp_path / "state"),
        }
        done = subprocess.run(
            ["bash", "-c", check], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stdout
        job = json.loads(done.stdout)["jobs"][0]
        assert job["job_state"] == "COMPLETED" and job["exit_code"] == 0
        # No working directory in the seed's job: it ran in the gateway's (temporary) home.
        home = gateway_home(state_dir)
        assert Path(job["current_working_directory"]) == home
        assert (home / f"slurm-{job_id}.out").read_text() == "Hello from SLURM REST API\n"
    finally:
        stop_process(process)
