"""Checking a submission and filling in what it left out, as slurmctld and sbatch would.

Defaults of the embedded cluster for a job that does not say:

- environment: ``PATH`` = ``local.default_path``; ``HOME``, ``USER``, ``LOGNAME``, ``SHELL`` from
  the user's passwd entry (for the gateway's own account, ``HOME`` is the gateway's);
  ``LANG=C.UTF-8``. A given environment is used as it is.
- working directory: the user's home directory if it exists, else ``/tmp``.
- standard output: ``slurm-%j.out`` (``slurm-%A_%a.out`` for an array) in the working
  directory; standard error goes with standard output; standard input is ``/dev/null``.
  Relative paths are relative to the working directory.
- 1 node, 1 task, 1 CPU per task; CPUs = tasks x CPUs per task.
- memory: the memory per node or per CPU asked for; else the partition's
  ``default_memory_per_cpu``; else, per CPU, the partition's smallest node memory / node CPUs.
- time limit: the one asked for; else the partition's ``default_time``; else its ``max_time``;
  else unlimited.
- partition: the one asked for, else the default partition.
- name: empty.
- priority: Slurm's priority/basic: each job gets one less than the lowest priority given so
  far (starting at 4294901760), minus its nice value; a held job has priority 0.
- user: when the gateway runs as root, the job runs as the token's user, who must exist on
  this host; otherwise it runs as the gateway's own account and the record carries the
  token's user name (with that user's uid/gid when the name exists locally).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from slurmgate.backends.local.arrays import ArraySpec, parse_array
from slurmgate.backends.local.dependencies import parse_dependency
from slurmgate.backends.local.sizing import apply_resources, check_fits
from slurmgate.backends.local.users import UserInfo, lookup_user
from slurmgate.backends.local.views import ClusterLayout, parse_licenses
from slurmgate.config import LocalSettings
from slurmgate.domain import (
    InvalidRequest,
    Job,
    JobSpec,
    JobState,
    JobStateReason,
    Partition,
    PermissionDenied,
    Principal,
    hostlist,
)
from slurmgate.domain.jobs import check_batch_script
from slurmgate.domain.slurm_errno import (
    ESLURM_ACCESS_DENIED,
    ESLURM_DEFAULT_PARTITION_NOT_SET,
    ESLURM_INVALID_ARRAY,
    ESLURM_INVALID_LICENSES,
    ESLURM_INVALID_NICE,
    ESLURM_INVALID_NODE_NAME,
    ESLURM_INVALID_PARTITION_NAME,
    ESLURM_INVALID_TIME_LIMIT,
    ESLURM_RESERVATION_INVALID,
    ESLURM_USER_ID_MISSING,
)

OWNER_CACHE_SECONDS = 60.0
OWNER_CACHE_SIZE = 4096


def _home_or_tmp(user: UserInfo) -> str:
    return user.home if os.path.isdir(user.home) else "/tmp"  # noqa: S108 - Slurm's fallback


_MAX_NICE = 2147483645


@dataclass(frozen=True, slots=True)
class Owner:
    """Who a job belongs to (its record) and who it runs as (uid/gid given only as root)."""

    user: UserInfo
    run_uid: int | None
    run_gid: int | None
    #: Where jobs that name no working directory run: the user's home if it exists.
    default_cwd: str = "/tmp"  # noqa: S108 - Slurm's fallback


@dataclass(slots=True)
class Draft:
    """One validated ``JobSpec``: a template record plus what only the launch needs."""

    template: Job
    array: ArraySpec | None
    script: str
    environment: dict[str, str]
    argv: list[str] = field(default_factory=list)
    append: bool = False
    #: Set by an administrator; None = priority/basic decides.
    priority: int | None = None

    @property
    def job_count(self) -> int:
        return len(self.array.task_ids) if self.array is not None else 1


def _invalid(description: str, number: int, error: str) -> InvalidRequest:
    return InvalidRequest(description, error_number=number, error=error)


def _absolute(path: str, what: str) -> str:
    if not path.startswith("/"):
        raise InvalidRequest(f"{what} must be an absolute path, not {path!r}")
    return os.path.normpath(path)


def _relative_to(path: str, cwd: str) -> str:
    return path if path.startswith("/") else os.path.join(cwd, path)


class SubmissionRules:
    """Validation and defaults for new jobs; pure apart from passwd lookups and one stat."""

    def __init__(
        self,
        settings: LocalSettings,
        layout: ClusterLayout,
        gateway_user: UserInfo,
        *,
        as_root: bool,
    ) -> None:
        self.settings = settings
        self.layout = layout
        self.gateway_user = gateway_user
        self.as_root = as_root
        # passwd lookups can go to the network (NSS); a minute-old answer is good enough.
        self._owners: dict[str, tuple[float, Owner]] = {}

    # -- who ----------------------------------------------------------------------------------

    def owner(self, principal: Principal) -> Owner:
        name = principal.user_name
        found = lookup_user(name)
        gw = self.gateway_user
        if found is not None and found.uid == gw.uid:
            found = gw  # the gateway's own account: its home is the process's
        if self.as_root:
            if found is None:
                raise PermissionDenied(
                    f"User {name!r} does not exist on this host",
                    error_number=ESLURM_USER_ID_MISSING,
                    error="Invalid user id",
                )
            return Owner(found, found.uid, found.gid, _home_or_tmp(found))
        user = found or UserInfo(
            name=name, uid=gw.uid, gid=gw.gid, home=gw.home, login_shell=gw.login_shell
        )
        return Owner(user, None, None, _home_or_tmp(user))

    def cached_owner(self, principal: Principal, now: float) -> Owner | None:
        """The owner looked up for this user less than a minute ago, if any."""
        found = self._owners.get(principal.user_name)
        if found is None or now - found[0] > OWNER_CACHE_SECONDS:
            return None
        return found[1]

    def remember_owner(self, owner: Owner, now: float) -> None:
        if len(self._owners) >= OWNER_CACHE_SIZE:
            self._owners.clear()  # a crude bound; lookups are cheap to redo
        self._owners[owner.user.name] = (now, owner)

    def default_environment(self, user: UserInfo) -> dict[str, str]:
        return {
            "PATH": self.settings.default_path,
            "HOME": user.home,
            "USER": user.name,
            "LOGNAME": user.name,
            "SHELL": user.login_shell,
            "LANG": "C.UTF-8",
        }

    # -- checks shared with updates -----------------------------------------------------------

    def partition_for(self, name: str | None) -> Partition:
        if name is None:
            if self.layout.default_partition is None:
                raise _invalid(
                    "No partition specified and no default partition is configured",
                    ESLURM_DEFAULT_PARTITION_NOT_SET,
                    "No partition specified or system default partition",
                )
            name = self.layout.default_partition
        partition = self.layout.partitions.get(name)
        if partition is None:
            available = ", ".join(self.layout.partitions)
            raise _invalid(
                f"Invalid partition name specified: {name!r} (available: {available})",
                ESLURM_INVALID_PARTITION_NAME,
                "Invalid partition name specified",
            )
        return partition

    def check_priority(
        self, principal: Principal, *, is_admin: bool, priority: int | None, nice: int | None
    ) -> None:
        if priority is not None and priority != 0 and not is_admin:
            raise PermissionDenied(
                f"User {principal.user_name!r} may not set a job's priority",
                error_number=ESLURM_ACCESS_DENIED,
            )
        if nice is not None:
            if abs(nice) > _MAX_NICE:
                raise _invalid(
                    f"Invalid nice value {nice}", ESLURM_INVALID_NICE, "Invalid --nice value"
                )
            if nice < 0 and not is_admin:
                raise PermissionDenied(
                    f"User {principal.user_name!r} may not set a negative nice value",
                    error_number=ESLURM_ACCESS_DENIED,
                )

    def default_time_limit(self, partition: Partition) -> int | None:
        if partition.default_time is not None:
            return partition.default_time
        return partition.max_time

    # -- the whole spec -----------------------------------------------------------------------

    def draft(
        self,
        principal: Principal,
        owner: Owner,
        spec: JobSpec,
        *,
        is_admin: bool,
        runs_script: bool,
        heterogeneous: bool,
        now: int,
    ) -> Draft:
        script = spec.script or ""
        if runs_script:
            check_batch_script(script)
        partition = self.partition_for(spec.partition)
        self.check_priority(principal, is_admin=is_admin, priority=spec.priority, nice=spec.nice)
        array = None
        if spec.array is not None:
            if heterogeneous:
                raise _invalid(
                    "A heterogeneous job cannot be a job array",
                    ESLURM_INVALID_ARRAY,
                    "Invalid job array specification",
                )
            array = parse_array(spec.array, self.settings.max_array_size)
        if spec.dependency:
            parse_dependency(spec.dependency)  # a malformed one is refused here, at submission
        if spec.time_limit is not None and spec.time_limit < 0:
            raise _invalid(
                f"Invalid time limit {spec.time_limit}",
                ESLURM_INVALID_TIME_LIMIT,
                "Requested time limit is invalid (missing or exceeds some limit)",
            )
        self._check_licenses(spec.licenses)
        if spec.reservation:
            if spec.reservation not in {r.name for r in self.layout.reservations()}:
                raise _invalid(
                    f"Requested reservation {spec.reservation!r} is invalid",
                    ESLURM_RESERVATION_INVALID,
                    "Requested reservation is invalid",
                )
        for text in (spec.required_nodes, spec.excluded_nodes):
            self._check_node_names(text)

        user = owner.user
        if spec.current_working_directory is not None:
            cwd = _absolute(spec.current_working_directory, "The working directory")
        else:
            cwd = owner.default_cwd
        default_out = "slurm-%A_%a.out" if array is not None else "slurm-%j.out"
        stdout = _relative_to(spec.standard_output or default_out, cwd)
        stderr = _relative_to(spec.standard_error, cwd) if spec.standard_error else stdout
        stdin = _relative_to(spec.standard_input or "/dev/null", cwd)
        hold = spec.hold or spec.priority == 0
        template = Job(
            job_id=0,
            name=spec.name or "",
            user_id=user.uid,
            user_name=user.name,
            group_id=user.gid,
            state=JobState.PENDING,
            partition=partition.name,
            account=spec.account or "",
            qos=spec.qos or "",
            reservation=spec.reservation or "",
            comment=spec.comment or "",
            wckey=spec.wckey or "",
            cluster=self.settings.cluster_name,
            nice=spec.nice or 0,
            submit_time=now,
            begin_time=spec.begin_time or 0,
            deadline=spec.deadline or 0,
            time_limit=(
                spec.time_limit
                if spec.time_limit is not None
                else self.default_time_limit(partition)
            ),
            time_minimum=spec.time_minimum or 0,
            current_working_directory=cwd,
            standard_output=stdout,
            standard_error=stderr,
            standard_input=stdin,
            dependency=spec.dependency or "",
            features=spec.constraints or "",
            licenses=spec.licenses or "",
            required_nodes=spec.required_nodes or "",
            excluded_nodes=spec.excluded_nodes or "",
            exclusive=bool(spec.exclusive),
            shared="none" if spec.exclusive else "",
            requeue=self.settings.job_requeue if spec.requeue is None else spec.requeue,
            tres_per_node=spec.tres_per_node or "",
            max_nodes=spec.max_nodes or 0,
            last_update=now,
        )
        if hold:
            template.state_reason = (
                JobStateReason.JOB_HELD_ADMIN if is_admin else JobStateReason.JOB_HELD_USER
            )
        if spec.kill_on_invalid_dependency:
            template.flags.append("KILL_INVALID_DEPEND")
        apply_resources(
            self.layout,
            template,
            partition,
            nodes=spec.min_nodes,
            tasks=spec.tasks,
            tasks_per_node=spec.tasks_per_node,
            cpus_per_task=spec.cpus_per_task,
            min_cpus_per_node=spec.minimum_cpus_per_node,
            memory_per_node=spec.memory_per_node,
            memory_per_cpu=spec.memory_per_cpu,
        )
        check_fits(self.layout, template, partition)
        environment = (
            dict(spec.environment)
            if spec.environment is not None
            else self.default_environment(user)
        )
        return Draft(
            template=template,
            array=array,
            script=script,
            environment=environment,
            argv=list(spec.argv),
            append=spec.open_mode == "append",
            priority=spec.priority or None,
        )

    def _check_licenses(self, text: str | None) -> None:
        if not text:
            return
        try:
            wanted = parse_licenses(text)
        except ValueError as exc:
            raise _invalid(
                f"Invalid license specification: {exc}",
                ESLURM_INVALID_LICENSES,
                "Invalid license specification",
            ) from exc
        totals = self.layout.license_totals
        for name, count in wanted.items():
            if name not in totals or count > totals[name]:
                raise _invalid(
                    f"Invalid license specification {name}:{count} "
                    f"(configured: {', '.join(f'{n}:{c}' for n, c in totals.items()) or 'none'})",
                    ESLURM_INVALID_LICENSES,
                    "Invalid license specification",
                )

    def _check_node_names(self, text: str | None) -> None:
        if not text:
            return
        for name in hostlist.expand(text):
            if name not in self.layout.node_configs:
                raise _invalid(
                    f"Invalid node name specified: {name!r}",
                    ESLURM_INVALID_NODE_NAME,
                    "Invalid node name specified",
                )
