"""setitimer, getitimer and alarm deliver SIGALRM as Linux does."""

from __future__ import annotations

from harness import run_native, same_as_native


def test_alarm_and_interval_timers_ring_on_time(guest, violet) -> None:
    ref = run_native(guest("alarms"))
    got = violet(guest("alarms"))
    lines = got.out.splitlines()
    assert got.status == 0, got.report
    assert lines[:5] == [
        "alarm(1) returns 0",
        "pause: -1 EINTR, rings 1",
        "alarm(5) then alarm(0) returns 5",
        "interval 20000 us, armed 1",
        "rings 6, disarmed 1",
    ], got.out
    # Violet offers ITIMER_REAL only: the other timers differ from Linux.
    assert ref.out.splitlines()[:5] == lines[:5]
    assert lines[5] == "ITIMER_VIRTUAL: ok"


def test_sigalrm_default_action_ends_the_process(guest, violet) -> None:
    got = same_as_native(guest("alarms"), violet, ["default"])
    assert got.status == 128 + 14
