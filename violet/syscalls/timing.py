"""Clocks and sleeps: clock_gettime, gettimeofday, time, nanosleep,
clock_nanosleep, clock_getres, times, getrusage."""

from __future__ import annotations

import errno
import struct
import time
from typing import TYPE_CHECKING

from ..errors import SyscallError
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
        return sum(th.cpu_time for th in t.process.threads)
    if clk == CLOCK_THREAD_CPUTIME_ID:
        return t.cpu_time
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


def _sleep_until(k: Kernel, t: Thread, deadline: float, clock_mono: bool, rem: int) -> int:
    """Block t until `deadline` (time.monotonic scale); 0 when it passes."""
    if deadline <= time.monotonic():
        return 0

    def retry() -> int:
        if time.monotonic() >= deadline - 1e-6 or t.timed_out:
            return 0
        raise Block("sleep", retry, deadline)

    raise Block("sleep", retry, deadline)


@syscall("nanosleep", "time")
def sys_nanosleep(k: Kernel, t: Thread, req: int, rem: int, *_: int) -> int:
    dur = read_timespec(k, t, req)
    return _sleep_until(k, t, time.monotonic() + dur, True, rem)


@syscall("clock_nanosleep", "time")
def sys_clock_nanosleep(k: Kernel, t: Thread, clk: int, flags: int, req: int, rem: int, *_: int) -> int:
    if clk in (CLOCK_THREAD_CPUTIME_ID,):
        return errno.EINVAL
    try:
        now = clock_now(k, t, clk)
        value = read_timespec(k, t, req)
    except SyscallError as e:
        return e.errno  # clock_nanosleep returns the error number itself
    dur = value - now if flags & TIMER_ABSTIME else value
    return _sleep_until(k, t, time.monotonic() + dur, True, rem)


@syscall("times", "time")
def sys_times(k: Kernel, t: Thread, buf: int, *_: int) -> int:
    ticks = int(sum(th.cpu_time for th in t.process.threads) * 100)
    if buf:
        assert t.process.space is not None
        t.process.space.write(buf, struct.pack("<qqqq", ticks, 0, 0, 0))
    return int((time.monotonic() - k.started) * 100)


@syscall("getrusage", "time", Support.PARTIAL, "user time and maximum resident size only")
def sys_getrusage(k: Kernel, t: Thread, who: int, buf: int, *_: int) -> int:
    if who not in (0, 1, (1 << 64) - 1, 0xFFFFFFFF):
        raise SyscallError(errno.EINVAL)
    cpu_s = sum(th.cpu_time for th in t.process.threads)
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
    return us // 1_000_000, us % 1_000_000


@syscall("setitimer", "time", Support.PARTIAL, "ITIMER_REAL only; ITIMER_VIRTUAL and ITIMER_PROF are EINVAL")
def sys_setitimer(k: Kernel, t: Thread, which: int, new: int, old: int, *_: int) -> int:
    if which != ITIMER_REAL:
        raise SyscallError(errno.EINVAL)
    space = t.process.space
    assert space is not None
    isec, iusec, vsec, vusec = struct.unpack("<qqqq", space.read(new, 32)) if new else (0, 0, 0, 0)
    if not (0 <= iusec < 1_000_000 and 0 <= vusec < 1_000_000) or isec < 0 or vsec < 0:
        raise SyscallError(errno.EINVAL)
    left, interval = k.set_alarm(t.process, vsec + vusec / 1e6, isec + iusec / 1e6)
    if old:
        space.write(old, struct.pack("<qqqq", *_timeval(interval), *_timeval(left)))
    return 0


@syscall("getitimer", "time", Support.PARTIAL, "ITIMER_REAL only")
def sys_getitimer(k: Kernel, t: Thread, which: int, cur: int, *_: int) -> int:
    if which != ITIMER_REAL:
        raise SyscallError(errno.EINVAL)
    space = t.process.space
    assert space is not None
    timer = t.process.itimer_real
    left, interval = (max(0.0, timer[0] - time.monotonic()), timer[1]) if timer else (0.0, 0.0)
    space.write(cur, struct.pack("<qqqq", *_timeval(interval), *_timeval(left)))
    return 0


@syscall("alarm", "time")
def sys_alarm(k: Kernel, t: Thread, seconds: int, *_: int) -> int:
    left, _interval = k.set_alarm(t.process, float(seconds & 0xFFFFFFFF), 0.0)
    return max(1, int(left + 0.5)) if left > 0 else 0
