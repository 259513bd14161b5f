"""The second breaker round: hostile guest inputs that found holes, each
fixed and kept here as a regression test (tests/guests/brk2_*.c).

Each test of Linux behaviour runs the same program natively too; the
others check a Violet rule (file rights, users) or the kernel's own state
(host memory a guest could pile up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness import BASE_ENV, run_native, same_as_native
from test_terminal import _on_pty

from violet import Kernel, Permissions, Right
from violet.kernel.perms import ALL_RIGHTS, User


def test_negative_offsets_are_einval_as_natively(guest, violet, tmp_path: Path) -> None:
    """ftruncate, pread64, pwrite64 and sendfile with an off_t below zero
    were Python OverflowErrors (the kernel-bug guard killed the process)."""
    got = same_as_native(guest("brk2_edges"), violet, ["offsets", str(tmp_path / "f")])
    assert "ftruncate -1: EINVAL" in got.out and "sendfile offset -1: EINVAL" in got.out
    assert "kernel bug" not in got.report


def test_terminal_requests_out_of_range_are_refused_as_natively(guest) -> None:
    """TCFLSH and TCXONC with an action past a C int were a kernel bug;
    a group nobody is in is ESRCH and an unknown request ENOTTY, as Linux."""
    prog = str(guest("brk2_edges"))
    violet = [sys.executable, "-m", "violet", "run", "--check"]
    for key, value in BASE_ENV.items():
        violet += ["--env", f"{key}={value}"]
    native, nstatus = _on_pty([prog, "tty"], [])
    got, status = _on_pty(violet + [prog, "tty"], [])
    assert nstatus == 0 and "TCFLSH 2^40: EINVAL" in native, native
    assert (got, status) == (native, 0)


def test_violet_launch_needs_fs_read_at_a_scripts_interpreter(guest, tmp_path: Path) -> None:
    """A launched #! script runs its interpreter: like execve, launching
    needs fs.read there too, not only at the script."""
    pub, etc = tmp_path / "pub", tmp_path / "etc"
    pub.mkdir()
    etc.mkdir()
    prog = guest("brk2_edges")
    (pub / "prog").write_bytes(prog.read_bytes())
    (etc / "prog").write_bytes(prog.read_bytes())
    for where in (pub, etc):
        (where / "prog").chmod(0o755)
    script = pub / "script"
    script.write_text(f"#!{etc}/prog\n")
    script.chmod(0o755)
    perms = Permissions(rights=ALL_RIGHTS).restrict(paths={Right.FS_READ: [str(pub)]})
    out = bytearray()
    with Kernel(stdout=out, stderr=bytearray(), quiet=True, check=True) as k:
        k.spawn([str(pub / "prog"), "launch", str(pub / "prog"), "launch", str(script), "launch", str(etc / "prog")],
                perms=perms)
        assert k.run(timeout=60) == 0
    assert out.decode().splitlines() == ["launch: ok 0", "hello", "launch: EACCES", "launch: EACCES"]


def test_another_users_process_cannot_be_killed(guest) -> None:
    """kill(2) of another user's process is EPERM on Linux (kill_ok_by_cred),
    and kill(-1) passes it over; Violet let any user kill any process."""
    prog = str(guest("brk2_edges"))
    out = bytearray()
    with Kernel(stdout=out, stderr=bytearray(), quiet=True, check=True) as k:
        victim = k.spawn([prog, "wait", "1"], user=User(1000, "alice", 1000))
        k.spawn([prog, "kill", str(victim.pid)], user=User(1001, "bob", 1001))
        k.run(timeout=60)
    assert sorted(out.decode().splitlines()) == ["kill -1: ok 0", "kill another user's process: EPERM", "survived"]
    assert victim.killed_by is None and victim.exit_code == 0


def _deadlines_at_probe(prog: Path, args: list[str]) -> tuple[list[int], str]:
    """Run prog ARGS probe; the number of deadlines in the kernel's timer
    heap when the probe's child ends."""
    seen: list[int] = []
    out = bytearray()
    with Kernel(stdout=out, stderr=bytearray(), quiet=True, check=True) as k:
        k.events.subscribe(lambda kind, f: seen.append(len(k._timers)) if kind == "exit" else None)
        k.spawn([str(prog), *args, "probe"])
        assert k.run(timeout=120) == 0
    return seen, out.decode()


def test_rearmed_alarms_and_timers_leave_no_pile_of_deadlines(guest) -> None:
    """Every alarm(), timer_settime() and long sleep cut short left an entry
    in the kernel's heap until its deadline (an hour here): about 700 bytes
    of host memory a call, 750 MB for a million timer_settime calls, which
    no memory budget counted.  Stale entries are now swept out."""
    prog = guest("brk2_edges")
    for args, line in ((["alarms", "20000"], "alarms: 20000"), (["timers", "20000"], "timers: 20000"),
                       (["sleeps", "6000"], "sleeps cut short: all")):
        seen, out = _deadlines_at_probe(prog, args)
        assert out.splitlines() == [line, "probed"], out
        assert seen and seen[0] <= 2 * 4096, (args, seen)
    native = run_native(prog, ["sleeps", "200"])
    assert native.out == "sleeps cut short: all\n"


# Holes left open (the fix is a design decision, or inside another helper's
# ongoing work); each test fails now and must pass once it is closed.


def test_fd_links_under_a_root_show_no_host_path(guest, tmp_path: Path) -> None:
    """violet run --root R prog > /some/host/dir/out: the guest reads
    /proc/self/fd/1 and learns /some/host/dir/out, a path of the host outside
    its root (Linux shows the same in a chroot; a sandbox should not)."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "prog").write_bytes(guest("brk2_edges").read_bytes())
    (root / "bin" / "prog").chmod(0o755)
    secret = tmp_path / "host-only-dir"
    secret.mkdir()
    with open(secret / "out.txt", "wb") as out:
        proc = subprocess.run([sys.executable, "-m", "violet", "run", "--root", str(root), "/bin/prog",
                               "readlink", "/proc/self/fd/1"], stdout=out, stderr=subprocess.PIPE, timeout=60, check=False)
    text = (secret / "out.txt").read_text()
    assert proc.returncode == 0 and text.startswith("readlink /proc/self/fd/1: "), text
    assert "host-only-dir" not in text and str(tmp_path) not in text, text


def test_ctrl_c_ends_a_guest_whose_foreground_group_is_empty(guest) -> None:
    violet = [sys.executable, "-m", "violet", "run"]
    for key, value in BASE_ENV.items():
        violet += ["--env", f"{key}={value}"]
    out, status = _on_pty(violet + [str(guest("brk2_fg"))], [(b"ready", (0.5, b"\x03")), (b"", (1.0, b"\x03"))],
                          timeout=30)
    assert "tcsetpgrp: 0" in out, out
    assert "still running 5" not in out and status == 130, (out, status)
