"""The floating-point state of a program: what it starts with, what fork, a
thread, a signal handler and execve give it (guest fpstate.c)."""

from __future__ import annotations

from harness import same_as_native


def test_floating_point_state_is_linux_s_at_start_fork_thread_signal_and_exec(guest, violet):
    r = same_as_native(guest("fpstate"), violet)
    lines = r.out.splitlines()
    assert lines[0] == "start fcw=0x37f mxcsr=0x1f80"
    assert lines.pop(1) == "start x87 tag=0xffff top=0"
    # Doubles print exactly: x87 arithmetic in printf is not rounded to single precision.
    assert lines[1] == "3.1415926535897931 0x1.921fb54442d18p+1 0.33333333333333331"
    assert lines[2] == "0.333333333333333333342"
    assert "child fcw=0x27f mxcsr=0x9f80" in lines
    assert "thread fcw=0x27f mxcsr=0x9f80" in lines
    assert "handler fcw=0x37f mxcsr=0x1f80" in lines
    assert "after handler fcw=0x27f mxcsr=0x9f80" in lines
    assert lines[-1] == "exec fcw=0x37f mxcsr=0x1f80"
    assert r.status == 0


def test_signal_handler_gets_an_empty_x87_stack_and_sigreturn_restores_it(guest, violet):
    r = same_as_native(guest("fpstack_signal"), violet)
    lines = r.out.splitlines()
    assert lines[0] == "handler cw=0x37f sw=0 tag=0xffff"  # fnstenv's tag word: all eight empty
    assert lines[1] == "after top=2"  # six values pushed from 0: top 2
    # The six constants come back in reverse order of their pushes, untouched
    # by the handler's fninit and eight pushes of its own; the sixteen XMM
    # registers the handler zeroed come back too.
    assert lines[2:] == ["0.693147180559945309429", "0.301029995663981195226", "3.14159265358979323851",
                         "1.44269504088896340739", "3.32192809488736234781", "1", "xmm kept"]
