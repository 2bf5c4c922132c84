"""dbv0.0.36-dbv0.0.38 (slurmrestd 22.05's slurmdb plugins) against the document their daemon
serves: the records each operation answers with, compared component by component."""

from __future__ import annotations

import functools
import re
from typing import Any

import jsonschema

from slurmgate.api.openapi import build_openapi
from slurmgate.api.versions import db_v0036, db_v0037, db_v0038
from slurmgate.api.versions.version import Version, VersionSpec
from tests.support.documents import (
    Difference,
    body_differences,
    body_schema,
    document,
    operations,
    resolve,
)
from tests.support.spec import corrected, json_schema

#: What the 22.05 daemon serves with every plugin loaded (tests/data/specs/README.md).
SERVED = "slurmrestd-22.05.8-slurmdbd-openapi.json"
SPECS: dict[str, VersionSpec] = {s.name: s for s in (db_v0036.SPEC, db_v0037.SPEC, db_v0038.SPEC)}
#: The method and path of each operation in the daemon's document (where errata name them).
PATHS = {
    "db_diag": ("GET", "/diag"),
    "db_jobs": ("GET", "/jobs"),
    "db_job": ("GET", "/job/{job_id}"),
    "db_accounts": ("GET", "/accounts"),
    "db_accounts_set": ("POST", "/accounts"),
    "db_account": ("GET", "/account/{account_name}"),
    "db_account_delete": ("DELETE", "/account/{account_name}"),
    "db_users": ("GET", "/users"),
    "db_users_set": ("POST", "/users"),
    "db_user": ("GET", "/user/{user_name}"),
    "db_user_delete": ("DELETE", "/user/{user_name}"),
    "db_associations": ("GET", "/associations"),
    "db_associations_set": ("POST", "/associations"),
    "db_associations_delete": ("DELETE", "/associations"),
    "db_association": ("GET", "/association"),
    "db_association_delete": ("DELETE", "/association"),
    "db_qos": ("GET", "/qos"),
    "db_qos_set": ("POST", "/qos"),
    "db_qos_one": ("GET", "/qos/{qos_name}"),
    "db_qos_delete": ("DELETE", "/qos/{qos_name}"),
    "db_tres": ("GET", "/tres"),
    "db_tres_set": ("POST", "/tres"),
    "db_clusters": ("GET", "/clusters"),
    "db_clusters_set": ("POST", "/clusters"),
    "db_cluster": ("GET", "/cluster/{cluster_name}"),
    "db_cluster_delete": ("DELETE", "/cluster/{cluster_name}"),
    "db_wckeys": ("GET", "/wckeys"),
    "db_wckeys_set": ("POST", "/wckeys"),
    "db_wckey": ("GET", "/wckey/{wckey}"),
    "db_wckey_delete": ("DELETE", "/wckey/{wckey}"),
    "db_config": ("GET", "/config"),
    "db_config_set": ("POST", "/config"),
}


@functools.cache
def version(name: str) -> Version:
    return Version(SPECS[name])


def where(name: str, operation: str, which: str = "response") -> str:
    method, path = PATHS[operation]
    return f"{method} /slurmdb/{name.removeprefix('db')}{path} {which} $"


def component(doc: dict[str, Any], name: str) -> Any:
    return resolve({"$ref": f"#/components/schemas/{name}"}, doc)


def ours(name: str) -> dict[str, Any]:
    return {"components": {"schemas": version(name).schemas}}


def slurmdb_operations(doc: dict[str, Any], name: str) -> dict[tuple[str, str], Any]:
    """The /slurmdb/ operations of ``name``'s path segment in ``doc``."""
    segment = SPECS[name].segment
    return {
        key: op for key, op in operations(doc, segment).items() if key[0].startswith("/slurmdb/")
    }


@functools.cache
def generated() -> dict[str, Any]:
    return build_openapi()


def document_differences(name: str) -> list[Difference]:
    """Every place where slurmgate's document of ``name``'s operations differs from the
    daemon's, request and answer bodies alike."""
    theirs_doc, ours_doc = document(SERVED), generated()
    theirs, mine = slurmdb_operations(theirs_doc, name), slurmdb_operations(ours_doc, name)
    return body_differences(theirs_doc, theirs, ours_doc, mine)


def _template(operations_: dict[tuple[str, str], Any], path: str, method: str) -> str:
    for template, verb in operations_:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "/?$"
        if verb == method and re.match(pattern, path):
            return template
    raise AssertionError(f"{method.upper()} {path} is no operation of the daemon's document")


def assert_answer_valid(name: str, method: str, path: str, body: Any) -> None:
    """``body``, answered to ``method path``, breaks neither the daemon's document (corrected
    where the errata list it as wrong) nor slurmgate's."""
    method = method.lower()
    theirs_doc, ours_doc = document(SERVED), generated()
    theirs = slurmdb_operations(theirs_doc, name)
    template = _template(theirs, path.partition("?")[0], method)
    mine = slurmdb_operations(ours_doc, name)[(template, method)]
    ours_schema = body_schema(mine, ours_doc, "response")
    schema = corrected(
        body_schema(theirs[(template, method)], theirs_doc, "response"),
        ours_schema,
        f"{method.upper()} {template} response $",
        name,
    )
    jsonschema.Draft4Validator(json_schema(schema)).validate(body)
    jsonschema.Draft4Validator(json_schema(ours_schema)).validate(body)


#: dbv0.0.38's official document, its paths relative to its server (/slurmdb/v0.0.38/).
OFFICIAL_DBV0038 = "slurmdbd-dbv0.0.38-openapi.json"


def official_differences() -> list[Difference]:
    """Every place where slurmgate's document of dbv0.0.38 differs from its official one."""
    theirs_doc, ours_doc = document(OFFICIAL_DBV0038), generated()
    server = theirs_doc["servers"][0]["url"].rstrip("/")
    theirs = {
        (f"{server}{path}".rstrip("/"), method): item[method]
        for path, item in theirs_doc["paths"].items()
        if not path.startswith("/openapi")
        for method in ("get", "post", "delete")
        if method in item
    }
    mine = slurmdb_operations(ours_doc, "dbv0.0.38")
    return body_differences(theirs_doc, theirs, ours_doc, mine)
