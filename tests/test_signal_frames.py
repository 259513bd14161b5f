"""Signal delivery as the handler sees it: the flags it starts with."""

from __future__ import annotations

import pytest

from harness import same_as_native


@pytest.mark.parametrize("mode, line", [
    ("df", "df: handler's DF clear"),
    ("tf", "tf: 1 trap(s), handler's TF clear"),
])
def test_a_handler_starts_with_the_direction_and_trap_flags_clear(guest, violet, mode, line) -> None:
    """DF set when the signal came ran the handler's string operations
    backwards; TF set made the handler trap itself, a fatal SIGTRAP."""
    got = same_as_native(guest("sig_flags"), violet, [mode])
    assert got.out == line + "\n"
    assert got.status == 0


def test_sa_resethand_runs_the_handler_once_and_dispositions_stay_per_process_after_fork(guest, violet) -> None:
    """SA_RESETHAND made the handler's address 0 before the frame was
    built (the delivery reset the disposition it then jumped through); a
    forked child shares nothing with its parent's dispositions."""
    got = same_as_native(guest("sig_flags"), violet, ["resethand"])
    assert got.out == ("resethand: 1 run(s), then SIG_DFL; the child still has the handler; "
                       "parent's SIGUSR1 SIG_DFL\n")
    assert got.status == 128 + 12


def test_sigsuspend_takes_a_signal_pending_before_it_and_restores_the_mask(guest, violet) -> None:
    """A shell blocks SIGCHLD, sees its jobs still running, then suspends
    with SIGCHLD unblocked: a SIGCHLD that came in between must end the
    sigsuspend at once (busybox's `wait` hung for ever), and the handler's
    return must put back the mask from before the sigsuspend."""
    got = same_as_native(guest("sigsuspend_mask"), violet)
    assert got.out == (
        "pending before: 0\n"
        "sigsuspend: -1 EINTR, handler ran 1\n"
        "mask back: SIGUSR1 blocked 1, SIGCHLD blocked 1\n"
        "child status 3\n"
        "second sigsuspend: -1, usr1 1, chld 1\n"
        "after unblocking: chld 2\n"
    )
