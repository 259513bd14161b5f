"""Advisory file locks between the kernel's processes, as Linux keeps them.

Three kinds, all kept here by the host file's identity (st_dev, st_ino), so
two opens of one file, by any path, meet:

- POSIX record locks (fcntl F_SETLK, F_SETLKW, F_GETLK): byte ranges owned
  by the descriptor table (Linux's fl_owner, current->files; a process's
  threads share it, fork makes a new one, so they are not inherited).  A
  process's locks on a file go when it closes ANY descriptor of that file,
  and all of them when its table goes (exit).  A range is split, trimmed
  and merged as the owner changes parts of it; F_GETLK names the pid that
  set the conflicting lock.  A wait that would close a cycle of waiting
  owners is EDEADLK (Linux's posix_locks_deadlock, 10 steps).
- OFD locks (F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK): the same ranges,
  in the same space (they conflict with POSIX locks), owned by the open
  file description: shared by dup and fork, released when its last
  descriptor closes; F_OFD_GETLK reports pid -1.  No deadlock detection.
- flock(2) locks: whole-file, shared or exclusive, owned by the open file
  description; a separate space from the record locks (as on Linux).
  Converting one kind to the other removes the old lock first.

A blocked locker waits on the wake key ("lock", dev, ino); every release
on the file wakes its waiters, which try again.  Signals interrupt the wait
as any other (EINTR, or a restart under SA_RESTART).

Record locks meet the host's too: for a regular file, the kernel opens one
description of its own (through /proc/self/fd) and holds on it, as host OFD
locks, the union of every guest's record locks on the file, so a host
process sees them; and a guest's request is refused (or waits, trying again
every HOST_POLL_S, since the host tells of no release) while a host
process's lock is in the way; F_GETLK then reports it with l_pid 0 (a
process outside the guest's pid space).  flock locks stay the kernel's.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import struct
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..errors import SyscallError

if TYPE_CHECKING:
    from ..kernel.task import Thread
    from .files import FdTable, OpenFile

F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8
OFFSET_MAX = (1 << 63) - 1
MAX_DEADLOCK_STEPS = 10  # Linux's MAX_DEADLK_ITERATIONS
HOST_F_OFD_GETLK, HOST_F_OFD_SETLK = 36, 37
HOST_POLL_S = 0.01  # how often a wait for a host process's lock tries again
_FLOCK = "hh4xqqi4x"  # struct flock of x86-64 Linux (the host's and the guest's)

FileKey = tuple[int, int]


@dataclass(eq=False)
class Lock:
    """A record lock on the bytes start..end (inclusive; end OFFSET_MAX: to
    the end of the file, however it grows)."""

    type: int
    start: int
    end: int
    owner: object  # an FdTable (POSIX) or an OpenFile (OFD)
    pid: int  # the pid F_GETLK reports: the setter's, -1 for OFD locks
    ofd: bool = False

    def overlaps(self, start: int, end: int) -> bool:
        return self.start <= end and start <= self.end


@dataclass
class Request:
    """What a waiting owner asked for (deadlock detection)."""

    thread: Thread
    key: FileKey
    type: int
    start: int
    end: int
    owner: object


class LockTable:
    """Every lock of one kernel.  `wake(key)` wakes the threads blocked on a wake key."""

    def __init__(self, wake: Callable[[object], None]) -> None:
        self.wake = wake
        self.records: dict[FileKey, list[Lock]] = {}
        self.flocks: dict[FileKey, dict[OpenFile, int]] = {}
        # Which files each owner holds locks on, for the release at close:
        # POSIX owners (descriptor tables) and description owners (OFD and
        # flock).  Weak, so that an owner nobody uses any more is not kept.
        self.table_files: weakref.WeakKeyDictionary[object, set[FileKey]] = weakref.WeakKeyDictionary()
        self.waiting: dict[Thread, Request] = {}
        self.mirrors: dict[FileKey, int] = {}  # the host descriptions holding the guests' locks

    @staticmethod
    def wake_key(key: FileKey) -> tuple[str, int, int]:
        return ("lock", key[0], key[1])

    # Record locks ----------------------------------------------------------

    def conflict(self, key: FileKey, owner: object, type_: int, start: int, end: int) -> Lock | None:
        """The first lock of another owner that the request collides with."""
        for lk in self.records.get(key, ()):
            if lk.owner is not owner and lk.overlaps(start, end) and (type_ == F_WRLCK or lk.type == F_WRLCK):
                return lk
        return None

    def set(self, key: FileKey, owner: object, pid: int, ofd: bool, type_: int, start: int, end: int) -> bool:
        """Apply a lock or unlock of the range for `owner`; False (nothing
        changed) if another owner's lock, or a host process's, is in the way."""
        if type_ != F_UNLCK and self.conflict(key, owner, type_, start, end) is not None:
            return False
        if type_ != F_UNLCK and self.host_conflict(key, type_, start, end) is not None:
            return False
        locks = self.records.setdefault(key, [])
        mine: list[Lock] = []
        kept: list[Lock] = []
        for lk in locks:
            (mine if lk.owner is owner else kept).append(lk)
        changed = False
        out: list[Lock] = []
        for lk in mine:
            if not lk.overlaps(start, end):
                out.append(lk)
                continue
            changed = True
            if lk.start < start:  # the part before the range stays
                out.append(Lock(lk.type, lk.start, start - 1, owner, lk.pid, lk.ofd))
            if lk.end > end:  # and the part after it
                out.append(Lock(lk.type, end + 1, lk.end, owner, lk.pid, lk.ofd))
        if type_ != F_UNLCK:
            new = Lock(type_, start, end, owner, pid, ofd)
            merged: list[Lock] = []
            for lk in out:  # same type and touching: one lock
                touching = lk.start <= (new.end + 1 if new.end < OFFSET_MAX else new.end) and new.start <= (
                    lk.end + 1 if lk.end < OFFSET_MAX else lk.end)
                if lk.type == type_ and touching:
                    new.start, new.end = min(new.start, lk.start), max(new.end, lk.end)
                else:
                    merged.append(lk)
            out = merged + [new]
        out.sort(key=lambda lk: lk.start)
        self.records[key] = kept + out
        if not self.records[key]:
            del self.records[key]
        if type_ != F_UNLCK:
            self.table_files.setdefault(owner, set()).add(key)
        self.sync_host(key)
        if changed:
            self.wake(self.wake_key(key))  # a lock went or got smaller, or changed type
        return True

    def release_owner(self, key: FileKey, owner: object) -> None:
        """Every record lock of `owner` on the file goes."""
        locks = self.records.get(key)
        if not locks:
            return
        kept = [lk for lk in locks if lk.owner is not owner]
        if len(kept) != len(locks):
            if kept:
                self.records[key] = kept
            else:
                del self.records[key]
            self.sync_host(key)
            self.wake(self.wake_key(key))

    # The host's view ------------------------------------------------------

    def attach(self, key: FileKey, f: OpenFile) -> None:
        """Open the kernel's host description of a regular file (once per
        file while it has locks), from the guest's open file f."""
        fd = getattr(f, "fd", None)
        if key in self.mirrors or key[0] < 0 or not isinstance(fd, int) or not hasattr(f, "host_path"):
            return
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
        except OSError:
            return
        for mode in (os.O_RDWR, os.O_RDONLY):
            try:
                self.mirrors[key] = os.open(f"/proc/self/fd/{fd}", mode | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
                return
            except OSError:
                continue

    def host_conflict(self, key: FileKey, type_: int, start: int, end: int) -> tuple[int, int, int] | None:
        """(type, start, end) of a host process's lock in the way, if any."""
        m = self.mirrors.get(key)
        if m is None:
            return None
        length = 0 if end == OFFSET_MAX else end - start + 1
        try:
            got = fcntl.fcntl(m, HOST_F_OFD_GETLK, struct.pack(_FLOCK, type_, 0, start, length, 0))
        except OSError:
            return None
        h_type, _w, h_start, h_len, _pid = struct.unpack(_FLOCK, got)
        if h_type == F_UNLCK:
            return None
        return h_type, h_start, OFFSET_MAX if h_len == 0 else h_start + h_len - 1

    def drop_unused(self, key: FileKey) -> None:
        """Close the host description of a file no guest holds a record lock on."""
        if key in self.mirrors and not self.records.get(key):
            self.sync_host(key)

    def sync_host(self, key: FileKey) -> None:
        """Make the host description hold the union of the guests' record
        locks on the file: each byte the strongest lock any guest has on
        it.  Pieces are converted in place (never unlocked in between), so
        no host process can slip into a range the guests keep."""
        m = self.mirrors.get(key)
        if m is None:
            return
        locks = self.records.get(key)
        if not locks:
            del self.mirrors[key]
            try:
                os.close(m)  # its locks go with it
            except OSError:
                pass
            return
        points = sorted({0} | {lk.start for lk in locks} | {lk.end + 1 for lk in locks if lk.end < OFFSET_MAX})
        pieces: list[tuple[int, int, int]] = []  # (type, start, end), F_UNLCK for gaps
        for i, a in enumerate(points):
            b = points[i + 1] - 1 if i + 1 < len(points) else OFFSET_MAX
            cover = [lk.type for lk in locks if lk.start <= a and b <= lk.end]
            t = max(cover) if cover else F_UNLCK
            if pieces and pieces[-1][0] == t:
                pieces[-1] = (t, pieces[-1][1], b)
            else:
                pieces.append((t, a, b))
        for t, a, b in sorted(pieces, key=lambda p: p[0] == F_UNLCK):  # locks first, then the gaps
            length = 0 if b == OFFSET_MAX else b - a + 1
            try:
                fcntl.fcntl(m, HOST_F_OFD_SETLK, struct.pack(_FLOCK, t, 0, a, length, 0))
            except OSError:
                pass  # a read-only description cannot hold a write lock; a host process got there first

    # flock ---------------------------------------------------------------

    def flock(self, key: FileKey, f: OpenFile, op: int) -> bool:
        """LOCK_SH, LOCK_EX (F_RDLCK/F_WRLCK here) or LOCK_UN for the
        description f; False if another description's lock is in the way
        (the old lock of f is gone by then, as on Linux)."""
        held = self.flocks.setdefault(key, {})
        want = {LOCK_SH: F_RDLCK, LOCK_EX: F_WRLCK}.get(op, F_UNLCK)
        old = held.get(f)
        if old is not None and old == want:
            return True
        if old is not None:
            del held[f]
            self.wake(self.wake_key(key))
        if want == F_UNLCK:
            if not held:
                del self.flocks[key]
            return True
        if any(o is not f and (want == F_WRLCK or t == F_WRLCK) for o, t in held.items()):
            if not held:
                del self.flocks[key]
            return False
        held[f] = want
        self.table_files.setdefault(f, set()).add(key)
        return True

    # Release at close ------------------------------------------------------

    def closed(self, table: FdTable, f: OpenFile) -> None:
        """A descriptor of `table` referring to f was closed (f.refs already
        counts it gone, f itself is still open): the table's POSIX locks on
        the file go, and f's own (OFD, flock) when that was its last
        descriptor."""
        files = self.table_files.get(table)
        if files:
            key = file_key(f)
            if key is not None and key in files:
                self.release_owner(key, table)
                files.discard(key)
        if f.refs == 0:
            own = self.table_files.pop(f, None)
            for key in own or ():
                self.release_owner(key, f)
                held = self.flocks.get(key)
                if held is not None and f in held:
                    del held[f]
                    if not held:
                        del self.flocks[key]
                    self.wake(self.wake_key(key))

    # Deadlock detection ----------------------------------------------------

    def _request_of(self, owner: object) -> Request | None:
        from ..kernel.task import ThreadState

        for t, req in list(self.waiting.items()):
            blk = t.block
            live = t.state is ThreadState.BLOCKED and blk is not None and self.wake_key(req.key) in blk.keys
            if not live:
                del self.waiting[t]  # the wait ended (a signal, an exit) without telling us
                continue
            if req.owner is owner:
                return req
        return None

    def would_deadlock(self, me: object, blocker: Lock) -> bool:
        """Would `me` waiting for `blocker` close a cycle of POSIX waiters?"""
        lk: Lock | None = blocker
        for _ in range(MAX_DEADLOCK_STEPS):
            if lk is None or lk.ofd:
                return False
            if lk.owner is me:
                return True
            req = self._request_of(lk.owner)
            if req is None:
                return False
            lk = self.conflict(req.key, req.owner, req.type, req.start, req.end)
        return False


def file_key(f: OpenFile) -> FileKey:
    """The identity locks are kept by: the host file's (st_dev, st_ino);
    the kernel's own files (pipes, devices) by the object."""
    try:
        s = f.stat()
    except SyscallError:
        s = None
    if s is None:
        return (-1, id(getattr(f, "pipe", f)))
    return (s.st_dev, s.st_ino)


def table_of(k, count) -> LockTable:  # type: ignore[no-untyped-def]
    """The kernel's lock table (made at the first lock), kept on its
    descriptor count, which every descriptor table of the kernel shares."""
    locks = getattr(count, "locks", None)
    if locks is None:
        locks = LockTable(k.wake_key)
        count.locks = locks
    return locks


def check_range(start: int, length: int) -> tuple[int, int]:
    """(first, last byte) of l_start/l_len from an absolute start; EINVAL
    for a range before 0, EOVERFLOW past the largest offset."""
    if start > OFFSET_MAX:
        raise SyscallError(errno.EOVERFLOW)
    if length > 0:
        end = start + length - 1
        if end > OFFSET_MAX:
            raise SyscallError(errno.EOVERFLOW)
    elif length == 0:
        end = OFFSET_MAX
    else:
        end = start - 1
        start += length
    if start < 0:
        raise SyscallError(errno.EINVAL)
    return start, end
