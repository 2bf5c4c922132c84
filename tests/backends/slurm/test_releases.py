"""Which release's API the binding is built for, and the start-up error for one it cannot bind.

These need a C compiler and Slurm's headers (libslurm-dev), not a running cluster: they build
against copies of the installed headers, changed to stand for a release slurmgate does not know.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slurmgate.backends.base import Capability
from slurmgate.backends.slurm import binding, releases
from slurmgate.backends.slurm.backend import capabilities_of
from slurmgate.domain.errors import ConfigError

INSTALLED = Path("/usr/include")


def _macros(version: tuple[int, int, int]) -> dict[str, int]:
    """Every SLURMGATE_* feature macro as the C preprocessor evaluates it for ``version``."""
    names = [f"SLURMGATE_{change.name.upper()}" for change in releases.CHANGES]
    number = (version[0] << 16) + (version[1] << 8) + version[2]
    source = "\n".join(
        [
            "#include <stdio.h>",
            f"#define SLURM_VERSION_NUMBER {number:#x}",
            "#define SLURM_VERSION_NUM(a,b,c) (((a) << 16) + ((b) << 8) + (c))",
            releases.PREAMBLE.split("#include <slurm/slurmdb.h>\n", 1)[1].split("\n\n", 1)[0],
            "int main(void) {",
            *(f'printf("%s=%d\\n", "{n}", (int) ({n}));' for n in names),
            "return 0; }",
        ]
    )
    return _run_c(source)


def _run_c(source: str) -> dict[str, int]:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"sg-macros-{os.getpid()}"  # noqa: S108
    workdir.mkdir(exist_ok=True)
    try:
        program = workdir / "macros"
        subprocess.run(
            ["cc", "-x", "c", "-", "-o", str(program)], input=source, text=True, check=True
        )
        out = subprocess.run([str(program)], capture_output=True, text=True, check=True).stdout
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {k: int(v) for k, v in (line.split("=") for line in out.split())}


def _changed(macros: dict[str, int]) -> set[str]:
    return {name.removeprefix("SLURMGATE_").lower() for name, on in macros.items() if on}


def test_22_05_has_none_of_the_changes() -> None:
    assert _changed(_macros((22, 5, 8))) == set()


def test_24_11_has_the_changes_up_to_its_release() -> None:
    assert _changed(_macros((24, 11, 5))) == {
        "list_t",
        "reason_u32",
        "node_resume_after",
        "no_resized_bits",
        "shares_call",
        "kill_jobs",
        "partition_flags_u32",
        "no_resv_watts",
        "reason_string",
        "no_get_errno",
        "no_cpus_on_node_id",
        "no_job_show_flags",
        "job_rec_extra",
        "lineage",
        "instances",
        "job_rec_stdio",
        "acct_cond_flags",
        "assoc_cond_flags",
        "job_rec_qos_req",
        "dbd_ping",
    }


def test_26_05_has_every_change() -> None:
    assert _changed(_macros((26, 5, 5))) == {c.name for c in releases.CHANGES}


def test_a_change_counts_from_the_first_release_of_its_series() -> None:
    # 25.11.0 has what 25.11 changed; 25.05.9 does not.
    assert "step_id_msgs" in _changed(_macros((25, 11, 0)))
    assert "step_id_msgs" not in _changed(_macros((25, 5, 9)))
    assert [c.name for c in releases.changes_in((25, 5, 0))][-1] == "step_rec_stdio"


def test_has_answers_for_a_row_of_the_table() -> None:
    assert not releases.has((22, 5, 8), "kill_jobs")
    assert releases.has((24, 5, 0), "kill_jobs")
    assert not releases.has((24, 11, 5), "resource_layout")
    assert releases.has((25, 11, 0), "resource_layout")
    with pytest.raises(KeyError):
        releases.has((26, 5, 0), "no_such_change")


def test_the_resource_layout_is_a_capability_from_25_11_only() -> None:
    assert Capability.RESOURCE_LAYOUT not in capabilities_of((24, 11, 5))
    assert capabilities_of((26, 5, 5)) == frozenset(Capability)
    assert Capability.SIGNAL_MANY in capabilities_of((22, 5, 8))  # loaded and chosen here


def test_accounting_is_a_capability_of_every_release_and_instances_from_23_11() -> None:
    for version in ((22, 5, 8), (24, 11, 5), (26, 5, 5)):
        assert {Capability.ACCOUNTING, Capability.ACCOUNTING_ADMIN, Capability.WCKEYS} <= (
            capabilities_of(version)
        )
    assert Capability.INSTANCES not in capabilities_of((22, 5, 8))
    assert Capability.INSTANCES in capabilities_of((24, 11, 5))


def test_the_supported_releases_are_the_tested_ones() -> None:
    assert binding.SUPPORTED_RELEASES == ("22.05", "24.11", "26.05")


# -- the start-up error ---------------------------------------------------------------------


def _headers(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    """A copy of the installed headers with one edit to slurm.h, saying it is a release no one
    has made: the installed one's series, micro version 99 (the same table rows apply)."""
    if not (INSTALLED / "slurm" / "slurm.h").is_file():
        pytest.skip("Slurm's headers are not installed (libslurm-dev)")
    include = tmp_path / "include"
    shutil.copytree(INSTALLED / "slurm", include / "slurm")
    major, minor, _ = binding.header_version(include)
    version_h = include / "slurm" / "slurm_version.h"
    version_h.write_text(
        re.sub(
            r"#define SLURM_VERSION_NUMBER \S+",
            f"#define SLURM_VERSION_NUMBER {(major << 16) + (minor << 8) + 99:#x}",
            version_h.read_text(),
        )
    )
    if edit is not None:
        slurm_h = include / "slurm" / "slurm.h"
        text = slurm_h.read_text()
        assert edit[0] in text
        slurm_h.write_text(text.replace(edit[0], edit[1], 1))
    return include


def _release(include: Path) -> str:
    major, minor, micro = binding.header_version(include)
    return f"Slurm {major}.{minor:02d}.{micro}"


def _build_error(tmp_path: Path, include: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        binding._build(tmp_path / "cache", "_sg_test_unbindable", include)
    message = caught.value.description
    assert "\n" not in message
    return message


def test_a_missing_field_names_the_release_and_the_declaration(tmp_path: Path) -> None:
    include = _headers(tmp_path, ("\tchar *burst_buffer_state;", ""))
    message = _build_error(tmp_path, include)
    assert message.startswith(f"{_release(include)} ({include}/slurm/slurm.h) cannot be bound")
    assert "(supported releases: 22.05, 24.11, 26.05)" in message
    assert "job_info_t.burst_buffer_state: " in message
    assert "has no member named 'burst_buffer_state'" in message


def test_a_field_of_another_width_is_refused_at_build_time(tmp_path: Path) -> None:
    include = _headers(tmp_path, ("\tuint32_t job_state;", "\tuint16_t job_state;"))
    message = _build_error(tmp_path, include)
    assert message.startswith(f"{_release(include)} (")
    assert "wrong size for field 'job_state' (cdef says 4, but C compiler says 2)" in message


def test_a_removed_function_is_refused_not_called_blind(tmp_path: Path) -> None:
    include = _headers(tmp_path, ("extern int slurm_ping(int dest);", ""))
    assert "slurm_ping(): implicit declaration of function 'slurm_ping'" in _build_error(
        tmp_path, include
    )


def test_first_failure_reads_gcc_clang_and_cffi() -> None:
    first = binding.first_failure
    gcc = (
        "x.c: In function 'f':\n"
        "x.c:12:3: error: 'JOB_RESIZED' undeclared (first use in this function)\n"
        "x.c:40:1: error: unknown type name 'list_t'\n"
    )
    assert first(gcc) == "JOB_RESIZED: 'JOB_RESIZED' undeclared (first use in this function)"
    clang = "x.c:9:20: error: no member named 'resv_watts' in 'struct reserve_info'\n"
    assert first(clang).startswith("struct reserve_info.resv_watts: ")
    cffi = (
        "Traceback (most recent call last):\n  ...\n"
        "cffi.CDefError: <cdef source string>:5: unknown type name 'foo_t'\n"
    )
    assert first(cffi) == "<cdef source string>:5: unknown type name 'foo_t'"
    assert first("") == "the build failed without a message"


def test_serve_prints_one_line_and_fails(tmp_path: Path) -> None:
    include = _headers(tmp_path, ("\tchar *burst_buffer_state;", ""))
    try:
        library = binding.find_library(None)
    except ConfigError as exc:
        pytest.skip(exc.description)
    conf = tmp_path / "slurm.conf"
    conf.write_text("ClusterName=c\nSlurmctldHost=localhost\n")
    key = tmp_path / "jwt_hs256.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    env = {
        **os.environ,
        "SLURMGATE_SLURM__CONF": str(conf),
        "SLURMGATE_SLURM__INCLUDE_DIR": str(include),
        "SLURMGATE_SLURM__LIBRARY": str(library),
    }
    done = subprocess.run(
        [sys.executable, "-m", "slurmgate.cli", "serve", "--backend", "slurm", "--allow-root"]
        + ["--log-level", "warning"]
        + [
            "--state-dir",
            str(tmp_path / "state"),
            "--jwt-key",
            str(key),
            "--listen",
            f"unix:{tmp_path}/sock",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"slurmgate: error: {_release(include)} (")
    assert "job_info_t.burst_buffer_state" in lines[0]
