"""poll, ppoll, select, pselect6: waiting for several descriptors at once.

Readiness comes from each open file (`OpenFile.poll_state`); a thread that
must wait blocks on every pipe and host descriptor it polls at once (the
Block's `also` keys), with the timeout as its deadline.
"""

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

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND = 0x40, 0x80, 0x100, 0x200
_ALWAYS = POLLERR | POLLHUP | POLLNVAL  # reported whether asked for or not


def _ready(t: Thread, fd: int, events: int) -> tuple[int, tuple[object, ...]]:
    """(revents, wake keys) for one descriptor."""
    files = t.process.files
    assert files is not None
    if fd < 0:
        return 0, ()
    try:
        f = files.get(fd)
    except SyscallError:
        return POLLNVAL, ()
    state, key = f.poll_state()
    if state & POLLIN:
        state |= POLLRDNORM
    if state & POLLOUT:
        state |= POLLWRNORM
    return state & (events | _ALWAYS), ((key,) if key is not None else ())


def _wait(k: Kernel, t: Thread, scan, finish, timeout: float | None, why: str) -> int:  # type: ignore[no-untyped-def]
    """Call scan() -> (count, keys) until it finds something or time is up;
    then finish(count) writes the results back and gives the return value."""
    deadline = None if timeout is None else time.monotonic() + timeout

    def attempt() -> int:
        count, keys = scan()
        if count or timeout == 0 or (deadline is not None and time.monotonic() >= deadline):
            return finish(count)
        raise Block(why, attempt, deadline, also=tuple(keys))

    return attempt()


def _poll(k: Kernel, t: Thread, fds: int, nfds: int, timeout: float | None) -> int:
    files = t.process.files
    space = t.process.space
    assert files is not None and space is not None
    if nfds > files.limit:
        raise SyscallError(errno.EINVAL)
    raw = bytearray(space.read(fds, 8 * nfds))

    def scan() -> tuple[int, list[object]]:
        count, keys = 0, []
        for i in range(nfds):
            fd, events, _ = struct.unpack_from("<ihh", raw, 8 * i)
            revents, wake = _ready(t, fd, events & 0xFFFF)
            struct.pack_into("<h", raw, 8 * i + 6, revents if revents < 0x8000 else revents - 0x10000)
            count += bool(revents)
            keys += wake
        return count, keys

    def finish(count: int) -> int:
        space.write(fds, bytes(raw))
        return count

    return _wait(k, t, scan, finish, timeout, f"poll on {nfds} descriptors")


@syscall("poll", "file")
def sys_poll(k: Kernel, t: Thread, fds: int, nfds: int, timeout_ms: int, *_: int) -> int:
    ms = timeout_ms - (1 << 32) if timeout_ms & 0x80000000 else timeout_ms & 0xFFFFFFFF
    return _poll(k, t, fds, nfds, None if ms < 0 else ms / 1000)


@syscall("ppoll", "file", Support.PARTIAL, "the signal mask argument is not applied while waiting")
def sys_ppoll(k: Kernel, t: Thread, fds: int, nfds: int, tsp: int, sigmask: int, *_: int) -> int:
    from .timing import read_timespec

    return _poll(k, t, fds, nfds, read_timespec(k, t, tsp) if tsp else None)


def _select(k: Kernel, t: Thread, nfds: int, rp: int, wp: int, ep: int, timeout: float | None) -> int:
    space = t.process.space
    files = t.process.files
    assert space is not None and files is not None
    if nfds < 0 or nfds > 1024:
        raise SyscallError(errno.EINVAL)
    nbytes = ((nfds + 63) // 64) * 8

    def bits(addr: int) -> int:
        return int.from_bytes(space.read(addr, nbytes), "little") if addr and nbytes else 0

    want_r, want_w, want_e = bits(rp), bits(wp), bits(ep)
    for fd in range(nfds):
        if (want_r | want_w | want_e) >> fd & 1:
            files.get(fd)  # EBADF for a descriptor that is not open

    got: list[int] = [0, 0, 0]

    def scan() -> tuple[int, list[object]]:
        r = w = e = 0
        keys: list[object] = []
        for fd in range(nfds):
            asked = (want_r >> fd & 1, want_w >> fd & 1, want_e >> fd & 1)
            if not any(asked):
                continue
            revents, wake = _ready(t, fd, POLLIN | POLLOUT | POLLPRI)
            if asked[0] and revents & (POLLIN | POLLHUP | POLLERR):
                r |= 1 << fd
            if asked[1] and revents & (POLLOUT | POLLERR):
                w |= 1 << fd
            if asked[2] and revents & POLLPRI:
                e |= 1 << fd
            keys += wake
        got[:] = [r, w, e]
        return bin(r).count("1") + bin(w).count("1") + bin(e).count("1"), keys

    def finish(count: int) -> int:
        for addr, value in zip((rp, wp, ep), got):
            if addr and nbytes:
                space.write(addr, value.to_bytes(nbytes, "little"))
        return count

    return _wait(k, t, scan, finish, timeout, f"select on {nfds} descriptors")


@syscall("select", "file", Support.PARTIAL, "the timeout is not updated with the time left")
def sys_select(k: Kernel, t: Thread, nfds: int, rp: int, wp: int, ep: int, tvp: int, *_: int) -> int:
    timeout = None
    if tvp:
        assert t.process.space is not None
        sec, usec = struct.unpack("<qq", t.process.space.read(tvp, 16))
        if sec < 0 or usec < 0:
            raise SyscallError(errno.EINVAL)
        timeout = sec + usec / 1e6
    return _select(k, t, nfds, rp, wp, ep, timeout)


@syscall("pselect6", "file", Support.PARTIAL, "the signal mask argument is not applied while waiting")
def sys_pselect6(k: Kernel, t: Thread, nfds: int, rp: int, wp: int, ep: int, tsp: int, *_: int) -> int:
    from .timing import read_timespec

    return _select(k, t, nfds, rp, wp, ep, read_timespec(k, t, tsp) if tsp else None)
