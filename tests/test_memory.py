"""Memory: malloc, brk, mmap, munmap, mprotect and the faults they cause."""

from __future__ import annotations

import re

import pytest

from harness import SIGSEGV_STATUS, run_native, same_as_native


def test_malloc_small_and_large_blocks_keep_their_contents(guest, violet):
    r = same_as_native(guest("malloc"), violet)
    assert "small blocks: 0 bad" in r.out
    assert "calloc 3 MiB: 0 nonzero bytes" in r.out
    assert "large block: ok" in r.out
    assert "realloc: ok" in r.out
    assert r.status == 0


def test_brk_grows_shrinks_and_regrows_zeroed(guest, violet):
    r = same_as_native(guest("brk"), violet)
    assert "BAD" not in r.out
    assert "heap contents: 0 bad bytes" in r.out
    assert "regrown pages: 0 nonzero bytes" in r.out


def test_mmap_munmap_mprotect_behave_as_on_linux(guest, violet):
    r = same_as_native(guest("mmap"), violet)
    assert "BAD" not in r.out
    assert "first hole page faults: ok" in r.out
    assert "rest still readable, contents kept: ok" in r.out
    assert "read-only page write faults: ok" in r.out
    assert "PROT_NONE read faults: ok" in r.out


FATAL = {
    # mode: (what the report says, whether the access is a write)
    "hole": "read from unmapped address",
    "protnone": "read from protected address",
    "readonly": "write to protected address",
}


@pytest.mark.parametrize("mode", sorted(FATAL))
def test_fatal_memory_access_dies_of_sigsegv_like_linux(guest, violet, mode):
    binary = guest("mmap")
    ref = run_native(binary, [mode])
    r = violet(binary, [mode])
    assert ref.status == r.status == SIGSEGV_STATUS
    assert re.fullmatch(rb"fault at 0x[0-9a-f]+\n", r.stdout)
    assert b"survived" not in r.stdout


@pytest.mark.parametrize("mode", sorted(FATAL))
def test_fatal_memory_access_report_names_kind_address_and_instruction(guest, violet, mode):
    r = violet(guest("mmap"), [mode])
    address = r.out.split()[-1]
    lines = r.violet_lines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert "SIGSEGV" in line
    assert f"{FATAL[mode]} {address}" in line
    assert re.search(r"at rip 0x[0-9a-f]+: mov", line), line
    assert "Traceback" not in r.report


def test_code_written_at_run_time_runs_as_written_now(guest, violet):
    """Rewritten or remapped code runs its new bytes, never a stale translation."""
    r = same_as_native(guest("code"), violet)
    assert r.out.splitlines() == [
        "first code: 1",
        "rewritten in place: 2",
        "remapped at the same address: 3",
        "second page: 4",
    ]


@pytest.mark.parametrize("mode, line", [
    ("reused", "reused page runs: 2"),
    ("inplace", "rewritten page runs: 2"),
    ("cross", "parent's page runs: 0x2"),
])
def test_code_the_kernel_writes_runs_as_written_never_a_stale_translation(guest, violet, mode, line):
    """Code read() into a page runs, even where the frame held code that ran
    before: in this process (a page first touched by a data read, or the
    same page rewritten) or in another one (a child's freed frame must not
    run its code in the parent)."""
    r = same_as_native(guest("code_kernel_written"), violet, [mode])
    assert r.out.splitlines() == [line]


def test_calling_a_page_without_prot_exec_dies_of_sigsegv(guest, violet):
    r = same_as_native(guest("code"), violet, ["noexec"])
    assert r.status == SIGSEGV_STATUS
    assert r.out.endswith("calling a page without PROT_EXEC\n")


def test_calling_a_page_without_prot_exec_is_reported_as_an_execute_fault(guest, violet):
    r = violet(guest("code"), ["noexec"])
    lines = r.violet_lines()
    assert len(lines) == 1, lines
    assert "SIGSEGV (execute at protected address 0x600000001000) at rip 0x600000001000" in lines[0]


def test_mremap_refuses_what_linux_refuses_and_duplicates_shared_pages(guest, violet):
    """A destination over the source or past the top of user space, old_len
    0 of private memory, a silly new length: refused as on Linux (the first
    was a kernel bug, the others mapped past the top or left pages behind to
    show through a later mapping); old_len 0 of shared memory maps it twice."""
    r = same_as_native(guest("mremap_edges"), violet)
    assert r.out.splitlines() == [
        "fixed over its own source: EINVAL",
        "fixed past the top: EINVAL",
        "old_len 0, private: EINVAL",
        "grow in place past the top: EINVAL",
        "source intact: yes",
        'old_len 0, shared: ok, the copy reads "shared pages", the original "shared pages"',
        "fresh memory at the old place: 0 nonzero bytes",
    ]
