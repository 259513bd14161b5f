"""Budgets and exhaustion, and the host side of a run: --timeout, SIGTERM
and Ctrl-C to `violet run`, a closed stdout pipe."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time

from harness import run_cli, same_as_native
from violet import Kernel


def test_open_files_stop_at_rlimit_nofile_with_emfile(guest, violet) -> None:
    got = same_as_native(guest("limits"), violet, ["fds"])
    assert got.out == "opened 61, then EMFILE\n"


def test_rlimit_nofile_keeps_both_limits_and_proc_files_seek(guest, violet) -> None:
    got = same_as_native(guest("limits"), violet, ["rlimit"])
    assert got.out == "nofile 100/200, /proc offset 0 then 1\n"


def test_calls_on_huge_ranges_cost_what_is_mapped_not_the_range(guest) -> None:
    began = time.monotonic()
    got = run_cli(guest("limits"), ["huge-ranges"], options=["--timeout", "30"])
    assert got.status == 0, got.report
    assert got.out == "moved, first byte 0\n"
    assert time.monotonic() - began < 15


def test_thread_budget_gives_eagain(guest) -> None:
    got = run_cli(guest("limits"), ["threads", "8"], options=["--max-threads", "4"])
    assert got.status == 0, got.report
    assert got.out == "created 3 threads, then EAGAIN\n"


def test_memory_budget_refuses_mappings_with_enomem(guest) -> None:
    got = run_cli(guest("limits"), ["mmap-budget"], options=["--mem-budget", "10M"])
    assert got.status == 0, got.report
    assert got.out == "mapped 2 x 4 MiB, then ENOMEM\n"


def test_touching_past_the_memory_budget_kills_with_a_report(guest) -> None:
    got = run_cli(guest("limits"), ["touch", "16"], options=["--mem-budget", "8M"])
    assert got.status == 128 + 9, got.report
    assert got.out == "mapped 16 MiB\n"
    assert "out of memory" in got.report


def test_physical_memory_running_out_kills_the_guest_not_the_kernel(guest) -> None:
    report = io.StringIO()
    k = Kernel(mem="32M", stdout=bytearray(), report=report, check=True)
    k.spawn([str(guest("limits")), "touch", "64"])
    assert k.run(timeout=60) == 128 + 9
    assert "out of memory" in report.getvalue()
    assert k.pool.in_use == k.boot_frames
    k.spawn([str(guest("hello"))])
    assert k.run() == 0


def test_timeout_ends_the_whole_tree_with_status_124(guest) -> None:
    began = time.monotonic()
    got = run_cli(guest("limits"), ["spin"], options=["--timeout", "1"])
    assert got.status == 124
    assert time.monotonic() - began < 20
    assert "timeout" in got.report


def _signalled(guest, signo: int, mode: str = "spin") -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "violet", "run", str(guest("limits")), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    proc.send_signal(signo)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_sigterm_to_violet_ends_the_guest_tree_with_143(guest) -> None:
    done = _signalled(guest, signal.SIGTERM)
    assert done.returncode == 143, done.stderr
    assert b"Traceback" not in done.stderr


def test_sigterm_stops_a_lone_thread_that_never_makes_a_syscall(guest) -> None:
    done = _signalled(guest, signal.SIGTERM, "spin-alone")
    assert done.returncode == 143, done.stderr


def test_ctrl_c_to_violet_ends_the_guest_tree_with_130(guest) -> None:
    done = _signalled(guest, signal.SIGINT)
    assert done.returncode == 130, done.stderr
    assert b"Traceback" not in done.stderr


def test_a_closed_stdout_pipe_ends_the_run_quietly(guest) -> None:
    cmd = f"{sys.executable} -m violet run {guest('limits')} lines 100000 | head -1"
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=60)
    assert done.stdout == b"line 0\n"
    assert done.stderr == b"", done.stderr


def test_the_kernel_wide_thread_limit_gives_eagain_not_host_exhaustion(guest) -> None:
    k = Kernel(mem="256M", stdout=(out := bytearray()), report=io.StringIO(), check=True)
    k.max_tasks = 6
    k.spawn([str(guest("limits")), "threads", "16"])
    assert k.run(timeout=60) == 0
    assert out.decode() == "created 5 threads, then EAGAIN\n"
    assert any("limit of 6 live threads" in e["what"] for e in k.stats.audit)


def test_a_fork_bomb_ends_with_a_report_of_what_was_refused(guest) -> None:
    got = run_cli(guest("pm_perms"), ["bomb"], options=["--max-procs", "5"])
    assert got.status == 0, got.report
    assert "violet: refused: process budget of pm_perms" in got.report and "EAGAIN" in got.report


def test_lseek_with_an_impossible_whence_is_einval(guest, violet) -> None:
    # Found by the long fuzz campaign: the host call raised OverflowError.
    got = same_as_native(guest("limits"), violet, ["lseek-whence"])
    assert got.out == "lseek file: -1 EINVAL\nlseek stdout: -1 EINVAL\n"
