"""Signal calls: rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigpending,
rt_sigsuspend, rt_sigtimedwait, sigaltstack, pause, restart_syscall."""

from __future__ import annotations

import errno
import struct
import time
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..kernel import signals as sig
from ..kernel.task import Block, NoReturn
from .table import syscall

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2


def _space(t: Thread):  # type: ignore[no-untyped-def]
    assert t.process.space is not None
    return t.process.space


@syscall("rt_sigaction", "signal")
def sys_rt_sigaction(k: Kernel, t: Thread, signo: int, act: int, old: int, size: int, *_: int) -> int:
    if size != 8 or not 1 <= signo <= sig.NSIG:
        raise SyscallError(errno.EINVAL)
    st = t.process.sig
    assert st is not None
    cur = st.actions[signo]
    space = _space(t)
    new = None
    if act:
        handler, flags, restorer, mask = struct.unpack("<QQQQ", space.read(act, 32))
        if signo in (sig.SIGKILL, sig.SIGSTOP):
            raise SyscallError(errno.EINVAL)
        new = sig.Action(handler, flags, restorer, mask & ~sig.UNBLOCKABLE)
    if old:
        space.write(old, struct.pack("<QQQQ", cur.handler, cur.flags, cur.restorer, cur.mask))
    if new is not None:
        st.actions[signo] = new
        if new.handler == sig.SIG_IGN or (new.handler == sig.SIG_DFL and sig.default_action(signo) == "ignore"):
            st.pending &= ~sig.bit(signo)
            for th in t.process.threads:
                th.sig_pending &= ~sig.bit(signo)
            sig.discard_info(st, signo)
    return 0


@syscall("rt_sigprocmask", "signal", defer=True)
def sys_rt_sigprocmask(k: Kernel, t: Thread, how: int, new: int, old: int, size: int, *_: int) -> int:
    if size != 8:
        raise SyscallError(errno.EINVAL)
    space = _space(t)
    prev = t.sigmask
    if new:
        m = space.read_u64(new)
        if how == SIG_BLOCK:
            t.sigmask |= m
        elif how == SIG_UNBLOCK:
            t.sigmask &= ~m
        elif how == SIG_SETMASK:
            t.sigmask = m
        else:
            raise SyscallError(errno.EINVAL)
        t.sigmask &= ~sig.UNBLOCKABLE
    if old:
        space.write_u64(old, prev)
    return 0


@syscall("rt_sigreturn", "signal", defer=True)
def sys_rt_sigreturn(k: Kernel, t: Thread, *_: int) -> int:
    sig.sigreturn(k, t)
    raise NoReturn()


@syscall("rt_sigpending", "signal")
def sys_rt_sigpending(k: Kernel, t: Thread, out: int, size: int, *_: int) -> int:
    assert t.process.sig is not None
    _space(t).write_u64(out, (t.sig_pending | t.process.sig.pending) & t.sigmask)
    return 0


@syscall("rt_sigsuspend", "signal", defer=True)
def sys_rt_sigsuspend(k: Kernel, t: Thread, mask: int, size: int, *_: int) -> int:
    if size != 8:
        raise SyscallError(errno.EINVAL)
    new = _space(t).read_u64(mask) & ~sig.UNBLOCKABLE
    saved = t.sigmask
    t.sigmask = new

    # -ERESTARTNOHAND: restarted (with the caller's mask back, then the
    # new one again) when no handler runs, as after a stop and continue.
    restart = sig.Restart("nohand")

    def retry() -> int:
        raise sig.restartable(Block("sigsuspend", retry), restart)

    # The handler's frame records the caller's mask (saved_sigmask), so
    # rt_sigreturn puts it back.  A signal already pending and unblocked by
    # the new mask ends the call at once, as on Linux: waiting for another
    # could wait for ever (a shell's wait loop blocks SIGCHLD, then suspends).
    t.saved_sigmask = saved
    if sig.would_act(t):
        return sig.cut_short(t, sig.NR_RT_SIGSUSPEND, restart)
    raise sig.restartable(Block("sigsuspend", retry), restart)


@syscall("pause", "signal")
def sys_pause(k: Kernel, t: Thread, *_: int) -> int:
    restart = sig.Restart("nohand")

    def retry() -> int:
        raise sig.restartable(Block("pause", retry), restart)

    raise sig.restartable(Block("pause", retry), restart)


@syscall("restart_syscall", "signal")
def sys_restart_syscall(k: Kernel, t: Thread, *_: int) -> int:
    """Resume a call a stop (or a signal whose delivery did nothing) cut
    short, with what was left of its time (Linux's restart_block).  With
    nothing to resume, EINTR, as Linux's do_no_restart_syscall."""
    fn, t.restart_fn = t.restart_fn, None
    if fn is None:
        raise SyscallError(errno.EINTR)
    return fn()


@syscall("rt_sigtimedwait", "signal")
def sys_rt_sigtimedwait(k: Kernel, t: Thread, setp: int, info: int, timeout: int, size: int, *_: int) -> int:
    space = _space(t)
    wanted = space.read_u64(setp)
    deadline = None
    if timeout:
        from .timing import read_timespec

        deadline = time.monotonic() + read_timespec(k, t, timeout)
    st = t.process.sig
    assert st is not None

    def attempt() -> int:
        ready = (t.sig_pending | st.pending) & wanted
        if ready:
            signo = (ready & -ready).bit_length()
            if t.sig_pending & sig.bit(signo):
                t.sig_pending &= ~sig.bit(signo)
            else:
                st.pending &= ~sig.bit(signo)
            inf = sig.pop_info(st, signo)
            if info:
                space.write(info, sig._siginfo(inf))
            return signo
        if t.timed_out or (deadline is not None and time.monotonic() >= deadline):
            raise SyscallError(errno.EAGAIN)
        raise Block("sigtimedwait", attempt, deadline, key=("sigwait", t.tid, wanted))

    # The mask stays as it is: a sender finds the waiter by its Block key
    # (kernel/signals.py, _offer) and wakes it even though it blocks the signal.
    return attempt()


@syscall("sigaltstack", "signal")
def sys_sigaltstack(k: Kernel, t: Thread, new: int, old: int, *_: int) -> int:
    space = _space(t)
    if old:
        sp, flags, size = t.altstack
        space.write(old, struct.pack("<Qi4xQ", sp, flags, size))
    if new:
        sp, flags, size = struct.unpack("<Qi4xQ", space.read(new, 24))
        if flags & ~(sig.SS_DISABLE | (1 << 31)):
            raise SyscallError(errno.EINVAL)
        if not flags & sig.SS_DISABLE and size < 2048:
            raise SyscallError(errno.ENOMEM)
        t.altstack = (sp, flags & sig.SS_DISABLE, size)
    return 0
