"""Record locks (fcntl F_SETLK/F_SETLKW/F_GETLK and the OFD forms) and
flock(2) between Violet processes, each scenario checked against Linux
(tests/guests/lk_ops.c prints what it sees; violet/fs/locks.py)."""

from __future__ import annotations

import pytest

from harness import run_cli, same_as_native

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
