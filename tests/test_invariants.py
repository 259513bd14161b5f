"""The invariant checker finds what it is meant to find, and the kernel
keeps its invariants through a run (the API runner checks them always)."""

from __future__ import annotations

from pathlib import Path

import pytest

from violet import Kernel, KernelBug
from violet.kernel import invariants


def _spawned(guest, name: str = "hello") -> Kernel:
    k = Kernel(mem="256M", stdout=bytearray(), stderr=bytearray(), check=True)
    k.spawn([str(guest(name))])
    return k


def test_a_fresh_process_satisfies_every_invariant(guest) -> None:
    k = _spawned(guest)
    assert invariants.violations(k) == []
    k.close()


def test_a_wrong_reference_count_is_reported_as_a_kernel_bug(guest) -> None:
    k = _spawned(guest)
    space = k.history[-1].space
    assert space is not None
    frame = next(f for _vpn, f, _shared in space.pages())
    k.pool.refs[frame] += 1
    bad = invariants.violations(k)
    assert any(f"frame {frame} has reference count" in line for line in bad), bad
    with pytest.raises(KernelBug, match="invariant broken"):
        invariants.check(k)
    k.pool.refs[frame] -= 1
    k.close()


def test_a_leaked_frame_is_reported(guest) -> None:
    k = _spawned(guest)
    k.pool.alloc()
    assert any("leaked" in line for line in invariants.violations(k))


def test_frames_return_to_the_boot_figure_after_the_run(guest) -> None:
    k = _spawned(guest, "hello")
    boot = k.boot_frames
    assert k.run() == 0
    assert k.pool.in_use == boot
    assert invariants.violations(k) == []


def test_check_runs_from_the_command_line(guest, tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "violet", "run", "--check", str(guest("hello"))],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert b"invariant" not in proc.stderr
