"""poll, ppoll, select, pselect6: waiting for several descriptors at once.

Readiness comes from each open file (`OpenFile.poll_state`); a thread that
must wait blocks on every pipe and host descriptor it polls at once (the
Block's `also` keys), with the timeout as its deadline.

ppoll and pselect6 swap their signal mask in for the wait, as Linux does:
a signal it unblocks cuts the wait short with EINTR and its handler runs
(the handler's frame restores the caller's mask); otherwise the caller's
mask is back when the call returns.  select, pselect6 and ppoll write the
time not slept back into their timeout.  A signal whose delivery runs no
handler (a stop and continue) restarts the wait for what is left of its
time: poll through restart_syscall, the others by being made again with
the updated timeout.
"""

from __future__ import annotations

import errno
import struct
import time
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..kernel import signals as sig
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


def _wait(k: Kernel, t: Thread, scan, finish, deadline: float | None, why: str,  # type: ignore[no-untyped-def]
          restart: sig.Restart, nr: int) -> int:
    """Call scan() -> (count, keys) until it finds something or `deadline`
    (time.monotonic scale; None: none) passes; then finish(count) writes the
    results back and gives the return value.  A signal cuts the wait short
    as `restart` says (kernel/signals.py)."""

    def attempt() -> int:
        count, keys = scan()
        if count or (deadline is not None and time.monotonic() >= deadline) or t.timed_out:
            return finish(count)
        raise sig.restartable(Block(why, attempt, deadline, also=tuple(keys)), restart)

    count, keys = scan()
    if count or (deadline is not None and time.monotonic() >= deadline):
        return finish(count)
    if t.saved_sigmask is not None and sig.would_act(t):
        # The mask swapped in for the wait unblocks a pending signal: EINTR
        # at once (its handler's frame restores the caller's mask).
        return sig.cut_short(t, nr, restart)
    raise sig.restartable(Block(why, attempt, deadline, also=tuple(keys)), restart)


def _swap_mask(t: Thread, addr: int, size: int) -> None:
    """ppoll, pselect6: the signal mask for the wait (restored when the
    call returns, or by the frame of a handler the wait let in)."""
    assert t.process.space is not None
    if size != 8:
        raise SyscallError(errno.EINVAL)
    new = t.process.space.read_u64(addr)
    t.saved_sigmask = t.sigmask
    t.sigmask = new & ~sig.UNBLOCKABLE


def _mask_back(t: Thread) -> None:
    if t.saved_sigmask is not None:
        t.sigmask, t.saved_sigmask = t.saved_sigmask, None


def _write_left(t: Thread, addr: int, deadline: float | None, usec: bool) -> None:
    """select, pselect6, ppoll: the time not slept goes back into the
    caller's timeout, as Linux's poll_select_finish writes it."""
    if not addr or deadline is None:
        return
    left = max(0.0, deadline - time.monotonic())
    ns = int(left * 1e9)
    sec, rest = divmod(ns, 1_000_000_000)
    assert t.process.space is not None
    try:
        t.process.space.write(addr, struct.pack("<qq", sec, rest // 1000 if usec else rest))
    except SyscallError:
        pass


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _poll(k: Kernel, t: Thread, fds: int, nfds: int, deadline: float | None, restart: sig.Restart, nr: int,
          done=None) -> int:  # type: ignore[no-untyped-def]
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
        if done is not None:
            done()
        space.write(fds, bytes(raw))
        return count

    return _wait(k, t, scan, finish, deadline, f"poll on {nfds} descriptors", restart, nr)


@syscall("poll", "file")
def sys_poll(k: Kernel, t: Thread, fds: int, nfds: int, timeout_ms: int, *_: int) -> int:
    ms = timeout_ms - (1 << 32) if timeout_ms & 0x80000000 else timeout_ms & 0xFFFFFFFF
    if ms < 0:
        return _poll(k, t, fds, nfds, None, sig.Restart("nohand"), NR_POLL)
    deadline = time.monotonic() + ms / 1000

    def again() -> int:
        # restart_syscall: the same descriptors, for what is left of the time
        return _poll(k, t, fds, nfds, deadline, restart, NR_POLL)

    restart = sig.Restart("block", again)
    return _poll(k, t, fds, nfds, deadline, restart, NR_POLL)


@syscall("ppoll", "file", defer=True)
def sys_ppoll(k: Kernel, t: Thread, fds: int, nfds: int, tsp: int, sigmask: int, size: int, *_: int) -> int:
    from .timing import read_timespec

    deadline = _deadline(read_timespec(k, t, tsp) if tsp else None)
    files = t.process.files
    assert files is not None
    if nfds > files.limit:
        raise SyscallError(errno.EINVAL)
    restart = sig.Restart("nohand", on_cut=lambda: _write_left(t, tsp, deadline, False))
    if sigmask:
        _swap_mask(t, sigmask, size)

    def done() -> None:
        _mask_back(t)
        _write_left(t, tsp, deadline, False)

    try:
        return _poll(k, t, fds, nfds, deadline, restart, sig.NR_PPOLL, done)
    except SyscallError:
        _mask_back(t)
        raise


def _select(k: Kernel, t: Thread, nfds: int, rp: int, wp: int, ep: int, deadline: float | None,
            restart: sig.Restart, nr: int, done=None) -> int:  # type: ignore[no-untyped-def]
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
        if done is not None:
            done()
        for addr, value in zip((rp, wp, ep), got):
            if addr and nbytes:
                space.write(addr, value.to_bytes(nbytes, "little"))
        return count

    return _wait(k, t, scan, finish, deadline, f"select on {nfds} descriptors", restart, nr)


@syscall("select", "file")
def sys_select(k: Kernel, t: Thread, nfds: int, rp: int, wp: int, ep: int, tvp: int, *_: int) -> int:
    timeout = None
    if tvp:
        assert t.process.space is not None
        sec, usec = struct.unpack("<qq", t.process.space.read(tvp, 16))
        if sec < 0 or usec < 0:
            raise SyscallError(errno.EINVAL)
        timeout = sec + usec / 1e6
    deadline = _deadline(timeout)
    restart = sig.Restart("nohand", on_cut=lambda: _write_left(t, tvp, deadline, True))
    return _select(k, t, nfds, rp, wp, ep, deadline, restart, NR_SELECT,
                   lambda: _write_left(t, tvp, deadline, True))


@syscall("pselect6", "file", defer=True)
def sys_pselect6(k: Kernel, t: Thread, nfds: int, rp: int, wp: int, ep: int, tsp: int, sigp: int) -> int:
    from .timing import read_timespec

    deadline = _deadline(read_timespec(k, t, tsp) if tsp else None)
    mask_addr = mask_size = 0
    if sigp:
        assert t.process.space is not None
        mask_addr, mask_size = struct.unpack("<QQ", t.process.space.read(sigp, 16))
    restart = sig.Restart("nohand", on_cut=lambda: _write_left(t, tsp, deadline, False))
    if mask_addr:
        _swap_mask(t, mask_addr, mask_size)

    def done() -> None:
        _mask_back(t)
        _write_left(t, tsp, deadline, False)

    try:
        return _select(k, t, nfds, rp, wp, ep, deadline, restart, sig.NR_PSELECT6, done)
    except SyscallError:
        _mask_back(t)
        raise


NR_POLL, NR_SELECT = 7, 23
