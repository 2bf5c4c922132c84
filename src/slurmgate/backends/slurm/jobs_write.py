"""JobSpec -> job_desc_msg_t for slurm_submit_batch_job (and each component of a het job).

The mapping is slurmrestd 22.05's: ``slurm_opt_create_job_desc`` (src/common/slurm_opt.c,
with set_defaults) and ``_fill_job_desc_from_opts``/``_parse_job_desc`` (v0.0.38 jobs.c),
including the SLURM_* variables slurmrestd adds to the job's environment. Where slurmrestd
refuses an sbatch option that slurmgate accepts (cpu_binding, distribution, hint), the value
is applied as sbatch applies it.

Every C string and array is allocated with ``ffi.new`` and appended to ``keep``: the caller
keeps that list alive until the submit call returns.
"""

from __future__ import annotations

import pwd
import socket
from collections.abc import Callable, Mapping
from typing import Any

from slurmgate.backends.slurm import jobs_options as options
from slurmgate.backends.slurm.cvalues import cstring
from slurmgate.backends.slurm.jobs_update import fill_job_update
from slurmgate.domain import JobSpec

#: PATH of a job whose submission gave no environment (and the caller no default).
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def _str(ffi: Any, keep: list[Any], field: str, value: str | None) -> Any:
    try:
        return cstring(ffi, keep, value)
    except ValueError:
        raise options.invalid(field, "contains a NUL character") from None


def string_array(ffi: Any, keep: list[Any], field: str, values: list[str]) -> Any:
    """A NULL-terminated ``char **`` of ``values``, every part kept alive by ``keep``."""
    pointers = [_str(ffi, keep, field, v) for v in values]
    array = ffi.new("char *[]", [*pointers, ffi.NULL])
    keep.append(array)
    return array


def environment(
    spec_env: Mapping[str, str] | None, default: Mapping[str, str] | None, user_id: int
) -> dict[str, str]:
    """The job's variables: as submitted, else the caller's default, else a login's basics."""
    if spec_env is not None:
        return dict(spec_env)
    if default is not None:
        return dict(default)
    try:
        entry = pwd.getpwuid(user_id)
    except KeyError:
        return {"PATH": DEFAULT_PATH}
    return {
        "PATH": DEFAULT_PATH,
        "HOME": entry.pw_dir,
        "USER": entry.pw_name,
        "LOGNAME": entry.pw_name,
        "SHELL": entry.pw_shell,
    }


def home_directory(user_id: int) -> str | None:
    try:
        return pwd.getpwuid(user_id).pw_dir
    except KeyError:
        return None


def _check_env(env: Mapping[str, str]) -> None:
    for name in env:
        if not name or "=" in name:
            raise options.invalid("environment", f"invalid variable name {name!r}")


def _memory(ffi: Any, spec: JobSpec) -> int | None:
    if spec.memory_per_node is not None and spec.memory_per_cpu is not None:
        raise options.invalid(
            "memory_per_cpu", "memory_per_node and memory_per_cpu are mutually exclusive"
        )
    for field, value in (
        ("memory_per_node", spec.memory_per_node),
        ("memory_per_cpu", spec.memory_per_cpu),
    ):
        if value is not None and not 0 <= value < options.MEM_LIMIT:
            raise options.invalid(field, f"out of range: {value}")
    if spec.memory_per_node is not None:
        return spec.memory_per_node
    if spec.memory_per_cpu is not None:
        return int(spec.memory_per_cpu | ffi.integer_const("MEM_PER_CPU"))
    return None


def _core_spec(ffi: Any, spec: JobSpec) -> int | None:
    thread_flag = int(ffi.integer_const("CORE_SPEC_THREAD"))
    if spec.core_specification is not None and spec.thread_specification is not None:
        raise options.invalid(
            "thread_specification",
            "core_specification and thread_specification are mutually exclusive",
        )
    if spec.core_specification is not None:
        if not 0 <= spec.core_specification < thread_flag:
            raise options.invalid("core_specification", f"out of range: {spec.core_specification}")
        return spec.core_specification
    if spec.thread_specification is not None:
        if not 0 < spec.thread_specification < thread_flag:
            raise options.invalid("thread_specification", f"must be 1 to {thread_flag - 1}")
        return spec.thread_specification | thread_flag
    return None


def _bitflags(ffi: Any, spec: JobSpec) -> int:
    bits = 0
    if spec.kill_on_invalid_dependency is not None:
        name = "KILL_INV_DEP" if spec.kill_on_invalid_dependency else "NO_KILL_INV_DEP"
        bits |= ffi.integer_const(name)
    if spec.minimum_nodes:
        bits |= ffi.integer_const("USE_MIN_NODES")
    if spec.spread_job:
        bits |= ffi.integer_const("SPREAD_JOB")
    if spec.gres_flags is not None:
        names = {"disable-binding": "GRES_DISABLE_BIND", "enforce-binding": "GRES_ENFORCE_BIND"}
        if spec.gres_flags.lower() not in names:
            raise options.invalid(
                "gres_flags",
                f'expected "disable-binding" or "enforce-binding", got {spec.gres_flags!r}',
            )
        bits |= ffi.integer_const(names[spec.gres_flags.lower()])
    if spec.tasks is not None:
        bits |= ffi.integer_const("JOB_NTASKS_SET")
    if spec.cpus_per_task is not None:
        bits |= ffi.integer_const("JOB_CPUS_SET")
    return int(bits)


def _strings(ffi: Any, desc: Any, spec: JobSpec, keep: list[Any]) -> None:
    """The text fields that pass through unchanged."""
    for field, value in (
        ("name", spec.name),
        ("partition", spec.partition),
        ("account", spec.account),
        ("qos", spec.qos),
        ("reservation", spec.reservation),
        ("comment", spec.comment),
        ("wckey", spec.wckey),
        ("licenses", spec.licenses),
        ("features", spec.constraints),
        ("prefer", spec.prefer),
        ("cluster_features", spec.cluster_constraint),
        ("batch_features", spec.batch_features),
        ("burst_buffer", spec.burst_buffer),
        ("container", spec.container),
        ("mcs_label", spec.mcs_label),
        ("dependency", spec.dependency),
        ("array_inx", spec.array),
        ("req_nodes", spec.required_nodes),
        ("exc_nodes", spec.excluded_nodes),
        ("std_out", spec.standard_output),
        ("std_err", spec.standard_error),
        ("std_in", spec.standard_input),
        ("mail_user", spec.mail_user),
        ("script", spec.script),
    ):
        if value is not None:
            setattr(desc, field, _str(ffi, keep, field, value))


def _counts(ffi: Any, desc: Any, spec: JobSpec) -> None:
    """Nodes, tasks and CPUs, with slurm_opt_create_job_desc's min_cpus rule."""
    tasks = 1 if spec.tasks is None else spec.tasks  # sbatch's default ntasks
    if spec.cpus_per_task is not None:
        min_cpus = tasks * spec.cpus_per_task
    elif spec.min_nodes == 0:
        min_cpus = 0
    else:
        min_cpus = tasks
    min_nodes, max_nodes = spec.min_nodes, spec.max_nodes or None  # max 0: no maximum
    if min_nodes is None:
        min_nodes, max_nodes = (0 if spec.tasks == 0 else None), None
    options.set_numbers(
        ffi,
        desc,
        [
            ("min_nodes", "min_nodes", min_nodes),
            ("max_nodes", "max_nodes", max_nodes),
            ("tasks", "num_tasks", spec.tasks),
            ("cpus_per_task", "cpus_per_task", spec.cpus_per_task),
            ("tasks", "min_cpus", min_cpus),
            ("tasks_per_node", "ntasks_per_node", spec.tasks_per_node),
            ("tasks_per_socket", "ntasks_per_socket", spec.tasks_per_socket),
            ("tasks_per_core", "ntasks_per_core", spec.tasks_per_core),
            ("sockets_per_node", "sockets_per_node", spec.sockets_per_node),
            ("cores_per_socket", "cores_per_socket", spec.cores_per_socket),
            ("threads_per_core", "threads_per_core", spec.threads_per_core),
            ("minimum_cpus_per_node", "pn_min_cpus", spec.minimum_cpus_per_node),
        ],
    )
    if spec.cpu_binding_hint is not None:
        if spec.tasks_per_core is not None or spec.threads_per_core is not None:
            raise options.invalid(
                "cpu_binding_hint",
                "cannot be combined with tasks_per_core or threads_per_core",
            )
        # The hint's "any" values are NO_VAL16 on purpose: set directly.
        for member, value in options.hint(spec.cpu_binding_hint).items():
            setattr(desc, member, value)


def _tres(ffi: Any, desc: Any, spec: JobSpec, keep: list[Any]) -> None:
    """GPU and GRES requests as TRES strings (xfmt_tres, gres_prepend_tres_type)."""

    def gpus(field: str, value: str | None) -> str | None:
        return None if value is None else options.gpu_tres(field, value)

    per_node = options.join_tres(
        gpus("gpus_per_node", spec.gpus_per_node),
        spec.tres_per_node,
        None if spec.gres is None else options.gres(spec.gres),
    )
    for field, value in (
        ("tres_per_job", gpus("gpus", spec.gpus)),
        ("tres_per_node", per_node),
        ("tres_per_socket", gpus("gpus_per_socket", spec.gpus_per_socket)),
        ("tres_per_task", gpus("gpus_per_task", spec.gpus_per_task)),
        ("cpus_per_tres", _per_gpu(spec.cpus_per_gpu)),
        ("mem_per_tres", _per_gpu(spec.memory_per_gpu)),
        ("tres_bind", _maybe(options.gpu_binding, ffi, spec.gpu_binding)),
        ("tres_freq", _maybe(options.gpu_frequency, ffi, spec.gpu_frequency)),
    ):
        if value is not None:
            setattr(desc, field, _str(ffi, keep, field, value))


def _maybe(parse: Callable[[Any, str], str], ffi: Any, value: str | None) -> str | None:
    return None if value is None else parse(ffi, value)


def _per_gpu(value: int | None) -> str | None:
    return None if value is None else f"gres:gpu:{value}"


def fill_job_desc(
    ffi: Any,
    lib: Any,
    desc: Any,
    spec: JobSpec,
    *,
    user_id: int,
    group_id: int,
    keep: list[Any],
    default_environment: Mapping[str, str] | None = None,
) -> None:
    """Fill ``desc`` (already through slurm_init_job_desc_msg) from ``spec``.

    ``user_id``/``group_id`` are the authenticated user's; slurmctld checks them against
    the credential. A spec without environment gets ``default_environment``, or failing
    that HOME, USER, LOGNAME, SHELL and PATH from the password database; one without a
    working directory runs in the user's home (slurmrestd would use its own directory).
    """
    desc.user_id = user_id
    desc.group_id = group_id
    desc.contiguous = 0  # set_defaults: sbatch's defaults, not "unset"
    desc.mail_type = 0
    _strings(ffi, desc, spec, keep)
    _counts(ffi, desc, spec)
    _tres(ffi, desc, spec, keep)
    desc.bitflags |= _bitflags(ffi, spec)

    options.set_numbers(
        ffi,
        desc,
        [
            ("time_limit", "time_limit", spec.time_limit),
            ("time_minimum", "time_min", spec.time_minimum),
            ("begin_time", "begin_time", spec.begin_time),
            ("deadline", "deadline", spec.deadline),
            ("delay_boot", "delay_boot", spec.delay_boot),
            ("priority", "priority", None if spec.hold else spec.priority),
        ],
    )
    if spec.nice is not None:
        if abs(spec.nice) >= options.NICE_LIMIT:
            raise options.invalid("nice", f"out of range: {spec.nice}")
        desc.nice = ffi.integer_const("NICE_OFFSET") + spec.nice
    if spec.hold:
        desc.priority = 0
    memory = _memory(ffi, spec)
    if memory is not None:
        desc.pn_min_memory = memory
    core_spec = _core_spec(ffi, spec)
    if core_spec is not None:
        desc.core_spec = core_spec
    shared = options.shared(ffi, spec.exclusive, spec.exclusive_scope, spec.oversubscribe)
    if shared is not None:
        desc.shared = shared
    if spec.requeue is not None:
        desc.requeue = int(spec.requeue)
    if spec.no_kill:
        desc.kill_on_node_fail = 0
    if spec.wait_all_nodes is not None:
        desc.wait_all_nodes = int(spec.wait_all_nodes)
    if spec.open_mode is not None:
        desc.open_mode = options.open_mode(ffi, spec.open_mode)
    if spec.mail_type is not None:
        desc.mail_type = options.mail_type(ffi, spec.mail_type)
    if spec.signal is not None:
        desc.warn_signal, desc.warn_time, desc.warn_flags = options.warning_signal(ffi, spec.signal)
    if spec.account_gather_frequency is not None:
        desc.acctg_freq = options.accounting_frequency(ffi, keep, spec.account_gather_frequency)
    if spec.cpu_frequency is not None:
        desc.cpu_freq_min, desc.cpu_freq_max, desc.cpu_freq_gov = options.cpu_frequency(
            ffi, spec.cpu_frequency
        )
    if spec.distribution is not None:
        desc.task_dist, plane = options.distribution(ffi, spec.distribution)
        if plane is not None:
            desc.plane_size = plane
    if spec.memory_binding is not None:
        desc.mem_bind, desc.mem_bind_type = options.memory_binding(ffi, keep, spec.memory_binding)
    if spec.cpu_binding is not None:
        desc.cpu_bind, desc.cpu_bind_type = options.cpu_binding(ffi, keep, spec.cpu_binding)

    cwd = spec.current_working_directory or home_directory(user_id) or "/tmp"  # noqa: S108
    desc.work_dir = _str(ffi, keep, "current_working_directory", cwd)
    if spec.argv:
        desc.argc = len(spec.argv)
        desc.argv = string_array(ffi, keep, "argv", spec.argv)

    env = environment(spec.environment, default_environment, user_id)
    _check_env(env)
    env.update(_added_variables(spec))
    # sbatch exports where the job was submitted from; scripts rely on SLURM_SUBMIT_DIR.
    env.setdefault("SLURM_SUBMIT_DIR", cwd)
    env.setdefault("SLURM_SUBMIT_HOST", socket.gethostname())
    desc.env_size = len(env)
    desc.environment = string_array(ffi, keep, "environment", [f"{k}={v}" for k, v in env.items()])


def _added_variables(spec: JobSpec) -> dict[str, str]:
    """What slurmrestd adds to the job's environment (_parse_job_desc, _opt_verify)."""
    added: dict[str, str] = {}
    if spec.get_user_environment:
        added["SLURM_GET_USER_ENV"] = "1"
    if spec.name is not None:
        added["SLURM_JOB_NAME"] = spec.name
    if spec.open_mode is not None:
        added["SLURM_OPEN_MODE"] = "a" if spec.open_mode.lower() == "append" else "t"
    if spec.dependency is not None:
        added["SLURM_JOB_DEPENDENCY"] = spec.dependency
    if spec.account_gather_frequency is not None:
        added["SLURM_ACCTG_FREQ"] = spec.account_gather_frequency
    if spec.cpu_frequency is not None:
        added["SLURM_CPU_FREQ_REQ"] = spec.cpu_frequency
    if spec.cpu_binding_hint is not None:
        added["SLURM_HINT"] = spec.cpu_binding_hint  # as sbatch's verify_hint exports it
    return added


__all__ = ["fill_job_desc", "fill_job_update"]  # updates live in jobs_update, for size
