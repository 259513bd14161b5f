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
