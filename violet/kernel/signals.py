"""Signals: dispositions, pending sets, delivery with Linux's x86-64 frame.

A signal is sent to a process (kill) or to a thread (tkill, tgkill, a
fault).  It is delivered when its target thread next returns to user mode
(`deliver_pending`, called before every slice).  Delivery follows Linux's
setup_rt_frame() for x86-64: below the red zone, an FXSAVE-format FPU area
(64-byte aligned), then `struct rt_sigframe` { pretcode, ucontext, siginfo },
with the stack pointer 16-byte aligned minus 8 at the handler's entry, as
after a call.  rt_sigreturn reads the ucontext back, so a handler that
rewrites uc_mcontext (the guest libc's thread cancellation rewrites RIP)
changes where the thread resumes.

A signal interrupts a blocked syscall of the thread that takes it, unless
delivering it would do nothing (ignored, or a default action of ignore or
continue).  When the signal is delivered, the call ends as Linux's restart
codes say (`Restart`, which a blocking call attaches to its Block):

- "sys" (-ERESTARTSYS, the default): restarted (RIP back over the syscall
  instruction, RAX its number again) if no handler runs (a stop and
  continue, a signal ignored by then) or if the handler has SA_RESTART;
  otherwise EINTR;
- "nohand" (-ERESTARTNOHAND: pause, sigsuspend, select, ppoll, poll without
  a timeout): restarted if no handler runs, EINTR after any handler;
- "block" (-ERESTART_RESTARTBLOCK: nanosleep, poll with a timeout, a timed
  futex wait): if no handler runs, restart_syscall(2) resumes the call
  with what is left of its time; EINTR after any handler;
- "never": EINTR (sigtimedwait, epoll_wait: Linux gives EINTR even after a
  stop and continue).

Default actions: terminate, terminate with core (reported as such in the
wait status), ignore, stop, continue.
"""

from __future__ import annotations

import ctypes
import errno
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..cpu import engine as cpu
from ..errors import SyscallError
from .task import Block, ThreadState

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Process, Thread

NSIG = 64
SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE = 1, 2, 3, 4, 5, 6, 7, 8
SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM = 9, 10, 11, 12, 13, 14, 15
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG = 17, 18, 19, 20, 21, 22, 23
SIGVTALRM, SIGPROF, SIGWINCH, SIGSYS = 26, 27, 28, 31

SIG_DFL, SIG_IGN = 0, 1
SA_NOCLDSTOP, SA_NOCLDWAIT = 1, 2
SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_RESTORER = 4, 0x08000000, 0x10000000, 0x40000000, 0x80000000, 0x04000000
SS_ONSTACK, SS_DISABLE = 1, 2

_NAMES = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
    9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
    23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO",
    30: "SIGPWR", 31: "SIGSYS",
}
_CORE = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, 24, 25, SIGSYS}
_IGNORE = {SIGCHLD, SIGURG, SIGWINCH}
_STOP = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))

# Calls that return EINTR when a signal interrupts them, handler or not,
# unless their Block says otherwise: Linux never restarts epoll_wait and
# sigtimedwait, even after a stop and continue.
_NO_RESTART = frozenset({"rt_sigtimedwait", "epoll_wait", "epoll_pwait", "epoll_pwait2"})


@dataclass
class Restart:
    """How a blocking call ends when a signal cuts it short (module doc)."""

    kind: str  # "sys", "nohand", "block" or "never"
    again: Callable[[], int] | None = None  # "block": what restart_syscall runs
    on_cut: Callable[[], None] | None = None  # when the call is cut short (nanosleep writes *rem)


def restartable(blk: Block, restart: Restart) -> Block:
    """Attach `restart` to a Block a call raises (every Block it raises)."""
    blk.restart = restart  # type: ignore[attr-defined]
    return blk


# si_code values
SI_USER, SI_QUEUE, SI_TIMER, SI_TKILL, SI_KERNEL = 0, -1, -2, -6, 0x80
SEGV_MAPERR, SEGV_ACCERR = 1, 2
ILL_ILLOPN, FPE_INTDIV, BUS_ADRALN, BUS_ADRERR, TRAP_BRKPT = 2, 1, 1, 2, 1
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 5, 6


def signal_name(sig: int) -> str:
    if 34 <= sig <= 64:
        return f"SIGRT{sig - 34}" if sig > 34 else "SIGRTMIN"
    return _NAMES.get(sig, f"signal {sig}")


def default_action(sig: int) -> str:
    if sig in _CORE:
        return "core"
    if sig in _IGNORE:
        return "ignore"
    if sig in _STOP:
        return "stop"
    if sig == SIGCONT:
        return "continue"
    return "terminate"


def bit(sig: int) -> int:
    return 1 << (sig - 1)


@dataclass
class Action:
    """One disposition.  Never changed in place (replaced in
    SigState.actions): a forked SigState shares its parent's."""

    handler: int = SIG_DFL
    flags: int = 0
    restorer: int = 0
    mask: int = 0


@dataclass
class Info:
    """The siginfo the kernel will deliver with a signal."""

    signo: int
    code: int = SI_USER
    pid: int = 0
    uid: int = 0
    addr: int = 0
    status: int = 0
    value: int = 0  # si_value (SI_TIMER, SI_QUEUE)
    timer: object = None  # the POSIX timer (kernel/timers.py) that sent it
    overrun: int = 0  # si_overrun, set when a timer's signal is delivered


def pop_info(st: SigState, sig: int) -> Info:
    """The siginfo of a pending sig being taken; a timer's signal re-arms
    its timer and gets its overrun count."""
    info = st.infos.pop(sig, None)
    if info is None:
        return Info(sig)
    if info.timer is not None:
        info.overrun = info.timer.delivered(info)  # type: ignore[attr-defined]
    return info


def discard_info(st: SigState, sig: int) -> None:
    """A pending sig is thrown away (its action became ignore)."""
    if sig in st.infos:
        pop_info(st, sig)


@dataclass
class SigState:
    """Dispositions (shared by CLONE_SIGHAND threads) and process-wide pending signals."""

    actions: list[Action] = field(default_factory=lambda: [Action() for _ in range(NSIG + 1)])
    pending: int = 0
    infos: dict[int, Info] = field(default_factory=dict)

    def fork(self) -> SigState:
        return SigState(list(self.actions))  # the Actions are shared: nobody changes one in place

    def reset_for_exec(self) -> None:
        actions = self.actions
        for i, a in enumerate(actions):
            if a.handler != SIG_IGN and (a.handler != SIG_DFL or a.flags or a.restorer or a.mask):
                actions[i] = Action()


def check_signal(sig: int, allow_zero: bool = True) -> None:
    if not (0 <= sig <= NSIG) or (sig == 0 and not allow_zero):
        raise SyscallError(errno.EINVAL)


def send_process(k: Kernel, p: Process, sig: int, info: Info) -> None:
    """Make `sig` pending for process p (kill(2)); wake a thread to take it."""
    if not p.alive or sig == 0 or p.sig is None:
        return
    act = p.sig.actions[sig]
    if sig == SIGKILL:
        from . import exits

        exits.kill_process(k, p, SIGKILL, f"killed by {signal_name(sig)}")
        return
    if sig == SIGCONT:
        _continue(k, p)
    if sig in _STOP:
        p.sig.pending &= ~bit(SIGCONT)
    main = p.main if p.main is not None and p.main.alive else None
    if _ignored(act, sig) and (main is None or not main.sigmask & bit(sig)):
        return
    p.sig.pending |= bit(sig)
    p.sig.infos.setdefault(sig, info)
    for t in p.threads:
        if t.alive and _offer(k, t, sig, act):
            break


def send_thread(k: Kernel, t: Thread, sig: int, info: Info) -> None:
    """Make `sig` pending for thread t (tkill, tgkill)."""
    p = t.process
    if not t.alive or sig == 0 or p.sig is None:
        return
    if sig == SIGKILL:
        send_process(k, p, sig, info)
        return
    if sig == SIGCONT:
        _continue(k, p)
    act = p.sig.actions[sig]
    if _ignored(act, sig) and not t.sigmask & bit(sig):
        return
    t.sig_pending |= bit(sig)
    p.sig.infos.setdefault(sig, info)
    _offer(k, t, sig, act)


def _ignored(act: Action, sig: int) -> bool:
    """Delivering sig with `act` would do nothing.  Such a signal is
    discarded when sent, unless the receiving thread (a process's main
    thread for kill) blocks it: then it stays pending, since the action may
    change before it is unblocked and sigtimedwait may take it (Linux's
    sig_ignored)."""
    return act.handler == SIG_IGN or (act.handler == SIG_DFL and default_action(sig) in ("ignore", "continue"))


def _waits_for(t: Thread, sig: int) -> bool:
    """t is blocked in rt_sigtimedwait(2) for a set that holds sig.

    Such a thread blocks sig in its mask, yet takes it: the wait's Block
    key is ("sigwait", tid, set)."""
    blk = t.block
    if t.state is not ThreadState.BLOCKED or blk is None:
        return False
    key = blk.key
    return isinstance(key, tuple) and key[0] == "sigwait" and bool(key[2] & bit(sig))


def _offer(k: Kernel, t: Thread, sig: int, act: Action) -> bool:
    """A newly pending sig may be taken by t: wake t if it waits for sig in
    sigtimedwait, or interrupt its blocking call if sig is not blocked (and
    would do something when delivered).  False if t blocks sig (another
    thread must take it)."""
    if _waits_for(t, sig):
        k.wake(t)
        return True
    if t.sigmask & bit(sig):
        return False
    if not _ignored(act, sig):
        _interrupt(k, t)
    return True


def _interrupt(k: Kernel, t: Thread) -> None:
    """A blocked thread with a deliverable signal wakes.  Its call first
    looks again at what it waits for, as Linux's wait loops do before they
    give up (a SIGCHLD comes with the zombie it announces): if that is there
    now, the call completes; otherwise it ends with EINTR, which delivery
    may turn into a restart (`_end_interruption`).  A stopped thread and a
    vfork parent are not interrupted (Linux's vfork waits killable only)."""
    blk = t.block
    if t.state is not ThreadState.BLOCKED or blk is None or blk.reason.startswith("stopped"):
        return
    if isinstance(blk.key, tuple) and blk.key[0] == "vfork":
        return
    nr = k.get_reg(t, cpu.RAX)  # a blocked call's RAX is still its number
    t.block = None
    try:
        ret = blk.retry()
    except SyscallError as err:
        ret = -err.errno
    except Block as still:
        ret = cut_short(t, nr, getattr(still, "restart", None) or getattr(blk, "restart", None))
    k.set_result(t, ret)
    t.state = ThreadState.RUNNABLE
    k.make_runnable(t)


def cut_short(t: Thread, nr: int, restart: Restart | None) -> int:
    """t's call `nr` ends because of a signal: -EINTR, which delivery may
    turn into a restart (`_end_interruption`)."""
    t.interrupted = nr
    t.restart = restart
    if restart is not None and restart.on_cut is not None:
        try:
            restart.on_cut()
        except SyscallError:
            pass
    return -errno.EINTR


def _continue(k: Kernel, p: Process) -> None:
    if p.stopped:
        p.stopped = False
        k.wake_key(("stopped", p.pid))
        from . import exits

        exits.notify_parent(k, p, "continued")
    if p.sig is not None:
        p.sig.pending &= ~sum(bit(s) for s in _STOP)


def _take(t: Thread) -> int:
    """The lowest-numbered deliverable pending signal of t (removed), or 0."""
    p = t.process
    assert p.sig is not None
    ready = (t.sig_pending | p.sig.pending) & ~(t.sigmask & ~UNBLOCKABLE)
    if not ready:
        return 0
    sig = (ready & -ready).bit_length()
    if t.sig_pending & bit(sig):
        t.sig_pending &= ~bit(sig)
    else:
        p.sig.pending &= ~bit(sig)
    return sig


def would_act(t: Thread) -> bool:
    """t has a pending signal, not blocked, whose delivery would do
    something: a call that changes the mask for its wait (sigsuspend) must
    not start waiting then."""
    p = t.process
    if p.sig is None:
        return False
    ready = (t.sig_pending | p.sig.pending) & ~(t.sigmask & ~UNBLOCKABLE)
    while ready:
        sig = (ready & -ready).bit_length()
        if not _ignored(p.sig.actions[sig], sig):
            return True
        ready &= ready - 1
    return False


def _restore_saved_mask(t: Thread) -> None:
    """A call that swapped the mask for its wait returns with no handler
    run: its caller's mask comes back (a handler's frame restores it
    otherwise)."""
    if t.saved_sigmask is not None and t.block is None and t.state is ThreadState.RUNNABLE:
        t.sigmask, t.saved_sigmask = t.saved_sigmask, None


def deliver_pending(k: Kernel, t: Thread) -> None:
    """Before t returns to user mode: act on its deliverable signals, and
    restart or end the syscall a signal interrupted."""
    p = t.process
    if p.sig is None or not ((t.sig_pending | p.sig.pending) & ~(t.sigmask & ~UNBLOCKABLE)):
        if t.interrupted >= 0:
            _end_interruption(k, t, None)
        _restore_saved_mask(t)
        return
    while t.alive and t.state is ThreadState.RUNNABLE and t.block is None:
        sig = _take(t)
        if not sig:
            break
        info = pop_info(p.sig, sig)
        act = p.sig.actions[sig]
        if act.handler == SIG_IGN:
            continue
        if act.handler == SIG_DFL:
            what = default_action(sig)
            if what in ("ignore", "continue"):
                continue
            if what == "stop":
                _stop(k, p, sig)
                return
            from . import exits

            exits.kill_process(k, p, sig, f"killed by {signal_name(sig)}", core=what == "core")
            return
        _end_interruption(k, t, act)
        setup_frame(k, t, sig, act, info)
    if t.interrupted >= 0 and t.alive:
        _end_interruption(k, t, None)
    _restore_saved_mask(t)


def _end_interruption(k: Kernel, t: Thread, handler: Action | None) -> None:
    """t's blocked call was cut short with EINTR (see `_interrupt`): restart
    it or leave it EINTR as its Restart kind says (module doc), given the
    handler about to run (None: none runs).  Nothing to do if no call was cut."""
    nr, t.interrupted = t.interrupted, -1
    how, t.restart = t.restart, None
    if nr < 0:
        return
    from ..syscalls.table import name_of

    kind = how.kind if isinstance(how, Restart) else "never" if name_of(nr) in _NO_RESTART else "sys"
    if kind == "never" or (handler is not None and (kind != "sys" or not handler.flags & SA_RESTART)):
        return
    if kind == "block":
        assert isinstance(how, Restart)
        t.restart_fn = how.again
        nr = RESTART_SYSCALL
    k.set_reg(t, cpu.RIP, k.get_reg(t, cpu.RIP) - 2)
    k.set_reg(t, cpu.RAX, nr)


RESTART_SYSCALL, NR_RT_SIGSUSPEND, NR_PPOLL, NR_PSELECT6 = 219, 130, 271, 270


def _stop(k: Kernel, p: Process, sig: int) -> None:
    """Stop every thread of p (a group stop).  A thread blocked in a call is
    interrupted first, as Linux wakes each thread to take part in the stop:
    its call completes if it can, or is set to restart (or to return EINTR)
    when the process continues.  It cannot run while p is stopped."""
    from . import exits

    p.stopped = True
    for t in p.threads:
        if t.alive and t.state is ThreadState.BLOCKED:
            _interrupt(k, t)
        if t.alive and t.state is ThreadState.RUNNABLE and t.block is None:
            _end_interruption(k, t, None)
            _restore_saved_mask(t)
            k.block(t, Block("stopped", _stopped_retry(k, t), key=("stopped", p.pid)))
    exits.notify_parent(k, p, "stopped", sig)


def _stopped_retry(k: Kernel, t: Thread):  # type: ignore[no-untyped-def]
    from .task import NoReturn

    def retry() -> int:
        if t.process.stopped:
            raise Block("stopped", retry, key=("stopped", t.process.pid))
        raise NoReturn()

    return retry


def send_fault(k: Kernel, t: Thread, sig: int, addr: int | None, what: str, code: int | None = None) -> bool:
    """A synchronous fault in t.  True if a handler will run; False = fatal."""
    p = t.process
    if p.sig is None:
        return False
    act = p.sig.actions[sig]
    if act.handler in (SIG_DFL, SIG_IGN) or t.sigmask & bit(sig):
        return False
    if code is None:
        if sig == SIGSEGV and what == "general protection fault":
            code = SI_KERNEL  # a #GP (privileged instruction, port I/O, bad selector): si_addr 0, as Linux
        elif sig == SIGSEGV:
            code = SEGV_ACCERR if "protected" in what else SEGV_MAPERR
        else:
            code = BUS_ADRERR if sig == SIGBUS else SI_KERNEL  # a bus error is past a mapped file's end
    setup_frame(k, t, sig, act, Info(sig, code, addr=addr or 0))
    return True


# The frame --------------------------------------------------------------

_UC_OFF = 8  # ucontext within rt_sigframe, after pretcode
_MCTX_OFF = 40  # uc_mcontext within ucontext
_SIGMASK_OFF = 296  # uc_sigmask within ucontext
_UCONTEXT_SIZE = 304
_INFO_OFF = _UC_OFF + _UCONTEXT_SIZE
_FRAME_SIZE = _INFO_OFF + 128
_FX_SIZE = 512

_XMM = [getattr(cpu.x86, f"UC_X86_REG_XMM{i}") for i in range(16)]
_FP = [getattr(cpu.x86, f"UC_X86_REG_FP{i}") for i in range(8)]
# The floating-point and vector registers move in one batch call each way
# (16 bytes a slot): x87 control, status and tag words, MXCSR, the eight
# physical x87 registers (10 bytes each), XMM0..15.  Through the binding's
# reg_read/reg_write they cost several microseconds apiece, 28 a signal.
_FPU_REGS = (cpu.FPCW, cpu.FPSW, cpu.FPTAG, cpu.MXCSR, *_FP, *_XMM)
_FP_SLOT, _XMM_SLOT = 4, 12
_EFLAGS_TF, _EFLAGS_DF, _EFLAGS_RF = 0x100, 0x400, 0x10000
_FIX_EFLAGS = 0x50DD5  # AC, RF, OF, DF, TF, SF, ZF, AF, PF, CF: what sigreturn may set


def _siginfo(info: Info) -> bytes:
    body = bytearray(128)
    struct.pack_into("<iii", body, 0, info.signo, 0, info.code)
    if info.code == SI_TIMER:
        timer = info.timer
        struct.pack_into("<iiQ", body, 16, getattr(timer, "id", 0), info.overrun, info.value)
    elif info.signo in (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) and info.code > 0:
        struct.pack_into("<Q", body, 16, info.addr)
    elif info.signo == SIGCHLD:
        struct.pack_into("<iIi", body, 16, info.pid, info.uid, info.status)
    else:
        struct.pack_into("<iI", body, 16, info.pid, info.uid)
    return bytes(body)


class _FpuBatch:
    """Buffers for moving the FPU registers of `cpu` in one call."""

    def __init__(self, engine: cpu.Cpu) -> None:
        n = len(_FPU_REGS)
        self.handle, self.n = engine.handle, n
        self.ids = (ctypes.c_int * n)(*_FPU_REGS)
        self.buf = ctypes.create_string_buffer(16 * n)
        base = ctypes.addressof(self.buf)
        self.ptrs = (ctypes.c_void_p * n)(*[base + 16 * i for i in range(n)])

    def read(self) -> bytes:
        ctypes.memset(self.buf, 0, 16 * self.n)
        cpu.uclib.uc_reg_read_batch(self.handle, self.ids, self.ptrs, self.n)
        return self.buf.raw

    def write(self, raw: bytes) -> None:
        ctypes.memmove(self.buf, raw, 16 * self.n)
        cpu.uclib.uc_reg_write_batch(self.handle, self.ids, self.ptrs, self.n)


def _fpu(k: Kernel) -> _FpuBatch:
    batch = getattr(k.cpu, "_fpu_batch", None)
    if batch is None:
        batch = k.cpu._fpu_batch = _FpuBatch(k.cpu)  # type: ignore[attr-defined]
    return batch


def _fxsave(k: Kernel, t: Thread) -> bytes:
    """The FPU/SSE state of t (loaded in the CPU) in FXSAVE layout: control
    and status words, the abridged tag (bit i: physical x87 register i in
    use), MXCSR, ST(0)..ST(7) (from the top of the x87 stack) and XMM0..15."""
    raw = _fpu(k).read()
    cw, sw, tags, mxcsr = (struct.unpack_from("<I", raw, 16 * i)[0] for i in range(4))
    area = bytearray(_FX_SIZE)
    used = sum(1 << i for i in range(8) if (tags >> 2 * i) & 3 != 3)
    struct.pack_into("<HHB", area, 0, cw & 0xFFFF, sw & 0xFFFF, used)
    struct.pack_into("<II", area, 24, mxcsr, 0xFFFF)
    top = (sw >> 11) & 7
    for i in range(8):
        slot = 16 * (_FP_SLOT + ((top + i) & 7))
        area[32 + 16 * i : 42 + 16 * i] = raw[slot : slot + 10]
    area[160:416] = raw[16 * _XMM_SLOT : 16 * (_XMM_SLOT + 16)]
    return bytes(area)


def _fxrstor(k: Kernel, fx: bytes) -> None:
    """Load the FPU/SSE state from an FXSAVE area (what _fxsave wrote, or
    what the handler changed in the frame)."""
    cw, sw, used = struct.unpack_from("<HHB", fx, 0)
    mxcsr = struct.unpack_from("<I", fx, 24)[0] & 0xFFFF
    tags = sum((0 if used >> i & 1 else 3) << 2 * i for i in range(8))
    raw = bytearray(16 * len(_FPU_REGS))
    struct.pack_into("<Q", raw, 0, cw)
    struct.pack_into("<Q", raw, 16, sw)
    struct.pack_into("<Q", raw, 32, tags)
    struct.pack_into("<Q", raw, 48, mxcsr)
    top = (sw >> 11) & 7
    for i in range(8):
        slot = 16 * (_FP_SLOT + ((top + i) & 7))
        raw[slot : slot + 10] = fx[32 + 16 * i : 42 + 16 * i]
    raw[16 * _XMM_SLOT : 16 * (_XMM_SLOT + 16)] = fx[160:416]
    _fpu(k).write(bytes(raw))


def setup_frame(k: Kernel, t: Thread, sig: int, act: Action, info: Info) -> None:
    """Build the rt_sigframe on t's stack and point t at the handler."""
    p = t.process
    assert p.space is not None
    k._switch_to(t)
    regs = [k.cpu.read(r) for r in cpu.GREGS]
    sp = regs[15]

    alt_sp, alt_flags, alt_size = t.altstack
    on_alt = False
    if act.flags & SA_ONSTACK and not alt_flags & SS_DISABLE and not (alt_sp < sp <= alt_sp + alt_size):
        sp = alt_sp + alt_size
        on_alt = True
    else:
        sp -= 128  # the red zone
    fx_at = (sp - _FX_SIZE) & ~63
    frame = ((fx_at - _FRAME_SIZE) & ~15) - 8

    # The mask rt_sigreturn restores: the one a sigsuspend (ppoll, pselect6)
    # replaced for its wait, else the current one.
    old_mask = t.sigmask if t.saved_sigmask is None else t.saved_sigmask
    mctx = bytearray(256)
    struct.pack_into("<18Q", mctx, 0, *[r & 0xFFFFFFFFFFFFFFFF for r in regs])
    struct.pack_into("<HHHH", mctx, 144, 0x33, 0, 0, 0x2B)  # cs, gs, fs, ss
    struct.pack_into("<QQQQQ", mctx, 152, 0, 14 if sig == SIGSEGV else 0, old_mask, info.addr, fx_at)
    uc = bytearray(_UCONTEXT_SIZE)
    struct.pack_into("<QQQiiQ", uc, 0, 0x6, 0, alt_sp, (SS_ONSTACK if on_alt else alt_flags), 0, alt_size)
    uc[_MCTX_OFF : _MCTX_OFF + 256] = mctx
    struct.pack_into("<Q", uc, _SIGMASK_OFF, old_mask)
    body = struct.pack("<Q", act.restorer) + bytes(uc) + _siginfo(info)
    try:
        p.space.write(fx_at, _fxsave(k, t))
        p.space.write(frame, body)
    except SyscallError:
        # No room for a frame: Linux kills the process with SIGSEGV.
        from . import exits

        k.say(f"violet: {p.name}[{p.pid}]: cannot build a signal frame for {signal_name(sig)}; killed")
        exits.kill_process(k, p, SIGSEGV, "bad signal stack", core=True)
        return

    t.saved_sigmask = None
    if not act.flags & SA_NODEFER:
        t.sigmask |= bit(sig)
    t.sigmask |= act.mask
    t.sigmask &= ~UNBLOCKABLE
    if act.flags & SA_RESETHAND:  # a new Action: `act` (its handler runs now) may be shared
        assert p.sig is not None
        p.sig.actions[sig] = Action(SIG_DFL, act.flags & ~SA_SIGINFO, act.restorer, act.mask)
    # The handler starts with the direction, trap and resume flags clear
    # (the ABI's DF = 0; a trap flag left set would single-step the handler).
    eflags = regs[17] & ~(_EFLAGS_DF | _EFLAGS_TF | _EFLAGS_RF)
    for reg, value in ((cpu.RSP, frame), (cpu.RIP, act.handler), (cpu.RDI, sig), (cpu.RSI, frame + _INFO_OFF),
                       (cpu.RDX, frame + _UC_OFF), (cpu.RAX, 0), (cpu.EFLAGS, eflags)):
        k.cpu.write(reg, value)
    # and with the floating-point unit as a new process has it: default
    # control word and MXCSR, an empty x87 stack (Linux's
    # fpu__clear_user_states); sigreturn gives the saved state back.
    k.cpu.write(cpu.FPCW, cpu.FPCW_INIT)
    k.cpu.write(cpu.MXCSR, cpu.MXCSR_INIT)
    k.cpu.write(cpu.FPSW, 0)
    k.cpu.write(cpu.FPTAG, cpu.FPTAG_EMPTY)
    k.events.emit("signal", thread=t, sig=sig, handler=act.handler)


def sigreturn(k: Kernel, t: Thread) -> None:
    """rt_sigreturn: restore every register and the mask from the frame."""
    p = t.process
    assert p.space is not None
    k._switch_to(t)
    ucp = k.cpu.read(cpu.RSP)  # the handler's `ret` popped pretcode
    try:
        uc = p.space.read(ucp, _UCONTEXT_SIZE)
        regs = struct.unpack_from("<18Q", uc, _MCTX_OFF)
        fx_at = struct.unpack_from("<Q", uc, _MCTX_OFF + 184)[0]
        mask = struct.unpack_from("<Q", uc, _SIGMASK_OFF)[0]
        fx = p.space.read(fx_at, _FX_SIZE) if fx_at else None
    except SyscallError:
        from . import exits

        k.say(f"violet: {p.name}[{p.pid}]: rt_sigreturn with a bad frame at {ucp:#x}; killed")
        exits.kill_process(k, p, SIGSEGV, "bad signal frame", core=True)
        return
    # Of the flags, only the arithmetic and direction ones, TF, AC and RF
    # come from the frame (Linux's FIX_EFLAGS): IOPL 3 written there would
    # let user code run cli, sti, in and out.
    keep = k.cpu.read(cpu.EFLAGS) & ~_FIX_EFLAGS
    for reg, value in zip(cpu.GREGS, regs):
        k.cpu.write(reg, (value & _FIX_EFLAGS) | keep if reg == cpu.EFLAGS else value)
    t.sigmask = mask & ~UNBLOCKABLE
    if fx is not None:
        _fxrstor(k, fx)
