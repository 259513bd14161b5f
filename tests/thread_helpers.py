"""Helpers for the thread tests (tests/test_threads.py).

`run_inspected` runs a guest in a `violet.Kernel` in this process and keeps
the kernel, so that a test can look at the threads afterwards
(`Process.threads`: tid, creator, created, state, end_reason).  Every run
is guarded twice against a hang: the kernel's own `run(timeout=)`, and a
SIGALRM a little later that fails the test even if the kernel itself is
stuck in Python code.  CLI runs (harness.run_cli) are guarded by the
subprocess timeout.
"""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from harness import BASE_ENV
from violet import Kernel
from violet.kernel.task import Process, Thread

# Seconds a run may take before it counts as hung; well above what any
# thread test needs, well below the suite's patience.
GUARD = 60.0


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Fail with TimeoutError if the block takes longer than `seconds`."""

    def expired(_signo: int, _frame: object) -> None:
        raise TimeoutError(f"{what} took more than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class ThreadRun:
    kernel: Kernel
    app: Process
    status: int  # as a shell reports it; 124 on timeout, 125 on deadlock
    stdout: bytes
    report: str  # Violet's own messages

    @property
    def out(self) -> str:
        return self.stdout.decode(errors="replace")

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def explain(self) -> str:
        return f"status {self.status}\nstdout:\n{self.out}\nviolet:\n{self.report}"

    def thread(self, tid: int) -> Thread:
        """The application's thread with this tid (the last one, after an exec)."""
        found = [t for t in self.app.threads if t.tid == tid]
        assert found, f"no thread {tid} in {self.app.threads}\n{self.explain()}"
        return found[-1]


def run_inspected(prog: str | Path, args: Sequence[str] = (), **kernel_options: object) -> ThreadRun:
    """Run prog to the end under Violet and keep the kernel (closed by the caller)."""
    out, report = bytearray(), io.StringIO()
    kernel_options.setdefault("check", True)
    k = Kernel(stdout=out, stderr=out, report=report, **kernel_options)  # type: ignore[arg-type]
    with time_limit(GUARD + 15, f"{Path(prog).name} under Violet"):
        app = k.spawn([str(prog), *args], env=dict(BASE_ENV))
        status = k.run(timeout=GUARD)
    return ThreadRun(k, app, status, bytes(out), report.getvalue())


__all__ = ["GUARD", "ThreadRun", "run_inspected", "time_limit"]
