"""Signal masks of ppoll and pselect6, EINTR against restart after signals
that run no handler (a default-ignored SIGCHLD, a stop and continue), and
CPU faults caught by handlers; each against native (guest sig_more.c)."""

from __future__ import annotations

import re

import pytest

from harness import same_as_native


@pytest.mark.parametrize("mode", ["masks", "restart", "faults"])
def test_signals_behave_as_on_linux(guest, violet, mode) -> None:
    got = same_as_native(guest("sig_more"), violet, [mode])
    assert got.status == 0
    assert not re.search(r"\bno(,|$)", got.out, re.M), got.out  # every check answered yes


def test_a_stop_and_continue_leaves_sleeps_and_waits_running(guest, api) -> None:
    out = api(guest("sig_more"), ["restart"]).out
    # nanosleep, poll, a timed futex wait keep their deadline (restart_syscall)
    for call in ("nanosleep", "clock_nanosleep", "poll"):
        assert f"{call} across a stop: 0 -, ended when it should (at the continue): yes" in out, out
    assert "futex across a stop: -1 ETIMEDOUT, ended when it should (at the continue): yes" in out
    # select and its kin are made again with the time that was left
    for call in ("select", "ppoll", "pselect"):
        assert f"{call} across a stop: 0 -, ended when it should (the time left after the continue): yes" in out
    assert "pause across a stop: -1 EINTR, SIGUSR1 handled: 1" in out
    assert "sigtimedwait across a stop: -1 EINTR" in out
    assert "nanosleep with a handler: -1 EINTR, handler ran 1, rem about 400 ms: yes" in out


def test_faults_give_linux_si_code_and_si_addr(guest, api) -> None:
    out = api(guest("sig_more"), ["faults"]).out
    assert "stack overflow: signal 11 code 1 (SEGV_MAPERR), handler on the alternate stack: yes" in out
    assert "ud2: signal 4 code 2 (ILL_ILLOPN), si_addr at the ud2: yes, rip there: yes" in out
    assert "idiv by zero: signal 8 code 1 (FPE_INTDIV), si_addr at the idiv: yes, rip there: yes" in out
    assert "past the end of a mapped file: signal 7 code 2 (BUS_ADRERR), si_addr the byte read: yes" in out
