"""A run under Violet that keeps its kernel, for the process-model tests.

harness.run_api closes its kernel and returns only the output; the tests
of Violet's own process model (kinds, the cascade, permissions, budgets,
frames) look at the kernel after the run: `k.history`, `k.stats.audit`,
`k.pool.in_use`.  `run_kept` returns the kernel still open, with the
frame count taken before the program was spawned; the caller closes it
(the `kept` fixture of test_process_model.py does).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from harness import BASE_ENV, RUN_TIMEOUT
from violet import Kernel
from violet.kernel.kernel import EXIT_DEADLOCK, EXIT_TIMEOUT
from violet.kernel.perms import Permissions
from violet.kernel.task import Process


@dataclass
class KeptRun:
    kernel: Kernel
    app: Process  # the application the run launched
    status: int  # as a shell reports it
    stdout: bytes
    stderr: bytes
    report: str  # Violet's own messages
    frames_before: int  # k.pool.in_use just before the spawn

    @property
    def out(self) -> str:
        return self.stdout.decode(errors="replace")

    def workers(self) -> list[Process]:
        """Every process the application's tree created, in creation order."""
        return [p for p in self.kernel.history if self.app in p.ancestors()]

    def explain(self) -> str:
        return f"status {self.status}\nstdout:\n{self.out}\nstderr:\n{self.stderr!r}\nviolet:\n{self.report}"


def run_kept(prog: str | Path, args: Sequence[str] = (), perms: Permissions | None = None) -> KeptRun:
    """Spawn prog as an application with `perms` in a fresh kernel and run
    it to the end.  A timeout or a deadlock is reported as such by
    `status` (EXIT_TIMEOUT, EXIT_DEADLOCK); nothing is closed."""
    out, err, report = bytearray(), bytearray(), io.StringIO()
    k = Kernel(stdout=out, stderr=err, report=report)
    before = k.pool.in_use
    app = k.spawn([str(prog), *args], env=dict(BASE_ENV), perms=perms)
    status = k.run(timeout=RUN_TIMEOUT)
    return KeptRun(k, app, status, bytes(out), bytes(err), report.getvalue(), before)


__all__ = ["KeptRun", "run_kept", "EXIT_DEADLOCK", "EXIT_TIMEOUT"]
