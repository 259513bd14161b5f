"""POSIX timers (timer_create and its calls) and the CPU-time interval
timers ITIMER_VIRTUAL and ITIMER_PROF.

A process's timers live in its `ProcTimers` (`Process.timers`, made when
first used).  Timers on the wall clocks (CLOCK_REALTIME, CLOCK_MONOTONIC
and their variants) are entries in the kernel's timer heap whose `fire`
callback is the timer's `expire`; timers on CPU-time clocks
(CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, and the two CPU
itimers) are checked after every time slice of one of the process's
threads (`tick`), and bound the slice so that they expire on time
(`cpu_left_us`).  CPU time is the guest's time in the engine, as the
scheduler accounts it (`Thread.cpu_time`); user and system time are not
told apart, so ITIMER_VIRTUAL and ITIMER_PROF count the same time.

A periodic timer whose signal is queued is not re-armed until the signal
is delivered, as in Linux (posixtimer_rearm): at delivery the intervals
that went by meanwhile are its overrun count (si_overrun, and what
timer_getoverrun returns until the next delivery), and it is re-armed for
the next interval to come.  A signal that is ignored when the timer
expires is dropped and the timer goes on; a timer re-armed or deleted while
its signal is pending takes the signal back (Linux 6.13 and later drop it).  POSIX timers end with exec and
exit and are not inherited by fork; the CPU itimers survive exec.
"""

from __future__ import annotations

import errno
import heapq
import math
import time
from typing import TYPE_CHECKING

from ..errors import SyscallError

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Process, Thread

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
_WALL_REALTIME = frozenset({0, 11})  # REALTIME, TAI (no leap seconds here: the same)
_WALL_MONOTONIC = frozenset({1, 7})  # MONOTONIC, BOOTTIME
_NO_TIMERS = frozenset({4, 5, 6})  # MONOTONIC_RAW and the COARSE clocks: EOPNOTSUPP, as Linux
_ALARM_CLOCKS = frozenset({8, 9})  # REALTIME_ALARM, BOOTTIME_ALARM need CAP_WAKE_ALARM: EPERM
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
SI_TIMER = -2
TIMER_ABSTIME = 1
MAX_TIMERS = 4096  # per process (Linux bounds them by RLIMIT_SIGPENDING); more is EAGAIN
INT_MAX = 0x7FFFFFFF
ITIMER_VIRTUAL, ITIMER_PROF = 1, 2


def thread_cpu(k: Kernel, t: Thread) -> float:
    """t's CPU time, with the engine run under way if t is running it (a
    syscall made inside the run reads the time up to now)."""
    if getattr(k, "in_engine", False) and k._running is t:
        return t.cpu_time + (time.perf_counter() - k._run_began)
    return t.cpu_time


def process_cpu(k: Kernel, p: Process) -> float:
    return sum(thread_cpu(k, th) for th in p.threads)


class PosixTimer:
    """One timer of timer_create(2)."""

    def __init__(self, k: Kernel, p: Process, tid: int, clock: int, notify: int, signo: int, value: int,
                 target: Thread | None, thread_clock: Thread | None, itimer: int = 0) -> None:
        self.k = k
        self.proc = p
        self.id = tid
        self.clock = clock
        self.notify = notify
        self.signo = signo
        self.value = value
        self.target = target  # SIGEV_THREAD_ID: the thread that gets the signal
        self.thread_clock = thread_clock  # CLOCK_THREAD_CPUTIME_ID: whose CPU time
        self.itimer = itimer  # ITIMER_VIRTUAL or ITIMER_PROF for the CPU itimers (not a POSIX timer)
        self.expiry: float | None = None  # on the timer's own clock; None: disarmed
        self.interval = 0.0
        self.generation = 0  # bumped at every arm and disarm: stale heap entries are ignored
        self.queued = None  # the Info of its signal while it is pending
        self.queued_gen = 0  # the arming that queued it
        self.overrun = -1  # intervals gone by since the last delivery, less one (Linux's it_overrun)
        self.overrun_last = 0  # what timer_getoverrun returns
        self.deleted = False

    # Clocks -----------------------------------------------------------

    @property
    def cpu(self) -> bool:
        return self.clock in (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID)

    def now(self) -> float:
        if self.clock == CLOCK_PROCESS_CPUTIME_ID:
            return process_cpu(self.k, self.proc)
        if self.clock == CLOCK_THREAD_CPUTIME_ID:
            assert self.thread_clock is not None
            return thread_cpu(self.k, self.thread_clock)
        if self.clock in _WALL_REALTIME:
            return time.time()
        return time.monotonic()

    # Arming -----------------------------------------------------------

    def _timers(self) -> ProcTimers:
        timers = self.proc.timers
        assert isinstance(timers, ProcTimers)
        return timers

    def arm(self, expiry: float | None, interval: float) -> None:
        """Arm at `expiry` on the timer's clock (None: disarm), as timer_settime."""
        self.expiry, self.interval = expiry, interval if expiry is not None else 0.0
        self.overrun = -1
        self.overrun_last = 0
        if self.queued is not None:
            self._unqueue()
        self._schedule()

    def _unqueue(self) -> None:
        """Re-armed or deleted with its signal still pending: the signal is
        dropped, as Linux (6.13 on) drops it when it is dequeued."""
        info, self.queued = self.queued, None
        st = self.proc.sig
        if st is None or st.infos.get(self.signo) is not info:
            return
        from .signals import bit

        del st.infos[self.signo]
        st.pending &= ~bit(self.signo)
        for th in self.proc.threads:
            th.sig_pending &= ~bit(self.signo)

    def _schedule(self) -> None:
        """Put the timer where its expiry is watched: the kernel's heap, or
        the process's armed CPU timers.  Entries of an older arming go stale."""
        self.generation += 1
        cpu = self._timers().cpu
        cpu.discard(self)
        if self.expiry is None or self.notify == SIGEV_NONE or self.deleted:
            return  # a SIGEV_NONE timer only counts: timer_gettime works it out
        if self.cpu:
            cpu.add(self)
            # A slice is bounded by the CPU timers there were when it began:
            # end the engine run, so that the next one is bounded by this one.
            if getattr(self.k, "in_engine", False):
                self.k.cpu.stop()
        else:
            from .kernel import _Timer

            wall = time.monotonic() + (self.expiry - self.now())
            self.k.push_timer(_Timer(wall, None, None, fire=self._fire_for(self.generation)))

    def _fire_for(self, generation: int):  # type: ignore[no-untyped-def]
        def fire() -> None:
            if generation == self.generation:
                self.expire()

        fire.owner = self.proc  # type: ignore[attr-defined]
        fire.timer = self  # type: ignore[attr-defined]
        fire.stale = lambda: generation != self.generation or self.deleted  # type: ignore[attr-defined]
        return fire

    def _forward(self, now: float) -> int:
        """Move a periodic expiry past `now`; the number of intervals it
        moved (Linux's hrtimer_forward)."""
        assert self.expiry is not None
        if not self.interval or now < self.expiry:
            return 0
        n = int(math.floor((now - self.expiry) / self.interval)) + 1
        self.expiry += n * self.interval
        return n

    def left(self) -> tuple[float, float]:
        """(time to the next expiry, interval) as timer_gettime gives them."""
        if self.expiry is None:
            return 0.0, self.interval
        now = self.now()
        if self.interval:
            if self.notify == SIGEV_NONE or self.queued is not None:
                self.overrun += self._forward(now)
            return max(1e-9, self.expiry - now), self.interval
        if now >= self.expiry:
            if self.notify == SIGEV_NONE:
                self.expiry = None
                return 0.0, 0.0
            return 1e-9, 0.0  # its signal is on the way
        return self.expiry - now, 0.0

    # Expiry -------------------------------------------------------------

    def expire(self) -> None:
        """The timer's time has come: send its signal."""
        p = self.proc
        if self.deleted or self.expiry is None or not p.alive or p.sig is None:
            return
        from . import signals

        if self.itimer:
            # ITIMER_VIRTUAL/PROF: a plain signal, and the next interval at once.
            if self.interval:
                self._forward(self.now())
            else:
                self.expiry = None
            self._schedule()
            signals.send_process(self.k, p, self.signo, signals.Info(self.signo, signals.SI_KERNEL))
            return
        info = signals.Info(self.signo, SI_TIMER, value=self.value, timer=self)
        target = self.target
        if not self.interval:
            self.expiry = None
        self._timers().cpu.discard(self)
        if self.notify & SIGEV_THREAD_ID:
            if target is None or not target.alive:
                self._dropped()
                return
            signals.send_thread(self.k, target, self.signo, info)
        else:
            signals.send_process(self.k, p, self.signo, info)
        st = p.sig
        if st is not None and st.infos.get(self.signo) is info:
            self.queued, self.queued_gen = info, self.generation
        else:
            self._dropped()

    def _dropped(self) -> None:
        """The signal was not queued (ignored, or its target is gone): a
        periodic timer goes on."""
        if self.interval and self.expiry is not None:
            self.overrun += self._forward(self.now())
            self._schedule()

    def delivered(self, info: object) -> int:
        """Its queued signal is being delivered (or taken by sigtimedwait, or
        discarded): latch the overrun count and re-arm a periodic timer, as
        Linux's posixtimer_rearm.  Returns si_overrun."""
        if self.queued is not info:
            return 0
        self.queued = None
        if self.queued_gen != self.generation or self.deleted:
            return 0  # re-armed or deleted since: the old signal re-arms nothing
        if not self.interval or self.expiry is None:
            return 0
        self.overrun += self._forward(self.now())
        self._schedule()
        self.overrun_last, self.overrun = max(0, min(self.overrun, INT_MAX)), -1
        return self.overrun_last

    def tick(self, now: float) -> None:
        if self.expiry is not None and now >= self.expiry:
            self.expire()


class ProcTimers:
    """A process's POSIX timers, by id, and its CPU itimers."""

    def __init__(self) -> None:
        self.by_id: dict[int, PosixTimer] = {}
        self.cpu: set[PosixTimer] = set()  # armed CPU-clock timers
        self.itimers: dict[int, PosixTimer] = {}
        self.next_id = 0

    def new_id(self) -> int:
        """The next free id, counting up from 0 and wrapping at INT_MAX, as Linux hands them out."""
        n = self.next_id
        while n in self.by_id:
            n = (n + 1) & INT_MAX
        self.next_id = (n + 1) & INT_MAX
        return n


def of(p: Process) -> ProcTimers:
    if p.timers is None:
        p.timers = ProcTimers()
    assert isinstance(p.timers, ProcTimers)
    return p.timers


def _clock_ok(k: Kernel, t: Thread, clock: int) -> tuple[int, Thread | None]:
    """(clock, thread whose CPU time it is) for timer_create; EINVAL if unknown."""
    if clock in _WALL_REALTIME or clock in _WALL_MONOTONIC:
        return clock, None
    if clock == CLOCK_PROCESS_CPUTIME_ID:
        return clock, None
    if clock == CLOCK_THREAD_CPUTIME_ID:
        return clock, t
    if clock in _NO_TIMERS:
        raise SyscallError(errno.EOPNOTSUPP)
    if clock in _ALARM_CLOCKS:
        raise SyscallError(errno.EPERM)
    if clock >= 1 << 63:
        # A dynamic CPU clock id (clock_getcpuclockid): ~pid << 3 | type.
        raw = clock - (1 << 64)
        kind, pid = raw & 7, ~raw >> 3
        if kind == 2 and (pid == 0 or pid == t.process.pid):
            return CLOCK_PROCESS_CPUTIME_ID, None
        if kind == 6:
            th = k.threads.get(pid) if pid else t
            if th is not None and th.process is t.process:
                return CLOCK_THREAD_CPUTIME_ID, th
    raise SyscallError(errno.EINVAL)


def create(k: Kernel, t: Thread, clock: int, notify: int, signo: int, value: int, tid: int) -> int:
    from .signals import NSIG, SIGALRM

    clock, thread_clock = _clock_ok(k, t, clock)
    target = None
    if notify == SIGEV_SIGNAL | SIGEV_THREAD_ID:
        target = k.threads.get(tid)
        if target is None or target.process is not t.process or not target.alive:
            raise SyscallError(errno.EINVAL)
    elif notify not in (SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_NONE):
        raise SyscallError(errno.EINVAL)
    if notify != SIGEV_NONE and not 1 <= signo <= NSIG:
        raise SyscallError(errno.EINVAL)
    timers = of(t.process)
    if len(timers.by_id) >= MAX_TIMERS:
        raise SyscallError(errno.EAGAIN)
    n = timers.new_id()
    if value is None:
        value = n
    tm = PosixTimer(k, t.process, n, clock, notify, signo if notify != SIGEV_NONE else SIGALRM, value,
                    target, thread_clock)
    timers.by_id[n] = tm
    return n


def get(t: Thread, timer_id: int) -> PosixTimer:
    timers = t.process.timers
    tm = timers.by_id.get(timer_id) if isinstance(timers, ProcTimers) else None
    if tm is None:
        raise SyscallError(errno.EINVAL)
    return tm


def settime(tm: PosixTimer, flags: int, value: float, interval: float) -> tuple[float, float]:
    """Arm or disarm; return the old (left, interval)."""
    old = tm.left()
    if value == 0:
        tm.arm(None, 0.0)
    else:
        tm.arm(value if flags & TIMER_ABSTIME else tm.now() + value, interval)
    return old


def delete(t: Thread, timer_id: int) -> None:
    tm = get(t, timer_id)
    _drop(tm)
    _prune(tm.k, t.process, tm)
    timers = t.process.timers
    assert isinstance(timers, ProcTimers)
    del timers.by_id[timer_id]


def _drop(tm: PosixTimer) -> None:
    tm.deleted = True
    tm.arm(None, 0.0)


def on_exec(k: Kernel, p: Process) -> None:
    """exec deletes the POSIX timers; the CPU itimers stay."""
    timers = p.timers
    if not isinstance(timers, ProcTimers):
        return
    for tm in list(timers.by_id.values()):
        _drop(tm)
    timers.by_id.clear()
    _prune(k, p)


def on_exit(k: Kernel, p: Process) -> None:
    timers = p.timers
    if not isinstance(timers, ProcTimers):
        return
    for tm in list(timers.by_id.values()) + list(timers.itimers.values()):
        tm.deleted = True
        tm.generation += 1
    p.timers = None
    _prune(k, p)


def _prune(k: Kernel, p: Process, only: PosixTimer | None = None) -> None:
    """Take p's ended timers (or just `only`) out of the kernel's heap, so
    that they keep no slice bounded and hide no deadlock."""
    heap = k._timers
    keep = [e for e in heap
            if getattr(e.fire, "owner", None) is not p or (only is not None and getattr(e.fire, "timer", None) is not only)]
    if len(keep) != len(heap):
        heap[:] = keep
        heapq.heapify(heap)


# The CPU itimers ----------------------------------------------------------


def set_itimer(k: Kernel, p: Process, which: int, value: float, interval: float) -> tuple[float, float]:
    from .signals import SIGPROF, SIGVTALRM

    timers = of(p)
    tm = timers.itimers.get(which)
    if tm is None:
        signo = SIGVTALRM if which == ITIMER_VIRTUAL else SIGPROF
        tm = timers.itimers[which] = PosixTimer(k, p, -1, CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, signo, 0,
                                                None, None, itimer=which)
    old = get_itimer(p, which)
    if value > 0:
        tm.arm(tm.now() + value, interval)
    else:
        tm.arm(None, 0.0)
    return old


def get_itimer(p: Process, which: int) -> tuple[float, float]:
    timers = p.timers
    tm = timers.itimers.get(which) if isinstance(timers, ProcTimers) else None
    if tm is None or tm.expiry is None:
        return 0.0, 0.0
    # Due but not yet seen by the scheduler (it looks after the engine run): still armed.
    return max(1e-6, tm.expiry - tm.now()), tm.interval


# Hooks from the scheduler (kernel.py, _run_slice) --------------------------


def tick(k: Kernel, t: Thread) -> None:
    """After a slice of t: expire the CPU timers of its process that are due."""
    timers = t.process.timers
    if not isinstance(timers, ProcTimers):
        return
    pcpu = None
    for tm in list(timers.cpu):
        if tm.clock == CLOCK_THREAD_CPUTIME_ID:
            if tm.thread_clock is t:
                tm.tick(t.cpu_time)
        else:
            if pcpu is None:
                pcpu = process_cpu(k, t.process)
            tm.tick(pcpu)


def cpu_left_us(k: Kernel, t: Thread) -> int:
    """Microseconds of CPU t may use before one of its process's CPU timers expires."""
    timers = t.process.timers
    if not isinstance(timers, ProcTimers) or not timers.cpu:
        return 0
    best = None
    pcpu = None
    for tm in timers.cpu:
        if tm.expiry is None:
            continue
        if tm.clock == CLOCK_THREAD_CPUTIME_ID:
            if tm.thread_clock is not t:
                continue
            left = tm.expiry - t.cpu_time
        else:
            if pcpu is None:
                pcpu = process_cpu(k, t.process)
            left = tm.expiry - pcpu
        best = left if best is None else min(best, left)
    if best is None:
        return 0
    return max(50, int(best * 1e6))
