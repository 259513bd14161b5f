"""Open files and file-descriptor tables.

An `OpenFile` is Linux's "open file description": offset and status flags,
shared by every descriptor that dup(2) or fork(2) made from it.  An
`FdTable` maps descriptor numbers to (OpenFile, close-on-exec); threads of
a process share one table, fork copies it.

Reads that would block raise `WouldBlock` with the host descriptor to watch
(if any); the syscall layer turns it into a Block for the calling thread,
or EAGAIN for O_NONBLOCK.
"""

from __future__ import annotations

import errno
import fcntl
import operator
import os
import select
import socket
import stat
import termios
import weakref
from collections import Counter
from typing import IO

from ..errors import SyscallError

O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK = 0o100, 0o200, 0o400, 0o1000, 0o2000, 0o4000
O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC = 0o200000, 0o400000, 0o2000000
# Terminal requests (asm-generic/ioctls.h); the structures are x86-64
# Linux's on both sides, so the host's terminal takes them as they are.
TCGETS, TCSETS, TCSETSW, TCSETSF, TCSBRK, TCXONC, TCFLSH = 0x5401, 0x5402, 0x5403, 0x5404, 0x5409, 0x540A, 0x540B
TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, TIOCGSID = 0x540F, 0x5410, 0x5413, 0x5414, 0x541B, 0x5429
TERMIOS_SIZE, WINSIZE_SIZE = 36, 8  # struct termios (the kernel's), struct winsize
# request -> bytes the guest gives (a "set") or gets (a "get")
TTY_SETS = {TCSETS: TERMIOS_SIZE, TCSETSW: TERMIOS_SIZE, TCSETSF: TERMIOS_SIZE, TIOCSWINSZ: WINSIZE_SIZE}
TTY_GETS = {TCGETS: TERMIOS_SIZE, TIOCGWINSZ: WINSIZE_SIZE, FIONREAD: 4}
MAX_FDS = 1024
_first = operator.itemgetter(0)  # the file of a descriptor table's entry (file, cloexec)


class WouldBlock(Exception):
    """The operation cannot complete now; `host_fd` is what to poll, if anything."""

    def __init__(self, host_fd: int | None = None, key: object = None) -> None:
        super().__init__("would block")
        self.host_fd = host_fd
        self.key = key


class OpenFile:
    """An open file description.  Subclasses implement what they support;
    the rest fails as Linux fails it for that kind of file."""

    kind = "file"
    # True where write() may be short without blocking: the write syscalls
    # then go on with the rest (blocking the thread in between) unless the
    # file is O_NONBLOCK, so a blocking write still writes everything.
    completes_writes = False

    def __init__(self, flags: int = O_RDWR, name: str = "") -> None:
        self.flags = flags
        self.name = name
        self.refs = 0

    def read(self, n: int) -> bytes:
        raise SyscallError(errno.EBADF)

    def write(self, data: bytes) -> int:
        raise SyscallError(errno.EBADF)

    def ioctl(self, req: int, arg: bytes | int) -> bytes | int:
        """A device request: `arg` is what the guest passed (the structure's
        bytes for TTY_SETS, else the argument as given: a number for TCSBRK,
        TCXONC and TCFLSH, an address for the rest).
        Returns the bytes to copy out (TTY_GETS) or the result."""
        raise SyscallError(errno.ENOTTY)

    def seek(self, off: int, whence: int) -> int:
        raise SyscallError(errno.ESPIPE)

    def stat(self) -> os.stat_result | None:
        return None

    def readable_now(self) -> bool:
        return True

    def poll_state(self) -> tuple[int, object]:
        """(POLLIN/POLLOUT/POLLHUP/POLLERR bits ready now, wake key or None).
        By default a file is always ready, as regular files are."""
        mask = (1 if self.readable else 0) | (4 if self.writable else 0)
        return mask, None

    def close(self) -> None:
        return None

    @property
    def readable(self) -> bool:
        return self.flags & O_ACCMODE != O_WRONLY

    @property
    def writable(self) -> bool:
        return self.flags & O_ACCMODE != O_RDONLY


class HostStream(OpenFile):
    """A host descriptor passed through: the terminal, a pipe, a file the
    user redirected.  Never closed on the host by the guest.

    Writes never block the kernel: a reader that stops reading must stall
    only the guest thread that writes, not every guest, --timeout and
    Ctrl-C.  The host descriptor's own file description is shared with the
    shell (setting O_NONBLOCK on it would change the shell's terminal), so
    a pipe, FIFO or terminal is opened anew through /proc/self/fd with
    O_NONBLOCK, a description of the kernel's own; a socket is written with
    MSG_DONTWAIT.  A regular file is written as it is (it does not block,
    and its offset stays shared).  A write that would block raises
    WouldBlock with the key ("hostout", fd), which the kernel wakes when
    the descriptor is writable; a write may be short, and the write
    syscalls complete it (`completes_writes`).
    """

    kind = "host"
    completes_writes = True

    def __init__(self, fd: int, flags: int, name: str) -> None:
        super().__init__(flags, name)
        self.fd = fd
        try:
            self.is_tty = os.isatty(fd)
        except OSError:
            self.is_tty = False
        self._out = fd  # the descriptor writes go to
        self._sock: socket.socket | None = None
        if self.writable:
            self._open_private()

    def _open_private(self) -> None:
        try:
            mode = os.fstat(self.fd).st_mode
        except OSError:
            return
        if stat.S_ISSOCK(mode):
            try:
                self._sock = socket.socket(fileno=os.dup(self.fd))
            except OSError:
                self._sock = None
            else:
                weakref.finalize(self, self._sock.close)
            return
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
            return
        access = os.O_RDWR if self.readable else os.O_WRONLY
        try:
            out = os.open(f"/proc/self/fd/{self.fd}", access | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:
            return  # no /proc, or a FIFO without a reader (writes then fail with EPIPE)
        self._out = out
        weakref.finalize(self, os.close, out)

    def read(self, n: int) -> bytes:
        if not self.readable:
            raise SyscallError(errno.EBADF)
        if not self.readable_now():
            raise WouldBlock(self.fd)
        try:
            return os.read(self.fd, n)
        except BlockingIOError:
            raise WouldBlock(self.fd) from None
        except OSError as e:
            raise SyscallError(e.errno or errno.EIO) from None

    def readable_now(self) -> bool:
        try:
            r, _, _ = select.select([self.fd], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(r)

    def writable_now(self) -> bool:
        try:
            _, w, _ = select.select([], [self._out], [], 0)
        except (OSError, ValueError):
            return True
        return bool(w)

    def poll_state(self) -> tuple[int, object]:
        mask = 0
        if self.writable and self.writable_now():
            mask |= 4
        if self.readable and self.readable_now():
            mask |= 1
        if self.readable:
            return mask, ("hostfd", self.fd)
        return mask, ("hostout", self._out) if self.writable else None

    def write(self, data: bytes) -> int:
        if not self.writable:
            raise SyscallError(errno.EBADF)
        try:
            if self._sock is not None:
                return self._sock.send(data, socket.MSG_DONTWAIT)
            return os.write(self._out, data)
        except BlockingIOError:
            raise WouldBlock(key=("hostout", self._out)) from None
        except BrokenPipeError:
            raise SyscallError(errno.EPIPE) from None
        except OSError as e:
            raise SyscallError(e.errno or errno.EIO) from None

    def ioctl(self, req: int, arg: bytes | int) -> bytes | int:
        """Terminal requests go to the host terminal (its modes, its size,
        flushing); FIONREAD to any host descriptor.  Job control (the
        foreground group) is the kernel's, see fileio.sys_ioctl."""
        if req == FIONREAD:
            return self._host_ioctl(req, bytes(4))
        if not self.is_tty:
            raise SyscallError(errno.ENOTTY)
        if req in TTY_GETS:
            return self._host_ioctl(req, bytes(TTY_GETS[req]))
        if req in TTY_SETS:
            assert isinstance(arg, bytes)
            self._host_ioctl(req, arg)
            return 0
        if req in (TCFLSH, TCXONC) and not 0 <= int(arg) <= (2 if req == TCFLSH else 3):
            raise SyscallError(errno.EINVAL)  # as tty_perform_flush and n_tty's TCXONC: no such action
        try:
            if req == TCFLSH:
                termios.tcflush(self.fd, int(arg))
            elif req == TCXONC:
                termios.tcflow(self.fd, int(arg))
            elif req == TCSBRK:
                termios.tcdrain(self.fd) if arg else termios.tcsendbreak(self.fd, 0)
            else:
                raise SyscallError(errno.ENOTTY)  # a request no terminal driver knows (TIOCSTI is one: refused)
        except termios.error as e:
            raise SyscallError(e.args[0] if e.args and isinstance(e.args[0], int) else errno.EINVAL) from None
        return 0

    def _host_ioctl(self, req: int, buf: bytes) -> bytes:
        try:
            return fcntl.ioctl(self.fd, req, buf)
        except OSError as e:
            raise SyscallError(e.errno or errno.ENOTTY) from None

    def seek(self, off: int, whence: int) -> int:
        if whence not in (0, 1, 2, 3, 4):  # SEEK_SET, _CUR, _END, _DATA, _HOLE
            raise SyscallError(errno.EINVAL)
        try:
            return os.lseek(self.fd, off, whence)
        except OSError as e:
            raise SyscallError(e.errno or errno.ESPIPE) from None

    def stat(self) -> os.stat_result | None:
        try:
            return os.fstat(self.fd)
        except OSError:
            return None


class Capture(OpenFile):
    """Output collected in memory (the Python API's captured stdout/stderr)."""

    kind = "capture"

    def __init__(self, name: str, sink: IO[bytes] | bytearray) -> None:
        super().__init__(O_WRONLY, name)
        self.sink = sink

    def write(self, data: bytes) -> int:
        if isinstance(self.sink, bytearray):
            self.sink += data
        else:
            self.sink.write(data)
        return len(data)


class BytesInput(OpenFile):
    """Input given in memory (the Python API's stdin=b"...")."""

    kind = "input"

    def __init__(self, data: bytes) -> None:
        super().__init__(O_RDONLY, "stdin")
        self.data = data
        self.pos = 0

    def read(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out

    def seek(self, off: int, whence: int) -> int:
        base = {0: 0, 1: self.pos, 2: len(self.data)}.get(whence)
        if base is None or base + off < 0:
            raise SyscallError(errno.EINVAL)
        self.pos = base + off
        return self.pos


class Descriptors:
    """The descriptors of every table of one kernel, counted against a limit
    (Linux's fs.file-max): an entry costs host memory, and fork copies a
    whole table, so RLIMIT_NOFILE alone does not bound what guests hold.
    Past the limit an open or dup gets ENFILE, a fork ENOMEM."""

    def __init__(self, limit: int | None = None) -> None:
        self.used = 0
        self.limit = limit
        self.locks = None  # the kernel's file locks (fs/locks.py), made at the first lock

    def take(self, n: int, err: int | None = errno.ENFILE) -> None:
        """Count n more descriptors; SyscallError(err) past the limit (err None: no limit)."""
        if err is not None and self.limit is not None and self.used + n > self.limit:
            raise SyscallError(err, "the kernel's descriptors are all in use")
        self.used += n


class FdTable:
    """Descriptor numbers to open files.  Shared by a process's threads."""

    def __init__(self, count: Descriptors | None = None) -> None:
        self.count = count if count is not None else Descriptors()
        self.fds: dict[int, tuple[OpenFile, bool]] = {}
        self.limit = MAX_FDS  # RLIMIT_NOFILE: soft, then hard
        self.hard_limit = 1 << 20
        self.users = 1  # processes sharing this table (CLONE_FILES)
        # Every descriptor below this one is in use (Linux's next_fd): the
        # search for the lowest free one starts here, so a thousand dups
        # in a row cost a thousand steps, not half a million.
        self._used_below = 0

    def get(self, fd: int) -> OpenFile:
        try:
            return self.fds[fd][0]
        except (KeyError, TypeError):
            raise SyscallError(errno.EBADF) from None

    def install(self, f: OpenFile, cloexec: bool = False, lowest: int = 0, at: int | None = None) -> int:
        if at is None:
            at = max(lowest, self._used_below)
            while at in self.fds:
                at += 1
            if at >= self.limit:
                raise SyscallError(errno.EMFILE)
            if lowest <= self._used_below:
                self._used_below = at + 1
        if at in self.fds:
            self.close(at)
        self.count.take(1)
        f.refs += 1
        self.fds[at] = (f, cloexec)
        return at

    def close(self, fd: int) -> None:
        try:
            f, _ = self.fds.pop(fd)
        except KeyError:
            raise SyscallError(errno.EBADF) from None
        if fd < self._used_below:
            self._used_below = fd
        self.count.used -= 1
        f.refs -= 1
        if self.count.locks is not None:  # a process's record locks go at any close of the file (fs/locks.py)
            self.count.locks.closed(self, f)
        if f.refs == 0:
            f.close()

    def set_cloexec(self, fd: int, on: bool) -> None:
        f = self.get(fd)
        self.fds[fd] = (f, on)

    def cloexec(self, fd: int) -> bool:
        self.get(fd)
        return self.fds[fd][1]

    def fork(self, limited: bool = True) -> FdTable:
        """A copy (fork without CLONE_FILES): ENOMEM past the kernel's
        descriptor limit, unless not `limited` (execve unsharing a table
        after its point of no return)."""
        self.count.take(len(self.fds), errno.ENOMEM if limited else None)
        t = FdTable(self.count)
        t.limit, t.hard_limit, t._used_below = self.limit, self.hard_limit, self._used_below
        for fd, (f, ce) in self.fds.items():
            f.refs += 1
            t.fds[fd] = (f, ce)
        return t

    def close_on_exec(self) -> None:
        for fd in [fd for fd, (_, ce) in self.fds.items() if ce]:
            self.close(fd)

    def close_all(self) -> None:
        """Close every descriptor, in order (an exiting process: this runs
        for every victim of an exit cascade, so without close()'s checks)."""
        fds = self.fds
        if not fds:
            return
        self.fds = {}
        self._used_below = 0
        count = self.count
        count.used -= len(fds)
        locks = count.locks
        for f, _ in fds.values():
            f.refs -= 1
            if locks is not None:  # the table's record locks on the file go (fs/locks.py)
                locks.closed(self, f)
            if f.refs == 0:
                f.close()


def close_tables(tables: list[FdTable]) -> None:
    """close_all of many tables at once (the victims of an exit cascade, in
    one kernel step): each open file loses all the references the tables
    held in one step, and those left with none close, in the order they
    were first met.  Tables with record locks about close one by one."""
    held: list[OpenFile] = []
    for tbl in tables:
        fds = tbl.fds
        if not fds:
            continue
        if tbl.count.locks is not None:
            tbl.close_all()
            continue
        tbl._used_below = 0
        tbl.count.used -= len(fds)
        held.extend(map(_first, fds.values()))
        fds.clear()
    for f, n in Counter(held).items():
        f.refs -= n
        if f.refs == 0:
            f.close()
