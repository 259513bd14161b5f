"""The process model (spec "Processes", DESIGN "The behaviour contract").

Each guest mode checks one property in C and prints "ok MODE" when it
holds (or "FAIL: why").  Tests of Linux behaviour run the guest natively
first and then under Violet (through the CLI and through the API) and
expect the same output and status.  Tests of what Violet adds to Linux
(kinds, the exit cascade, COW counters, permissions, the process budget)
run only under Violet, and look inside the kernel afterwards.  The guests
synchronise with pipes and waitid(WNOWAIT), never with sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import Result, run_cli, run_native, same_as_native
from procmodel_helpers import KeptRun, run_kept
from violet import Kernel, Kind, Permissions, ProcState, Right
from violet.kernel.perms import ALL_RIGHTS

SIGKILL = 9


@pytest.fixture
def kept() -> Iterator:
    """kept(prog, args, perms=None) -> KeptRun; the kernels close after the test."""
    runs: list[KeptRun] = []

    def run(prog, args=(), perms=None) -> KeptRun:
        r = run_kept(prog, args, perms)
        runs.append(r)
        return r

    yield run
    for r in runs:
        r.kernel.close()


def assert_ok(r: Result | KeptRun, mode: str) -> None:
    where = getattr(r, "how", "api (kept)")
    report = r.report if isinstance(r, Result) else r.explain()
    assert r.status == 0 and r.out.endswith(f"ok {mode}\n"), f"{where}: status {r.status}\n{r.out}\n{report}"


def assert_frames_returned(r: KeptRun) -> None:
    k = r.kernel
    assert k.pool.in_use == r.frames_before, (
        f"{k.pool.in_use - r.frames_before} frames still in use after the run "
        f"({[p for p in k.history if p.state is not ProcState.REAPED]} not reaped)"
    )


# fork ------------------------------------------------------------------


def test_fork_returns_zero_in_the_child_and_the_child_pid_in_the_parent(guest, violet):
    assert_ok(same_as_native(guest("pm_fork"), violet, ["retval"]), "retval")


def test_child_write_is_not_visible_to_parent_and_parent_write_not_to_child(guest, violet):
    assert_ok(same_as_native(guest("pm_fork"), violet, ["isolation"]), "isolation")


def test_getppid_is_the_pid_of_the_parent(guest, violet):
    assert_ok(same_as_native(guest("pm_fork"), violet, ["getppid"]), "getppid")


def test_pids_of_200_reaped_children_are_distinct_and_increasing(guest, violet, kept):
    binary = guest("pm_fork")
    assert_ok(run_native(binary, ["pids"]), "pids")
    assert_ok(violet(binary, ["pids"]), "pids")

    # Every process the kernel ever created had its own pid.
    r = kept(binary, ["pids"])
    assert_ok(r, "pids")
    pids = [p.pid for p in r.kernel.history]
    assert len(pids) == 202 and len(set(pids)) == len(pids) and pids == sorted(pids)


def test_child_inherits_mask_dispositions_cwd_umask_nice_and_open_files_but_no_pending_signal(guest, violet):
    assert_ok(same_as_native(guest("pm_fork"), violet, ["inherit"]), "inherit")


def test_vfork_parent_resumes_only_after_the_child_exits(guest, violet):
    assert_ok(same_as_native(guest("pm_fork"), violet, ["vfork"]), "vfork")


def test_posix_spawn_starts_a_child_and_returns_its_pid(guest, violet, kept):
    assert_ok(same_as_native(guest("pm_fork"), violet, ["spawn"]), "spawn")
    r = kept(guest("pm_fork"), ["spawn"])
    assert_ok(r, "spawn")
    child, *rest = r.workers()  # the missing program gave a child that never ran its image
    assert child.kind is Kind.WORKER and child.exit_code == 9 and child.execed


def test_exec_keeps_mask_pending_signals_and_ignored_dispositions(guest, violet):
    assert_ok(same_as_native(guest("pm_fork"), violet, ["exec"]), "exec")


def test_map_shared_anonymous_memory_stays_shared_across_fork(guest, violet):
    assert_ok(same_as_native(guest("pm_shared"), violet), "shared")


def test_fork_shares_pages_and_a_write_copies_exactly_one(guest, kept):
    r = kept(guest("pm_memstats"))
    assert_ok(r, "memstats")
    assert_frames_returned(r)


# wait --------------------------------------------------------------------


def test_wait4_with_a_pid_collects_that_child_only(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["pid"]), "pid")


def test_wait4_minus_one_collects_every_child_once(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["any"]), "any")


def test_wait4_zero_and_minus_pgid_select_children_by_process_group(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["pgrp"]), "pgrp")


def test_wnohang_returns_zero_while_the_child_lives(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["wnohang"]), "wnohang")


def test_wait_without_a_matching_child_is_echild(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["echild"]), "echild")


def test_wait_status_encodes_the_exit_code_or_the_killing_signal(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["status"]), "status")


def test_waitid_p_pid_and_p_all_report_pid_code_and_status(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["waitid"]), "waitid")


def test_parent_ignoring_sigchld_leaves_no_zombies_and_wait_ends_with_echild(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["nocldwait"]), "nocldwait")


def test_wait_reports_a_stop_and_a_continue_once_each_with_sigchld(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["stopped"]), "stopped")


def test_a_stop_holds_every_thread_even_one_blocked_in_a_call(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["stopped_threads"]), "stopped_threads")


def test_wait_interrupted_by_a_handler_restarts_with_sa_restart_and_fails_eintr_without(guest, violet):
    assert_ok(same_as_native(guest("pm_wait"), violet, ["restart"]), "restart")


# groups, sessions, signals ----------------------------------------------------


def test_setpgid_getpgid_setsid_getsid_follow_linux(guest, violet):
    assert_ok(same_as_native(guest("pm_groups"), violet, ["groups"]), "groups")


def test_setpgid_on_a_session_leader_is_eperm(guest, violet):
    assert_ok(same_as_native(guest("pm_groups"), violet, ["setpgid_session"]), "setpgid_session")


def test_setpgid_on_a_child_that_has_exec_d_is_eacces(guest, violet):
    assert_ok(same_as_native(guest("pm_groups"), violet, ["exec"]), "exec")


def test_sigterm_and_sigkill_default_actions_end_the_victim(guest, violet):
    assert_ok(same_as_native(guest("pm_groups"), violet, ["kill"]), "kill")


def test_kill_with_signal_zero_tells_whether_the_pid_exists(guest, violet):
    assert_ok(same_as_native(guest("pm_groups"), violet, ["exists"]), "exists")


# kinds -------------------------------------------------------------------


def test_guest_sees_application_at_top_and_workers_below(guest, violet):
    assert_ok(violet(guest("pm_tree"), ["kinds"]), "kinds")


def test_history_shows_init_system_application_and_worker_kinds(guest, kept):
    r = kept(guest("pm_tree"), ["kinds"])
    assert_ok(r, "kinds")
    k = r.kernel
    init, app, *workers = k.history
    assert (init.pid, init.kind, init.parent) == (1, Kind.SYSTEM, None)
    assert (app.kind, app.parent) == (Kind.APPLICATION, init)
    assert [w.kind for w in workers] == [Kind.WORKER, Kind.WORKER]
    assert workers[0].parent is app and workers[1].parent is workers[0]
    assert all(p.state is ProcState.REAPED for p in (app, *workers))


def test_a_process_forked_by_a_system_process_is_system(guest):
    binary = guest("pm_fork")
    out = bytearray()
    with Kernel(stdout=out) as k:
        app = k.spawn([str(binary), "retval"], kind=Kind.SYSTEM)
        assert k.run(timeout=60) == 0, out
        child = [p for p in k.history if p.parent is app]
        assert app.kind is Kind.SYSTEM and [c.kind for c in child] == [Kind.SYSTEM]


# the exit cascade ---------------------------------------------------------------


def test_grandchild_is_gone_right_after_its_parent_is_reaped(guest, violet):
    assert_ok(violet(guest("pm_tree"), ["cascade"]), "cascade")


def test_grandchild_dies_with_its_parent_killed_by_it(guest, kept):
    r = kept(guest("pm_tree"), ["cascade"])
    assert_ok(r, "cascade")
    child, grandchild = r.workers()
    assert child.parent is r.app and grandchild.parent is child
    assert child.killed_by is None and child.wait_status == 0
    assert grandchild.killed_by == child.pid
    assert grandchild.wait_status & 0x7F == SIGKILL
    assert grandchild.state is ProcState.REAPED
    assert_frames_returned(r)


def test_exit_reaps_every_descendant_and_frees_every_frame(guest, kept):
    r = kept(guest("pm_tree"), ["tree"])
    assert_ok(r, "tree")
    assert "tree: 14 parked, 7 zombies" in r.out
    descendants = r.workers()
    assert len(descendants) == 21
    assert all(p.state is ProcState.REAPED for p in [r.app, *descendants])

    # The parked workers were live when the application exited: the
    # cascade killed them, like SIGKILL.  The zombies had exited already.
    parked = [p for p in descendants if p.wait_status != 5 << 8]
    zombies = [p for p in descendants if p.wait_status == 5 << 8]
    assert len(parked) == 14 and len(zombies) == 7
    assert all(p.killed_by == r.app.pid and p.wait_status == SIGKILL for p in parked)
    assert all(p.killed_by is None for p in zombies)
    assert not r.kernel.live_processes() or r.kernel.live_processes() == [r.kernel.init]
    assert_frames_returned(r)


def test_a_wide_cascade_is_complete_when_wait_returns(guest, violet):
    # Pipe ends closed, pids gone (kill and /proc), memory back in
    # /proc/meminfo right after waitpid, with the invariant checker on
    # (API) while the cascade's memory waits in the reclaim queue.
    assert_ok(violet(guest("pm_tree"), ["wide"]), "wide")


def test_a_wide_cascade_frees_every_frame_and_keeps_the_figures(guest, kept):
    r = kept(guest("pm_tree"), ["wide"])
    assert_ok(r, "wide")
    victims = [p for p in r.workers() if p.killed_by is not None]
    assert len(victims) == 30
    assert all(p.state is ProcState.REAPED and p.wait_status == SIGKILL for p in victims)
    # Each wrote 3 pages of its own: they were resident and private at exit.
    assert all(p.final_usage["resident"] >= 3 and p.final_usage["private"] >= 3 for p in victims), \
        [p.final_usage for p in victims]
    assert all(p.peak_resident >= p.final_usage["resident"] for p in victims)
    assert not r.kernel.pool.pending
    assert_frames_returned(r)


# permissions -------------------------------------------------------------------


def test_fork_without_proc_spawn_fails_with_eperm(guest):
    binary = guest("pm_perms")
    assert run_cli(binary, ["fork"]).out == "fork: ok\n"
    r = run_cli(binary, ["fork"], options=["--deny", "proc.spawn"])
    assert (r.status, r.out) == (0, "fork: EPERM\n"), r.report


def test_denied_fork_is_recorded_as_an_audit_event(guest, kept):
    r = kept(guest("pm_perms"), ["fork"], Permissions().restrict(Right.SPAWN))
    assert (r.status, r.out) == (0, "fork: EPERM\n"), r.explain()
    events = r.kernel.stats.audit
    assert [(e["pid"], e["errno"]) for e in events] == [(r.app.pid, "EPERM")], events
    assert "process" in events[0]["what"]
    assert len(r.kernel.history) == 2  # init and the application: no child was made


def test_dropped_right_is_inherited_and_never_comes_back(guest, kept):
    # proc.launch is held only when granted (violet run --allow proc.launch).
    r = kept(guest("pm_perms"), ["drop"], Permissions(rights=ALL_RIGHTS))
    assert_ok(r, "drop")
    app = r.app
    assert not app.perms.has(Right.LAUNCH)
    workers = r.workers()
    assert workers and all(not w.perms.has(Right.LAUNCH) for w in workers)
    # The child that dropped proc.spawn kept that to itself.
    assert app.perms.has(Right.SPAWN)
    assert any(not w.perms.has(Right.SPAWN) for w in workers)
    assert {e["errno"] for e in r.kernel.stats.audit} == {"EPERM"}


SIGNAL_OUTCOMES = ["worker -> its parent", "worker -> its sibling", "worker -> itself", "worker -> its child",
                   "top -> its child"]


def test_signals_outside_the_own_subtree_need_proc_signal(guest, kept):
    binary = guest("pm_perms")
    allowed = run_cli(binary, ["signal"])
    assert allowed.out == "".join(f"{w}: ok\n" for w in SIGNAL_OUTCOMES), allowed.report

    denied = run_cli(binary, ["signal"], options=["--deny", "proc.signal"])
    expected = ["EPERM", "EPERM", "ok", "ok", "ok"]
    assert denied.out == "".join(f"{w}: {e}\n" for w, e in zip(SIGNAL_OUTCOMES, expected)), denied.report

    r = kept(binary, ["signal"], Permissions().restrict(Right.SIGNAL))
    assert r.status == 0, r.explain()
    worker = r.workers()[1]
    assert [(e["pid"], e["errno"]) for e in r.kernel.stats.audit] == [(worker.pid, "EPERM")] * 2


# the process budget -------------------------------------------------------------


def test_fork_bomb_gets_eagain_at_the_process_budget_and_the_run_ends(guest):
    r = run_cli(guest("pm_perms"), ["bomb"], options=["--max-procs", "5"])
    assert (r.status, r.out) == (0, "fork bomb: EAGAIN\n"), r.report
    assert b"Traceback" not in r.stderr and "Traceback" not in r.report


def test_fork_bomb_never_exceeds_the_budget_and_the_kernel_survives(guest, kept):
    r = kept(guest("pm_perms"), ["bomb"], Permissions(max_procs=5))
    assert (r.status, r.out) == (0, "fork bomb: EAGAIN\n"), r.explain()
    k = r.kernel

    # No process was refused because of anything but the budget, and the
    # tree never held more than 5 processes: none exits before the end.
    assert len(r.workers()) == 4
    assert r.kernel.stats.audit and {e["errno"] for e in k.stats.audit} == {"EAGAIN"}
    assert all(p.state is ProcState.REAPED for p in k.history[1:])
    assert_frames_returned(r)

    # The same kernel runs another program afterwards.
    again = k.spawn([str(guest("pm_fork")), "retval"])
    k.run(timeout=60)
    assert again.exit_code == 0
    assert_frames_returned(r)


def test_process_budget_counts_live_processes_not_all_ever_made(guest, kept):
    # 200 children one after the other, each reaped before the next: the
    # budget of 2 (the program and one child) is never exceeded.
    r = kept(guest("pm_fork"), ["pids"], Permissions(max_procs=2))
    assert_ok(r, "pids")
    assert not r.kernel.stats.audit



def test_process_budget_of_a_deep_tree_is_checked_without_walking_it(guest):
    """A chain of 1500 processes under --max-procs 1500: each fork walked
    the whole subtree of every ancestor (cubic: about four minutes here);
    counts kept as processes start and end make it a few seconds."""
    import time

    from harness import run_cli

    began = time.monotonic()
    got = run_cli(guest("deep_chain"), ["5000"], options=["--max-procs", "1500", "--timeout", "120"])
    assert got.out.splitlines() == ["fork failed at depth 1499: EAGAIN", "deepest 1499"], got.report
    assert got.status == 0
    assert time.monotonic() - began < 40
