"""Exit statuses, and deaths by CPU fault with their crash report."""

from __future__ import annotations

import re

import pytest

from harness import SIGFPE_STATUS, SIGILL_STATUS, SIGSEGV_STATUS, SIGTRAP_STATUS, run_native, same_as_native


@pytest.mark.parametrize(
    "how, code, status",
    [
        ("return", 0, 0),
        ("return", 1, 1),
        ("return", 255, 255),
        ("return", 256, 0),
        ("return", 257, 1),
        ("exit", 3, 3),
        ("_exit", 4, 4),
        ("thread", 5, 5),
        ("atexit", 6, 6),
        ("exit", -1, 255),
        ("signal", 15, 128 + 15),
        ("signal", 9, 128 + 9),
        ("abort", 0, 128 + 6),
    ],
)
def test_exit_status_is_the_low_byte_of_the_code_or_128_plus_the_signal(guest, violet, how, code, status):
    r = same_as_native(guest("exit"), violet, [how, str(code)])
    assert r.status == status


def test_exit_flushes_stdio_and_runs_atexit(guest, violet):
    assert same_as_native(guest("exit"), violet, ["exit", "0"]).stdout == b"bye"
    assert same_as_native(guest("exit"), violet, ["atexit", "0"]).stdout == b"atexit handler ran\n"


def test_underscore_exit_does_not_flush_stdio(guest, violet):
    assert same_as_native(guest("exit"), violet, ["_exit", "0"]).stdout == b""


CRASHES = {
    # mode: (status, signal name, words of the fault kind, the instruction's mnemonic)
    "null": (SIGSEGV_STATUS, "SIGSEGV", "write to unmapped address 0x0", "mov"),
    "read": (SIGSEGV_STATUS, "SIGSEGV", "read from unmapped address 0x10", "mov"),
    "div": (SIGFPE_STATUS, "SIGFPE", "divide error", "idiv"),
    "ud2": (SIGILL_STATUS, "SIGILL", "illegal instruction", "ud2"),
    "jump": (SIGSEGV_STATUS, "SIGSEGV", "execute at unmapped address 0x7e0000001000", None),
}


@pytest.mark.parametrize("mode", [*CRASHES, "int3"])
def test_crash_status_is_128_plus_the_signal_as_on_linux(guest, violet, mode):
    binary = guest("crash")
    ref = run_native(binary, [mode])
    r = violet(binary, [mode])
    expected = SIGTRAP_STATUS if mode == "int3" else CRASHES[mode][0]
    assert ref.status == r.status == expected
    assert r.stdout == ref.stdout == b"about to crash\n"


@pytest.mark.parametrize("mode", sorted(CRASHES))
def test_crash_report_is_one_line_naming_fault_address_and_instruction(guest, violet, mode):
    _, signame, kind, mnemonic = CRASHES[mode]
    r = violet(guest("crash"), [mode])
    lines = r.violet_lines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert re.match(r"violet: crash\[\d+\] crashed: ", line), line
    assert f"{signame} ({kind})" in line
    rip = re.search(r"at rip (0x[0-9a-f]+)", line)
    assert rip, line
    if mnemonic is None:  # the fault is the fetch: rip is the address, nothing to disassemble
        assert rip.group(1) == "0x7e0000001000"
    else:
        assert re.search(rf"at rip 0x[0-9a-f]+: {mnemonic}\b", line), line
    assert "Traceback" not in r.report


def test_crash_is_recorded_in_the_api(guest):
    from violet import Kernel

    k = Kernel(stdout=bytearray(), stderr=bytearray(), quiet=True)
    with k:
        p = k.spawn([str(guest("crash")), "null"])
        assert k.run(timeout=30) == SIGSEGV_STATUS
    (c,) = k.crashes
    assert (c.pid, c.signal, c.address) == (p.pid, 11, 0)
    assert c.instruction.startswith("mov")


def test_the_core_bit_follows_the_core_limit(guest, violet):
    """abort() with RLIMIT_CORE 0 gives no core bit (Linux dumps nothing);
    limits set by a process are inherited and read back."""
    got = same_as_native(guest("core_bit"), violet)
    assert "limit 0: signalled 1 by 6, core bit 0\n" in got.out
    assert "child inherits the limit: 1\n" in got.out and "fsize reads back: 1\n" in got.out


def test_the_core_bit_is_set_when_the_limit_allows_a_dump(guest, violet):
    """Violet writes no core file, but the status says the action dumped."""
    got = violet(guest("core_bit"), ["dump"])
    assert got.status == 0, got.report
    assert "limit raised: signalled 1 by 6, core bit 1\n" in got.out
