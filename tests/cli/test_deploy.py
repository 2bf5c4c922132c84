"""The systemd unit: shipped in the package, identical to deploy/, and as documented."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "slurmgate.service"


def settings(text: str) -> dict[str, list[str]]:
    """``[Section] Key`` -> values, in order (systemd allows a key more than once)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            found.setdefault(f"{section} {key}", []).append(value)
    return found


def test_packaged_unit_is_the_one_in_deploy() -> None:
    packaged = files("slurmgate").joinpath("deploy", "slurmgate.service")
    assert packaged.read_bytes() == UNIT.read_bytes()


def test_unit_runs_slurmgate_as_its_own_user_on_6820() -> None:
    unit = settings(UNIT.read_text())
    assert unit["Service User"] == ["slurmgate"]
    assert unit["Service Group"] == ["slurmgate"]
    assert unit["Service ExecStart"] == ["/usr/local/bin/slurmgate serve"]
    assert unit["Service EnvironmentFile"] == ["-/etc/default/slurmgate"]
    assert "SLURMGATE_LISTEN=:6820" in unit["Service Environment"]
    assert "SLURMGATE_STATE_DIR=/var/lib/slurmgate" in unit["Service Environment"]
    assert unit["Service StateDirectory"] == ["slurmgate"]
    assert unit["Service Restart"] == ["on-failure"]
    assert unit["Install WantedBy"] == ["multi-user.target"]


def test_unit_is_hardened_with_the_state_dir_writable() -> None:
    unit = settings(UNIT.read_text())
    assert unit["Service NoNewPrivileges"] == ["yes"]
    assert unit["Service ProtectSystem"] == ["strict"]
    assert unit["Service ReadWritePaths"] == ["/var/lib/slurmgate"]
    assert unit["Service PrivateTmp"] == ["yes"]
