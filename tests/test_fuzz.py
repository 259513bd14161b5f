"""Nothing a guest does can hurt the kernel: a seeded syscall fuzzing
campaign (tests/guests/fuzz_syscalls.c) under the invariant checker.

The guest runs inside an empty sandbox root without the right to write
files, so random paths touch nothing of the host.  The long campaign is
`python bench/fuzz_campaign.py` (figures in the README).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from violet import Kernel, Permissions, Right


def campaign(binary: Path, root: Path, seed: int, calls: int) -> tuple[Kernel, int, str, str]:
    shutil.copy(binary, root / "fuzz")
    out, report = bytearray(), io.StringIO()
    k = Kernel(mem="512M", root=str(root), stdout=out, stderr=bytearray(), report=report, check=True)
    perms = Permissions().restrict(drop=Right.FS_WRITE | Right.LAUNCH, max_procs=16, max_threads=16)
    k.spawn(["/fuzz", str(seed), str(calls)], perms=perms, cwd="/")
    status = k.run(timeout=240)
    return k, status, out.decode(errors="replace"), report.getvalue()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_syscalls_leave_the_kernel_intact(guest, tmp_path: Path, seed: int) -> None:
    k, status, out, report = campaign(guest("fuzz_syscalls"), tmp_path, seed, 3000)
    assert status == 0, report
    assert re.fullmatch(r"fuzz: 3000 calls in 30 children, \d+ died of a signal, \d+ hung and were killed\n", out), out
    assert k.bugs == [], report
    assert "kernel bug" not in report and "invariant" not in report
    assert k.pool.in_use == k.boot_frames
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fuzz"], "the sandbox root was changed"
