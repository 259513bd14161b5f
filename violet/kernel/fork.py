"""Creating processes and threads: fork, vfork, clone.

A new process is a 1:1 copy of its parent (spec, "Child Processes"):
address space copy-on-write (or shared with CLONE_VM), the calling thread's
registers with 0 returned, the file table (copied, or shared with
CLONE_FILES), cwd, umask, signal dispositions and mask, user, permissions,
priority.  Its kind: a worker when the parent is an application or a
worker, a system process when the parent is one.

A new thread (CLONE_THREAD) joins the caller's process with its own stack,
registers and TLS, and records the caller as its creator (the thread
hierarchy).
"""

from __future__ import annotations

import enum
import errno
from typing import TYPE_CHECKING

from ..cpu import engine as cpu
from ..errors import SyscallError
from .perms import Right
from .task import Block, Kind, Process, Thread

if TYPE_CHECKING:
    from .kernel import Kernel


class CloneFlag(enum.IntFlag):
    """CLONE_* of <linux/sched.h>."""

    CSIGNAL = 0x000000FF
    VM = 0x00000100
    FS = 0x00000200
    FILES = 0x00000400
    SIGHAND = 0x00000800
    PIDFD = 0x00001000
    PTRACE = 0x00002000
    VFORK = 0x00004000
    PARENT = 0x00008000
    THREAD = 0x00010000
    NEWNS = 0x00020000
    SYSVSEM = 0x00040000
    SETTLS = 0x00080000
    PARENT_SETTID = 0x00100000
    CHILD_CLEARTID = 0x00200000
    DETACHED = 0x00400000
    UNTRACED = 0x00800000
    CHILD_SETTID = 0x01000000
    NEWCGROUP = 0x02000000
    NEWUTS = 0x04000000
    NEWIPC = 0x08000000
    NEWUSER = 0x10000000
    NEWPID = 0x20000000
    NEWNET = 0x40000000
    IO = 0x80000000


_NAMESPACES = (
    CloneFlag.NEWNS | CloneFlag.NEWCGROUP | CloneFlag.NEWUTS | CloneFlag.NEWIPC
    | CloneFlag.NEWUSER | CloneFlag.NEWPID | CloneFlag.NEWNET
)


def subtree_size(p: Process) -> int:
    """Live processes in p's subtree, p included: O(1), from the counts
    kept as processes start and end (a walk of the subtree for every
    ancestor made a fork under --max-procs quadratic in the tree's size)."""
    return 1 + p.live_below


def check_proc_budget(k: Kernel, t: Thread) -> None:
    """Every ancestor's max_procs budget counts its whole live subtree,
    the applications launched from it included (Process.sponsors)."""
    p: Process | None = t.process
    while p is not None and p is not k.init:
        budget = p.perms.max_procs
        if budget is not None and subtree_size(p) + 1 > budget:
            k.deny(t, f"process budget of {p.name}[{p.pid}] ({budget}) exhausted", errno.EAGAIN)
        p = p.launcher or p.parent


def clone(k: Kernel, t: Thread, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
    """clone(2) for the calling (loaded) thread t; returns the new id."""
    f = CloneFlag(flags & 0xFFFFFFFF)
    if f & _NAMESPACES:
        raise SyscallError(errno.EPERM, "namespaces are not supported")
    if f & CloneFlag.THREAD and not f & CloneFlag.SIGHAND:
        raise SyscallError(errno.EINVAL)
    if f & CloneFlag.SIGHAND and not f & CloneFlag.VM:
        raise SyscallError(errno.EINVAL)
    if f & CloneFlag.PIDFD:
        raise SyscallError(errno.EINVAL, "pidfds are not supported")
    if len(k.threads) >= k.max_tasks:
        k.deny(t, f"the kernel's limit of {k.max_tasks} live threads is reached", errno.EAGAIN)
    if f & CloneFlag.THREAD:
        return _new_thread(k, t, f, stack, ptid, ctid, tls)
    return _new_process(k, t, f, stack, ptid, ctid, tls)


def _copy_registers(k: Kernel, t: Thread, child: Thread, stack: int, f: CloneFlag, tls: int) -> None:
    k.cpu.save(child.ctx)  # t is loaded: the child starts from its registers
    child.ctx.write(cpu.RAX, 0)
    if stack:
        child.ctx.write(cpu.RSP, stack)
    if f & CloneFlag.SETTLS:
        child.ctx.write(cpu.FS_BASE, tls)


def _new_thread(k: Kernel, t: Thread, f: CloneFlag, stack: int, ptid: int, ctid: int, tls: int) -> int:
    p = t.process
    k.require(t, Right.THREAD, "create a thread")
    budget = p.perms.max_threads
    if budget is not None and p.live_count >= budget:
        k.deny(t, f"thread budget ({budget}) exhausted", errno.EAGAIN)
    child = k.new_thread(p, t)
    _copy_registers(k, t, child, stack, f, tls)
    assert p.space is not None
    try:
        if f & CloneFlag.PARENT_SETTID:
            p.space.write_u32(ptid, child.tid)
        if f & CloneFlag.CHILD_SETTID:
            p.space.write_u32(ctid, child.tid)
    except SyscallError:
        pass
    if f & CloneFlag.CHILD_CLEARTID:
        child.clear_child_tid = ctid
    k.events.emit("thread", thread=child, creator=t)
    return child.tid


def _new_process(k: Kernel, t: Thread, f: CloneFlag, stack: int, ptid: int, ctid: int, tls: int) -> int:
    parent = t.process
    k.require(t, Right.SPAWN, "create a process")
    check_proc_budget(k, t)
    assert parent.space is not None and parent.files is not None and parent.sig is not None

    # The file table first: copying it is what can fail (ENOMEM when the
    # kernel's descriptors are used up), before anything else is shared.
    if f & CloneFlag.FILES:
        files = parent.files
        files.users += 1
    else:
        files = parent.files.fork()
    if f & CloneFlag.VM:
        space = parent.space
        space.users += 1
    else:
        try:
            space = parent.space.fork()
        except SyscallError:  # too many mappings in the kernel: undo the table
            if files is parent.files:
                files.users -= 1
            else:
                files.close_all()
            raise
    kind = Kind.SYSTEM if parent.kind is Kind.SYSTEM else Kind.WORKER
    child = k._new_process(kind, parent, parent.user, parent.perms, space, files)
    child.cwd, child.umask, child.rlimits = parent.cwd, parent.umask, dict(parent.rlimits)
    child.argv, child.envp, child.exe = list(parent.argv), list(parent.envp), parent.exe
    child.sig = parent.sig if f & CloneFlag.SIGHAND else parent.sig.fork()
    child.exit_signal = int(f & CloneFlag.CSIGNAL)
    ct = k.new_thread(child, None)
    ct.priority, ct.sigmask, ct.altstack, ct.name = t.priority, t.sigmask, t.altstack, t.name
    child.main = ct
    _copy_registers(k, t, ct, stack, f, tls)
    try:
        if f & CloneFlag.PARENT_SETTID:
            parent.space.write_u32(ptid, child.pid)
        if f & CloneFlag.CHILD_SETTID:
            space.write_u32(ctid, child.pid)
    except SyscallError:
        pass
    if f & CloneFlag.CHILD_CLEARTID:
        ct.clear_child_tid = ctid
    k.events.emit("process", proc=child, parent=parent, kind=kind.value)

    if f & CloneFlag.VFORK:
        # The parent thread sleeps until the child execs or exits.
        child.vfork_parent = t
        pid = child.pid

        def retry() -> int:
            if child.vfork_parent is not None:
                raise Block(f"vfork child {pid}", retry, key=("vfork", pid))
            return pid

        raise Block(f"vfork child {pid}", retry, key=("vfork", pid))
    return child.pid
