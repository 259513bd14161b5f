"""Violet's extension calls (numbers from VIOLET_BASE; guest/violet.h wraps them).

    violet_kind(pid)          the process kind: 0 system, 1 application, 2 worker
    violet_rights()           the calling process's rights (a Right bit mask)
    violet_drop(mask)         drop rights; never gains any
    violet_memstats(buf)      six u64: resident, shared, private pages,
                              COW copies, zero fills, leaf copies
    violet_creator(tid)       the tid of the thread that created `tid` (0: none)
    violet_restrict_paths(rights, paths, flags)  (in fileio.py) narrow fs.read/fs.write to path prefixes
    violet_launch(path, argv) start an application (needs proc.launch, which
                              no process holds unless granted): a child of
                              init, counted against the launcher's process
                              budgets, ended when the launcher ends
"""

from __future__ import annotations

import errno
import os
import struct
from typing import TYPE_CHECKING

from ..errors import LoadError, SyscallError
from ..kernel.fork import check_proc_budget
from ..kernel.perms import Right
from ..kernel.task import KIND_CODES, Kind
from .table import VIOLET_BASE, syscall

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread

VIOLET_KIND, VIOLET_RIGHTS, VIOLET_DROP, VIOLET_MEMSTATS, VIOLET_CREATOR, VIOLET_LAUNCH = range(VIOLET_BASE, VIOLET_BASE + 6)


@syscall("violet_kind", "process", nr=VIOLET_KIND)
def sys_violet_kind(k: Kernel, t: Thread, pid: int, *_: int) -> int:
    p = t.process if pid == 0 else k.procs.get(pid)
    if p is None:
        raise SyscallError(errno.ESRCH)
    return KIND_CODES[p.kind]


@syscall("violet_rights", "process", nr=VIOLET_RIGHTS)
def sys_violet_rights(k: Kernel, t: Thread, *_: int) -> int:
    return int(t.process.perms.rights)


@syscall("violet_drop", "process", nr=VIOLET_DROP)
def sys_violet_drop(k: Kernel, t: Thread, mask: int, *_: int) -> int:
    p = t.process
    p.perms = p.perms.restrict(Right(mask & int(p.perms.rights)))
    k.events.emit("drop", proc=p, rights=mask)
    return 0


@syscall("violet_memstats", "memory", nr=VIOLET_MEMSTATS)
def sys_violet_memstats(k: Kernel, t: Thread, buf: int, *_: int) -> int:
    space = t.process.space
    assert space is not None
    u = space.usage()
    keys = ("resident", "shared", "private", "cow_copies", "zero_fills", "leaf_copies")
    space.write(buf, struct.pack("<6Q", *(u[x] for x in keys)))
    return 0


@syscall("violet_creator", "thread", nr=VIOLET_CREATOR)
def sys_violet_creator(k: Kernel, t: Thread, tid: int, *_: int) -> int:
    target = t if tid == 0 else k.threads.get(tid)
    if target is None:
        raise SyscallError(errno.ESRCH)
    return target.creator.tid if target.creator is not None else 0


@syscall("violet_launch", "process", nr=VIOLET_LAUNCH, defer=True)
def sys_violet_launch(k: Kernel, t: Thread, path: int, argv: int, *_: int) -> int:
    from .fileio import _strings

    k.require(t, Right.LAUNCH, "launch an application")
    # It runs a program, as execve does: a process that gave up proc.exec
    # may not start one this way either.
    k.require(t, Right.EXEC, "launch an application without proc.exec")
    # The new application counts against the launcher's process budgets
    # (and the kernel's thread limit) as a fork would, and ends with it.
    if len(k.threads) >= k.max_tasks:
        k.deny(t, f"the kernel's limit of {k.max_tasks} live threads is reached", errno.EAGAIN)
    check_proc_budget(k, t)
    space = t.process.space
    assert space is not None
    prog = os.fsdecode(space.read_cstr(path))
    args = _strings(t, argv) or [os.fsencode(prog)]
    host = k.vfs.host_path(prog, t.process.cwd)
    _check_readable(k, t, host)  # running a file reads it, as execve
    try:
        p = k.spawn([os.fsencode(k.vfs.guest_path(host))] + args[1:], env=t.process.envp, kind=Kind.APPLICATION,
                    user=t.process.user, perms=t.process.perms, cwd=t.process.cwd, launcher=t.process)
    except LoadError as e:
        raise SyscallError(e.errno, e.reason) from None
    return p.pid


def _check_readable(k: Kernel, t: Thread, host: str) -> None:
    """fs.read at the program's resolved path and at each #! interpreter's
    (Kernel.spawn follows up to 4), as execve checks them (fileio._image_for)."""
    import stat

    from .fileio import _check_path

    for _ in range(5):
        _check_path(k, t, Right.FS_READ, k.vfs.guest_path(host), "launch a program")
        try:
            if not stat.S_ISREG(os.stat(host).st_mode):  # spawn says why; a FIFO's open would block
                return
            with open(host, "rb") as f:
                head = f.read(256)
        except OSError:
            return
        interp = head[2:].split(b"\n", 1)[0].strip().partition(b" ")[0] if head.startswith(b"#!") else b""
        if not interp:
            return
        try:
            host = k.vfs.find_program(os.fsdecode(interp), "/")[0]
        except LoadError:
            return
