"""The floating-point state of a program: what it starts with, what fork, a
thread, a signal handler and execve give it (guest fpstate.c)."""

from __future__ import annotations

from harness import same_as_native


def test_floating_point_state_is_linux_s_at_start_fork_thread_signal_and_exec(guest, violet):
    r = same_as_native(guest("fpstate"), violet)
    lines = r.out.splitlines()
    assert lines[0] == "start fcw=0x37f mxcsr=0x1f80"
    # Doubles print exactly: x87 arithmetic in printf is not rounded to single precision.
    assert lines[1] == "3.1415926535897931 0x1.921fb54442d18p+1 0.33333333333333331"
    assert lines[2] == "0.333333333333333333342"
    assert "child fcw=0x27f mxcsr=0x9f80" in lines
    assert "thread fcw=0x27f mxcsr=0x9f80" in lines
    assert "handler fcw=0x37f mxcsr=0x1f80" in lines
    assert "after handler fcw=0x27f mxcsr=0x9f80" in lines
    assert lines[-1] == "exec fcw=0x37f mxcsr=0x1f80"
    assert r.status == 0
