"""/proc as a guest sees it, generated when opened.

Offered: /proc/<pid>/status (with Violet's kind, user, rights and parent),
/proc/<pid>/cmdline, /proc/<pid>/maps, /proc/<pid>/stat, and
/proc/<pid>/task/<tid>/status (with the creating thread), where <pid> may
be `self`; /proc/meminfo; /proc/sys/kernel/pid_max.  Other /proc paths
are ENOENT.
"""

from __future__ import annotations

import errno
import re
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..kernel.task import ProcState, ThreadState
from .files import BytesInput

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Process, Thread

_PATH = re.compile(r"^/proc/(self|thread-self|\d+)(?:/task/(\d+))?/(status|cmdline|maps|stat|environ)$")


def _state_letter(p: Process, t: Thread | None = None) -> str:
    if p.state is ProcState.ZOMBIE:
        return "Z (zombie)"
    if p.stopped:
        return "T (stopped)"
    threads = [t] if t is not None else p.live_threads
    if threads and all(th.state is ThreadState.BLOCKED for th in threads):
        return "S (sleeping)"
    return "R (running)"


def _status(k: Kernel, p: Process, t: Thread | None) -> bytes:
    ppid = p.parent.pid if p.parent is not None else 0
    tid = t.tid if t is not None else p.pid
    lines = [
        f"Name:\t{(t.name if t and t.name else p.name)[:15]}",
        f"State:\t{_state_letter(p, t)}",
        f"Tgid:\t{p.pid}",
        f"Pid:\t{tid}",
        f"PPid:\t{ppid}",
        f"Uid:\t{p.user.uid}\t{p.user.uid}\t{p.user.uid}\t{p.user.uid}",
        f"Gid:\t{p.user.gid}\t{p.user.gid}\t{p.user.gid}\t{p.user.gid}",
        f"Threads:\t{len(p.live_threads)}",
    ]
    if p.space is not None:
        u = p.space.usage()
        lines += [f"VmSize:\t{u['mapped'] * 4} kB", f"VmRSS:\t{u['resident'] * 4} kB"]
    lines += [
        f"VioletKind:\t{p.kind.value}",
        f"VioletUser:\t{p.user.name}",
        f"VioletRights:\t{' '.join(p.perms.right_tokens()) or '-'}",  # fs.write:/out for a right limited to /out
        f"VioletParent:\t{ppid}",
    ]
    if t is not None:
        lines.append(f"VioletCreator:\t{t.creator.tid if t.creator is not None else 0}")
    return ("\n".join(lines) + "\n").encode()


def _maps(p: Process) -> bytes:
    out = []
    if p.space is None:
        return b""
    for m in p.space.maps:
        perms = ("r" if m.prot & 1 else "-") + ("w" if m.prot & 2 else "-") + ("x" if m.prot & 4 else "-")
        perms += "s" if m.shared else "p"
        out.append(f"{m.start:08x}-{m.end:08x} {perms} 00000000 00:00 0          {m.name}")
    return ("\n".join(out) + "\n").encode()


def _stat(p: Process) -> bytes:
    ppid = p.parent.pid if p.parent is not None else 0
    letter = _state_letter(p)[0]
    fields = [str(p.pid), f"({p.name[:15]})", letter, str(ppid), str(p.pgid), str(p.sid)] + ["0"] * 14
    fields[19] = str(len(p.live_threads))
    return (" ".join(fields) + " 0 0\n").encode()


def proc_file(k: Kernel, t: Thread, path: str) -> BytesInput | None:
    """The generated file for a /proc path; None if not under /proc; ENOENT if unknown."""
    if not (path == "/proc" or path.startswith("/proc/")):
        return None
    if path == "/proc/meminfo":
        total, free = k.pool.nframes * 4, k.pool.free * 4
        return BytesInput(f"MemTotal:\t{total} kB\nMemFree:\t{free} kB\nMemAvailable:\t{free} kB\n".encode())
    if path == "/proc/sys/kernel/pid_max":
        from ..kernel.kernel import MAX_PID

        return BytesInput(f"{MAX_PID}\n".encode())
    m = _PATH.match(path)
    if m is None:
        raise SyscallError(errno.ENOENT)
    who, tid, what = m.groups()
    p = t.process if who in ("self", "thread-self") else k.procs.get(int(who))
    if p is None:
        raise SyscallError(errno.ENOENT)
    th = None
    if tid is not None:
        th = next((x for x in p.threads if x.tid == int(tid) and x.alive), None)
        if th is None:
            raise SyscallError(errno.ENOENT)
    elif who == "thread-self":
        th = t
    if what in ("environ", "maps") and p.user.uid != t.process.user.uid and t.process.user.uid != 0:
        # As Linux's ptrace_may_access: another user's environment (its
        # secrets) and memory layout are not for reading.
        raise SyscallError(errno.EACCES)
    if what == "status":
        data = _status(k, p, th)
    elif what == "cmdline":
        data = b"".join(a + b"\0" for a in p.argv)
    elif what == "environ":
        data = b"".join(a + b"\0" for a in p.envp)
    elif what == "maps":
        data = _maps(p)
    else:
        data = _stat(p)
    return BytesInput(data)
