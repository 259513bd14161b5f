"""Clocks and sleeping."""

from __future__ import annotations

import time

from harness import same_as_native


def test_clocks_and_sleeps_behave_as_on_linux(guest, violet):
    r = same_as_native(guest("clocks"), violet)
    assert "BAD" not in r.out
    assert "monotonic never goes backwards: ok" in r.out
    assert "nanosleep 60 ms: rc 0, slept at least that: ok" in r.out
    assert "clock_nanosleep absolute: rc 0, reached the deadline: ok" in r.out


def test_realtime_clock_is_the_hosts(guest, violet):
    before = time.time()
    r = violet(guest("clocks"), ["now"])
    after = time.time()
    assert r.status == 0
    label, value = r.out.split()
    assert label == "realtime"
    assert before - 0.05 <= float(value) <= after + 0.05
