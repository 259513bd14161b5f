"""futex(2): the one blocking primitive of the guest libcs' threads.

A futex is named by what backs its word: in a shared mapping, the shared
object and offset (so processes sharing memory meet on one futex); in
private memory, the address space and virtual address.  The private flag
is accepted and changes nothing, so a non-private op on private memory
works (the guest libc's pthread_join relies on it).

Each waiter is its own Block key: a wake counts only threads still
waiting, whatever interrupted the others (a signal, a timeout, a kill).
"""

from __future__ import annotations

import errno
import struct
import time
from collections import deque
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..kernel.task import Block, ThreadState
from .table import Support, syscall

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Process, Thread

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 2, 3, 4, 5
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 6, 7, 8, 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF
BITSET_ALL = 0xFFFFFFFF


class Waiter:
    __slots__ = ("thread", "bitset", "woken", "key", "addr")

    def __init__(self, thread: Thread, bitset: int, key: object, addr: int) -> None:
        self.thread = thread
        self.bitset = bitset
        self.woken = False
        self.key = key
        self.addr = addr  # the word's address in the waiter's space (key may move on requeue)


def futex_key(p: Process, addr: int) -> object:
    space = p.space
    assert space is not None
    if addr & 3:
        raise SyscallError(errno.EINVAL)
    m = space.find(addr)
    if m is None:
        raise SyscallError(errno.EFAULT)
    if m.obj is not None:
        return ("shared", id(m.obj), m.pgoff + ((addr - m.start) >> 12), addr & 0xFFF)
    return ("private", id(space), addr)


def _queue(k: Kernel, key: object) -> deque[Waiter]:
    q = k.futexes.get(key)
    if q is None:
        q = k.futexes[key] = deque()
    return q


def _waiting(w: Waiter) -> bool:
    t = w.thread
    return not w.woken and t.state is ThreadState.BLOCKED and t.block is not None and t.block.key is w


def wake(k: Kernel, key: object, n: int, bitset: int = BITSET_ALL) -> int:
    """Wake up to n waiters on key whose bitset matches; return how many."""
    q = k.futexes.get(key)
    if not q:
        return 0
    woken = 0
    keep: deque[Waiter] = deque()
    while q:
        w = q.popleft()
        if not _waiting(w):
            continue
        if woken < n and w.bitset & bitset:
            w.woken = True
            k.wake(w.thread)
            woken += 1
        else:
            keep.append(w)
    if keep:
        k.futexes[key] = keep
    else:
        k.futexes.pop(key, None)
    return woken


def futex_wake_addr(k: Kernel, p: Process, addr: int, n: int) -> int:
    try:
        return wake(k, futex_key(p, addr), n)
    except SyscallError:
        return 0


def _deadline(k: Kernel, t: Thread, timeout: int, absolute: bool, realtime: bool) -> float | None:
    if not timeout:
        return None
    from .timing import read_timespec

    value = read_timespec(k, t, timeout)
    if not absolute:
        return time.monotonic() + value
    now = time.time() if realtime else time.monotonic()
    return time.monotonic() + (value - now)


# Waiters that time out, are interrupted or end stay queued until a wake on
# their word passes by, which may never come: every SWEEP_EVERY waits, the
# queues are swept of them, so timed waits in a loop do not grow the kernel.
SWEEP_EVERY = 4096


def _sweep(k: Kernel) -> None:
    for key in list(k.futexes):
        live = deque(w for w in k.futexes[key] if _waiting(w))
        if live:
            k.futexes[key] = live
        else:
            del k.futexes[key]


def _wait(k: Kernel, t: Thread, addr: int, key: object, deadline: float | None, bitset: int, why: str,
          restart: object = None) -> int:
    k.futex_waits += 1
    if k.futex_waits >= SWEEP_EVERY:
        k.futex_waits = 0
        _sweep(k)
    w = Waiter(t, bitset, key, addr)
    _queue(k, key).append(w)

    def retry() -> int:
        if w.woken:
            return 0
        if t.timed_out:
            raise SyscallError(errno.ETIMEDOUT)
        raise _restartable(Block(why, retry, deadline, key=w), restart)

    raise _restartable(Block(why, retry, deadline, key=w), restart)


def _restartable(blk: Block, restart: object) -> Block:
    if restart is not None:
        blk.restart = restart  # type: ignore[attr-defined]
    return blk


def _timed_wait(k: Kernel, t: Thread, addr: int, key: object, val: int, deadline: float, bitset: int) -> int:
    """A wait with a timeout.  Cut short by a signal that runs no handler (a
    stop and continue), it is resumed by restart_syscall with the same
    deadline, as Linux's futex_wait_restart; after a handler, EINTR."""
    from ..kernel.signals import Restart

    def again() -> int:
        space = t.process.space
        assert space is not None
        if space.read_u32(addr) != val:
            raise SyscallError(errno.EAGAIN)
        if deadline <= time.monotonic():
            raise SyscallError(errno.ETIMEDOUT)
        return _wait(k, t, addr, key, deadline, bitset, f"futex {addr:#x}", restart)

    restart = Restart("block", again)
    return _wait(k, t, addr, key, deadline, bitset, f"futex {addr:#x}", restart)


def _wake_op(k: Kernel, t: Thread, addr: int, n: int, addr2: int, n2: int, op: int) -> int:
    space = t.process.space
    assert space is not None
    kind, cmp = (op >> 28) & 0xF, (op >> 24) & 0xF
    oparg, cmparg = (op >> 12) & 0xFFF, op & 0xFFF
    if kind & 8:
        oparg = 1 << oparg
        kind &= 7
    old = space.read_u32(addr2)
    new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(kind)
    if new is None:
        raise SyscallError(errno.ENOSYS)
    space.write_u32(addr2, new)
    woken = wake(k, futex_key(t.process, addr), n)
    sold = old - (1 << 32) if old & 0x80000000 else old
    ok = {0: sold == cmparg, 1: sold != cmparg, 2: sold < cmparg, 3: sold <= cmparg, 4: sold > cmparg, 5: sold >= cmparg}
    if ok.get(cmp, False):
        woken += wake(k, futex_key(t.process, addr2), n2)
    return woken


def _requeue(k: Kernel, key: object, key2: object, addr2: int, n: int, n2: int) -> int:
    woken = wake(k, key, n)
    q = k.futexes.get(key)
    moved = 0
    if q:
        q2 = _queue(k, key2)
        while q and moved < n2:
            w = q.popleft()
            if _waiting(w):
                w.key, w.addr = key2, addr2
                q2.append(w)
                moved += 1
        if not q:
            k.futexes.pop(key, None)
    return woken + moved


def _lock_pi(k: Kernel, t: Thread, addr: int, key: object, deadline: float | None, try_only: bool) -> int:
    space = t.process.space
    assert space is not None

    def attempt() -> int:
        word = space.read_u32(addr)
        owner = word & FUTEX_TID_MASK
        if owner == t.tid:
            raise SyscallError(errno.EDEADLK)
        if owner == 0 or k.threads.get(owner) is None:
            # Free, or its owner is gone: take it (keeping the waiters bit).
            died = FUTEX_OWNER_DIED if owner else 0
            space.write_u32(addr, t.tid | (word & FUTEX_WAITERS) | died)
            return 0
        if try_only:
            raise SyscallError(errno.EAGAIN)
        if t.timed_out:
            raise SyscallError(errno.ETIMEDOUT)
        space.write_u32(addr, word | FUTEX_WAITERS)
        w = Waiter(t, BITSET_ALL, key, addr)
        _queue(k, key).append(w)
        raise Block(f"pi-lock {addr:#x} held by thread {owner}", attempt, deadline, key=w)

    return attempt()


def _unlock_pi(k: Kernel, t: Thread, addr: int, key: object) -> int:
    space = t.process.space
    assert space is not None
    word = space.read_u32(addr)
    if word & FUTEX_TID_MASK != t.tid:
        raise SyscallError(errno.EPERM)
    space.write_u32(addr, 0)
    wake(k, key, 1)
    return 0


@syscall("futex", "thread", Support.PARTIAL, "FUTEX_FD is gone from Linux too (ENOSYS); PI locks do not boost priority")
def sys_futex(k: Kernel, t: Thread, addr: int, op: int, val: int, timeout: int, addr2: int, val3: int) -> int:
    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    realtime = bool(op & FUTEX_CLOCK_REALTIME)
    space = t.process.space
    assert space is not None
    key = futex_key(t.process, addr)
    val &= 0xFFFFFFFF
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = BITSET_ALL if cmd == FUTEX_WAIT else val3 & 0xFFFFFFFF
        if bitset == 0:
            raise SyscallError(errno.EINVAL)
        deadline = _deadline(k, t, timeout, cmd == FUTEX_WAIT_BITSET, realtime)
        if space.read_u32(addr) != val:
            raise SyscallError(errno.EAGAIN)
        if deadline is not None and deadline <= time.monotonic():
            raise SyscallError(errno.ETIMEDOUT)
        if deadline is not None:
            return _timed_wait(k, t, addr, key, val, deadline, bitset)
        return _wait(k, t, addr, key, deadline, bitset, f"futex {addr:#x}")
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = BITSET_ALL if cmd == FUTEX_WAKE else val3 & 0xFFFFFFFF
        if bitset == 0:
            raise SyscallError(errno.EINVAL)
        return wake(k, key, val, bitset)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if cmd == FUTEX_CMP_REQUEUE and space.read_u32(addr) != val3 & 0xFFFFFFFF:
            raise SyscallError(errno.EAGAIN)
        n2 = timeout & 0x7FFFFFFF  # the 'timeout' slot carries val2 here
        return _requeue(k, key, futex_key(t.process, addr2), addr2, val, n2)
    if cmd == FUTEX_WAKE_OP:
        return _wake_op(k, t, addr, val, addr2, timeout & 0x7FFFFFFF, val3 & 0xFFFFFFFF)
    if cmd in (FUTEX_LOCK_PI, FUTEX_TRYLOCK_PI):
        deadline = _deadline(k, t, timeout, True, True) if cmd == FUTEX_LOCK_PI else None
        return _lock_pi(k, t, addr, key, deadline, cmd == FUTEX_TRYLOCK_PI)
    if cmd == FUTEX_UNLOCK_PI:
        return _unlock_pi(k, t, addr, key)
    raise SyscallError(errno.ENOSYS)


def walk_robust_list(k: Kernel, t: Thread) -> None:
    """A thread dies holding robust mutexes: mark each OWNER_DIED and wake one waiter."""
    p = t.process
    space = p.space
    if space is None or not t.robust_list:
        return
    try:
        head = t.robust_list
        nxt, offset, pending = struct.unpack("<QqQ", space.read(head, 24))
        entries = []
        seen = 0
        while nxt != head and nxt and seen < 2048:
            entries.append(nxt)
            nxt = space.read_u64(nxt)
            seen += 1
        if pending:
            entries.append(pending)
        for entry in entries:
            word_at = entry + offset
            word = space.read_u32(word_at)
            if word & FUTEX_TID_MASK == t.tid:
                space.write_u32(word_at, (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED)
                if word & FUTEX_WAITERS:
                    futex_wake_addr(k, p, word_at, 1)
    except SyscallError:
        return


def describe_wait(k: Kernel, t: Thread) -> str | None:
    """t's futex wait as the deadlock report shows it, or None if t waits
    on no futex: the word it waits on now (after any requeue) and, where
    the kernel knows one, the ended thread behind it.  That is a thread of
    the process whose tid the word holds (a lock's owner), or whose stack
    and TLS mapping holds the word (the thread's own descriptor, which
    musl's pthread_join waits on: a thread ended by the hierarchy rule
    never clears it).
    """
    blk = t.block
    w = blk.key if blk is not None else None
    if not isinstance(w, Waiter):
        return None
    assert blk is not None
    what = f"futex {w.addr:#x}" if blk.reason.startswith("futex") else blk.reason
    p = t.process
    space = p.space
    ended = [d for d in p.threads if not d.alive]
    if space is None or not ended:
        return what
    try:
        word = space.read_u32(w.addr)
    except SyscallError:
        return what
    for d in ended:
        if word & FUTEX_TID_MASK == d.tid:
            return f"{what}, held by thread {d.tid}, which ended ({d.end_reason})"
    mapping = space.find(w.addr)
    for d in ended:
        if d.tls and mapping is not None and space.find(d.tls) is mapping:
            return f"{what}, in the stack and TLS of thread {d.tid}, which ended ({d.end_reason})"
    return what
