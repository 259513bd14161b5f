"""Programs Violet cannot run: one clear line, the shell's status, no traceback.

Each kind of bad program is made in a temporary directory from a guest
binary (or is the host's dynamically linked /bin/ls).  Through the CLI the
message is one line on stderr naming the file and the reason, with status
126 (found, cannot be executed) or 127 (not found).  Through the API,
`Kernel.spawn` raises LoadError with the same status.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path
from typing import Callable

import pytest

from harness import run_cli
from violet import Kernel, LoadError

EM_AARCH64 = 183


def _dynamic(tmp: Path, guest: Callable[[str], Path]) -> Path:
    ls = Path("/bin/ls")
    data = ls.read_bytes()
    assert data[:4] == b"\x7fELF" and b"ld-linux" in data, "the host's /bin/ls is expected to be dynamic"
    return ls


def _copy_of(tmp: Path, guest: Callable[[str], Path], name: str) -> Path:
    path = tmp / name
    shutil.copyfile(guest("hello"), path)
    path.chmod(0o755)
    return path


def _aarch64(tmp: Path, guest: Callable[[str], Path]) -> Path:
    path = _copy_of(tmp, guest, "arm64-prog")
    with open(path, "r+b") as f:
        f.seek(18)  # e_machine
        f.write(struct.pack("<H", EM_AARCH64))
    return path


def _truncate(size: int) -> Callable[[Path, Callable[[str], Path]], Path]:
    def make(tmp: Path, guest: Callable[[str], Path]) -> Path:
        path = _copy_of(tmp, guest, f"truncated-{size}")
        with open(path, "r+b") as f:
            f.truncate(size)
        return path

    return make


def _file(name: str, content: bytes, mode: int = 0o755) -> Callable[[Path, Callable[[str], Path]], Path]:
    def make(tmp: Path, guest: Callable[[str], Path]) -> Path:
        path = tmp / name
        path.write_bytes(content)
        path.chmod(mode)
        return path

    return make


def _directory(tmp: Path, guest: Callable[[str], Path]) -> Path:
    path = tmp / "a-directory"
    path.mkdir()
    return path


def _missing(tmp: Path, guest: Callable[[str], Path]) -> Path:
    return tmp / "no-such-program"


def _not_executable(tmp: Path, guest: Callable[[str], Path]) -> Path:
    path = _copy_of(tmp, guest, "not-executable")
    path.chmod(0o644)
    return path


BAD = {
    # kind: (how to make it, status, words the reason must contain)
    "dynamic": (_dynamic, 126, "dynamically linked"),
    "aarch64": (_aarch64, 126, "AArch64, not x86-64"),
    "truncated-header": (_truncate(40), 126, "truncated"),
    "truncated-segments": (_truncate(3000), 126, "truncated"),
    "text": (_file("notes.txt", b"just some text\nnot a program\n"), 126, "not an ELF file"),
    "empty": (_file("empty", b""), 126, "empty file"),
    "directory": (_directory, 126, "is a directory"),
    "missing": (_missing, 127, "no such file"),
    "not-executable": (_not_executable, 126, "permission denied"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_program_gets_one_line_and_the_shell_status_from_the_cli(guest, tmp_path, kind):
    make, status, reason = BAD[kind]
    path = make(tmp_path, guest)
    r = run_cli(path)
    assert r.status == status
    assert r.stdout == b""
    assert r.stderr == b""  # nothing but Violet's own line
    lines = r.report.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"violet: {path}: "), lines
    assert reason in lines[0]
    assert "Traceback" not in lines[0]


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_program_raises_load_error_from_the_api(guest, tmp_path, kind):
    make, status, reason = BAD[kind]
    path = make(tmp_path, guest)
    k = Kernel(stdout=bytearray(), stderr=bytearray())
    with k:
        with pytest.raises(LoadError) as info:
            k.spawn([str(path)])
        assert info.value.status == status
        assert reason in info.value.reason
        assert str(path) in str(info.value)
        # The kernel is still usable and kept no trace of the failed launch.
        assert k.live_processes() == [k.init]
        assert k.run(timeout=10) == 0


def test_good_program_still_runs_after_a_bad_one(guest, tmp_path):
    k = Kernel(stdout=(out := bytearray()), stderr=bytearray())
    with k:
        with pytest.raises(LoadError):
            k.spawn([str(tmp_path / "missing")])
        k.spawn([str(guest("hello"))])
        assert k.run(timeout=30) == 0
    assert out == b"hello, world\n"


def test_relative_program_path_is_found_from_the_cli_working_directory(guest, tmp_path):
    """The CLI resolves a relative program name against its own cwd, as a shell does."""
    import subprocess
    import sys

    shutil.copyfile(guest("hello"), tmp_path / "hello")
    (tmp_path / "hello").chmod(0o755)
    cmd = [sys.executable, "-m", "violet", "run", "./hello"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"hello, world\n"
    assert os.path.exists(tmp_path / "hello")
