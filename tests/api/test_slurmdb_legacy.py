"""dbv0.0.36-dbv0.0.38: the accounting answers of slurmrestd 22.05, rendered from the tables.

The embedded cluster runs a job that exits 3; its accounting record, the accounts, users,
associations, QOS, TRES and clusters it keeps, and its statistics are rendered as each version
prints them, and every answer is held to the document the 22.05 daemon serves for that version
(and dbv0.0.38's to its official document too), corrected only where tests/support/errata.py
lists the document as wrong about the daemon. Every difference between slurmgate's declared
records and the daemon's document must be such an erratum.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from slurmgate.backends.local.backend import LocalBackend
from slurmgate.domain import JobState
from slurmgate.domain.accounting import AccountingQuery
from slurmgate.domain.associations import AccountQuery, AssociationQuery, QosQuery, UserQuery
from slurmgate.domain.dbd import ClusterQuery
from tests.backends.local.cluster import ROOT, settings, spec, submit, wait_state, with_accounts
from tests.support.documents import document
from tests.support.errata import ERRATA
from tests.support.slurmdb_legacy import (
    OFFICIAL_DBV0038,
    SERVED,
    SPECS,
    component,
    document_differences,
    generated,
    official_differences,
    ours,
    slurmdb_operations,
    version,
    where,
)
from tests.support.spec import corrected, json_schema


def assert_valid(name: str, operation: str, body: Any, doc_name: str = SERVED) -> None:
    """``body`` breaks neither the daemon's document (corrected by the errata) nor ours."""
    full = f"{name}_{SPECS[name].responses[operation]}"
    theirs = component(document(doc_name), full)
    mine = component(ours(name), full)
    schema = corrected(theirs, mine, where(name, operation), name)
    jsonschema.Draft4Validator(json_schema(schema)).validate(body)
    jsonschema.Draft4Validator(json_schema(mine)).validate(body)


@pytest.fixture
async def answers(tmp_path: Path) -> AsyncIterator[dict[str, dict[str, Any]]]:
    """Every version's answers about an embedded cluster where a job exited 3."""
    backend = LocalBackend(
        settings(**with_accounts("physics")), tmp_path / "state", admins=frozenset({"root"})
    )
    await backend.start()
    try:
        job_id = await submit(backend, spec(tmp_path, "exit 3", name="three"))
        await wait_state(backend, job_id, JobState.FAILED)
        items: dict[str, list[Any]] = {
            "db_jobs": await backend.accounting_jobs(ROOT, AccountingQuery(job_ids=(str(job_id),))),
            "db_accounts": await backend.accounts(
                ROOT, AccountQuery(with_associations=True, with_coordinators=True)
            ),
            "db_users": await backend.users(
                ROOT, UserQuery(with_associations=True, with_coordinators=True)
            ),
            "db_associations": await backend.associations(ROOT, AssociationQuery()),
            "db_qos": await backend.qos(ROOT, QosQuery()),
            "db_tres": await backend.tres(ROOT),
            "db_clusters": await backend.clusters(ROOT, ClusterQuery()),
        }
        stats = await backend.dbd_stats(ROOT)
        config = {
            "clusters": items["db_clusters"],
            "tres": items["db_tres"],
            "accounts": items["db_accounts"],
            "users": items["db_users"],
            "qos": items["db_qos"],
            "wckeys": [],
            "associations": items["db_associations"],
        }
        info = backend.info
        # As the client reads them: serialised (tuples are JSON arrays).
        yield json.loads(
            json.dumps(
                {
                    name: {
                        **{
                            op: version(name).answer(op, info, items=found)
                            for op, found in items.items()
                        },
                        "db_config": version(name).answer("db_config", info, extra=config),
                        "db_diag": version(name).answer("db_diag", info, result=stats),
                    }
                    for name in SPECS
                }
            )
        )
    finally:
        await backend.stop()


@pytest.mark.parametrize("name", sorted(SPECS))
async def test_every_answer_matches_the_daemons_document(
    answers: dict[str, dict[str, Any]], name: str
) -> None:
    for operation, body in answers[name].items():
        assert_valid(name, operation, body)


async def test_dbv0038_answers_match_the_official_document(
    answers: dict[str, dict[str, Any]],
) -> None:
    for operation, body in answers["dbv0.0.38"].items():
        assert_valid("dbv0.0.38", operation, body, OFFICIAL_DBV0038)


@pytest.mark.parametrize("name", sorted(SPECS))
async def test_a_finished_job_is_listed_with_its_exit_code_and_batch_step(
    answers: dict[str, dict[str, Any]], name: str
) -> None:
    [job] = answers[name]["db_jobs"]["jobs"]
    assert job["name"] == "three" and job["user"] == "root" and job["account"] == "root"
    assert job["exit_code"] == {"status": "ERROR", "return_code": 3}
    assert job["state"]["current"] == "FAILED"
    assert job["time"]["end"] >= job["time"]["start"] >= job["time"]["submission"] > 0
    assert job["association"] == {
        "account": "root",
        "cluster": job["cluster"],
        "partition": None,
        "user": "root",
    }
    [batch] = job["steps"]
    assert batch["step"] == {
        "job_id": job["job_id"],
        "het": {"component": None},
        "id": "batch",
        "name": "batch",
    }
    assert batch["exit_code"] == {"status": "ERROR", "return_code": 3}
    assert batch["nodes"]["list"] == [job["nodes"]] and batch["nodes"]["count"] == 1
    assert {t["type"] for t in job["tres"]["allocated"]} >= {"cpu", "mem", "node"}


def test_a_jobs_last_reason_is_previous_in_dbv0036_and_reason_after() -> None:
    state = {
        name: version(name).spec.records["job"].field("state").record for name in sorted(SPECS)
    }
    assert [r.names if r else () for r in state.values()] == [
        ("current", "previous"),
        ("current", "reason"),
        ("current", "reason"),
    ]


async def test_versions_differ_where_their_plugins_do(
    answers: dict[str, dict[str, Any]],
) -> None:
    old, mid, new = (answers[name] for name in sorted(SPECS))
    assert "container" not in old["db_jobs"]["jobs"][0]
    assert new["db_jobs"]["jobs"][0]["container"] is None
    assert "is_default" not in old["db_associations"]["associations"][0]
    assert {a["is_default"] for a in mid["db_associations"]["associations"]} == {0, 1}
    assert "factor" in mid["db_qos"]["QOS"][0]["limits"]
    assert "factor" not in old["db_qos"]["QOS"][0]["limits"]
    assert "flags" in new["db_users"]["users"][0] and "flags" not in mid["db_users"]["users"][0]
    assert [a["meta"]["plugin"]["type"] for a in (old["db_tres"], mid["db_tres"])] == [
        "openapi/dbv0.0.36",
        "openapi/dbv0.0.37",
    ]


async def test_a_users_default_association_is_flagged_default(
    answers: dict[str, dict[str, Any]],
) -> None:
    listed = answers["dbv0.0.38"]["db_associations"]["associations"]
    default = [a for a in listed if "DEFAULT" in a["flags"]]
    assert [(a["account"], a["user"]) for a in default] == [("root", "root")]
    assert {a["account"] for a in listed if a["user"] is None} == {"root", "physics"}
    assert all(a["qos"] == ["normal"] for a in listed)


async def test_config_dumps_every_record_kind(answers: dict[str, dict[str, Any]]) -> None:
    config = answers["dbv0.0.37"]["db_config"]
    assert set(config) == {
        "meta",
        "errors",
        "clusters",
        "TRES",
        "accounts",
        "users",
        "QOS",
        "wckeys",
        "associations",
    }
    assert [a["name"] for a in config["accounts"]] == [
        a["name"] for a in answers["dbv0.0.37"]["db_accounts"]["accounts"]
    ]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_operation_of_the_daemon_is_served(name: str) -> None:
    theirs = slurmdb_operations(document(SERVED), name)
    assert sorted(theirs.keys() - slurmdb_operations(generated(), name).keys()) == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_difference_from_the_daemons_document_is_a_listed_erratum(name: str) -> None:
    unexplained = [
        str(d)
        for d in document_differences(name)
        if not any(erratum.covers(name, d) for erratum in ERRATA)
    ]
    assert not unexplained, "\n".join(unexplained)


def test_every_difference_from_the_official_dbv0038_document_is_a_listed_erratum() -> None:
    unexplained = [
        str(d)
        for d in official_differences()
        if not any(erratum.covers("dbv0.0.38", d) for erratum in ERRATA)
    ]
    assert not unexplained, "\n".join(unexplained)
