"""`--stats` and `--tree`: what happened, per process, after the run."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Process, Thread


def _status(p: Process) -> str:
    if p.alive:
        return "running"
    code = p.exit_code
    st = p.wait_status
    if st & 0x7F:
        from ..kernel.signals import signal_name

        how = f"killed by {signal_name(st & 0x7F)}"
    else:
        how = f"exit {code}"
    if p.killed_by is not None:
        how = f"terminated: ancestor {p.killed_by} exited"
    return how


def print_tree(k: Kernel, out: IO[str]) -> None:
    """The process tree, each process with its thread tree."""

    def threads(p: Process, prefix: str) -> None:
        roots = [t for t in p.threads if t.creator is None or t.creator not in p.threads]
        for r in roots:
            thread(r, prefix, p)

    def thread(t: Thread, prefix: str, p: Process) -> None:
        end = "" if t.alive else f" ({t.end_reason})"
        out.write(f"{prefix}  thread {t.tid}{end}\n")
        for c in t.created:
            if c.process is p:
                thread(c, prefix + "  ", p)

    def proc(p: Process, prefix: str) -> None:
        out.write(f"{prefix}{p.pid} {p.name} [{p.kind.value}] {p.user.name}: {_status(p)}\n")
        if p is not k.init:
            threads_of = [t for t in p.threads]
            if len(threads_of) > 1:
                threads(p, prefix + "  ")
        for c in [c for c in k.history if c.parent is p]:
            proc(c, prefix + "  ")

    proc(k.init, "")


def print_stats(k: Kernel, out: IO[str]) -> None:
    """Per process: kind, user, how it ended, lifetime, syscalls, threads
    created, COW copies, and pages at exit (resident, shared, private) and
    at the peak; then the kernel's totals."""
    shown = [p for p in k.history if p is not k.init]
    width = max([28] + [len(_status(p)) for p in shown])  # the status whole: "terminated: ancestor 5 exited"
    out.write(f"pid   kind         user     {'status':{width}s} time    syscalls threads   cow"
              "  resident   shared  private     peak\n")
    for p in shown:
        life = ((p.ended or 0) - p.started) if p.ended else 0.0
        usage = p.final_usage or (p.space.usage() if p.space is not None else {})
        out.write(
            f"{p.pid:<5d} {p.kind.value:12s} {p.user.name[:8]:8s} {_status(p):{width}s} {life:6.3f}s "
            f"{sum(p.syscalls.values()):8d} {p.threads_created:7d} {usage.get('cow_copies', 0):5d} "
            f"{usage.get('resident', 0):9d} {usage.get('shared', 0):8d} {usage.get('private', 0):8d} "
            f"{max(p.peak_resident, usage.get('resident', 0)):8d}\n"
        )
    out.write(f"kernel: {_count(k.stats.syscalls, 'syscall')}, {_count(k.stats.switches, 'switch')}, "
              f"{_count(k.stats.preemptions, 'preemption')}, peak frames {k.pool.peak}, frames in use {k.pool.in_use}\n")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("ch") else f"{n} {noun}s"
