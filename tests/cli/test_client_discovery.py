"""Which version the client speaks, chosen from the paths of each server's own OpenAPI
document: the daemons' (tests/data/specs, as each release serves it) and slurmgate's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slurmgate.api.openapi import build_openapi
from slurmgate.cli.client.discovery import choose
from slurmgate.cli.client.errors import ClientError, UsageError

SPECS = Path(__file__).resolve().parents[1] / "data" / "specs"


def paths_of(*documents: str) -> set[str]:
    found: set[str] = set()
    for name in documents:
        found |= set(json.loads((SPECS / name).read_text())["paths"])
    return found


@pytest.mark.parametrize(
    ("documents", "version", "accounting"),
    [
        (["slurmrestd-22.05.8-slurmdbd-openapi.json"], "v0.0.38", "v0.0.38"),
        (["slurmrestd-24.11.5-openapi.json", "slurmrestd-24.11.5-slurmdbd-openapi.json"],
         "v0.0.42", "v0.0.42"),
        # Captured with no accounting configured: history has nothing to speak to.
        (["slurmrestd-26.05.5-openapi.json"], "v0.0.45", None),
        (["slurmrestd-26.05.5-openapi.json", "slurmrestd-26.05.5-slurmdbd-openapi.json"],
         "v0.0.45", "v0.0.45"),
    ],
)  # fmt: skip
def test_the_newest_version_a_daemon_serves(
    documents: list[str], version: str, accounting: str | None
) -> None:
    server = choose("http://daemon", paths_of(*documents))
    assert (server.version, server.accounting) == (version, accounting)
    assert not server.slurmgate and not server.events and not server.output


def test_slurmgate_is_spoken_to_in_the_newest_version_and_known_by_its_own_paths() -> None:
    paths = build_openapi()["paths"]
    server = choose("http://gateway", paths)
    assert (server.version, server.accounting) == ("v0.0.45", "v0.0.45")
    assert server.slurmgate and server.events and server.output
    older = choose("http://gateway", paths, "v0.0.38")
    assert (older.version, older.accounting, older.legacy) == ("v0.0.38", "v0.0.38", True)


def test_accounting_keeps_to_the_family_spoken_where_it_can() -> None:
    paths = {"/slurm/v0.0.38/jobs", "/slurm/v0.0.42/jobs", "/slurmdb/v0.0.37/jobs",
             "/slurmdb/v0.0.41/jobs"}  # fmt: skip
    assert choose("u", paths, "v0.0.38").accounting == "v0.0.37"
    assert choose("u", paths).accounting == "v0.0.41"
    assert choose("u", {"/slurm/v0.0.38/jobs", "/slurmdb/v0.0.41/jobs"}).accounting == "v0.0.41"


def test_versions_not_spoken_are_told() -> None:
    offered = paths_of("slurmrestd-22.05.8-openapi.json")
    with pytest.raises(ClientError, match=r"does not offer v0.0.45 \(it offers: v0.0.36, "):
        choose("u", offered, "v0.0.45")
    with pytest.raises(UsageError, match="unknown API version 'v0.0.39'"):
        choose("u", offered, "v0.0.39")
    with pytest.raises(ClientError, match="offers none of the API versions this client speaks"):
        choose("u", {"/slurm/v0.0.99/jobs"})
