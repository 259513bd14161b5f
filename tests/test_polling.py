"""poll and select over pipes: readiness, wake-ups, timeouts, errors."""

from __future__ import annotations

from harness import same_as_native


def test_poll_and_select_behave_as_on_linux(guest, violet) -> None:
    got = same_as_native(guest("polling"), violet)
    assert got.out.splitlines() == [
        "empty: 0 ready after >=50ms: yes",
        "now: 2 ready; write end POLLOUT; fd 99 POLLNVAL",
        "after child's write: 1, POLLIN",
        "select empty: 0, set 0",
        "select with data: 1, set 1",
        "closed writer: 1, POLLHUP",
        "select bad fd: -1 EBADF",
    ]
