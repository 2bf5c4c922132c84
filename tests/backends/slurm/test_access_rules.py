"""PrivateData and the users it exempts, read from slurmctld as it applies them.

The lab cluster (``scripts/lab-cluster``) runs with SlurmUser=slurm and accounting through
slurmdbd; sgbob is made an operator or a coordinator of the lab's account for one test at a
time, and put back. slurmctld learns of sacctmgr's changes from slurmdbd a moment later, so
those tests poll for the change rather than sleep.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from slurmgate.backends.slurm import access_read
from slurmgate.backends.slurm.binding import load
from slurmgate.domain.access import PRIVATE_DATA_KINDS, AccessRules, PrivateData
from slurmgate.slurm_conf import read
from tests.backends.slurm.lab_backend import LabBackend
from tests.support.lab import slurm_client_env

#: Seconds slurmctld may take to hear of an accounting change from slurmdbd.
PROPAGATION = 30.0


def _run(*argv: str) -> str:
    done = subprocess.run(
        list(argv), capture_output=True, text=True, check=True, env=slurm_client_env()
    )
    return done.stdout


async def _rules_once(
    lab_backend: LabBackend, holds: Callable[[AccessRules], bool], what: str
) -> AccessRules:
    """The backend's rules as soon as ``holds`` is true of them; fails after PROPAGATION."""
    deadline = time.monotonic() + PROPAGATION
    while True:
        rules = await lab_backend.backend.access_rules(lab_backend.service)
        if holds(rules):
            return rules
        assert time.monotonic() < deadline, f"slurmctld never showed {what}: {rules}"
        await asyncio.sleep(0.2)


def test_service_user_is_slurm_conf_slurm_user_or_root(tmp_path: Path) -> None:
    conf = tmp_path / "slurm.conf"
    conf.write_text("ClusterName=c\nSlurmUser=slurm  # the daemons' user\n")
    assert read(conf).slurm_user == "slurm"
    conf.write_text("ClusterName=c\n")
    assert read(conf).slurm_user == "root"  # Slurm's default


async def test_the_service_user_is_the_labs_slurm_user(lab_backend: LabBackend) -> None:
    assert lab_backend.backend.service_user == "slurm"


async def test_private_data_bits_read_as_slurm_conf_keywords(
    lab_backend: LabBackend, tmp_path: Path
) -> None:
    lib = load(tmp_path / "binding").lib  # the backend's, loaded once per process
    assert access_read.private_data(lib, 0) == PrivateData.parse("none")
    both = lib.PRIVATE_DATA_JOBS | lib.PRIVATE_DATA_USAGE
    assert access_read.private_data(lib, both) == PrivateData.parse("jobs,usage")
    every = 0
    for kind in PRIVATE_DATA_KINDS:
        bit = getattr(lib, access_read.KIND_BITS[kind])
        assert access_read.private_data(lib, bit) == PrivateData.parse(kind)
        every |= bit
    assert access_read.private_data(lib, every) == PrivateData.parse("all")


async def test_without_accounting_the_operators_are_root_and_slurm_user(
    lab_backend: LabBackend, tmp_path: Path
) -> None:
    binding = load(tmp_path / "binding")
    # What slurmctld sends without AccountingStorageType: no user list at all.
    empty = binding.ffi.new("assoc_mgr_info_msg_t *")
    rules = access_read.access_rules(binding.ffi, binding.lib, 0, "slurm", empty)
    assert rules == AccessRules(operators=frozenset({"root", "slurm"}), coordinators={})


async def test_private_data_is_what_slurmctld_runs_with(lab_backend: LabBackend) -> None:
    rules = await lab_backend.backend.access_rules(lab_backend.service)
    # scontrol prints the running configuration's PrivateData as slurm.conf spells it.
    shown = next(
        line.split("=", 1)[1].strip()
        for line in _run("scontrol", "show", "config").splitlines()
        if line.startswith("PrivateData ")
    )
    assert rules.private == PrivateData.parse(shown)


async def test_root_and_slurm_user_are_operators_and_plain_users_are_not(
    lab_backend: LabBackend,
) -> None:
    rules = await lab_backend.backend.access_rules(lab_backend.service)
    assert {"root", "slurm"} <= rules.operators
    assert not set(lab_backend.lab.users) & rules.operators


async def test_an_accounting_operator_is_an_operator(lab_backend: LabBackend) -> None:
    try:
        _run("sacctmgr", "-i", "modify", "user", "sgbob", "set", "adminlevel=operator")
        rules = await _rules_once(lab_backend, lambda r: "sgbob" in r.operators, "sgbob")
        assert rules.is_operator("sgbob") and not rules.is_operator("sgalice")
    finally:
        _run("sacctmgr", "-i", "modify", "user", "sgbob", "set", "adminlevel=none")
    await _rules_once(lab_backend, lambda r: "sgbob" not in r.operators, "sgbob demoted")


async def test_a_coordinator_coordinates_its_account(lab_backend: LabBackend) -> None:
    account = lab_backend.lab.account
    coordinate = ("coordinator", f"account={account}", "names=sgbob")
    try:
        _run("sacctmgr", "-i", "add", *coordinate)
        rules = await _rules_once(
            lab_backend, lambda r: "sgbob" in r.coordinators, "sgbob coordinating"
        )
        assert rules.coordinators["sgbob"] == frozenset({account})
        assert "sgalice" not in rules.coordinators
        assert not rules.is_operator("sgbob")  # coordinating sees jobs, not everything
    finally:
        _run("sacctmgr", "-i", "remove", *coordinate)
    await _rules_once(lab_backend, lambda r: "sgbob" not in r.coordinators, "sgbob removed")
