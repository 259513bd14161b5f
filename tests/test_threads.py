"""Threads (issue 4): pthreads of the guest libc (musl, through zig) under
Violet, and Violet's thread hierarchy.

Tests of Linux behaviour run the guest natively first and then under Violet
(through the CLI and through the API, the `violet` fixture) and expect the
same stdout, stderr and status.  Tests of what Violet does differently (the
hierarchy rule, the main thread's exit ending the process, the deadlock
report) run only under Violet and look at the kernel's threads afterwards.
Guests synchronise with barriers, futexes and /proc thread states, never
with sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

import pytest

from harness import Runner, run_api, run_cli, run_native, same_as_native
from thread_helpers import GUARD, ThreadRun, run_inspected, time_limit
from violet.kernel import invariants
from violet.kernel.kernel import EXIT_DEADLOCK
from violet.kernel.task import ThreadState

PAGE = 4096


@pytest.fixture
def inspect() -> Iterator:
    """inspect(prog, args=()) -> ThreadRun; the kernels close after the test."""
    runs: list[ThreadRun] = []

    def run(prog, args=(), **kernel_options) -> ThreadRun:
        r = run_inspected(prog, args, **kernel_options)
        runs.append(r)
        return r

    yield run
    for r in runs:
        r.kernel.close()


def same(binary, violet: Runner, args=()):
    """same_as_native, failing rather than hanging if either run hangs."""
    with time_limit(2 * GUARD + 30, binary.name):
        return same_as_native(binary, violet, args)


# Linux behaviour: the same output natively and under Violet ---------------


def test_join_returns_each_threads_return_value(guest, violet):
    r = same(guest("th_create_join"), violet)
    assert "sum 148" in r.out


def test_mutex_cond_sem_barrier_rwlock_keep_exact_totals_under_contention(guest, violet):
    r = same(guest("th_sync"), violet)
    assert "WRONG" not in r.out and r.out.count(" ok") == 10, r.out


def test_sync_primitives_really_contend_under_violet(guest, inspect):
    """The totals above mean something only if threads did wait for each
    other: many futex waits and wakes, and threads blocked in the kernel."""
    r = inspect(guest("th_sync"))
    assert r.status == 0, r.explain()
    assert r.app.syscalls["futex"] > 1000, r.app.syscalls
    assert r.app.threads_created == 1 + 5 * 4, r.app.threads_created


def test_thread_local_variables_are_distinct_per_thread(guest, violet):
    r = same(guest("th_tls"), violet)
    assert "WRONG" not in r.out


# The invariant checker walks every page-table leaf after each deferred
# call (5 ms with 1,000 thread stacks mapped, 12,000 calls): the runs with
# 1,000 threads check the invariants once, at the end.
_MANY_RUNNERS = {"cli": run_cli, "api": partial(run_api, check=False)}


@pytest.mark.parametrize("how", sorted(_MANY_RUNNERS))
def test_thousand_threads_alive_at_once(guest, how):
    violet = _MANY_RUNNERS[how]
    binary = guest("th_many")
    ref = run_native(binary)
    assert ref.status == 0 and "alive 1000" in ref.out, ref.out
    with time_limit(GUARD + 30, binary.name):
        got = violet(binary)
    assert got.status == 0, got.report
    # The same lines as natively, plus Violet's memory figures.
    assert [ln for ln in got.out.splitlines() if "resident" not in ln] == ref.out.splitlines()


def test_thousand_8mib_stacks_cost_only_the_pages_touched(guest, inspect):
    """1,000 threads with 8 MiB stacks each (8 GiB of stack mapped) hold
    well under 16 MiB of frames: one or two touched pages per thread."""
    r = inspect(guest("th_many"), check=False)
    assert r.status == 0, r.explain()
    assert invariants.violations(r.kernel) == []
    assert r.app.threads_created == 1001
    resident = int(re.search(r"^resident (\d+)", r.out, re.M).group(1))
    assert resident * PAGE < 16 << 20, f"{resident} pages resident with 1000 threads alive"
    assert r.app.peak_resident * PAGE < 16 << 20, r.app.peak_resident
    # Joined threads' stacks are unmapped: the frames come back.
    after = int(re.search(r"^after join resident (\d+)", r.out, re.M).group(1))
    assert after < 100, f"{after} pages still resident after every thread was joined"


def test_compute_bound_threads_do_not_starve_a_thread_that_sleeps_and_prints(guest, violet):
    binary = guest("th_starve")
    ref = run_native(binary)
    with time_limit(GUARD + 30, binary.name):
        got = violet(binary)
    assert got.status == ref.status == 0, got.report
    lines = got.out.splitlines()
    assert lines[:-1] == ref.out.splitlines()[:-1]
    late = int(re.fullmatch(r"worst lateness (\d+) ms", lines[-1]).group(1))
    assert late < 1000, f"a 20 ms sleep took {late} ms longer under Violet"


def test_fork_in_a_multithreaded_process_copies_only_the_calling_thread(guest, violet):
    r = same(guest("th_fork"), violet)
    assert "child exited 5" in r.out and "threads 4" in r.out


def test_pthread_cancel_at_each_kind_of_cancellation_point(guest, violet):
    r = same(guest("th_cancel"), violet)
    assert r.out.count("CANCELED cleanup ran") == 8, r.out


def test_signals_reach_the_thread_they_are_meant_for(guest, violet):
    """pthread_kill's target runs the handler; a process signal goes to the
    one thread that accepts it; sigwait in a thread takes a signal that
    every thread blocks."""
    r = same(guest("th_signals"), violet)
    assert "sigwait got signal 15" in r.out


def test_exec_from_a_thread_leaves_one_thread_whose_tid_is_the_pid(guest, violet):
    r = same(guest("th_exec"), violet)
    assert "tid is pid: yes, threads: 1" in r.out


@pytest.mark.parametrize("how", ["exit", "crash"])
def test_exit_group_or_crash_in_a_thread_ends_the_whole_process(guest, violet, how):
    same(guest("th_exit_group"), violet, [how])


def test_detached_threads_run_and_unmap_their_own_stacks(guest, violet):
    r = same(guest("th_detached"), violet)
    assert "finished 500 total 125250" in r.out


def test_a_lone_threads_read_modify_write_loop_counts_exactly(guest, violet):
    """Nothing may stop the engine from outside in the middle of a lone
    thread's work: Unicorn 2.1.4 may then run an instruction twice."""
    same(guest("th_lone_rmw"), violet)


def test_preempted_threads_compute_what_they_compute_natively(guest, violet):
    """Two threads run read-modify-write loops on memory without entering
    the kernel, so only time slices interrupt them (about 150 times).
    Unicorn 2.1.4 stopped by its own timeout may run such an instruction
    twice; the native block hook (violet/cpu/preempt.c) must prevent it."""
    r = same(guest("th_preempt"), violet)
    assert "shared 80000000" in r.out


# Violet's own rules ----------------------------------------------------------


def test_creator_exit_terminates_the_threads_it_created_at_once(guest, inspect):
    """A creates B, B creates C, B exits: C is terminated in the same kernel
    step, its clear-child-tid word is zeroed and woken (A's wait on it
    returns), and the kernel records why."""
    r = inspect(guest("th_hierarchy"))
    assert r.status == 0, r.explain()
    # A and B both wait for C to start, then print: in either order.
    b_lines, a_lines = ["C's creator is B: yes", "violet_creator(C) from B: B"], ["B's creator is A: yes", "A's creator: 0"]
    assert r.lines[:4] in (b_lines + a_lines, a_lines + b_lines), r.explain()
    assert r.lines[4:] == [
        "join on C returned, word 0",
        "violet_creator(C) after: ESRCH",
        "tgkill(C, 0): ESRCH",
        "C stopped counting: yes",
        "join on B: 0",
    ], r.explain()

    a = r.app.main
    (b,) = a.created
    (c,) = b.created
    assert (b.creator, c.creator) == (a, b)
    assert b.end_reason == "exit"
    assert c.end_reason == f"creator thread {b.tid} exited"
    assert c.state is b.state is ThreadState.TERMINATED
    assert c.ended <= b.ended, "C must end no later than its creator"
    assert b.ended - c.ended < 0.01, "C ended in the same step as B"


@pytest.mark.parametrize("how, names", [("join", "in the stack and TLS of thread"), ("mutex", "held by thread")])
def test_waiting_on_a_cascade_terminated_thread_is_reported_naming_it(guest, inspect, how, names):
    """A thread ended by the hierarchy rule runs no code of its own: musl's
    pthread_join on it waits for a word only its pthread_exit would clear,
    and a mutex it held stays held.  Such a wait cannot end; the kernel
    reports the deadlock, naming the futex word and the ended thread
    behind it (the word lies in its stack and TLS, or holds its tid)."""
    r = inspect(guest("th_join_killed"), [how])
    assert r.status == EXIT_DEADLOCK, r.explain()
    c = r.app.main.created[0].created[0]
    assert r.lines == [f"B joined; C was thread {c.tid}"], r.explain()
    assert c.end_reason == f"creator thread {c.creator.tid} exited", c.end_reason
    want = f"thread {r.app.pid}: futex 0x"
    line = next((ln for ln in r.report.splitlines() if want in ln), "")
    assert f"{names} {c.tid}, which ended ({c.end_reason})" in line, r.report


def test_robust_mutex_held_by_a_cascade_terminated_thread_reports_owner_dead(guest, inspect):
    """The one lock the kernel can release for a terminated thread: a
    robust mutex on the robust list the thread registered."""
    r = inspect(guest("th_robust"))
    assert r.status == 0, r.explain()
    assert r.lines == ["lock after its owner ended: EOWNERDEAD", "lock after consistent: 0"], r.explain()
    c = r.app.main.created[0].created[0]
    assert c.robust_list and c.end_reason.startswith("creator thread"), (c.robust_list, c.end_reason)


@pytest.mark.parametrize("how, status", [("pthread_exit", 0), ("sys_exit", 7)])
def test_main_thread_exit_ends_the_process(guest, inspect, how, status):
    """Under Violet the main thread's exit (pthread_exit, or exit(2) for the
    thread alone) ends the process with every other thread; under Linux the
    process would wait for the workers, which never finish."""
    args = [how] + (["7"] if how == "sys_exit" else [])
    r = inspect(guest("th_main_exit"), args)
    assert r.status == status, r.explain()
    assert r.lines == ["worker up", "worker up", "main ends"], r.explain()
    main = r.app.main
    workers = [t for t in r.app.threads if t is not main]
    assert len(workers) == 2 and all(w.creator is main for w in workers)
    assert all(w.end_reason == f"creator thread {main.tid} exited" for w in workers), [w.end_reason for w in workers]
    assert all(not t.alive for t in r.app.threads)


def test_main_thread_return_ends_the_process_as_on_linux(guest, violet):
    same(guest("th_main_exit"), violet, ["return", "3"])


def test_lock_order_deadlock_is_reported_with_its_threads(guest, inspect):
    """Two threads take two mutexes in opposite order (a barrier makes it
    certain); the main thread joins them.  Violet reports every blocked
    thread, with the futex word each waits on, and exits with 125."""
    r = inspect(guest("th_deadlock"))
    assert r.status == EXIT_DEADLOCK, r.explain()
    wants = dict(re.findall(r"thread (\d+) holds m\d 0x[0-9a-f]+, wants m\d (0x[0-9a-f]+)", r.out))
    assert len(wants) == 2, r.explain()
    blocked = dict(re.findall(r"thread (\d+): futex (0x[0-9a-f]+)", r.report))
    assert set(blocked) == {str(r.app.pid), *wants}, r.report
    # Each waits on the lock word of the mutex it wants: musl's is the
    # second int of pthread_mutex_t.
    for tid, mutex in wants.items():
        assert int(blocked[tid], 16) == int(mutex, 16) + 4, (tid, blocked[tid], mutex)
    assert all(not t.alive for t in r.app.threads)


def test_threads_that_ended_do_not_slow_down_the_ones_after(guest):
    """25000 threads created and joined in turn: each exit used to scan
    every thread the process ever had (quadratic: about 80 s here); a
    live-thread count makes it linear (about 12 s)."""
    import time

    began = time.monotonic()
    r = run_cli(guest("th_churn"), ["25000"], options=["--timeout", "120"])
    assert r.status == 0, r.report
    assert r.out == "25000 threads created and joined\n"
    assert time.monotonic() - began < 50
