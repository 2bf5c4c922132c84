"""sbatch's option grammar for the values JobSpec passes through as text.

Where libslurm has the parser (CPU frequency, task distribution, memory and CPU binding, GPU
binding and frequency, accounting frequency, signal names) it is called, so a value means
exactly what it means to sbatch; those parsers are exported by libslurmfull but not declared
in slurm.h, hence ``libslurm_function``. The rest follows src/common/slurm_opt.c and
proc_args.c (22.05). Every refusal is an ``InvalidRequest`` naming the field.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from slurmgate.backends.slurm.cvalues import INFINITE16, NO_VAL, NO_VAL16, libslurm_function, text
from slurmgate.domain import InvalidRequest
from slurmgate.domain.slurm_errno import ESLURM_REST_FAIL_PARSING

SLURM_ERROR = 0xFFFFFFFF  # verify_dist_type's -1, read as the uint32 it returns
#: |nice| must stay below this (NICE_OFFSET - 3, as slurmrestd checks it).
NICE_LIMIT = 0x7FFFFFFD
#: Memory amounts (MiB) stay below the MEM_PER_CPU bit.
MEM_LIMIT = 1 << 63


def invalid(field: str, message: str) -> InvalidRequest:
    """A refused value, reported as slurmrestd reports a bad job property."""
    return InvalidRequest(
        f"{field}: {message}",
        error_number=ESLURM_REST_FAIL_PARSING,
        error="Failure during parsing",
        source=field,
    )


def set_numbers(ffi: Any, desc: Any, values: Iterable[tuple[str, str, int | None]]) -> None:
    """Set each given (field name, C member, value); None leaves the member as it is.

    A value the member cannot hold is refused by its field name; so is one that an unsigned
    member would read as NO_VAL or INFINITE, since slurmctld would take it for "not set".
    """
    limits = _unsigned_limits(ffi, ffi.typeof(desc).item)
    for field, member, value in values:
        if value is None:
            continue
        limit = limits.get(member)
        if limit is not None and not 0 <= value < limit:
            raise invalid(field, f"out of range: {value} (0 to {limit - 1})")
        try:
            setattr(desc, member, value)
        except OverflowError:
            raise invalid(field, f"out of range: {value}") from None


@functools.cache
def _unsigned_limits(ffi: Any, struct: Any) -> dict[str, int]:
    """Per unsigned member of ``struct``: its NO_VAL, the first value it may not hold.

    Once per struct type: listing a struct's ~150 members took a tenth of a submission's time.
    """
    limits = {}
    for member, field in struct.fields:
        if field.type.kind == "primitive" and field.type.cname.startswith("uint"):
            limits[member] = (1 << (8 * ffi.sizeof(field.type))) - 2
    return limits


def _c(ffi: Any, name: str, signature: str) -> Any:
    return libslurm_function(ffi, name, signature)


# -- mail, signal, open mode, sharing -------------------------------------------------------

_MAIL_TYPES = {
    "BEGIN": ("MAIL_JOB_BEGIN",),
    "END": ("MAIL_JOB_END",),
    "FAIL": ("MAIL_JOB_FAIL",),
    "REQUEUE": ("MAIL_JOB_REQUEUE",),
    "INVALID_DEPEND": ("MAIL_INVALID_DEPEND",),
    "STAGE_OUT": ("MAIL_JOB_STAGE_OUT",),
    "ARRAY_TASKS": ("MAIL_ARRAY_TASKS",),
    "TIME_LIMIT": ("MAIL_JOB_TIME100",),
    "TIME_LIMIT_90": ("MAIL_JOB_TIME90",),
    "TIME_LIMIT_80": ("MAIL_JOB_TIME80",),
    "TIME_LIMIT_50": ("MAIL_JOB_TIME50",),
    "ALL": (
        "MAIL_INVALID_DEPEND",
        "MAIL_JOB_BEGIN",
        "MAIL_JOB_END",
        "MAIL_JOB_FAIL",
        "MAIL_JOB_REQUEUE",
        "MAIL_JOB_STAGE_OUT",
    ),
}


def mail_type(ffi: Any, value: str) -> int:
    """``"BEGIN,END"`` -> MAIL_* bits (parse_mail_type); NONE clears them.

    Slurm skips unknown words when another is valid; they are refused here, since a typo
    would otherwise silently drop a notification.
    """
    bits = 0
    for word in (w.strip().upper() for w in value.split(",") if w.strip()):
        if word == "NONE":
            return 0
        names = _MAIL_TYPES.get(word)
        if names is None:
            raise invalid(
                "mail_type",
                f"unknown mail type {word!r} (expected NONE or {', '.join(_MAIL_TYPES)})",
            )
        for name in names:
            bits |= ffi.integer_const(name)
    if not bits:
        raise invalid("mail_type", "no mail type given")
    return bits


def signal_number(ffi: Any, name: str) -> int:
    """A signal name ("USR1", "SIGUSR1") or number, as sig_name2num reads it; 0 if unknown."""
    return int(_c(ffi, "sig_name2num", "int (*)(const char *)")(name.encode()))


def warning_signal(ffi: Any, value: str) -> tuple[int, int, int]:
    """``[R][B]:<sig>[@<seconds>]`` (sbatch --signal) -> (warn_signal, warn_time, warn_flags)."""
    rest, flags = value.strip(), 0
    for _ in range(2):  # "R", "B", "RB" or "BR" before the colon
        head = rest[:1].upper()
        if head == "R":
            flags |= ffi.integer_const("KILL_JOB_RESV")
        elif head == "B":
            flags |= ffi.integer_const("KILL_JOB_BATCH")
        else:
            break
        rest = rest[1:]
    rest = rest.removeprefix(":")
    name, at, seconds = rest.partition("@")
    number = signal_number(ffi, name) if name and "\0" not in name else 0
    if not 1 <= number <= 0xFFFF:
        raise invalid("signal", f"invalid signal specification {value!r} (e.g. B:USR1@60)")
    if not at:
        return number, 60, flags  # sbatch's default warning time
    if not (seconds.isascii() and seconds.isdigit()) or int(seconds) > 0xFFFF:
        raise invalid("signal", f"invalid warning time in {value!r} (seconds, 0-65535)")
    return number, int(seconds), flags


def open_mode(ffi: Any, value: str) -> int:
    mode = value.strip().lower()
    if mode == "append":
        return int(ffi.integer_const("OPEN_MODE_APPEND"))
    if mode == "truncate":
        return int(ffi.integer_const("OPEN_MODE_TRUNCATE"))
    raise invalid("open_mode", f'expected "append" or "truncate", got {value!r}')


def shared(
    ffi: Any, exclusive: bool | None, scope: str | None, oversubscribe: bool | None
) -> int | None:
    """job_desc.shared from --exclusive[=user|mcs] and --oversubscribe; None = default."""
    if exclusive:
        if scope is None:
            return int(ffi.integer_const("JOB_SHARED_NONE"))
        names = {"user": "JOB_SHARED_USER", "mcs": "JOB_SHARED_MCS"}
        if scope.lower() not in names:
            raise invalid("exclusive", f'expected "user" or "mcs" as the scope, got {scope!r}')
        return int(ffi.integer_const(names[scope.lower()]))
    if oversubscribe:
        return int(ffi.integer_const("JOB_SHARED_OK"))
    return None


# -- TRES strings ---------------------------------------------------------------------------


def gres(value: str) -> str | None:
    """--gres: each item gets the "gres:" prefix (gres_prepend_tres_type); "none" is none."""
    if value.strip().lower() == "none":
        return None
    items = [item.strip() for item in value.split(",")]
    if not all(items):
        raise invalid("gres", f"empty item in {value!r}")
    return ",".join(item if item.startswith("gres:") else f"gres:{item}" for item in items)


def gpu_tres(field: str, value: str) -> str:
    """--gpus* values: "2" or "tesla:2,k80:1" -> "gres:gpu:2" ... (xfmt_tres)."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise invalid(field, "no GPU count given")
    return ",".join(f"gres:gpu:{item}" for item in items)


def join_tres(*parts: str | None) -> str | None:
    joined = ",".join(p for p in parts if p)
    return joined or None


def gpu_binding(ffi: Any, value: str) -> str:
    tres = f"gpu:{value}"
    if _c(ffi, "tres_bind_verify_cmdline", "int (*)(const char *)")(tres.encode()):
        raise invalid("gpu_binding", f"invalid GPU binding {value!r}")
    return tres


def gpu_frequency(ffi: Any, value: str) -> str:
    tres = f"gpu:{value}"
    if _c(ffi, "tres_freq_verify_cmdline", "int (*)(const char *)")(tres.encode()):
        raise invalid("gpu_frequency", f"invalid GPU frequency {value!r}")
    return tres


def accounting_frequency(ffi: Any, keep: list[Any], value: str) -> Any:
    """The string for desc.acctg_freq, checked by validate_acctg_freq (it takes char *)."""
    data = ffi.new("char[]", value.encode())
    keep.append(data)
    if _c(ffi, "validate_acctg_freq", "int (*)(char *)")(data):
        raise invalid("account_gather_frequency", f"invalid accounting frequency {value!r}")
    return data


# -- CPU frequency, distribution, bindings, hint --------------------------------------------


def cpu_frequency(ffi: Any, value: str) -> tuple[int, int, int]:
    """--cpu-freq ("low", "2400000", "1200000-2400000:performance") -> (min, max, governor)."""
    out = ffi.new("uint32_t[3]", [NO_VAL, NO_VAL, NO_VAL])
    verify = _c(
        ffi,
        "cpu_freq_verify_cmdline",
        "int (*)(const char *, uint32_t *, uint32_t *, uint32_t *)",
    )
    if verify(value.encode(), out + 0, out + 1, out + 2):
        raise invalid("cpu_frequency", f"invalid CPU frequency {value!r}")
    return out[0], out[1], out[2]


def distribution(ffi: Any, value: str) -> tuple[int, int | None]:
    """-m/--distribution -> (task_dist, plane size or None), by verify_dist_type."""
    plane = ffi.new("uint32_t *", NO_VAL)
    verify = _c(ffi, "verify_dist_type", "uint32_t (*)(const char *, uint32_t *)")
    dist = int(verify(value.encode(), plane))
    if dist == SLURM_ERROR:
        raise invalid("distribution", f"invalid task distribution {value!r}")
    return dist, None if plane[0] == NO_VAL else int(plane[0])


def _binding(ffi: Any, keep: list[Any], field: str, function: str, value: str) -> tuple[Any, int]:
    if "help" in value.lower():  # libslurm would print its help text on our stdout
        raise invalid(field, "help is not available here")
    out = ffi.new("char **")
    flags = ffi.new("int *", 0)  # cpu_bind_type_t / mem_bind_type_t: enums, int-sized
    verify = _c(ffi, function, "int (*)(const char *, char **, int *)")
    failed = verify(value.encode(), out, flags)
    found = ffi.NULL
    if out[0] != ffi.NULL:
        # The parser allocated the string with xmalloc: copy it, then give it back.
        found = ffi.new("char[]", text(ffi, out[0]).encode())
        keep.append(found)
        _c(ffi, "slurm_xfree", "void (*)(void **)")(ffi.cast("void **", out))
    if failed:
        raise invalid(field, f"invalid {field.replace('_', ' ')} {value!r}")
    return found, flags[0] & 0xFFFF


def memory_binding(ffi: Any, keep: list[Any], value: str) -> tuple[Any, int]:
    """--mem-bind -> (mem_bind, mem_bind_type), by slurm_verify_mem_bind."""
    return _binding(ffi, keep, "memory_binding", "slurm_verify_mem_bind", value)


def cpu_binding(ffi: Any, keep: list[Any], value: str) -> tuple[Any, int]:
    """--cpu-bind -> (cpu_bind, cpu_bind_type), by slurm_verify_cpu_bind."""
    return _binding(ffi, keep, "cpu_binding", "slurm_verify_cpu_bind", value)


def hint(value: str) -> dict[str, int]:
    """--hint as sbatch applies it (verify_hint): job_desc fields to set, by name.

    verify_hint's NO_VAL means "any" for these 16-bit fields, i.e. NO_VAL16.
    """
    fields: dict[str, int] = {}
    for word in (w.strip().lower() for w in value.split(",") if w.strip()):
        if word == "compute_bound":
            fields.update(sockets_per_node=NO_VAL16, cores_per_socket=NO_VAL16, threads_per_core=1)
        elif word == "memory_bound":
            fields.update(cores_per_socket=1, threads_per_core=1)
        elif word == "multithread":
            fields.update(threads_per_core=NO_VAL16, ntasks_per_core=INFINITE16)
        elif word == "nomultithread":
            fields.update(threads_per_core=1)
        else:
            raise invalid(
                "cpu_binding_hint",
                f"unknown hint {word!r} (expected compute_bound, memory_bound, multithread"
                " or nomultithread)",
            )
    return fields
