"""Processes and threads: the kernel's two schedulable-object types.

Lifecycle of a Thread::

    RUNNABLE <-> BLOCKED
        \\          /
         TERMINATED          (exit, exit_group, a cascade, a kill)

Lifecycle of a Process::

    LIVE --(last thread gone / exit_group / fatal signal / cascade)--> ZOMBIE
    ZOMBIE --(reaped by its parent's wait, or by the kernel)--> REAPED

A cascade kill takes a live descendant straight to REAPED: the kernel reaps
it itself, since its parent is dying in the same step.
"""

from __future__ import annotations

import enum
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .perms import Permissions, User

if TYPE_CHECKING:
    from ..cpu.engine import Context
    from ..fs.files import FdTable
    from ..mm.space import AddressSpace
    from .signals import SigState


class Kind(enum.Enum):
    """The three process kinds of the spec."""

    SYSTEM = "system"  # created by the kernel itself: low-level
    APPLICATION = "application"  # launched on a user's behalf: userland
    WORKER = "worker"  # created by an application or worker: userland

    @property
    def low_level(self) -> bool:
        return self is Kind.SYSTEM


KIND_CODES = {Kind.SYSTEM: 0, Kind.APPLICATION: 1, Kind.WORKER: 2}


class ProcState(enum.Enum):
    LIVE = "live"
    ZOMBIE = "zombie"
    REAPED = "reaped"


class ThreadState(enum.Enum):
    RUNNABLE = "runnable"
    BLOCKED = "blocked"
    TERMINATED = "terminated"


class Block(Exception):
    """Raised by a syscall handler: the calling thread must wait.

    `retry()` is called when the thread is woken (or its deadline passes,
    with `thread.timed_out` set) and either returns the syscall's result or
    raises Block again.  `reason` shows in /proc and in deadlock reports;
    `key` names what is waited on (a futex key, a pid); `also` names more
    (poll waits on several pipes and host descriptors at once): a wake of
    any of them wakes the thread.
    """

    def __init__(
        self,
        reason: str,
        retry: Callable[[], int],
        deadline: float | None = None,
        key: object = None,
        also: tuple[object, ...] = (),
    ):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.deadline = deadline
        self.key = key
        self.keys = ((key,) if key is not None else ()) + also


class NoReturn(Exception):
    """Raised by handlers whose caller does not get a result (exit, execve)."""


@dataclass(eq=False)
class Thread:
    """A schedulable thread of a process.

    `creator` is the thread that created this one (None for a process's
    first thread) and is fixed at creation; `created` lists the live
    threads this one created.  `ctx` is valid whenever the thread is not
    the one loaded in the CPU.
    """

    tid: int
    process: Process
    ctx: Context
    creator: Thread | None = None
    created: list[Thread] = field(default_factory=list)
    state: ThreadState = ThreadState.RUNNABLE
    clear_child_tid: int = 0
    robust_list: int = 0
    robust_len: int = 0
    block: Block | None = None  # set while BLOCKED, and while a wake is pending
    blocked_call: tuple[object, tuple[int, ...]] | None = None  # (syscall entry, args) behind `block`, for tracing
    timed_out: bool = False
    woken: bool = False
    priority: int = 10  # 1 (lowest) to 20
    sigmask: int = 0
    sig_pending: int = 0
    interrupted: int = -1  # the syscall a signal cut short (EINTR set) until delivery restarts it or not
    altstack: tuple[int, int, int] = (0, 2, 0)  # sp, flags (SS_DISABLE), size
    saved_sigmask: int | None = None  # the mask to restore after sigsuspend, ppoll, pselect6 (Linux's saved_sigmask)
    restart: object = None  # how the call a signal cut short restarts (signals.Restart), with `interrupted`
    restart_fn: Callable[[], int] | None = None  # what restart_syscall(2) runs (Linux's restart_block)
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    end_reason: str = ""
    tls: int = 0  # its FS base when it ended (0 while alive), for the deadlock report
    cpu_time: float = 0.0
    vruntime: float = 0.0  # CPU seconds weighted by priority: the scheduler runs the lowest first
    name: str = ""

    @property
    def alive(self) -> bool:
        return self.state is not ThreadState.TERMINATED

    def __repr__(self) -> str:
        return f"<Thread {self.process.pid}/{self.tid} {self.state.value}>"


@dataclass(eq=False)
class Process:
    """A process: an address space, a file table and one or more threads.

    `parent` is fixed at creation (no re-parenting: a dying parent takes its
    descendants with it).  `wait_status` is the Linux wait(2) encoding,
    set when the process becomes a ZOMBIE.
    """

    pid: int
    kind: Kind
    parent: Process | None
    user: User
    perms: Permissions
    space: AddressSpace | None
    files: FdTable | None
    cwd: str = "/"
    argv: list[bytes] = field(default_factory=list)
    envp: list[bytes] = field(default_factory=list)
    exe: str = ""
    children: list[Process] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    main: Thread | None = None
    state: ProcState = ProcState.LIVE
    wait_status: int = 0
    exit_reason: str = ""
    pgid: int = 0
    sid: int = 0
    umask: int = 0o022
    sig: SigState | None = None
    exit_signal: int = 17  # SIGCHLD
    vfork_parent: Thread | None = None  # a parent thread waiting for exec/exit
    rlimits: dict[int, tuple[int, int]] = field(default_factory=dict)  # limits a guest set (kernel/limits.py)
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    syscalls: Counter[str] = field(default_factory=Counter)
    threads_created: int = 0
    live_count: int = 0  # len(live_threads), kept as threads start and end (`threads` keeps the ended ones too)
    live_below: int = 0  # live processes that count against this one's budgets (sponsors()), kept as they start and end
    peak_resident: int = 0
    killed_by: int | None = None  # pid whose exit cascaded into this one
    stopped: bool = False
    wait_event: int = 0  # a stop or continue no wait has collected yet: its wait(2) status; 0: none
    execed: bool = False  # set by a successful execve; its parent may no longer setpgid it (EACCES)
    children_reaped: list[tuple[int, int]] = field(default_factory=list)
    final_usage: dict[str, int] = field(default_factory=dict)  # memory figures at exit
    itimer_real: tuple[float, float] | None = None  # (deadline, interval): setitimer, alarm; not inherited
    itimer_generation: int = 0  # bumped at every arm or disarm; stale timer entries are ignored
    timers: object = None  # kernel/timers.py ProcTimers: POSIX timers, ITIMER_VIRTUAL/PROF; None until first used
    # violet_launch: the process that launched this application (its parent
    # is init), and the live applications this one launched.  A launched
    # application counts against its launcher's process budgets and ends
    # with it, as a descendant would.
    launcher: Process | None = None
    launched: list[Process] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.state is ProcState.LIVE

    @property
    def live_threads(self) -> list[Thread]:
        return [t for t in self.threads if t.alive]

    @property
    def name(self) -> str:
        if self.argv:
            return self.argv[0].decode(errors="replace").rsplit("/", 1)[-1]
        return self.exe.rsplit("/", 1)[-1] or "?"

    def ancestors(self) -> list[Process]:
        out = []
        p = self.parent
        while p is not None:
            out.append(p)
            p = p.parent
        return out

    def sponsors(self) -> list[Process]:
        """The processes whose budgets count this one, nearest first: the
        launcher of a launched application, otherwise the parent, and so on
        up to init."""
        out = []
        p = self.launcher or self.parent
        while p is not None:
            out.append(p)
            p = p.launcher or p.parent
        return out

    def dependents(self) -> list[Process]:
        """Every live-or-zombie process that ends with this one: its
        descendants and the applications it launched (and theirs), depth
        first, a process before those that depend on it."""
        out = []
        stack = [*reversed(self.launched), *reversed(self.children)]
        pop, push, add = stack.pop, stack.extend, out.append
        while stack:
            p = pop()
            add(p)
            if p.launched:  # most have none, and most have no children: no call then
                push(reversed(p.launched))
            if p.children:
                push(reversed(p.children))
        return out

    def descendants(self) -> list[Process]:
        """Every live-or-zombie descendant, depth first, children before grandchildren."""
        out = []
        stack = list(reversed(self.children))
        while stack:
            p = stack.pop()
            out.append(p)
            stack.extend(reversed(p.children))
        return out

    @property
    def exit_code(self) -> int | None:
        """The status a shell would report: code, or 128+signal."""
        if self.state is ProcState.LIVE:
            return None
        st = self.wait_status
        if st & 0x7F == 0:
            return (st >> 8) & 0xFF
        return 128 + (st & 0x7F)

    def __repr__(self) -> str:
        return f"<Process {self.pid} {self.name} {self.kind.value} {self.state.value}>"
