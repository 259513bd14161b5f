"""System calls Violet does not implement."""

from __future__ import annotations

import re

from harness import same_as_native


def test_unknown_syscall_returns_enosys_and_the_program_carries_on(guest, violet):
    r = same_as_native(guest("enosys"), violet)
    assert r.out.splitlines() == [
        "syscall 184: rc -1, ENOSYS",
        "syscall 184: rc -1, ENOSYS",
        "syscall 183: rc -1, ENOSYS",
        "syscall 1000: rc -1, ENOSYS",
        "still running",
    ]


def test_unknown_syscall_is_reported_once_per_number_with_its_name(guest, violet):
    r = violet(guest("enosys"))
    lines = r.violet_lines()
    assert len(lines) == 3, lines
    assert all(re.match(r"violet: enosys\[\d+\]: unsupported syscall \d+ ", ln) for ln in lines), lines
    assert "184 (tuxcall)" in lines[0]
    assert "183 (afs_syscall)" in lines[1]
    assert "1000" in lines[2]
    assert all("ENOSYS" in ln for ln in lines)


def test_unknown_syscalls_are_counted_per_process(guest):
    from violet import Kernel

    k = Kernel(stdout=bytearray(), stderr=bytearray(), quiet=True)
    with k:
        p = k.spawn([str(guest("enosys"))])
        assert k.run(timeout=30) == 0
    assert p.syscalls["tuxcall"] == 2
    assert p.syscalls["afs_syscall"] == 1
    assert k.enosys_seen == {183, 184, 1000}


def test_numbers_without_a_name_are_reported_and_remembered_up_to_a_limit(guest):
    """Any of 2**64 numbers may be tried: past the first 64 without a Linux
    name, they are counted as syscall_other and reported in one last line,
    so the kernel's memory and report do not grow with them."""
    import io

    from violet import Kernel
    from violet.kernel.kernel import MAX_UNNAMED_REPORTED

    out, report = bytearray(), io.StringIO()
    k = Kernel(stdout=out, stderr=bytearray(), report=report)
    with k:
        p = k.spawn([str(guest("enosys_many"))])
        assert k.run(timeout=60) == 0
    assert out == b"10000 ENOSYS\n"
    lines = report.getvalue().splitlines()
    assert len(lines) == MAX_UNNAMED_REPORTED + 1, lines[-3:]
    assert lines[-1].endswith("further numbers without a Linux name are not reported")
    assert len(k.enosys_seen) == MAX_UNNAMED_REPORTED
    assert p.syscalls["syscall_other"] == 10000 - MAX_UNNAMED_REPORTED
