"""Ending threads and processes: the two cascade rules.

Process rule (spec, "Child Processes"): when a process exits for any
reason, every descendant is terminated in the same kernel step, like
SIGKILL (no handlers, no atexit), and reaped by the kernel; the exiting
process stays a zombie for its own parent.  Nothing is re-parented.

Thread rule (spec, "Threading"): when a thread exits, every thread it
created, and theirs, is terminated at once; their clear-child-tid words are
zeroed and futex-woken so that joiners never hang.  The main thread's exit
therefore ends the process (every thread descends from it).

Callers hold nothing; these functions may be called from a syscall handler
(the current thread may be among the victims: `k.current` is then cleared
and the run loop moves on).
"""

from __future__ import annotations

import operator
import time
from typing import TYPE_CHECKING

from ..cpu.engine import FS_BASE
from ..errors import SyscallError
from ..fs.files import FdTable, close_tables
from ..mm.frames import RECLAIM_UNIT
from . import limits
from .signals import (
    CLD_CONTINUED,
    CLD_DUMPED,
    CLD_EXITED,
    CLD_KILLED,
    CLD_STOPPED,
    SA_NOCLDSTOP,
    SA_NOCLDWAIT,
    SIG_IGN,
    SIGCHLD,
    SIGCONT,
    SIGKILL,
    Info,
    send_process,
)
from .task import ProcState, Thread, ThreadState

if TYPE_CHECKING:
    from ..mm.space import AddressSpace
    from .kernel import Kernel
    from .task import Process


def thread_subtree(t: Thread) -> list[Thread]:
    """Live threads created by t, transitively; deepest first."""
    out: list[Thread] = []
    stack = list(t.created)
    while stack:
        c = stack.pop()
        if c.alive:
            out.append(c)
        stack.extend(c.created)
    return out[::-1]


def terminate_thread(k: Kernel, t: Thread, reason: str, unseen: bool = False) -> None:
    """End one thread now.  Its clear-child-tid word is zeroed and woken,
    unless `unseen`: its whole process ends and nobody else sees its
    memory (_space_dies)."""
    if not t.alive:
        return
    t.tls = k.get_reg(t, FS_BASE)
    t.state = ThreadState.TERMINATED
    t.process.live_count -= 1
    t.ended = time.monotonic()
    t.end_reason = reason
    t.block = None
    k.threads.pop(t.tid, None)
    if k.current is t:
        k.current = None
    p = t.process
    if t.robust_list:
        from ..syscalls.futex import walk_robust_list

        walk_robust_list(k, t)
    if t.clear_child_tid and p.space is not None and not unseen:
        _clear_child_tid(k, p, t)
    t.ctx.free()
    k.events.emit("thread_exit", thread=t, reason=reason)


def exit_thread(k: Kernel, t: Thread, code: int) -> None:
    """exit(2) from thread t: t and its thread subtree end."""
    p = t.process
    victims = thread_subtree(t)
    for v in victims:
        terminate_thread(k, v, f"creator thread {t.tid} exited")
    terminate_thread(k, t, "exit")
    if victims:
        k.events.emit("thread_cascade", thread=t, killed=victims)
    if t is p.main or not p.live_count:
        exit_process(k, p, (code & 0xFF) << 8, f"exit({code & 0xFF})")


def kill_process(k: Kernel, p: Process, sig: int, reason: str, core: bool = False) -> None:
    """p dies of signal `sig` (default action), taking its descendants.
    `core`: the action dumps core; the status says so if RLIMIT_CORE lets it."""
    exit_process(k, p, sig | (0x80 if core and limits.dumps_core(p) else 0), reason)


def exit_process(k: Kernel, p: Process, wait_status: int, reason: str) -> None:
    """p ends with `wait_status`; every descendant is terminated and reaped."""
    if not p.alive:
        return

    # Every descendant goes first, in this same step, straight to REAPED.
    # The applications it launched end with it too (and theirs).
    reaped = ProcState.REAPED
    doomed = [d for d in reversed(p.dependents()) if d.state is not reaped]  # leaves first
    if doomed:
        _end_doomed(k, p, doomed)
        k.events.emit("cascade", proc=p, killed=doomed)

    # Then p itself becomes a zombie for its parent, unless nobody will
    # wait for it: the kernel reaps it at once for init and for a parent
    # that ignores SIGCHLD or set SA_NOCLDWAIT, before the parent hears of
    # it, so that no wait of the parent's can collect it.
    _teardown(k, p, wait_status, reason)
    if p.parent is k.init or p.parent is None or _autoreap(p):
        _reap(k, p)
    notify_parent(k, p, "exited")


def _end_doomed(k: Kernel, p: Process, doomed: list[Process]) -> None:
    """The cascade: every process of `doomed` (p's dependents, leaves
    first) ends with SIGKILL and is reaped, in this one step.

    Per victim only what a guest can observe at once is done here: its
    threads and the process leave the kernel's tables, its descriptors are
    closed (a pipe's reader sees the end of file, locks go), futex words
    others can see are cleared and woken.  What nobody can observe, the
    frames, leaves and mappings of an address space that dies with the
    process and the threads' saved contexts, goes on the pool's reclaim
    queue (Remains, FramePool.pending); the memory figures of --stats are
    taken there, before the release, in the same order as an immediate
    release would take them.  Under a memory budget (its charges must go
    at once) each victim is torn down completely, one after the other.
    """
    reason = f"cascade: ancestor {p.pid} exited"
    if k.pool.owner:
        for d in doomed:
            if d.alive:
                d.killed_by = p.pid
                _teardown(k, d, SIGKILL, reason)
            _reap(k, d)
        return
    now = time.monotonic()
    pid = p.pid
    threads = k.threads
    emit = k.events.emit if k.events.active else None
    procs = k.procs
    current = k.current
    object_maps = k.pool.object_maps  # 0: no space maps a shared object (_space_dies)
    dset = set(doomed)
    # Nothing is allocated per victim (a cascade that leaves objects behind
    # would set off the collector's full pass over the whole kernel): what
    # is kept for later goes into the lists of one Remains.
    later = Remains()
    ended, victims, spaces, rest = later.threads, later.procs, later.space_list, later.rest
    tables: list[FdTable] = []  # the victims' descriptor tables nobody else uses
    counted = 0  # live victims whose sponsors' chain passes through p
    TERMINATED, LIVE, REAPED = ThreadState.TERMINATED, ProcState.LIVE, ProcState.REAPED
    for d in doomed:
        if d.state is LIVE:
            d.killed_by = pid
            space = d.space
            # The space dies with d: no other process uses it and it maps
            # no shared object.  Its pages are then seen by nobody, and no
            # thread outside d waits on a futex in them: no clear-child-tid
            # word needs clearing, and the space can be given back later.
            dies = space is not None and space.users == 1 and not (object_maps and any(map(_OBJ, space.maps)))
            for t in d.threads:
                if t.state is TERMINATED:
                    continue
                if t is current:
                    t.tls = k.get_reg(t, FS_BASE)
                    k.current = current = None
                t.state = TERMINATED
                t.ended = now
                t.end_reason = reason
                if t.block is not None:
                    rest.append(t.block)  # freed later: a Block holds its frames
                    t.block = None
                threads.pop(t.tid, None)
                if t.robust_list:
                    from ..syscalls.futex import walk_robust_list

                    walk_robust_list(k, t)
                if t.clear_child_tid and not dies and space is not None:
                    _clear_child_tid(k, d, t)
                ended.append(t)
                if emit is not None:
                    emit("thread_exit", thread=t, reason=reason)
            d.live_count = 0
            d.live_below = 0
            launcher = d.launcher
            if launcher is not None:
                launcher.launched.remove(d)
            s = launcher or d.parent
            if s is p or s in dset:
                counted += 1
            else:
                for a in d.sponsors():
                    a.live_below -= 1
            d.wait_status = SIGKILL
            d.exit_reason = reason
            d.ended = now
            if d.vfork_parent is not None:
                release_vfork(k, d)
            files = d.files
            if files is not None:
                files.users -= 1
                if files.users == 0:
                    tables.append(files)
                d.files = None
            if space is not None:
                d.space = None
                space.users -= 1
                if dies:
                    victims.append(d)
                    spaces.append(space)
                else:
                    _release_space(d, space)
            rest.append(d.sig)  # freed later: its dispositions are 65 objects
            d.sig = None
            if d.timers is not None:
                from . import timers

                timers.on_exit(k, d)
            if emit is not None:
                emit("exit", proc=d, status=SIGKILL, reason=reason)
        d.state = REAPED
        procs.pop(d.pid, None)
        if d.children:
            d.children.clear()  # reaped already, all of them (leaves first)
        parent = d.parent
        if parent is not None and parent not in dset:
            try:
                parent.children.remove(d)
            except ValueError:
                pass
            parent.children_reaped.append((d.pid, d.wait_status))
    close_tables(tables)  # every descriptor at once: readers see EOF, locks go
    rest.append(tables)  # the tables themselves are freed later
    k.pool.pending.append(later)
    if counted:
        p.live_below -= counted
        for a in p.sponsors():
            a.live_below -= counted


_OBJ = operator.attrgetter("obj")  # a mapping's shared object (None for a private mapping)


def _clear_child_tid(k: Kernel, p: Process, t: Thread) -> None:
    """Zero t's clear-child-tid word and wake its waiters (set_tid_address)."""
    assert p.space is not None
    try:
        p.space.write_u32(t.clear_child_tid, 0)
    except SyscallError:
        pass
    else:
        from ..syscalls.futex import futex_wake_addr

        futex_wake_addr(k, p, t.clear_child_tid, 1 << 30)


def _release_space(p: Process, space: AddressSpace) -> None:
    """p's figures at exit, then its use of `space` ends."""
    usage = p.final_usage = space.usage()
    p.peak_resident = max(p.peak_resident, usage["resident"])
    if space.users == 0:
        space.release()


class Remains:
    """What a cascade's victims left for later (FramePool.pending), given
    back a part at a time: first the saved contexts of the `threads` it
    ended (their FS base read first), then each address space of
    `space_list` (the process of `procs` at the same place gets its memory
    figures just before), then the objects of `rest` (SigStates, Blocks,
    descriptor tables), kept so that freeing them cost the cascade
    nothing."""

    __slots__ = ("_at", "_ctx_at", "done", "procs", "rest", "space_list", "threads")

    def __init__(self) -> None:
        self.threads: list[Thread] = []
        self.procs: list[Process] = []
        self.space_list: list[AddressSpace] = []
        self.rest: list[object] = []
        self._ctx_at = 0
        self._at = 0
        self.done = False

    def spaces(self) -> list[AddressSpace]:
        return self.space_list[self._at:]

    def give_back(self, budget: int | None) -> int | None:
        threads, spaces = self.threads, self.space_list
        n = len(threads)
        while self._ctx_at < n and (budget is None or budget > 0):
            t = threads[self._ctx_at]
            self._ctx_at += 1
            if t.tls == 0:
                t.tls = t.ctx.read(FS_BASE)
            t.ctx.free()
            if budget is not None:
                budget -= 1
        n = len(spaces)
        while self._at < n and (budget is None or budget > 0):
            i = self._at
            self._at += 1
            _release_space(self.procs[i], spaces[i])
            if budget is not None:
                budget -= RECLAIM_UNIT
        if self._at == len(spaces) and self._ctx_at == len(threads):
            self.rest.clear()
            self.threads, self.procs, self.space_list = [], [], []
            self._ctx_at = self._at = 0
            self.done = True
        return budget


def _autoreap(p: Process) -> bool:
    """True if p's parent leaves no zombies (POSIX wait(2); Linux's
    do_notify_parent): its SIGCHLD is SIG_IGN or has SA_NOCLDWAIT, and p
    reports its exit with SIGCHLD.  The parent's wait then blocks until its
    last child is gone and fails with ECHILD."""
    parent = p.parent
    if parent is None or parent.sig is None or p.exit_signal != SIGCHLD:
        return False
    act = parent.sig.actions[SIGCHLD]
    return act.handler == SIG_IGN or bool(act.flags & SA_NOCLDWAIT)


def _space_dies(space: AddressSpace | None) -> bool:
    """Does nobody but its one process see this space's memory (no other
    user, no shared object mapped)?"""
    return space is not None and space.users == 1 and not any(map(_OBJ, space.maps))


def _teardown(k: Kernel, p: Process, wait_status: int, reason: str) -> None:
    unseen = _space_dies(p.space)
    for t in list(p.threads):
        terminate_thread(k, t, reason, unseen)
    if p.state is ProcState.LIVE:
        for a in p.sponsors():
            a.live_below -= 1
        if p.launcher is not None:
            p.launcher.launched.remove(p)
    p.state = ProcState.ZOMBIE
    p.wait_status = wait_status
    p.exit_reason = reason
    p.ended = time.monotonic()
    if p.vfork_parent is not None:
        release_vfork(k, p)
    if p.files is not None:
        p.files.users -= 1
        if p.files.users == 0:
            p.files.close_all()
        p.files = None
    if p.space is not None:
        p.final_usage = p.space.usage()
        p.peak_resident = max(p.peak_resident, p.final_usage["resident"])
        p.space.users -= 1
        if p.space.users == 0:
            p.space.release()
        p.space = None
    # Its dispositions (65 actions, about 7 KiB) are of no use any more;
    # the process itself stays in the kernel's history.
    p.sig = None
    if p.timers is not None:  # its POSIX timers leave the kernel's timer heap
        from . import timers

        timers.on_exit(k, p)
    k.events.emit("exit", proc=p, status=wait_status, reason=reason)


def release_vfork(k: Kernel, child: Process) -> None:
    """The vfork child execs or exits: its parent thread runs again."""
    parent_thread = child.vfork_parent
    child.vfork_parent = None
    if parent_thread is not None:
        k.wake_key(("vfork", child.pid))


WAIT_CONTINUED = 0xFFFF  # the wait(2) status of a continued child


def child_code(wait_status: int) -> tuple[int, int]:
    """The siginfo si_code and si_status that describe a wait(2) status
    (for SIGCHLD and waitid)."""
    if wait_status == WAIT_CONTINUED:
        return CLD_CONTINUED, SIGCONT
    if wait_status & 0xFF == 0x7F:
        return CLD_STOPPED, (wait_status >> 8) & 0xFF
    if wait_status & 0x7F == 0:
        return CLD_EXITED, (wait_status >> 8) & 0xFF
    return (CLD_DUMPED if wait_status & 0x80 else CLD_KILLED), wait_status & 0x7F


def notify_parent(k: Kernel, p: Process, what: str, sig: int = 0) -> None:
    """Tell p's parent that p "exited", "stopped" (by `sig`) or "continued":
    SIGCHLD, and wake its threads blocked in wait.

    A stop or continue stays in p.wait_event until a wait collects it; its
    SIGCHLD is not sent to a parent that set SA_NOCLDSTOP (Linux's
    do_notify_parent_cldstop).  An exit is signalled with p's exit signal.
    """
    parent = p.parent
    if parent is None or not parent.alive:
        return
    if what == "stopped":
        p.wait_event = (sig << 8) | 0x7F
    elif what == "continued":
        p.wait_event = WAIT_CONTINUED
    else:
        p.wait_event = 0
    if parent is not k.init and parent.sig is not None:
        code, status = child_code(p.wait_event or p.wait_status)
        info = Info(SIGCHLD, code, p.pid, p.user.uid, status=status)
        if what == "exited":
            if p.exit_signal:
                send_process(k, parent, p.exit_signal, info)
        elif not parent.sig.actions[SIGCHLD].flags & SA_NOCLDSTOP:
            send_process(k, parent, SIGCHLD, info)
    k.wake_key(("child", parent.pid))


def _reap(k: Kernel, p: Process) -> None:
    p.state = ProcState.REAPED
    k.procs.pop(p.pid, None)
    if p.parent is not None:
        try:
            p.parent.children.remove(p)
        except ValueError:
            pass
        p.parent.children_reaped.append((p.pid, p.wait_status))


def reap(k: Kernel, p: Process) -> None:
    """wait(2) collected zombie p."""
    _reap(k, p)


def discard_unstarted(k: Kernel, p: Process) -> None:
    """Undo a process whose image failed to load before it ever ran."""
    _teardown(k, p, 0, "never started")
    _reap(k, p)
    if p in k.history:
        k.history.remove(p)
    if p.parent is not None and p.parent.children_reaped and p.parent.children_reaped[-1][0] == p.pid:
        p.parent.children_reaped.pop()
