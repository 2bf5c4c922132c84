"""Screenshots of the web page for docs/web.md, taken in Debian's Chromium through Playwright.

Usage: scripts/screenshots [--out docs/images]

Starts its own `slurmgate serve` (embedded cluster, two nodes) on a free loopback port with a
throwaway state directory, submits a few jobs, signs in with a token minted for it, and saves
one PNG per page. Everything it starts stops when it ends.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slurmgate.auth.tokens import mint  # noqa: E402
from tests.support.browser import chromium, missing  # noqa: E402
from tests.support.cluster import current_user, read_key, start_gateway, stop_process  # noqa: E402

CONFIG = """
[local]
kill_wait = 1
sched_interval = 0.5

[[local.nodes]]
name = "node1"
cpus = 8
memory = 16384

[[local.nodes]]
name = "node2"
cpus = 8
memory = 16384

[[local.partitions]]
name = "batch"
default = true

[[local.partitions]]
name = "short"
max_time = 30
"""
TRAINING = """#!/bin/bash
#SBATCH --job-name=train-model
#SBATCH --cpus-per-task=6
#SBATCH --mem=8G
#SBATCH --time=2:00:00
for epoch in $(seq 1 200); do
  echo "epoch $epoch: loss $(( 1000 / epoch ))e-3"
  sleep 0.5
done
"""
DRAFT = """#!/bin/bash
#SBATCH --job-name=assemble
#SBATCH --partition=short
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --array=1-20%5
#SBATCH --output=assemble-%A_%a.out

srun ./assemble --sample "$SLURM_ARRAY_TASK_ID"
"""


def submit(base_url: str, token: str, workdir: Path, script: str, **job: Any) -> int:
    job.setdefault("current_working_directory", str(workdir))
    answer = httpx.post(
        f"{base_url}/slurm/v0.0.45/job/submit",
        headers={"X-SLURM-USER-TOKEN": token},
        json={"job": {"script": script, **job}},
        timeout=30,
    )
    answer.raise_for_status()
    job_id: int = answer.json()["job_id"]
    return job_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    reason = missing()
    if reason is not None:
        sys.exit(f"scripts/screenshots: {reason}")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="slurmgate-screenshots-") as scratch:
        state_dir, workdir = Path(scratch) / "state", Path(scratch) / "jobs"
        workdir.mkdir()  # the jobs run as the gateway's user: this script's
        process, base_url = start_gateway(state_dir, CONFIG)
        try:
            token = mint(read_key(state_dir), current_user(), lifespan=900, now=int(time.time()))
            shoot(base_url, token, workdir, args.out)
        finally:
            stop_process(process)


def shoot(base_url: str, token: str, workdir: Path, out: Path) -> None:
    def job(script: str, **fields: Any) -> int:
        return submit(base_url, token, workdir, script, **fields)

    job("#!/bin/bash\necho done\n", name="hello")
    job("#!/bin/bash\necho 'no such input' >&2\nexit 3\n", name="preprocess")
    training = job(TRAINING, name="train-model", cpus_per_task=6, memory_per_node=8192,
                   time_limit=120)  # fmt: skip
    after = f"afterok:{training}"
    job("#!/bin/bash\nsleep 600\n", name="evaluate", cpus_per_task=4, dependency=after)
    job("#!/bin/bash\nsleep 600\n", name="render", cpus_per_task=2, array="1-4")
    job("#!/bin/bash\ntrue\n", name="report", hold=True)

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(base_url + "/")
        page.get_by_role("heading", name="Sign in").wait_for()
        page.screenshot(path=out / "web-sign-in.png")
        page.get_by_label("Token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        page.locator(".live[data-state=live]").wait_for()
        page.locator("tr", has_text="train-model").wait_for()
        page.screenshot(path=out / "web-queue.png", full_page=True)

        page.goto(f"{base_url}/#/job/{training}")
        page.get_by_text("epoch 4:").wait_for()
        page.screenshot(path=out / "web-job.png", full_page=True)

        page.goto(f"{base_url}/#/submit")
        page.get_by_label("Batch script").fill(DRAFT)
        page.get_by_label("Time limit").fill("an hour")
        page.get_by_role("button", name="Submit", exact=True).click()
        page.locator("#submit-time-error:not(:empty)").wait_for()
        page.screenshot(path=out / "web-submit.png", full_page=True)

        page.goto(f"{base_url}/#/nodes")
        page.locator("tr", has_text="node2").last.wait_for()
        page.screenshot(path=out / "web-nodes.png", full_page=True)

        page.goto(f"{base_url}/#/history")
        page.locator("main .notice, main table").first.wait_for()
        page.screenshot(path=out / "web-history.png")

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base_url}/#/queue")
        page.locator("tr", has_text="train-model").wait_for()
        page.screenshot(path=out / "web-phone.png")
    for name in sorted(out.glob("web-*.png")):
        print(name.relative_to(ROOT) if name.is_relative_to(ROOT) else name)


if __name__ == "__main__":
    main()
