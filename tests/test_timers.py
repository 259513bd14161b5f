"""POSIX timers (timer_create, timer_settime, timer_gettime,
timer_getoverrun, timer_delete) and the CPU-time interval timers
ITIMER_VIRTUAL and ITIMER_PROF, each against native (guest timers.c)."""

from __future__ import annotations

import re

import pytest

from harness import same_as_native


@pytest.mark.parametrize("mode", ["signal", "none", "thread_id", "thread", "inherit", "cpu"])
def test_timers_behave_as_on_linux(guest, violet, mode) -> None:
    got = same_as_native(guest("timers"), violet, [mode])
    assert got.status == 0
    assert not re.search(r"\bno(,|$)", got.out, re.M), got.out  # every check answered yes


def test_timer_signal_carries_si_timer_value_and_overruns(guest, api) -> None:
    out = api(guest("timers"), ["signal"]).out
    assert "si_code SI_TIMER: yes, si_value 42, si_timerid is the timer: yes, overrun 0" in out
    assert "overrun after 200 ms blocked: many (>= 60): yes, timer_getoverrun agrees with si_overrun: yes" in out


def test_musl_sigev_thread_runs_the_function_in_a_thread(guest, api) -> None:
    out = api(guest("timers"), ["thread"]).out
    assert "SIGEV_THREAD: ran 3 times or more: yes, in another thread: yes, with the value: 99" in out
    assert "after timer_delete: no more calls: yes" in out


def test_cpu_timers_count_cpu_time_not_sleep(guest, api) -> None:
    out = api(guest("timers"), ["cpu"]).out
    assert "ITIMER_VIRTUAL: not fired while asleep: yes" in out
    assert "ITIMER_PROF: rang 3 times: yes" in out
    assert "CLOCK_PROCESS_CPUTIME_ID timer: not fired while asleep: yes" in out
    assert "CLOCK_THREAD_CPUTIME_ID: expired when the thread had used 50 ms: yes" in out


def test_an_ended_process_leaves_no_timer_in_the_kernel(guest) -> None:
    """A process that exits with timers armed leaves nothing in the
    kernel's timer heap (an entry would bound every slice and hide a
    deadlock for as long as it waits)."""
    from violet import Kernel

    out = bytearray()
    with Kernel(stdout=out, stderr=bytearray(), check=True) as k:
        k.spawn([str(guest("timers")), "leave"])
        assert k.run(timeout=60) == 0
        assert out == b"armed\n"
        assert k._timers == []
