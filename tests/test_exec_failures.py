"""execve that fails: everything that can fail is checked before the old
image is gone, so the caller gets an errno and carries on."""

from __future__ import annotations

from harness import same_as_native


def test_execve_past_the_argument_limit_fails_with_e2big_and_the_caller_goes_on(guest, violet) -> None:
    got = same_as_native(guest("exec_e2big"), violet)
    assert got.out == "execve: E2BIG, still running\n"
    assert got.status == 0
