"""Record locks (fcntl F_SETLK/F_SETLKW/F_GETLK and the OFD forms) and
flock(2) between Violet processes, each scenario checked against Linux
(tests/guests/lk_ops.c prints what it sees; violet/fs/locks.py)."""

from __future__ import annotations

import pytest

from harness import run_cli, run_native, same_as_native

# (scenario, a line its output must hold, natively and under Violet)
SCENARIOS = [
    ("conflict", "child WR 5+1: EAGAIN"),  # another process's write lock is in the way
    ("conflict", "child getlk 3+1: WR 0+10 parent"),  # F_GETLK names the holder's pid
    ("conflict", "child RD 50+10 beside parent's RD: ok"),
    ("split", "right 70: WR 60+40 parent"),  # unlocking the middle splits a lock
    ("split", "merged 50: WR 0+100 parent"),  # and locking it again merges them
    ("split", "middle 15: RD 10+10 parent"),  # a read lock inside a write lock: three pieces
    ("ranges", "eof 1000000: WR 200+0 parent"),  # l_len 0: to EOF, past the file's end
    ("ranges", "cur 8: WR 7+3 parent"),  # SEEK_CUR
    ("ranges", "end 97: WR 95+5 parent"),  # SEEK_END
    ("ranges", "negative 25: WR 20+10 parent"),  # a negative l_len
    ("close", "after closing another fd: UN"),  # closing ANY descriptor of the file drops the locks
    ("close", "child closed its copy: WR 0+10 parent"),
    ("noinherit", "child WR through the inherited fd: EAGAIN"),  # not inherited across fork
    ("wake", "child SETLKW: ok"),  # F_SETLKW waits, and gets the lock once it is unlocked
    ("holder_exit", "parent SETLKW: ok"),  # or once the holder exits
    ("eintr", "child SETLKW interrupted: EINTR"),  # a signal's handler without SA_RESTART
    ("restart", "child SETLKW across a restarted signal: ok, handler ran 1"),  # SA_RESTART: the wait goes on
    ("deadlock", "child SETLKW byte 0: EDEADLK"),  # the two-process cycle
    ("deadlock", "parent SETLKW byte 1: ok"),
    ("ofd", "OFD WR on b, same process: EAGAIN"),  # OFD locks are owned by the open file
    ("ofd", "OFD getlk on b: WR 0+10 -1"),
    ("ofd", "after closing a, dup kept: EAGAIN"),
    ("ofd", "after closing the last: ok"),
    ("flock", "child EX|NB own open: EAGAIN"),
    ("flock", "child EX|NB inherited fd: ok"),  # flock belongs to the open file description
    ("flock", "child fcntl WR beside flock: ok"),  # flock and fcntl locks do not meet
    ("flock", "child EX|NB beside two SH: EAGAIN"),
    ("flock", "child blocking LOCK_EX: ok"),  # woken when the last descriptor closes
    ("counter", "counter 100 (want 100), failed children 0"),  # mutual exclusion under contention
]


@pytest.mark.parametrize("scenario", sorted({s for s, _ in SCENARIOS}))
def test_locks_between_processes_behave_as_on_linux(guest, violet, tmp_path, scenario) -> None:
    got = same_as_native(guest("lk_ops"), violet, [scenario, str(tmp_path / "locked")])
    for name, line in SCENARIOS:
        if name == scenario:
            assert line in got.out.splitlines(), got.out


def test_a_lock_wait_nobody_can_end_is_reported_as_a_deadlock(guest, tmp_path) -> None:
    """The holder waits for its child, which waits for the holder's lock:
    Linux hangs; Violet ends the run with the deadlock report (exit 125),
    naming the lock and who holds it."""
    got = run_cli(guest("lk_ops"), ["hang", str(tmp_path / "locked")])
    assert got.status == 125, got.report
    assert "violet: deadlock" in got.report
    # The report's lines after the first are indented (the harness counts them as stderr).
    assert "thread 3: fcntl F_SETLKW fd 3 bytes 0-0, held by pid 2" in got.stderr.decode()


def _host_lock(path, type_: int, start: int, length: int):  # type: ignore[no-untyped-def]
    """A POSIX lock of this (host) process, or None when one is in the way."""
    import fcntl
    import os
    import struct

    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack("hh4xqqi4x", type_, 0, start, length, 0))
    except OSError:
        os.close(fd)
        return None
    return fd


def test_a_host_process_s_lock_is_seen_by_guests(guest, violet, tmp_path) -> None:
    """A host process write-locks bytes 0..9 for a second: F_GETLK reports
    it (the holder is not the guest's parent), F_SETLK collides, and
    F_SETLKW waits until the holder is gone, as for a native program."""
    import subprocess
    import sys

    path = tmp_path / "locked"
    path.write_bytes(bytes(100))
    holder_code = ("import fcntl, os, struct, sys, time\n"
                   "fd = os.open(sys.argv[1], os.O_RDWR)\n"
                   "fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack('hh4xqqi4x', fcntl.F_WRLCK, 0, 0, 10, 0))\n"
                   "print('held', flush=True)\n"
                   "time.sleep(1.0)\n")
    for how in ("native", "violet"):
        with subprocess.Popen([sys.executable, "-c", holder_code, str(path)], stdout=subprocess.PIPE) as holder:
            assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
            got = (run_native if how == "native" else violet)(guest("lk_ops"), ["hostcheck", str(path)])
        assert got.status == 0, got.report
        assert got.out.splitlines() == [
            "host's lock: WR 0+10 other", "WR 5+1 beside it: EAGAIN", "WR 10+10 beyond it: ok", "SETLKW 0+1: ok",
        ], (how, got.out, got.report)


def test_a_guest_s_locks_are_seen_by_host_processes(guest, tmp_path) -> None:
    import fcntl
    import subprocess
    import sys

    path = tmp_path / "locked"
    path.write_bytes(bytes(100))
    proc = subprocess.Popen([sys.executable, "-m", "violet", "run", str(guest("lk_ops")), "hold", str(path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline() == b"locked\n"
        assert _host_lock(path, fcntl.F_RDLCK, 5, 1) is None  # the guest's write lock
        assert _host_lock(path, fcntl.F_WRLCK, 25, 1) is None  # its read lock
        shared = _host_lock(path, fcntl.F_RDLCK, 25, 1)  # a read lock beside a read lock
        free = _host_lock(path, fcntl.F_WRLCK, 10, 10)  # between them
        assert shared is not None and free is not None
        import os

        os.close(shared)
        os.close(free)
        out, _err = proc.communicate(b"", timeout=60)
    finally:
        proc.kill()
    assert out == b"done\n"
    fd = _host_lock(path, fcntl.F_WRLCK, 0, 0)  # the guest's exit released them
    assert fd is not None
