"""Holes an adversarial review found, each closed with a test that failed before.

- --mem-budget charges every frame to one budget until it is freed:
  MAP_SHARED memory to its creator, fork's inherited frames to the parent
  that made them, so neither shared memory nor forks and unmaps go past it.
"""

from __future__ import annotations

from harness import run_cli


# the memory budget -----------------------------------------------------------------


def test_shared_anonymous_memory_is_charged_to_the_memory_budget(guest):
    binary = guest("hard_membudget")
    r = run_cli(binary, ["shared_many", "4"], options=["--mem-budget", "8M"])
    # The program's own pages take a little of the 8 MiB: a second 4 MiB fails.
    assert (r.status, r.out) == (0, "wrote 4 MiB, then mmap: ENOMEM\n"), r.report
    r = run_cli(binary, ["shared_many", "4"])
    assert (r.status, r.out) == (0, "wrote 256 MiB\n"), r.report


def test_inherited_frames_freed_by_a_fork_child_do_not_widen_its_budget(guest):
    binary = guest("hard_membudget")
    r = run_cli(binary, ["fork_drop", "6"], options=["--mem-budget", "8M", "--check"])
    assert (r.status, r.out) == (0, "child: mmap of 12 MiB: ENOMEM\nchild status 0\n"), r.report
    r = run_cli(binary, ["fork_drop", "6"])
    assert (r.status, r.out) == (0, "child: wrote 12 MiB\nchild status 0\n"), r.report
