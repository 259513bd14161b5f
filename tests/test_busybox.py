"""A real third-party program: Debian's busybox-static (glibc, static).

The binary is fetched at test time (`apt-get download busybox-static`,
unpacked into the cache) or taken from the system when busybox-static is
installed; it is never committed.  Each Linux-behaviour test runs the same
command natively and under Violet and compares.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness import run_cli, same_as_native
from violet.cli import cache_dir
from violet.errors import LoadError
from violet.loader import elf


def _is_static(path: Path) -> bool:
    try:
        elf.parse(str(path), path.read_bytes())
    except (LoadError, OSError):
        return False
    return True


def _fetch() -> Path | None:
    for candidate in (shutil.which("busybox"), "/bin/busybox", "/usr/bin/busybox"):
        if candidate and Path(candidate).is_file() and _is_static(Path(candidate)):
            return Path(candidate)
    where = cache_dir() / "busybox-static"
    binary = where / "bin" / "busybox"
    if binary.is_file():
        return binary
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return None
    debs = cache_dir() / "debs"
    debs.mkdir(exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", "busybox-static"], cwd=debs, check=True, capture_output=True, timeout=120)
        deb = next(debs.glob("busybox-static_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(where)], check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, StopIteration, OSError):
        return None
    return binary if binary.is_file() else None


@pytest.fixture(scope="session")
def busybox() -> Path:
    found = _fetch()
    if found is None:
        pytest.skip("busybox-static is neither installed nor downloadable (apt-get download busybox-static)")
    return found


def test_glibc_static_shell_computes_and_exits_with_its_status(busybox: Path, violet) -> None:
    got = same_as_native(busybox, violet, ["sh", "-c", "echo $((6*7)); x=$(echo sub); echo got $x; exit 3"])
    assert got.out == "42\ngot sub\n" and got.status == 3


def test_pipeline_forks_and_execs_applets(busybox: Path, violet) -> None:
    script = f"echo one two three | {busybox} wc -w; {busybox} true && echo ok"
    got = same_as_native(busybox, violet, ["sh", "-c", script])
    assert got.out.split() == ["3", "ok"]


def test_files_are_created_read_and_removed(busybox: Path, violet, tmp_path: Path) -> None:
    script = f"cd {tmp_path} && mkdir d && echo hi > d/f && cat d/f && {busybox} rm -r d && {busybox} ls -a"
    got = same_as_native(busybox, violet, ["sh", "-c", script])
    assert got.out == "hi\n.\n..\n"


def test_proc_status_shows_violet_kinds(busybox: Path) -> None:
    # The second command runs in a forked child: a pipeline stage.
    script = f"{busybox} grep VioletKind /proc/$$/status; {busybox} cat /proc/self/status | {busybox} grep VioletKind"
    got = run_cli(busybox, ["sh", "-c", script])
    assert got.status == 0, got.report
    assert got.out.split() == ["VioletKind:", "application", "VioletKind:", "worker"]
