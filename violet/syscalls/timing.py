"""Clocks, sleeps and timers: clock_gettime, gettimeofday, time,
nanosleep, clock_nanosleep, clock_getres, times, getrusage, setitimer,
getitimer, alarm, and the POSIX timers (timer_create and the rest; the
timers themselves are in kernel/timers.py)."""

from __future__ import annotations

import errno
import struct
import time
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..kernel import signals as sig
from ..kernel import timers
from ..kernel.task import Block
from .table import Support, syscall

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
TIMER_ABSTIME = 1


def clock_now(k: Kernel, t: Thread, clk: int) -> float:
    """Seconds on clock `clk`.  EINVAL for an unknown clock."""
    if clk in (CLOCK_REALTIME, CLOCK_REALTIME_COARSE, 8):
        return time.time()
    if clk in (CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, 9):
        return time.monotonic()
    if clk == CLOCK_PROCESS_CPUTIME_ID:
        return timers.process_cpu(k, t.process)
    if clk == CLOCK_THREAD_CPUTIME_ID:
        return timers.thread_cpu(k, t)
    raise SyscallError(errno.EINVAL)


def pack_timespec(sec: float) -> bytes:
    ns = int(sec * 1e9)
    return struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000)


def read_timespec(k: Kernel, t: Thread, addr: int) -> float:
    assert t.process.space is not None
    sec, nsec = struct.unpack("<qq", t.process.space.read(addr, 16))
    if sec < 0 or not 0 <= nsec < 1_000_000_000:
        raise SyscallError(errno.EINVAL)
    return sec + nsec / 1e9


@syscall("clock_gettime", "time")
def sys_clock_gettime(k: Kernel, t: Thread, clk: int, tp: int, *_: int) -> int:
    now = clock_now(k, t, clk)
    assert t.process.space is not None
    t.process.space.write(tp, pack_timespec(now))
    return 0


@syscall("clock_getres", "time")
def sys_clock_getres(k: Kernel, t: Thread, clk: int, tp: int, *_: int) -> int:
    clock_now(k, t, clk)
    if tp:
        assert t.process.space is not None
        res = 0.004 if clk in (CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE) else 1e-9
        t.process.space.write(tp, pack_timespec(res))
    return 0


@syscall("gettimeofday", "time")
def sys_gettimeofday(k: Kernel, t: Thread, tv: int, tz: int, *_: int) -> int:
    assert t.process.space is not None
    if tv:
        us = int(time.time() * 1e6)
        t.process.space.write(tv, struct.pack("<qq", us // 1_000_000, us % 1_000_000))
    if tz:
        t.process.space.write(tz, bytes(8))
    return 0


@syscall("time", "time")
def sys_time(k: Kernel, t: Thread, tloc: int, *_: int) -> int:
    now = int(time.time())
    if tloc:
        assert t.process.space is not None
        t.process.space.write_u64(tloc, now)
    return now


def _sleep_until(k: Kernel, t: Thread, deadline: float, rem: int, absolute: bool = False) -> int:
    """Block t until `deadline` (time.monotonic scale); 0 when it passes.

    Cut short by a signal whose delivery runs no handler (a stop and
    continue), the sleep goes on for what is left of it (restart_syscall);
    after a handler it is EINTR, with the time left in *rem.  An absolute
    sleep is simply made again (-ERESTARTNOHAND) and writes no *rem."""
    if deadline <= time.monotonic():
        return 0

    def write_rem() -> None:
        if rem:
            assert t.process.space is not None
            t.process.space.write(rem, pack_timespec(max(0.0, deadline - time.monotonic())))

    def again() -> int:
        return _sleep_until(k, t, deadline, rem)

    restart = sig.Restart("nohand") if absolute else sig.Restart("block", again, write_rem)

    def retry() -> int:
        if time.monotonic() >= deadline - 1e-6 or t.timed_out:
            return 0
        raise sig.restartable(Block("sleep", retry, deadline), restart)

    raise sig.restartable(Block("sleep", retry, deadline), restart)


@syscall("nanosleep", "time")
def sys_nanosleep(k: Kernel, t: Thread, req: int, rem: int, *_: int) -> int:
    dur = read_timespec(k, t, req)
    return _sleep_until(k, t, time.monotonic() + dur, rem)


@syscall("clock_nanosleep", "time", Support.PARTIAL, "a sleep on a CPU-time clock counts wall time")
def sys_clock_nanosleep(k: Kernel, t: Thread, clk: int, flags: int, req: int, rem: int, *_: int) -> int:
    if clk == CLOCK_THREAD_CPUTIME_ID:
        raise SyscallError(errno.EINVAL)
    now = clock_now(k, t, clk)
    value = read_timespec(k, t, req)
    absolute = bool(flags & TIMER_ABSTIME)
    dur = value - now if absolute else value
    return _sleep_until(k, t, time.monotonic() + dur, 0 if absolute else rem, absolute)


@syscall("times", "time")
def sys_times(k: Kernel, t: Thread, buf: int, *_: int) -> int:
    ticks = int(timers.process_cpu(k, t.process) * 100)
    if buf:
        assert t.process.space is not None
        t.process.space.write(buf, struct.pack("<qqqq", ticks, 0, 0, 0))
    return int((time.monotonic() - k.started) * 100)


@syscall("getrusage", "time", Support.PARTIAL, "user time and maximum resident size only")
def sys_getrusage(k: Kernel, t: Thread, who: int, buf: int, *_: int) -> int:
    if who not in (0, 1, (1 << 64) - 1, 0xFFFFFFFF):
        raise SyscallError(errno.EINVAL)
    cpu_s = timers.process_cpu(k, t.process)
    us = int(cpu_s * 1e6)
    body = bytearray(144)
    struct.pack_into("<qq", body, 0, us // 1_000_000, us % 1_000_000)
    space = t.process.space
    assert space is not None
    struct.pack_into("<q", body, 32, space.usage()["resident"] * 4)
    space.write(buf, bytes(body))
    return 0


ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2


def _timeval(sec: float) -> tuple[int, int]:
    us = int(round(sec * 1e6))
    if sec > 0 and us == 0:
        us = 1  # a timer about to expire still reads as armed, as on Linux
    return us // 1_000_000, us % 1_000_000


@syscall("setitimer", "time", Support.PARTIAL,
         "ITIMER_VIRTUAL and ITIMER_PROF both count the process's CPU time in the engine (user and system alike)")
def sys_setitimer(k: Kernel, t: Thread, which: int, new: int, old: int, *_: int) -> int:
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        raise SyscallError(errno.EINVAL)
    space = t.process.space
    assert space is not None
    isec, iusec, vsec, vusec = struct.unpack("<qqqq", space.read(new, 32)) if new else (0, 0, 0, 0)
    if not (0 <= iusec < 1_000_000 and 0 <= vusec < 1_000_000) or isec < 0 or vsec < 0:
        raise SyscallError(errno.EINVAL)
    value, interval = vsec + vusec / 1e6, isec + iusec / 1e6
    if which == ITIMER_REAL:
        left, interval_was = k.set_alarm(t.process, value, interval)
    else:
        left, interval_was = timers.set_itimer(k, t.process, which, value, interval)
    if old:
        space.write(old, struct.pack("<qqqq", *_timeval(interval_was), *_timeval(left)))
    return 0


@syscall("getitimer", "time")
def sys_getitimer(k: Kernel, t: Thread, which: int, cur: int, *_: int) -> int:
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        raise SyscallError(errno.EINVAL)
    space = t.process.space
    assert space is not None
    if which == ITIMER_REAL:
        timer = t.process.itimer_real
        left, interval = (max(0.0, timer[0] - time.monotonic()), timer[1]) if timer else (0.0, 0.0)
    else:
        left, interval = timers.get_itimer(t.process, which)
    space.write(cur, struct.pack("<qqqq", *_timeval(interval), *_timeval(left)))
    return 0


# POSIX timers -------------------------------------------------------------


@syscall("timer_create", "time")
def sys_timer_create(k: Kernel, t: Thread, clk: int, sevp: int, idp: int, *_: int) -> int:
    space = t.process.space
    assert space is not None
    if sevp:
        value, signo, notify, tid = struct.unpack("<Qiii", space.read(sevp, 20))
    else:
        value, signo, notify, tid = None, sig.SIGALRM, timers.SIGEV_SIGNAL, 0
    space.read(idp, 4)  # EFAULT before a timer is made
    n = timers.create(k, t, clk, notify, signo, value, tid)  # type: ignore[arg-type]
    try:
        space.write(idp, struct.pack("<i", n))
    except SyscallError:
        timers.delete(t, n)
        raise
    return 0


def _itimerspec(k: Kernel, t: Thread, addr: int) -> tuple[float, float]:
    assert t.process.space is not None
    isec, insec, vsec, vnsec = struct.unpack("<qqqq", t.process.space.read(addr, 32))
    for sec, nsec in ((isec, insec), (vsec, vnsec)):
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise SyscallError(errno.EINVAL)
    return vsec + vnsec / 1e9, isec + insec / 1e9


def _timer_id(n: int) -> int:
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


@syscall("timer_settime", "time")
def sys_timer_settime(k: Kernel, t: Thread, tid: int, flags: int, new: int, old: int, *_: int) -> int:
    tm = timers.get(t, _timer_id(tid))
    value, interval = _itimerspec(k, t, new)
    space = t.process.space
    assert space is not None
    if old:
        space.read(old, 32)  # EFAULT before anything changes
    left, interval_was = timers.settime(tm, flags, value, interval)
    if old:
        space.write(old, pack_timespec(interval_was) + pack_timespec(left))
    return 0


@syscall("timer_gettime", "time")
def sys_timer_gettime(k: Kernel, t: Thread, tid: int, cur: int, *_: int) -> int:
    tm = timers.get(t, _timer_id(tid))
    left, interval = tm.left()
    assert t.process.space is not None
    t.process.space.write(cur, pack_timespec(interval) + pack_timespec(left))
    return 0


@syscall("timer_getoverrun", "time")
def sys_timer_getoverrun(k: Kernel, t: Thread, tid: int, *_: int) -> int:
    return timers.get(t, _timer_id(tid)).overrun_last


@syscall("timer_delete", "time")
def sys_timer_delete(k: Kernel, t: Thread, tid: int, *_: int) -> int:
    timers.delete(t, _timer_id(tid))
    return 0


@syscall("alarm", "time")
def sys_alarm(k: Kernel, t: Thread, seconds: int, *_: int) -> int:
    left, _interval = k.set_alarm(t.process, float(seconds & 0xFFFFFFFF), 0.0)
    return max(1, int(left + 0.5)) if left > 0 else 0
