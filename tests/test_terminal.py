"""A guest on a terminal: a pseudo-terminal the test drives like a user.

The program runs natively and under `violet run` with a pty as its stdin,
stdout and stderr and as its controlling terminal; the test waits for each
prompt, then types.  What the program reports must be the same both ways.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Sequence

from harness import BASE_ENV
from test_busybox import busybox  # noqa: F401 (the fixture)

ROWS, COLS = 33, 101


def _on_pty(argv: Sequence[str], dialogue: Sequence[tuple[bytes, bytes]], timeout: float = 60.0) -> tuple[str, int]:
    """Run argv on a new pty; for each (prompt, keys), wait until the output
    shows prompt (and PAUSE more seconds when keys is a (PAUSE, keys) pair),
    then type keys.  Returns the output (without CRs) and the exit status."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))

    def controlling() -> None:  # in the child: a new session with the pty as its terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    steps = list(dialogue)
    try:
        while time.monotonic() < deadline:
            if steps and steps[0][0] in out:
                keys = steps.pop(0)[1]
                if isinstance(keys, tuple):
                    time.sleep(keys[0])
                    keys = keys[1]
                os.write(master, keys)
            try:
                import select

                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    chunk = os.read(master, 4096)
                    if not chunk:
                        break
                    out += chunk
            except OSError:  # EIO: every slave descriptor is closed
                break
            if proc.poll() is not None and not select.select([master], [], [], 0.05)[0]:
                break
        try:
            status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            status = -1  # hung: the output so far tells where
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return out.replace(b"\r", b"").decode(errors="replace"), status


def _violet(prog: Path) -> list[str]:
    argv = [sys.executable, "-m", "violet", "run"]
    for key, value in BASE_ENV.items():
        argv += ["--env", f"{key}={value}"]
    return argv + [str(prog)]


DIALOGUE = [(b"press a key", b"k"), (b"type a line", b"abc\n")]


def _reported(out: str) -> list[str]:
    return [line for line in out.splitlines() if ": " in line]


def test_raw_mode_poll_and_line_mode_on_a_terminal(guest) -> None:
    prog = guest("tty_raw")
    native, native_status = _on_pty([str(prog)], DIALOGUE)
    got, status = _on_pty(_violet(prog), DIALOGUE)
    assert native_status == 0, native
    assert status == 0, got
    assert _reported(got) == _reported(native), got
    assert f"size: 0 {ROWS}x{COLS}" in got
    assert "raw: 0, canonical 0, echo 0" in got and "restored: 0, canonical 1, echo 1" in got
    assert "poll: 1 revents 0x1, read 1 key k" in got and "line: 4 abc" in got
    assert "foreground group is ours: 1" in got


def test_the_terminal_comes_back_in_its_mode_after_a_killed_raw_program(guest, tmp_path: Path) -> None:
    """A program killed while in raw mode leaves the terminal raw natively;
    `violet run` puts back the mode the terminal had when it started."""
    prog = guest("tty_raw")
    probe = tmp_path / "mode"
    # The guest reaches raw mode and waits for a key; the kill comes instead.
    master, slave = pty.openpty()
    proc = subprocess.Popen(_violet(prog), stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    out = b""
    deadline = time.monotonic() + 60
    while b"press a key" not in out and time.monotonic() < deadline:
        try:
            out += os.read(master, 4096)
        except OSError:
            break
    assert b"press a key" in out, out
    proc.terminate()
    proc.wait(timeout=30)
    lflag = termios.tcgetattr(slave)[3]
    os.close(slave)
    os.close(master)
    probe.write_text(str(lflag))
    assert lflag & termios.ICANON and lflag & termios.ECHO


def test_an_interactive_shell_survives_ctrl_c_that_ends_its_command(busybox: Path) -> None:
    """Ctrl-C on the terminal goes to the foreground job (the group the
    shell gave the terminal with tcsetpgrp), not to Violet as a whole: the
    command dies of SIGINT and the shell goes on, as natively."""
    dialogue = [
        (b"# ", b"echo $((6*7))\n"),
        (b"42", b"%s sleep 30\n" % str(busybox).encode()),
        (b"sleep 30", (1.0, b"\x03")),
        (b"^C", b"echo status=$((1+$?))\n"),
        (b"status=1", b"exit 5\n"),
    ]
    shell = [str(busybox), "sh", "-i"]
    native, native_status = _on_pty(shell, dialogue, timeout=40)
    got, status = _on_pty(_violet(busybox)[:-1] + shell, dialogue, timeout=40)
    assert native_status == 5 and "status=131" in native, native
    assert status == 5, got
    assert "status=131" in got, got


def test_after_setsid_the_terminal_is_not_the_controlling_one(guest) -> None:
    prog = guest("tty_setsid")
    native, native_status = _on_pty([str(prog)], [])
    got, status = _on_pty(_violet(prog), [])
    assert native_status == 0 and status == 0, got
    assert _reported(got) == _reported(native), (got, native)
    assert "after setsid: tcgetpgrp -1 ENOTTY, tcsetpgrp -1 ENOTTY" in got
