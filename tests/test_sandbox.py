"""The sandbox root (--root): what a guest reaches through descriptors and
links stays inside it, and calls behave as on Linux there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import run_api, run_cli, run_native


def _sandbox(binary: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A root holding the program as /prog, and a directory outside it."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "host-only-file").write_text("outside the root\n")
    shutil.copy(binary, root / "prog")
    return root, outside


@pytest.mark.parametrize("how", ["cli", "api"])
@pytest.mark.parametrize("mode, line", [
    ("list", "listing: mine"),
    ("fexecve", "run by fexecve"),
    ("access", "access to the link itself: 0"),
])
def test_a_descriptor_acts_on_its_file_not_on_what_its_path_names_now(guest, tmp_path, how, mode, line) -> None:
    """getdents and execveat(fd, "") use the descriptor's file even when a
    link out of the root stands at its old path; access without following
    asks about the link."""
    root, outside = _sandbox(guest("fd_path_moved"), tmp_path)
    ref = run_native(root / "prog", [mode, str(tmp_path / "native"), str(outside)])
    assert ref.out == line + "\n"
    args = [mode, "/scratch", str(outside)]
    if how == "cli":
        got = run_cli("/prog", args, options=["--root", str(root)])
    else:
        got = run_api("/prog", args, root=str(root))
    assert got.out == line + "\n", got.report
    assert got.status == 0, got.report
    assert "host-only-file" not in got.out


def test_the_host_proc_of_violet_itself_is_out_of_reach_even_with_the_host_root(guest) -> None:
    """//proc/self is the host's /proc/self, Violet's own process: a guest
    read its environment (secrets included) and opened its memory for
    writing, from where every right and budget could be undone."""
    got = run_cli(guest("host_proc_self"), env={"PATH": "/usr/bin:/bin", "HOME": "/", "TERM": "dumb"})
    assert got.out.splitlines() == [
        "//proc/self/environ: EACCES",
        "//proc/self/mem: EACCES",
        "/./proc/thread-self/mem: EACCES",
        "readlink //proc/self: EACCES",
    ], got.report


@pytest.mark.parametrize("same_user", [True, False])
def test_another_users_environment_and_maps_are_not_readable_in_proc(guest, same_user) -> None:
    """Two applications in one kernel: the second reads the first's
    /proc/PID/environ (where secrets live) and maps only when both run as
    the same user, as Linux's ptrace access check; status stays public."""
    from violet import Kernel
    from violet.kernel.perms import User

    out = bytearray()
    k = Kernel(stdout=out, stderr=bytearray(), quiet=True)
    with k:
        owner = k.spawn([str(guest("proc_peek")), "wait"], env={"SECRET": "hunter2"}, user=User(1000, "alice", 1000))
        reader = User(1000, "alice", 1000) if same_user else User(1001, "bob", 1001)
        k.spawn([str(guest("proc_peek")), str(owner.pid)], user=reader)
        k.run(timeout=0.5)
    lines = out.decode().splitlines()
    if same_user:
        assert lines == ["environ: read", "maps: read", "status: read"]
    else:
        assert lines == ["environ: EACCES", "maps: EACCES", "status: read"]
