"""Process and thread calls: identity, creation, exit, wait, groups,
limits, and the start-up calls of the guest libcs."""

from __future__ import annotations

import errno
import os
import struct
from typing import TYPE_CHECKING

from ..cpu import engine as cpu
from ..errors import SyscallError
from ..kernel import exits, fork, limits
from ..kernel.perms import Right
from ..kernel.signals import SI_TKILL, SI_USER, SIGCONT, Info, check_signal, send_process, send_thread
from ..kernel.task import Block, NoReturn, ProcState
from .table import Support, syscall

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Process, Thread


def s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def s64(v: int) -> int:
    return v - (1 << 64) if v & (1 << 63) else v


# Identity -------------------------------------------------------------


@syscall("getpid", "process")
def sys_getpid(k: Kernel, t: Thread, *_: int) -> int:
    return t.process.pid


@syscall("gettid", "thread")
def sys_gettid(k: Kernel, t: Thread, *_: int) -> int:
    return t.tid


@syscall("getppid", "process")
def sys_getppid(k: Kernel, t: Thread, *_: int) -> int:
    parent = t.process.parent
    return parent.pid if parent is not None else 0


@syscall("getuid", "process")
def sys_getuid(k: Kernel, t: Thread, *_: int) -> int:
    return t.process.user.uid


@syscall("geteuid", "process")
def sys_geteuid(k: Kernel, t: Thread, *_: int) -> int:
    return t.process.user.uid


@syscall("getgid", "process")
def sys_getgid(k: Kernel, t: Thread, *_: int) -> int:
    return t.process.user.gid


@syscall("getegid", "process")
def sys_getegid(k: Kernel, t: Thread, *_: int) -> int:
    return t.process.user.gid


def _set_id(k: Kernel, t: Thread, *ids: int) -> int:
    """set*id: a process may 'change' to the ids it has; anything else is EPERM."""
    own = {t.process.user.uid, t.process.user.gid, 0xFFFFFFFF}
    if all(i & 0xFFFFFFFF in own for i in ids):
        return 0
    k.deny(t, "change user or group id")
    return -1


for _name, _n in (("setuid", 1), ("setgid", 1), ("setreuid", 2), ("setregid", 2), ("setresuid", 3), ("setresgid", 3)):
    syscall(_name, "process", Support.PARTIAL, "ids cannot change: Violet's user is fixed at launch")(
        lambda k, t, a, b, c, *_, _n=_n: _set_id(k, t, *(a, b, c)[:_n])
    )


@syscall("getresuid", "process")
def sys_getresuid(k: Kernel, t: Thread, r: int, e: int, s: int, *_: int) -> int:
    space = t.process.space
    assert space is not None
    for a in (r, e, s):
        space.write_u32(a, t.process.user.uid)
    return 0


@syscall("getresgid", "process")
def sys_getresgid(k: Kernel, t: Thread, r: int, e: int, s: int, *_: int) -> int:
    space = t.process.space
    assert space is not None
    for a in (r, e, s):
        space.write_u32(a, t.process.user.gid)
    return 0


@syscall("getgroups", "process")
def sys_getgroups(k: Kernel, t: Thread, size: int, lst: int, *_: int) -> int:
    if s32(size) < 0:
        raise SyscallError(errno.EINVAL)
    if size:
        assert t.process.space is not None
        t.process.space.write_u32(lst, t.process.user.gid)
    return 1


@syscall("capget", "process", Support.PARTIAL, "reports no capabilities")
def sys_capget(k: Kernel, t: Thread, hdr: int, data: int, *_: int) -> int:
    space = t.process.space
    assert space is not None
    if data:
        space.write(data, bytes(24))
    return 0


# Start-up ---------------------------------------------------------------

ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004


@syscall("arch_prctl", "thread", Support.PARTIAL, "ARCH_SET/GET_FS and _GS; CPUID faulting is not offered")
def sys_arch_prctl(k: Kernel, t: Thread, code: int, addr: int, *_: int) -> int:
    space = t.process.space
    assert space is not None
    if code == ARCH_SET_FS:
        if addr >= 1 << 47:
            raise SyscallError(errno.EPERM)
        k.set_reg(t, cpu.FS_BASE, addr)
        return 0
    if code == ARCH_SET_GS:
        k.set_reg(t, cpu.GS_BASE, addr)
        return 0
    if code == ARCH_GET_FS:
        space.write_u64(addr, k.get_reg(t, cpu.FS_BASE))
        return 0
    if code == ARCH_GET_GS:
        space.write_u64(addr, k.get_reg(t, cpu.GS_BASE))
        return 0
    raise SyscallError(errno.EINVAL)


@syscall("set_tid_address", "thread")
def sys_set_tid_address(k: Kernel, t: Thread, addr: int, *_: int) -> int:
    t.clear_child_tid = addr
    return t.tid


@syscall("set_robust_list", "thread")
def sys_set_robust_list(k: Kernel, t: Thread, head: int, length: int, *_: int) -> int:
    if length != 24:
        raise SyscallError(errno.EINVAL)
    t.robust_list, t.robust_len = head, length
    return 0


@syscall("get_robust_list", "thread")
def sys_get_robust_list(k: Kernel, t: Thread, tid: int, head_ptr: int, len_ptr: int, *_: int) -> int:
    target = t if tid == 0 else k.threads.get(tid)
    if target is None:
        raise SyscallError(errno.ESRCH)
    space = t.process.space
    assert space is not None
    space.write_u64(head_ptr, target.robust_list)
    space.write_u64(len_ptr, target.robust_len or 24)
    return 0


PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 15, 16, 38, 39


@syscall("prctl", "process", Support.PARTIAL, "names, dumpable, no_new_privs, pdeathsig; others are EINVAL")
def sys_prctl(k: Kernel, t: Thread, option: int, a2: int, *_: int) -> int:
    space = t.process.space
    assert space is not None
    if option == PR_SET_NAME:
        t.name = space.read_cstr(a2, 16)[:15].decode(errors="replace")
        return 0
    if option == PR_GET_NAME:
        space.write(a2, (t.name or t.process.name).encode()[:15].ljust(16, b"\0"))
        return 0
    if option in (PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG):
        return 0
    if option in (PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS):
        return 1 if option == PR_GET_DUMPABLE else 1
    if option == PR_GET_PDEATHSIG:
        space.write_u32(a2, 0)
        return 0
    raise SyscallError(errno.EINVAL)


@syscall("rseq", "thread", Support.STUB, "restartable sequences are not offered: ENOSYS, which the libcs accept")
def sys_rseq(k: Kernel, t: Thread, *_: int) -> int:
    raise SyscallError(errno.ENOSYS)


_UNAME = ("Linux", "violet", "6.1.0-violet", "#1 SMP Violet", "x86_64", "(none)")


@syscall("uname", "process")
def sys_uname(k: Kernel, t: Thread, buf: int, *_: int) -> int:
    assert t.process.space is not None
    t.process.space.write(buf, b"".join(f.encode().ljust(65, b"\0") for f in _UNAME))
    return 0


@syscall("sysinfo", "process")
def sys_sysinfo(k: Kernel, t: Thread, buf: int, *_: int) -> int:
    assert t.process.space is not None
    import time

    total = k.pool.nframes * 4096
    free = k.pool.free * 4096
    up = int(time.monotonic() - k.started)
    data = struct.pack("<q3Q6QH6xQQI", up, 0, 0, 0, total, free, 0, 0, 0, 0, len(k.procs), 0, 0, 1)
    t.process.space.write(buf, data.ljust(112, b"\0"))
    return 0


# Limits ------------------------------------------------------------------

RLIM_INFINITY = limits.RLIM_INFINITY
RLIMIT_NPROC, RLIMIT_NOFILE = limits.RLIMIT_NPROC, limits.RLIMIT_NOFILE


def _limit(k: Kernel, t: Thread, res: int) -> tuple[int, int]:
    p = t.process
    if res == RLIMIT_NOFILE:
        if p.files is None:
            return 1024, 1 << 20
        return p.files.limit, p.files.hard_limit
    if res == RLIMIT_NPROC:
        n = p.perms.max_procs
        return (RLIM_INFINITY, RLIM_INFINITY) if n is None else (n, n)
    return limits.get(p, res)


@syscall("prlimit64", "process", Support.PARTIAL,
         "RLIMIT_NPROC reads the process budget and cannot be set; only RLIMIT_NOFILE, RLIMIT_CORE and RLIMIT_AS act")
def sys_prlimit64(k: Kernel, t: Thread, pid: int, res: int, new: int, old: int, *_: int) -> int:
    if pid not in (0, t.process.pid):
        if k.procs.get(pid) is None:
            raise SyscallError(errno.ESRCH)
        raise SyscallError(errno.EPERM)
    space = t.process.space
    assert space is not None
    cur = _limit(k, t, res)
    if new:
        soft, hard = struct.unpack("<QQ", space.read(new, 16))
        if soft > hard:
            raise SyscallError(errno.EINVAL)
        if hard > cur[1]:
            raise SyscallError(errno.EPERM)
        if res == RLIMIT_NOFILE and t.process.files is not None:
            t.process.files.limit = min(soft, 1 << 20)
            t.process.files.hard_limit = hard
        elif res != RLIMIT_NPROC:
            limits.set_limit(t.process, res, soft, hard)
    if old:
        space.write(old, struct.pack("<QQ", *cur))
    return 0


@syscall("getrlimit", "process")
def sys_getrlimit(k: Kernel, t: Thread, res: int, old: int, *_: int) -> int:
    return sys_prlimit64(k, t, 0, res, 0, old)


@syscall("setrlimit", "process", Support.PARTIAL, "as prlimit64")
def sys_setrlimit(k: Kernel, t: Thread, res: int, new: int, *_: int) -> int:
    return sys_prlimit64(k, t, 0, res, new, 0)


# Scheduling ----------------------------------------------------------------


@syscall("sched_getaffinity", "thread")
def sys_sched_getaffinity(k: Kernel, t: Thread, pid: int, size: int, mask: int, *_: int) -> int:
    if size < 8 or size & 7:
        raise SyscallError(errno.EINVAL)
    assert t.process.space is not None
    t.process.space.write(mask, b"\x01" + bytes(7))
    return 8


@syscall("sched_setaffinity", "thread", Support.STUB, "one CPU: the mask is accepted and ignored")
def sys_sched_setaffinity(k: Kernel, t: Thread, *_: int) -> int:
    return 0


@syscall("sched_yield", "thread", defer=True)
def sys_sched_yield(k: Kernel, t: Thread, *_: int) -> int:
    k._yielded = True
    return 0


@syscall("getpriority", "process")
def sys_getpriority(k: Kernel, t: Thread, which: int, who: int, *_: int) -> int:
    # The raw call returns 20 - nice, as Linux does (the libc turns it back
    # into nice); a priority p stands for nice 10 - p (see setpriority).
    return 20 - (10 - t.priority)


@syscall("setpriority", "process", Support.PARTIAL, "sets the calling thread's priority: nice -10..9 maps to 20..1")
def sys_setpriority(k: Kernel, t: Thread, which: int, who: int, prio: int, *_: int) -> int:
    nice = max(-10, min(9, s32(prio)))
    t.priority = 10 - nice
    return 0


# Creation and exit -------------------------------------------------------------


@syscall("fork", "process", defer=True)
def sys_fork(k: Kernel, t: Thread, *_: int) -> int:
    return fork.clone(k, t, 17, 0, 0, 0, 0)


@syscall("vfork", "process", defer=True)
def sys_vfork(k: Kernel, t: Thread, *_: int) -> int:
    return fork.clone(k, t, fork.CloneFlag.VM | fork.CloneFlag.VFORK | 17, 0, 0, 0, 0)


@syscall("clone", "process", Support.PARTIAL, "no namespaces, no pidfds", defer=True)
def sys_clone(k: Kernel, t: Thread, flags: int, stack: int, ptid: int, ctid: int, tls: int, *_: int) -> int:
    return fork.clone(k, t, flags, stack, ptid, ctid, tls)


@syscall("clone3", "process", Support.STUB, "ENOSYS, so the libcs fall back to clone")
def sys_clone3(k: Kernel, t: Thread, *_: int) -> int:
    raise SyscallError(errno.ENOSYS)


@syscall("exit", "thread", defer=True)
def sys_exit(k: Kernel, t: Thread, code: int, *_: int) -> int:
    exits.exit_thread(k, t, code)
    raise NoReturn()


@syscall("exit_group", "process", defer=True)
def sys_exit_group(k: Kernel, t: Thread, code: int, *_: int) -> int:
    exits.exit_process(k, t.process, (code & 0xFF) << 8, f"exit({code & 0xFF})")
    raise NoReturn()


# Waiting --------------------------------------------------------------------

WNOHANG, WUNTRACED, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 2, 4, 8, 0x01000000
P_ALL, P_PID, P_PGID = 0, 1, 2


def _matches(p: Process, child: Process, pid: int) -> bool:
    if pid == -1:
        return True
    if pid > 0:
        return child.pid == pid
    if pid == 0:
        return child.pgid == p.pgid
    return child.pgid == -pid


def _wait(k: Kernel, t: Thread, pid: int, options: int, collect):  # type: ignore[no-untyped-def]
    """Shared by wait4 and waitid: find a child matching pid with an event
    that `options` asks for, or block.  The events: exited (a zombie,
    WEXITED), stopped (WSTOPPED, alias WUNTRACED) and continued (WCONTINUED),
    the last two only while no wait has collected them.  Children are looked
    at in creation order, as Linux's do_wait does.  `collect(child, status)`
    gets the event's wait(2) status; `collect(None, 0)` means WNOHANG found
    nothing."""
    p = t.process

    def attempt() -> int:
        # Without WEXITED a zombie is no child to wait for (Linux): ECHILD.
        kids = [c for c in p.children if _matches(p, c, pid) and (c.alive or options & WEXITED)]
        if not kids:
            raise SyscallError(errno.ECHILD)
        for c in kids:
            if c.state is ProcState.ZOMBIE:
                return collect(c, c.wait_status)
            event = c.wait_event
            if event and options & (WCONTINUED if event == exits.WAIT_CONTINUED else WSTOPPED):
                return collect(c, event)
        if options & WNOHANG:
            return collect(None, 0)
        raise Block(f"wait for child {pid}", attempt, key=("child", p.pid))

    return attempt()


def _collected(k: Kernel, c: Process) -> None:
    """A wait took c's event: a zombie is reaped, a stop or continue consumed."""
    if c.state is ProcState.ZOMBIE:
        exits.reap(k, c)
    else:
        c.wait_event = 0


@syscall("wait4", "process")
def sys_wait4(k: Kernel, t: Thread, pid: int, status: int, options: int, rusage: int, *_: int) -> int:
    pid = s32(pid)
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | 0x80000000 | 0x40000000 | 0x20000000):
        raise SyscallError(errno.EINVAL)
    space = t.process.space
    assert space is not None

    def collect(c: Process | None, st: int) -> int:
        if c is None:
            return 0
        if status:
            space.write_u32(status, st)
        if rusage:
            space.write(rusage, bytes(144))
        _collected(k, c)
        return c.pid

    return _wait(k, t, pid, options | WEXITED, collect)


@syscall("waitid", "process")
def sys_waitid(k: Kernel, t: Thread, idtype: int, id_: int, infop: int, options: int, *_: int) -> int:
    if idtype == P_ALL:
        pid = -1
    elif idtype == P_PID:
        pid = s32(id_)
    elif idtype == P_PGID:
        pid = -s32(id_) if id_ else 0
    else:
        raise SyscallError(errno.EINVAL)
    if not options & (WEXITED | WSTOPPED | WCONTINUED):
        raise SyscallError(errno.EINVAL)
    space = t.process.space
    assert space is not None

    def collect(c: Process | None, st: int) -> int:
        if infop:
            if c is None:
                space.write(infop, bytes(128))
            else:
                code, val = exits.child_code(st)
                body = struct.pack("<iii4xiIi", 17, 0, code, c.pid, c.user.uid, val)
                space.write(infop, body.ljust(128, b"\0"))
        if c is not None and not options & WNOWAIT:
            _collected(k, c)
        return 0

    return _wait(k, t, pid, options, collect)


# Groups and sessions -----------------------------------------------------


@syscall("setpgid", "process")
def sys_setpgid(k: Kernel, t: Thread, pid: int, pgid: int, *_: int) -> int:
    me = t.process
    target = me if pid == 0 else k.procs.get(pid)
    if target is None or not target.alive or (target is not me and target.parent is not me):
        raise SyscallError(errno.ESRCH)
    pgid = s32(pgid)
    if pgid < 0:
        raise SyscallError(errno.EINVAL)
    if target.sid != me.sid or target.pid == target.sid:
        raise SyscallError(errno.EPERM)
    if target is not me and target.execed:
        raise SyscallError(errno.EACCES)  # a child that has exec'd is out of reach (Linux: PF_FORKNOEXEC)
    pgid = pgid or target.pid
    if pgid != target.pid and not any(p.pgid == pgid and p.sid == me.sid for p in k.procs.values()):
        raise SyscallError(errno.EPERM)
    target.pgid = pgid
    return 0


@syscall("getpgid", "process")
def sys_getpgid(k: Kernel, t: Thread, pid: int, *_: int) -> int:
    target = t.process if pid == 0 else k.procs.get(pid)
    if target is None:
        raise SyscallError(errno.ESRCH)
    return target.pgid


@syscall("getpgrp", "process")
def sys_getpgrp(k: Kernel, t: Thread, *_: int) -> int:
    return t.process.pgid


@syscall("setsid", "process")
def sys_setsid(k: Kernel, t: Thread, *_: int) -> int:
    p = t.process
    if any(q.pgid == p.pid for q in k.procs.values() if q is not p):
        raise SyscallError(errno.EPERM)
    if p.pgid == p.pid:
        raise SyscallError(errno.EPERM)
    p.sid = p.pgid = p.pid
    return p.sid


@syscall("getsid", "process")
def sys_getsid(k: Kernel, t: Thread, pid: int, *_: int) -> int:
    target = t.process if pid == 0 else k.procs.get(pid)
    if target is None:
        raise SyscallError(errno.ESRCH)
    return target.sid


# Signals to processes and threads ------------------------------------------------


def same_user(me: Process, target: Process, sig: int = 0) -> bool:
    """Linux's kill_ok_by_cred: a user signals its own processes (root any),
    and SIGCONT reaches any process of the sender's session."""
    return me.user.uid in (0, target.user.uid) or (sig == SIGCONT and me.sid == target.sid)


def may_signal(k: Kernel, t: Thread, target: Process, sig: int = 0) -> None:
    """Another user's process is EPERM, as on Linux.  Signalling outside
    one's own subtree needs Right.SIGNAL.  The applications a process
    launched are in its subtree for this (they end with it and count
    against its budgets: Process.sponsors)."""
    me = t.process
    if not same_user(me, target, sig):
        raise SyscallError(errno.EPERM)
    if target is me or me in target.sponsors():
        return
    k.require(t, Right.SIGNAL, f"signal process {target.pid} outside own subtree")


@syscall("kill", "signal", defer=True)
def sys_kill(k: Kernel, t: Thread, pid: int, sig: int, *_: int) -> int:
    pid, sig = s32(pid), s32(sig)
    check_signal(sig)
    me = t.process
    if pid > 0:
        target = k.procs.get(pid)
        if target is None or target is k.init:
            raise SyscallError(errno.ESRCH if target is None else errno.EPERM)
        if target.state is not ProcState.LIVE:
            return 0
        targets = [target]
    else:
        if pid == 0:
            group = me.pgid
            targets = [p for p in k.procs.values() if p.alive and p.pgid == group and p is not k.init]
        elif pid == -1:
            targets = [p for p in k.procs.values() if p.alive and p is not k.init and p is not me]
            targets = [p for p in targets if me in p.sponsors() or me.perms.has(Right.SIGNAL)]
        else:
            targets = [p for p in k.procs.values() if p.alive and p.pgid == -pid]
        if not targets:
            raise SyscallError(errno.ESRCH)
        # As Linux: a group or every-process kill skips other users'
        # processes; EPERM (a group's) only when that leaves nobody.
        mine = [p for p in targets if same_user(me, p, sig)]
        if not mine:
            if pid == -1:
                return 0
            raise SyscallError(errno.EPERM)
        targets = mine
    for target in targets:
        may_signal(k, t, target, sig)
    for target in targets:
        send_process(k, target, sig, Info(sig, SI_USER, me.pid, me.user.uid))
    return 0


def _thread_target(k: Kernel, tgid: int | None, tid: int) -> Thread:
    target = k.threads.get(tid)
    if target is None or (tgid is not None and target.process.pid != tgid):
        raise SyscallError(errno.ESRCH)
    return target


@syscall("tkill", "signal", defer=True)
def sys_tkill(k: Kernel, t: Thread, tid: int, sig: int, *_: int) -> int:
    return sys_tgkill(k, t, 0, tid, sig)


@syscall("tgkill", "signal", defer=True)
def sys_tgkill(k: Kernel, t: Thread, tgid: int, tid: int, sig: int, *_: int) -> int:
    tid, sig = s32(tid), s32(sig)
    if tid <= 0 or (tgid and s32(tgid) <= 0):
        raise SyscallError(errno.EINVAL)
    check_signal(sig)
    target = _thread_target(k, s32(tgid) if tgid else None, tid)
    may_signal(k, t, target.process, sig)
    send_thread(k, target, sig, Info(sig, SI_TKILL, t.process.pid, t.process.user.uid))
    return 0


# Randomness ------------------------------------------------------------------

GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4


@syscall("getrandom", "process")
def sys_getrandom(k: Kernel, t: Thread, buf: int, count: int, flags: int, *_: int) -> int:
    if flags & ~7:
        raise SyscallError(errno.EINVAL)
    count = min(count, 1 << 25)
    assert t.process.space is not None
    t.process.space.write(buf, os.urandom(count))
    return count
