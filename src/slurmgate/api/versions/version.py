"""An API version: its tables (``VersionSpec``, data) and the one generic class that reads them.

Every version is a ``VersionSpec``: its records (notation.py), which record answers each
operation and which one a request body is, its plugin names and the names of its shared
components. ``Version`` renders any version's answers from those tables and parses its request
bodies; nothing in it depends on which version it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from slurmgate.api import submission
from slurmgate.api.versions import requests_dp
from slurmgate.api.versions.answer import Answer, Meta
from slurmgate.api.versions.compiler import Compiler, Render
from slurmgate.api.versions.notation import Record
from slurmgate.api.versions.schemas import SchemaWriter
from slurmgate.api.versions.slurmdb_operations import SLURMDB_ITEM_MODELS
from slurmgate.api.versions.views import LEGACY, Views
from slurmgate.backends.base import ClusterInfo
from slurmgate.domain import (
    ControllerPing,
    Job,
    JobSelection,
    JobSubmission,
    JobUpdate,
    License,
    Node,
    NodeUpdate,
    Partition,
    Reservation,
    SlurmgateError,
    Stats,
    SubmitResult,
)

#: The model of the records an operation lists.
ITEM_MODELS: dict[str, type] = {
    "jobs": Job,
    "jobs_state": Job,
    "job_get": Job,
    "nodes": Node,
    "node": Node,
    "partitions": Partition,
    "partition": Partition,
    "reservations": Reservation,
    "reservation": Reservation,
    "licenses": License,
    "ping": ControllerPing,
    "diag": Stats,
    **SLURMDB_ITEM_MODELS,
}


def _changed(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if value is None:
            del out[key]
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class VersionSpec:
    name: str
    plugin_name: str
    records: Mapping[str, Record]
    #: operation -> the record its answer is.
    responses: Mapping[str, str]
    #: operation -> the record its request body is.
    requests: Mapping[str, str] = field(default_factory=dict)
    deprecated: bool = False
    plugin_type: str = ""
    data_parser: str = ""
    #: Shared scalar components by codec ("u32n" -> "uint32_no_val_struct").
    components: Mapping[str, str] = field(default_factory=dict)
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: How request bodies read: "sbatch" (v0.0.36-v0.0.38: sbatch's option names and rules)
    #: or "data_parser" (v0.0.39 on: the version's job_desc_msg record).
    request_style: str = "sbatch"
    #: Listings that answer 304 Not Modified, with no body, when nothing changed after the
    #: request's update_time (the others answer an empty list).
    not_modified: frozenset[str] = frozenset()
    #: Whether a job listing unchanged since update_time says so in a warning.
    warn_unchanged_jobs: bool = False
    #: Listings that read update_time at all (v0.0.36's plugin ignores it).
    since_filtered: frozenset[str] = frozenset({"jobs", "nodes", "partitions", "reservations"})
    #: Changes whose failure prints their own answer, its lists empty, beside the errors (as
    #: the daemons print a failed update's results); listings' failures do so in every version.
    failure_records: frozenset[str] = frozenset()
    #: Listings whose failure prints the envelope alone (an unknown node, a malformed query).
    bare_failures: frozenset[str] = frozenset()
    #: Where an accepted submission's notice (a held job) goes: "errors", as slurmrestd 22.05
    #: put it beside a 200, or "warnings", as data_parser versions do.
    submission_notices: str = "errors"
    #: Whether a warning about a converted request value ends with the value (v0.0.41 on).
    warns_with_values: bool = True
    #: Operations another plugin of the daemon answers: operation -> (its type, its name).
    plugins: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: The views its tables may name (views.py).
    views: Views = field(default_factory=lambda: LEGACY)
    #: Its path segment, when it is not ``name`` (a legacy slurmdb plugin, "dbv0.0.38", is
    #: served at /slurmdb/v0.0.38/).
    path_segment: str = ""
    #: The plugin answering its slurmdb operations ("db_*"): type, name, accounting storage.
    slurmdb_plugin: tuple[str, str, str] = (
        "openapi/slurmdbd",
        "Slurm OpenAPI slurmdbd",
        "accounting_storage/slurmdbd",
    )

    #: operation -> its path under the version, where the version names it otherwise than
    #: the operation's table does (dbv0.0.36-dbv0.0.38: /qos/{qos_name}, as 22.05 named it).
    paths: Mapping[str, str] = field(default_factory=dict)

    @property
    def segment(self) -> str:
        """The version's path segment: /slurm/{segment}/, /slurmdb/{segment}/."""
        return self.path_segment or self.name

    @cached_property  # asked on every request
    def operations(self) -> frozenset[str]:
        return frozenset(self.responses) - {"errors", "empty"}

    def evolve(
        self,
        name: str,
        *,
        records: Mapping[str, Record | None] | None = None,
        responses: Mapping[str, str | None] | None = None,
        requests: Mapping[str, str | None] | None = None,
        **changes: Any,
    ) -> VersionSpec:
        """The next version: this one with the records and operations it changed
        (``None`` removes one)."""
        return replace(
            self,
            name=name,
            records=_changed(self.records, records or {}),
            responses=_changed(self.responses, responses or {}),
            requests=_changed(self.requests, requests or {}),
            **changes,
        )


class Version:
    """Renders and parses one version's JSON from its ``VersionSpec``."""

    def __init__(self, spec: VersionSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.segment = spec.segment
        self.deprecated = spec.deprecated
        self._compiler = Compiler(spec.records, spec.views)
        self._renders: dict[str, Render] = {}
        self._items: dict[str, Render] = {}
        self._metas: dict[tuple[ClusterInfo, str], Meta] = {}
        self._shown = spec.warns_with_values

    # -- what the OpenAPI document needs ---------------------------------------------------

    def operations(self) -> frozenset[str]:
        return self.spec.operations

    @property
    def schemas(self) -> dict[str, Any]:
        """Every component of the version, by its full name ("v0.0.44_job_info")."""
        writer = SchemaWriter(self.name, self.spec.records, self.spec.components, self.spec.enums)
        return writer.all()

    # -- rendering -------------------------------------------------------------------------

    def meta(self, info: ClusterInfo, operation: str = "") -> Meta:
        """The ``meta`` block of an answer of ``operation`` (the version's plugin, or the one
        the version names for that operation)."""
        storage = ""
        if operation.startswith("db_"):  # the slurmdb plugin's operations
            plugin_type, plugin_name, storage = self.spec.slurmdb_plugin
        else:
            plugin_type, plugin_name = self.spec.plugins.get(
                operation, (self.spec.plugin_type or f"openapi/{self.name}", self.spec.plugin_name)
            )
        key = (info, plugin_type)
        found = self._metas.get(key)
        if found is None:
            major, minor, micro = info.slurm_version
            found = self._metas[key] = Meta(
                plugin_type=plugin_type,
                plugin_name=plugin_name,
                data_parser=self.spec.data_parser,
                accounting_storage=storage,
                major=major,
                minor=minor,
                micro=micro,
                release=info.release,
                cluster=info.cluster_name,
                command=("slurmgate",),
            )
        return found

    def answer(
        self, operation: str, info: ClusterInfo, *, plugin_of: str = "", **fields: Any
    ) -> dict[str, Any]:
        """The answer of ``operation`` (the envelope and what ``fields`` give of an Answer);
        its meta names the plugin that answers ``plugin_of`` (default: ``operation``)."""
        render = self._renders.get(operation)
        if render is None:
            items = ITEM_MODELS.get(operation)
            hints = {"items": list[items]} if items is not None else {}  # type: ignore[valid-type]
            render = self._renders[operation] = self._compiler.render(
                self.spec.responses[operation], Answer, hints
            )
        meta = self.meta(info, plugin_of or operation)
        result: dict[str, Any] = render(Answer(meta, **fields))
        return result

    def item(self, operation: str) -> Render:
        """The function printing one record of ``operation``'s list (a job of ``jobs``)."""
        found = self._items.get(operation)
        if found is None:
            record = self.spec.records[self.spec.responses[operation]]
            listed = next(f for f in record.fields if f.source == "items")
            found = self._items[operation] = self._compiler.render(
                listed.base_type.removeprefix("@"), ITEM_MODELS[operation]
            )
        return found

    # -- the ApiVersion protocol -----------------------------------------------------------

    def jobs(
        self, jobs: list[Job], info: ClusterInfo, *, last_update: int = 0, last_backfill: int = 0
    ) -> dict[str, object]:
        return self.answer(
            "jobs", info, items=jobs, last_update=last_update, last_backfill=last_backfill
        )

    def job(self, job: Job) -> dict[str, Any]:
        rendered: dict[str, Any] = self.item("jobs")(job)
        return rendered

    def job_submitted(
        self, result: SubmitResult, info: ClusterInfo, *, warnings: list[str] | None = None
    ) -> dict[str, object]:
        notes = list(warnings or ())
        errors: list[SlurmgateError] = []
        if result.error_number:  # accepted, with slurmctld's word on it (a held job)
            if self.spec.submission_notices == "errors":
                errors.append(
                    SlurmgateError(result.error, error_number=result.error_number,
                                   error=result.error, source="slurm_submit_batch_job()")
                )  # fmt: skip
            else:
                notes += [
                    "slurm_submit_batch_job(): Job submission resulted in non-zero return "
                    f"code: {result.error}",
                    f"slurm_submit_batch_job(): {result.error}",
                ]
        return self.answer("job_submit", info, result=result, warnings=notes, errors=errors)

    def nodes(
        self, nodes: list[Node], info: ClusterInfo, *, last_update: int = 0
    ) -> dict[str, object]:
        return self.answer("nodes", info, items=nodes, last_update=last_update)

    def partitions(
        self, partitions: list[Partition], info: ClusterInfo, *, last_update: int = 0
    ) -> dict[str, object]:
        return self.answer("partitions", info, items=partitions, last_update=last_update)

    def reservations(
        self, reservations: list[Reservation], info: ClusterInfo, *, last_update: int = 0
    ) -> dict[str, object]:
        return self.answer("reservations", info, items=reservations, last_update=last_update)

    def licenses(
        self, licenses: list[License], info: ClusterInfo, *, last_update: int = 0
    ) -> dict[str, object]:
        return self.answer("licenses", info, items=licenses, last_update=last_update)

    def diag(self, stats: Stats, info: ClusterInfo) -> dict[str, object]:
        return self.answer("diag", info, items=[stats])

    def ping(self, pings: list[ControllerPing], info: ClusterInfo) -> dict[str, object]:
        return self.answer("ping", info, items=pings)

    def empty(self, info: ClusterInfo, *, warnings: list[str] | None = None) -> dict[str, object]:
        return self.answer("empty", info, warnings=warnings or ())

    def errors(
        self, errors: list[SlurmgateError], info: ClusterInfo, operation: str = ""
    ) -> dict[str, object]:
        """The envelope of a failure; of a listing's failure, with its empty list (and, from
        v0.0.40 on, the times its document requires), and of the changes the version names,
        with their own answer, as the daemons print them."""
        failed = self.failure_record(operation)
        printed = operation if failed != self.spec.responses["errors"] else "errors"
        return self.answer(printed, info, plugin_of=operation, errors=errors)

    def failure_record(self, operation: str) -> str:
        """The record a failure of ``operation`` prints (the envelope alone for most)."""
        spec = self.spec
        if operation in spec.failure_records or (
            self.lists(operation) and operation not in spec.bare_failures
        ):
            return spec.responses[operation]
        return spec.responses["errors"]

    def lists(self, operation: str) -> bool:
        """Whether ``operation`` answers with a list of records (its failures print it empty)."""
        name = self.spec.responses.get(operation)
        if name is None or operation not in ITEM_MODELS:
            return False
        return any(f.source == "items" for f in self.spec.records[name].fields)

    # -- requests --------------------------------------------------------------------------

    def parse_submission(self, body: object) -> tuple[JobSubmission, list[str]]:
        if self.spec.request_style == "sbatch":
            return submission.parse_submission(body, self.name)
        return requests_dp.parse_submission(body, self.spec.records, with_values=self._shown)

    def parse_allocation(self, body: object) -> tuple[JobSubmission, list[str]]:
        return requests_dp.parse_submission(
            body, self.spec.records, operation="job_allocate", with_values=self._shown
        )

    def parse_update(self, body: object) -> tuple[JobUpdate, list[str]]:
        if self.spec.request_style == "sbatch":
            return submission.parse_update(body, self.name)
        return requests_dp.parse_update(body, self.spec.records, with_values=self._shown)

    def parse_selection(self, body: object) -> tuple[JobSelection, int | None, list[str]]:
        return requests_dp.parse_selection(body, self.spec.records, with_values=self._shown)

    def parse_node_update(self, body: object) -> tuple[list[str], NodeUpdate, list[str]]:
        return requests_dp.parse_node_update(body, self.spec.records, with_values=self._shown)


Factory = Callable[[VersionSpec], Version]
