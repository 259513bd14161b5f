"""Holes an adversarial review found, each closed with a test that failed before.

- violet_launch: proc.launch is not held unless granted, launched
  applications count against the launcher's process budget, and they end
  with their launcher (DESIGN: no process a sandboxed program starts
  outlives it).
- Output to a host stream whose reader stalls blocks only the writing
  guest thread: the other guests, --timeout and Ctrl-C go on working.
- Guest code runs at CPU privilege level 3: privileged instructions and
  port I/O are a SIGSEGV as on Linux, not executed.
- --mem-budget charges every frame to one budget until it is freed:
  MAP_SHARED memory to its creator, fork's inherited frames to the parent
  that made them, so neither shared memory nor forks and unmaps go past it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from harness import BASE_ENV, run_api, run_cli, run_native, same_as_native

from violet import Kernel, Permissions
from violet.kernel import invariants
from violet.kernel.perms import ALL_RIGHTS, Right
from violet.mm.frames import Account

# violet_launch ------------------------------------------------------------------


def test_proc_launch_is_not_held_unless_granted(guest):
    binary = guest("hard_launch")
    r = run_cli(binary, ["rights"])
    assert (r.status, r.out) == (0, "launch right: no\nlaunch: EPERM\n"), r.report
    r = run_cli(binary, ["rights"], options=["--allow", "proc.launch"])
    assert r.status == 0, r.report
    assert r.out == ("launch right: yes\nhello from a launched application (kind 1)\nlaunch: ok\n"), r.report


def test_launching_runs_a_program_so_it_needs_proc_exec_too(guest):
    r = run_cli(guest("hard_launch"), ["rights"], options=["--allow", "proc.launch", "--deny", "proc.exec"])
    assert (r.status, r.out) == (0, "launch right: yes\nlaunch: EPERM\n"), r.report


def test_unknown_right_to_allow_is_a_usage_error(guest):
    r = run_cli(guest("hard_launch"), ["rights"], options=["--allow", "proc.everything"])
    assert r.status == 2 and "unknown right" in r.report, r.report


def test_launched_applications_count_against_the_launchers_process_budget(guest):
    binary = guest("hard_launch")
    r = run_cli(binary, ["budget", "10"], options=["--allow", "proc.launch", "--max-procs", "4"])
    # The launcher itself and three launched applications make four.
    assert (r.status, r.out) == (0, "launched 3, then EAGAIN\n"), r.report
    r = run_cli(binary, ["budget", "10"], options=["--allow", "proc.launch"])
    assert (r.status, r.out) == (0, "launched 10\n"), r.report


def test_launched_applications_end_with_their_launcher(guest):
    binary = guest("hard_launch")
    began = time.monotonic()
    r = run_cli(binary, ["outlive"], options=["--allow", "proc.launch"])
    assert (r.status, r.out) == (0, "the launcher exits\n"), r.report
    assert time.monotonic() - began < 10

    out = bytearray()
    k = Kernel(mem="256M", stdout=out, stderr=bytearray(), stdin=b"", check=True)
    try:
        app = k.spawn([str(binary), "outlive"], env=BASE_ENV, perms=Permissions(rights=ALL_RIGHTS))
        assert k.run(timeout=30) == 0
        launched = [p for p in k.history if p.launcher is app]
        assert len(launched) == 1, k.history
        child = launched[0]
        assert child.kind.value == "application" and child.parent is k.init
        assert child.killed_by == app.pid and child.exit_code == 128 + 9
        assert out == b"the launcher exits\n"
        assert app.launched == [] and k.init.live_below == 0
    finally:
        k.close()


def test_a_launcher_may_signal_what_it_launched_without_proc_signal(guest):
    binary = guest("hard_launch")
    r = run_cli(binary, ["signal"], options=["--allow", "proc.launch", "--deny", "proc.signal"])
    assert (r.status, r.out) == (0, "kill: ok\n"), r.report


def test_budget_counts_launched_applications_in_the_api_too(guest):
    binary = guest("hard_launch")
    out = bytearray()
    k = Kernel(mem="256M", stdout=out, stderr=bytearray(), stdin=b"", check=True)
    try:
        k.spawn([str(binary), "budget", "10"], env=BASE_ENV,
                perms=Permissions(rights=ALL_RIGHTS).restrict(max_procs=2))
        assert k.run(timeout=30) == 0
        assert out == b"launched 1, then EAGAIN\n"
        assert [e["errno"] for e in k.stats.audit] == ["EAGAIN"]
        assert Permissions().has(Right.LAUNCH) is False
    finally:
        k.close()


# a stalled reader on the host's stdout ----------------------------------------------


def _violet(options, binary, args, stdout, stderr):
    cmd = [sys.executable, "-m", "violet", "run", *options, str(binary), *args]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)


def _ended_within(proc, seconds):
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def test_stalled_stdout_reader_does_not_stop_the_timeout(guest, tmp_path):
    binary = guest("hard_output")
    r, w = os.pipe()  # held open and never read
    try:
        with open(tmp_path / "err", "wb") as err:
            began = time.monotonic()
            proc = _violet(["--timeout", "3"], binary, ["flood"], w, err)
            status = _ended_within(proc, 8)
            took = time.monotonic() - began
    finally:
        os.close(r)
        os.close(w)
    report = (tmp_path / "err").read_text()
    assert status == 124, f"status {status} after {took:.1f} s\n{report}"
    assert took < 5.5, f"the run ended {took:.1f} s after it began (timeout 3 s)\n{report}"
    assert "timeout after 3 s" in report


def test_stalled_stdout_reader_stalls_only_the_writer(guest, tmp_path):
    binary = guest("hard_output")
    r, w = os.pipe()
    try:
        with open(tmp_path / "err", "wb") as err:
            proc = _violet(["--timeout", "3"], binary, ["flood_fork"], w, err)
            status = _ended_within(proc, 8)
    finally:
        os.close(r)
        os.close(w)
    report = (tmp_path / "err").read_text()
    assert status == 124, f"status {status}\n{report}"
    assert "the other guest ran\n" in report, report


def test_ctrl_c_ends_a_run_whose_stdout_reader_stalled(guest, tmp_path):
    binary = guest("hard_output")
    r, w = os.pipe()
    try:
        with open(tmp_path / "err", "wb") as err:
            proc = _violet([], binary, ["flood"], w, err)
            time.sleep(1.5)  # the start-up, then the pipe fills and the guest blocks
            proc.send_signal(signal.SIGINT)
            status = _ended_within(proc, 4)
    finally:
        os.close(r)
        os.close(w)
    report = (tmp_path / "err").read_text()
    assert status == 130, f"status {status}\n{report}"


def _slow_reader(binary, args, runner):
    """Run the guest with stdout a pipe read only after a pause, in small
    pieces; return (stdout bytes, stderr text, status)."""
    r, w = os.pipe()
    got = bytearray()

    def drain():
        time.sleep(0.7)
        while True:
            chunk = os.read(r, 4096)
            if not chunk:
                return
            got.extend(chunk)
            time.sleep(0.0005)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        proc = runner(binary, args, w)
        os.close(w)
        w = -1
        _, err = proc.communicate(timeout=60)
    finally:
        if w >= 0:
            os.close(w)
        reader.join(60)
        os.close(r)
    return bytes(got), err.decode(), proc.returncode


def test_a_big_write_to_a_slow_reader_writes_everything_as_natively(guest):
    binary = guest("hard_output")

    def native(b, args, w):
        return subprocess.Popen([str(b), *args], stdin=subprocess.DEVNULL, stdout=w, stderr=subprocess.PIPE)

    def violet(b, args, w):
        return _violet([], b, args, w, subprocess.PIPE)

    ref = _slow_reader(binary, ["big"], native)
    got = _slow_reader(binary, ["big"], violet)
    assert ref == (b"x" * (1 << 20), "wrote 1048576\n", 0)
    assert got == ref, (len(got[0]), got[1:])


def test_nonblocking_stdout_to_a_full_pipe_is_eagain_as_natively(guest):
    binary = guest("hard_output")
    results = []
    for how in ("native", "violet"):
        r, w = os.pipe()
        try:
            if how == "native":
                proc = subprocess.Popen([str(binary), "nonblock"], stdout=w, stderr=subprocess.PIPE)
            else:
                proc = _violet([], binary, ["nonblock"], w, subprocess.PIPE)
            _, err = proc.communicate(timeout=60)
        finally:
            os.close(r)
            os.close(w)
        results.append((err.decode(), proc.returncode))
    assert results[0] == ("65536 bytes, then EAGAIN\n", 0), results
    assert results[1] == results[0], results


def test_a_big_write_to_a_host_fifo_waits_for_its_reader_as_natively(guest, tmp_path):
    binary = guest("hard_output")
    ref = run_native(binary, ["fifo", str(tmp_path / "native.fifo")])
    got = run_cli(binary, ["fifo", str(tmp_path / "violet.fifo")])
    assert (ref.stderr, ref.status) == (b"writer wrote 1048576\nreader got 1048576\n", 0)
    assert (got.stderr, got.status) == (ref.stderr, ref.status), got.report


@pytest.mark.parametrize("first", ["writer", "reader"])
def test_opening_a_host_fifo_waits_for_the_other_end_as_natively(guest, tmp_path, first):
    binary = guest("hard_output")
    mode = f"fifo_{first}_first"
    ref = run_native(binary, [mode, str(tmp_path / "native.fifo")])
    got = run_cli(binary, [mode, str(tmp_path / "violet.fifo")])
    assert (ref.stderr, ref.status) == (b"writer wrote 1048576\nreader got 1048576\n", 0)
    assert (got.stderr, got.status) == (ref.stderr, ref.status), got.report


# privileged instructions ---------------------------------------------------------


PRIVILEGED = ["hlt", "cli", "sti", "in imm", "in dx", "out imm", "out dx", "insb", "outsb", "rdmsr", "wrmsr",
              "mov to cr0", "mov to cr3", "mov from cr0", "mov to db7", "lidt", "lgdt", "lldt", "ltr", "swapgs",
              "invlpg", "clts", "wbinvd", "cli after sigreturn with IOPL 3", "out after sigreturn with IOPL 3"]


def test_privileged_instructions_are_a_sigsegv_as_natively(guest):
    binary = guest("hard_priv")
    r = same_as_native(binary, run_cli)
    expected = "".join(f"{name}: SIGSEGV 128\n" for name in PRIVILEGED)  # SI_KERNEL, as Linux's #GP
    expected += "precise: rip at the instruction: yes, rbx 1, later store 0\ntls 42, pid > 0: 1\n"
    assert r.out == expected, r.out


def test_privileged_instructions_in_the_api_too(guest):
    r = same_as_native(guest("hard_priv"), run_api)
    assert r.status == 0


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


def test_the_invariant_checker_counts_the_budget_charges(guest):
    out = bytearray()
    k = Kernel(mem="256M", stdout=out, stderr=bytearray(), stdin=b"", check=True)
    try:
        k.spawn([str(guest("hard_membudget")), "shared", "2"], env=BASE_ENV,
                perms=Permissions().restrict(mem_pages=2048))
        k.run(timeout=30)
        assert out == b"wrote 2 MiB\n"
        assert invariants.violations(k) == []
        assert not k.pool.owner  # every charged frame was freed, and uncharged, with the process
        acct = Account(4)  # a frame charged to it, then its count broken
        f = k.pool.alloc()
        acct.charge(k.pool, f)
        acct.charged += 1
        assert any("memory budget" in v for v in invariants.violations(k))
        k.pool.put(f)
        assert acct.charged == 1 and f not in k.pool.owner
    finally:
        k.close()
