"""File-descriptor and path calls, and execve.

Paths resolve inside the sandbox root (violet/fs/vfs.py).  Reads and writes
that would block (an empty pipe, a terminal with no input) block the
calling thread, not the kernel.
"""

from __future__ import annotations

import errno
import os
import resource
import stat as st
import struct
import time
from typing import TYPE_CHECKING

from ..errors import LoadError, SyscallError
from ..fs import files as files_mod
from ..fs import procfs
from ..fs.files import (
    O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC,
    O_WRONLY, OpenFile, WouldBlock,
)
from ..fs.hostfile import HostFile
from ..fs.pipe import Pipe, PipeEnd
from ..kernel import exits
from ..kernel.perms import FILE_RIGHTS, Right
from ..kernel.signals import SIGPIPE, SIGSEGV, Info, send_thread
from ..kernel.task import Block, NoReturn
from ..loader import elf
from ..mm.space import PAGE, Mapping, Prot
from .proc import s32
from .table import Support, syscall

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH = 0x100, 0x200, 0x1000
IOV_MAX = 1024
MAX_IO = 1 << 24  # bytes one read or write moves at most (a short transfer beyond)
MAX_ARGS = 2 << 20  # bytes of argv and envp that execve accepts (E2BIG beyond)


def _space(t: Thread):  # type: ignore[no-untyped-def]
    space = t.process.space
    assert space is not None
    return space


def _files(t: Thread):  # type: ignore[no-untyped-def]
    files = t.process.files
    assert files is not None
    return files


# Reading and writing -----------------------------------------------------------


def _blocking(k: Kernel, t: Thread, f: OpenFile, op, what: str):  # type: ignore[no-untyped-def]
    """Run op(); if it would block, block t (or EAGAIN under O_NONBLOCK)."""

    def attempt() -> int:
        try:
            return op()
        except WouldBlock as wb:
            if f.flags & O_NONBLOCK:
                raise SyscallError(errno.EAGAIN) from None
            key = ("hostfd", wb.host_fd) if wb.host_fd is not None else wb.key
            raise Block(what, attempt, key=key) from None

    return attempt()


def _write_to(k: Kernel, t: Thread, f: OpenFile, data: bytes) -> int:
    try:
        return f.write(data)
    except SyscallError as e:
        if e.errno == errno.EPIPE:
            send_thread(k, t, SIGPIPE, Info(SIGPIPE, 0, t.process.pid))
            # Delivered before the guest goes on, as on the return from a
            # Linux syscall: a call the hook finished would otherwise return
            # straight to the guest, which might exit first.
            k.cpu.stop()
        raise


def _writing(k: Kernel, t: Thread, f: OpenFile, data: bytes):  # type: ignore[no-untyped-def]
    """The write operation for _blocking.  A file whose writes may be short
    without blocking (a host stream, written non-blocking so that a stalled
    reader stalls only this thread) has the rest written as it drains, the
    thread blocked in between, as a blocking write on Linux; under
    O_NONBLOCK what went is the answer."""
    if not getattr(f, "completes_writes", False):
        return lambda: _write_to(k, t, f, data)
    view = memoryview(data)
    done = 0

    def op() -> int:
        nonlocal done
        while done < len(view):
            try:
                n = _write_to(k, t, f, view[done:])  # type: ignore[arg-type]
            except WouldBlock:
                if done and f.flags & O_NONBLOCK:
                    return done
                raise
            except SyscallError:
                if done:  # EPIPE or EIO after part of it went: the part is the answer
                    return done
                raise
            done += n
            if f.flags & O_NONBLOCK or n == 0:
                break
        return done

    return op


@syscall("read", "file")
def sys_read(k: Kernel, t: Thread, fd: int, buf: int, count: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not f.readable:
        raise SyscallError(errno.EBADF)
    count = min(count, MAX_IO)
    space = _space(t)

    def op() -> int:
        data = f.read(count)
        space.write(buf, data)
        return len(data)

    return _blocking(k, t, f, op, f"read fd {fd}")


@syscall("write", "file")
def sys_write(k: Kernel, t: Thread, fd: int, buf: int, count: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not f.writable:
        raise SyscallError(errno.EBADF)
    data = _space(t).read(buf, min(count, MAX_IO))
    return _blocking(k, t, f, _writing(k, t, f, data), f"write fd {fd}")


def _iovecs(t: Thread, iov: int, n: int) -> list[tuple[int, int]]:
    """The (base, length) pairs of an iovec array, cut to MAX_IO bytes in
    all: like Linux's MAX_RW_COUNT, a bigger transfer is a short one."""
    if n > IOV_MAX:
        raise SyscallError(errno.EINVAL)
    raw = _space(t).read(iov, 16 * n)
    out, room = [], MAX_IO
    for i in range(n):
        base, ln = struct.unpack_from("<QQ", raw, 16 * i)
        if ln >= 1 << 63:
            raise SyscallError(errno.EINVAL)
        ln = min(ln, room)
        room -= ln
        out.append((base, ln))
    return out


@syscall("writev", "file")
def sys_writev(k: Kernel, t: Thread, fd: int, iov: int, n: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not f.writable:
        raise SyscallError(errno.EBADF)
    space = _space(t)
    data = b"".join(space.read(base, ln) for base, ln in _iovecs(t, iov, n))
    return _blocking(k, t, f, _writing(k, t, f, data), f"write fd {fd}")


@syscall("readv", "file")
def sys_readv(k: Kernel, t: Thread, fd: int, iov: int, n: int, *_: int) -> int:
    f = _files(t).get(fd)
    vecs = _iovecs(t, iov, n)
    space = _space(t)

    def op() -> int:
        data = f.read(sum(ln for _, ln in vecs))
        pos = 0
        for base, ln in vecs:
            chunk = data[pos : pos + ln]
            space.write(base, chunk)
            pos += len(chunk)
        return len(data)

    return _blocking(k, t, f, op, f"read fd {fd}")


@syscall("pread64", "file")
def sys_pread64(k: Kernel, t: Thread, fd: int, buf: int, count: int, off: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, HostFile):
        raise SyscallError(errno.ESPIPE)
    if off >= 1 << 63:  # a negative offset
        raise SyscallError(errno.EINVAL)
    data = f.pread(min(count, MAX_IO), off)
    _space(t).write(buf, data)
    return len(data)


@syscall("pwrite64", "file")
def sys_pwrite64(k: Kernel, t: Thread, fd: int, buf: int, count: int, off: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, HostFile):
        raise SyscallError(errno.ESPIPE)
    if off >= 1 << 63:  # a negative offset
        raise SyscallError(errno.EINVAL)
    return f.pwrite(_space(t).read(buf, min(count, MAX_IO)), off)


@syscall("lseek", "file")
def sys_lseek(k: Kernel, t: Thread, fd: int, off: int, whence: int, *_: int) -> int:
    off = off - (1 << 64) if off & (1 << 63) else off
    f = _files(t).get(fd)
    if whence & 0xFFFFFFFF > 4:  # past SEEK_HOLE: EINVAL before any file's own answer, as ksys_lseek
        raise SyscallError(errno.EINVAL)
    return f.seek(off, whence & 0xFFFFFFFF)


@syscall("ioctl", "file", Support.PARTIAL,
         "terminals: modes (TCGETS/TCSETS*), size, flush/drain/flow, foreground group, FIONREAD; others ENOTTY")
def sys_ioctl(k: Kernel, t: Thread, fd: int, req: int, arg: int, *_: int) -> int:
    f = _files(t).get(fd)
    req &= 0xFFFFFFFF
    if req in (files_mod.TIOCGPGRP, files_mod.TIOCSPGRP, files_mod.TIOCGSID):
        return _job_control(k, t, f, req, arg)
    sets = files_mod.TTY_SETS.get(req)
    got = f.ioctl(req, _space(t).read(arg, sets) if sets else arg)
    if isinstance(got, bytes):
        _space(t).write(arg, got)
        return 0
    return got


def _job_control(k: Kernel, t: Thread, f: OpenFile, req: int, arg: int) -> int:
    """The terminal's foreground process group, kept by the kernel: the
    host terminal's belongs to Violet's own process group (see
    Kernel.foreground_pgrp)."""
    if not getattr(f, "is_tty", False):
        raise SyscallError(errno.ENOTTY)
    p = t.process
    if p.sid != k.terminal_session():
        raise SyscallError(errno.ENOTTY)  # not the caller's controlling terminal (it called setsid)
    if req == files_mod.TIOCGSID:
        _space(t).write(arg, struct.pack("<i", p.sid))
        return 0
    if req == files_mod.TIOCGPGRP:
        fg = k.foreground_pgrp()
        _space(t).write(arg, struct.pack("<i", p.pgid if fg is None else fg))
        return 0
    (pgrp,) = struct.unpack("<i", _space(t).read(arg, 4))
    if pgrp < 0:
        raise SyscallError(errno.EINVAL)
    group = [q for q in k.procs.values() if q.alive and q.pgid == pgrp]
    if not group:
        raise SyscallError(errno.ESRCH)  # as tiocspgrp: no such group; one of another session is EPERM
    if not any(q.sid == p.sid for q in group):
        raise SyscallError(errno.EPERM)
    k.terminal_pgrp = pgrp
    return 0


@syscall("sendfile", "file", Support.PARTIAL, "copies through the kernel; no zero-copy")
def sys_sendfile(k: Kernel, t: Thread, out_fd: int, in_fd: int, offp: int, count: int, *_: int) -> int:
    files = _files(t)
    src, dst = files.get(in_fd), files.get(out_fd)
    if not src.readable or not dst.writable:
        raise SyscallError(errno.EBADF)
    # Linux reads a sendfile's input through its splice_read, which regular
    # files and block devices have and pipes, FIFOs and terminals do not:
    # EINVAL for those (busybox cat then copies with read and write).
    s = src.stat()
    if s is None or not (st.S_ISREG(s.st_mode) or st.S_ISBLK(s.st_mode)):
        raise SyscallError(errno.EINVAL)
    count = min(count, 1 << 20)
    if offp:
        if not isinstance(src, HostFile):
            raise SyscallError(errno.ESPIPE)
        off = _space(t).read_u64(offp)
        if off >= 1 << 63:  # a negative offset
            raise SyscallError(errno.EINVAL)
        data = src.pread(count, off)
        _space(t).write_u64(offp, off + len(data))
    else:
        data = _blocking(k, t, src, lambda: src.read(count), f"sendfile from fd {in_fd}")
    if not data:
        return 0
    return _blocking(k, t, dst, _writing(k, t, dst, data), f"sendfile to fd {out_fd}")


# Descriptors -----------------------------------------------------------------

F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW = 0, 1, 2, 3, 4, 5, 6, 7
F_DUPFD_CLOEXEC = 1030
FD_CLOEXEC = 1


@syscall("close", "file")
def sys_close(k: Kernel, t: Thread, fd: int, *_: int) -> int:
    _files(t).close(fd)
    return 0


@syscall("dup", "file")
def sys_dup(k: Kernel, t: Thread, fd: int, *_: int) -> int:
    files = _files(t)
    return files.install(files.get(fd))


@syscall("dup2", "file")
def sys_dup2(k: Kernel, t: Thread, old: int, new: int, *_: int) -> int:
    files = _files(t)
    f = files.get(old)
    if old == new:
        return new
    if new >= files.limit:
        raise SyscallError(errno.EBADF)
    return files.install(f, at=new)


@syscall("dup3", "file")
def sys_dup3(k: Kernel, t: Thread, old: int, new: int, flags: int, *_: int) -> int:
    if old == new or flags & ~O_CLOEXEC:
        raise SyscallError(errno.EINVAL)
    files = _files(t)
    f = files.get(old)
    if new >= files.limit:
        raise SyscallError(errno.EBADF)
    return files.install(f, cloexec=bool(flags & O_CLOEXEC), at=new)


@syscall("fcntl", "file", Support.PARTIAL, "F_DUPFD*, F_GETFD/SETFD, F_GETFL/SETFL, record locks (POSIX and OFD); no leases, F_SETPIPE_SZ, seals")
def sys_fcntl(k: Kernel, t: Thread, fd: int, cmd: int, arg: int, *_: int) -> int:
    files = _files(t)
    f = files.get(fd)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        if arg >= files.limit:
            raise SyscallError(errno.EINVAL)
        return files.install(f, cloexec=cmd == F_DUPFD_CLOEXEC, lowest=arg)
    if cmd == F_GETFD:
        return FD_CLOEXEC if files.cloexec(fd) else 0
    if cmd == F_SETFD:
        files.set_cloexec(fd, bool(arg & FD_CLOEXEC))
        return 0
    if cmd == F_GETFL:
        return f.flags & ~O_CLOEXEC
    if cmd == F_SETFL:
        keep = f.flags & ~(O_APPEND | O_NONBLOCK)
        f.flags = keep | (arg & (O_APPEND | O_NONBLOCK))
        return 0
    if cmd in (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
        return _record_lock(k, t, fd, f, cmd, arg)
    raise SyscallError(errno.EINVAL)


# Locks (violet/fs/locks.py) ---------------------------------------------------

F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38


def _lock_table(k: Kernel, t: Thread):  # type: ignore[no-untyped-def]
    from ..fs.locks import table_of

    return table_of(k, _files(t).count)


def _record_lock(k: Kernel, t: Thread, fd: int, f: OpenFile, cmd: int, arg: int) -> int:
    """fcntl's record locks, POSIX (owned by the descriptor table) and OFD
    (owned by the open file description); see violet/fs/locks.py."""
    from ..fs.locks import F_RDLCK, F_UNLCK, F_WRLCK, OFFSET_MAX, Request, check_range, file_key

    space = _space(t)
    l_type, l_whence, l_start, l_len, l_pid = struct.unpack("<hh4xqqi4x", space.read(arg, 32))
    ofd = cmd in (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
    getlk = cmd in (F_GETLK, F_OFD_GETLK)
    if ofd and l_pid != 0:
        raise SyscallError(errno.EINVAL)
    if l_type not in (F_RDLCK, F_WRLCK, F_UNLCK) or (getlk and l_type == F_UNLCK):
        raise SyscallError(errno.EINVAL)
    if l_whence == 0:
        base = 0
    elif l_whence == 1:
        base = f.seek(0, 1)
    elif l_whence == 2:
        info = f.stat()
        base = info.st_size if info is not None else 0
    else:
        raise SyscallError(errno.EINVAL)
    start, end = check_range(base + l_start, l_len)
    files = _files(t)
    table = _lock_table(k, t)
    key = file_key(f)
    table.attach(key, f)  # the host's view of the file's locks
    owner: object = f if ofd else files
    if getlk:
        c = table.conflict(key, owner, l_type, start, end)
        host = table.host_conflict(key, l_type, start, end) if c is None else None
        if host is not None:  # a host process's lock: pid 0, outside the guest's pid space
            h_type, h_start, h_end = host
            length = 0 if h_end == OFFSET_MAX else h_end - h_start + 1
            space.write(arg, struct.pack("<hh4xqqi4x", h_type, 0, h_start, length, 0))
        elif c is None:
            space.write(arg, struct.pack("<h", F_UNLCK))  # only l_type changes, as on Linux
        else:
            length = 0 if c.end == OFFSET_MAX else c.end - c.start + 1
            space.write(arg, struct.pack("<hh4xqqi4x", c.type, 0, c.start, length, c.pid))
        table.drop_unused(key)
        return 0
    if (l_type == F_RDLCK and not f.readable) or (l_type == F_WRLCK and not f.writable):
        raise SyscallError(errno.EBADF)
    wait = cmd in (F_SETLKW, F_OFD_SETLKW)
    name = {F_SETLKW: "F_SETLKW", F_OFD_SETLKW: "F_OFD_SETLKW"}.get(cmd, "")
    pid = t.process.pid

    def attempt() -> int:
        if table.set(key, owner, -1 if ofd else pid, ofd, l_type, start, end):
            table.waiting.pop(t, None)
            return 0
        if not wait:
            table.waiting.pop(t, None)
            table.drop_unused(key)
            raise SyscallError(errno.EAGAIN)
        blocker = table.conflict(key, owner, l_type, start, end)
        if blocker is None:  # a host process's lock: the host tells of no release, so look again soon
            from ..fs.locks import HOST_POLL_S

            raise Block(f"fcntl {name} fd {fd} bytes {start}-{'EOF' if end == OFFSET_MAX else end}, held by a host "
                        "process", attempt, deadline=time.monotonic() + HOST_POLL_S, key=table.wake_key(key))
        if not ofd and table.would_deadlock(owner, blocker):
            table.waiting.pop(t, None)
            table.drop_unused(key)
            raise SyscallError(errno.EDEADLK)
        table.waiting[t] = Request(t, key, l_type, start, end, owner)
        held = f"pid {blocker.pid}" if blocker.pid > 0 else "another open file"
        last = "EOF" if end == OFFSET_MAX else str(end)
        raise Block(f"fcntl {name} fd {fd} bytes {start}-{last}, held by {held}", attempt,
                    key=table.wake_key(key))

    return attempt()


@syscall("flock", "file")
def sys_flock(k: Kernel, t: Thread, fd: int, op: int, *_: int) -> int:
    from ..fs.locks import LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, file_key

    f = _files(t).get(fd)
    nonblock = bool(op & LOCK_NB)
    op &= ~LOCK_NB
    if op not in (LOCK_SH, LOCK_EX, LOCK_UN):
        raise SyscallError(errno.EINVAL)
    table = _lock_table(k, t)
    key = file_key(f)

    def attempt() -> int:
        if table.flock(key, f, op):
            return 0
        if nonblock:
            raise SyscallError(errno.EWOULDBLOCK)
        kind = "LOCK_EX" if op == LOCK_EX else "LOCK_SH"
        raise Block(f"flock {kind} fd {fd}", attempt, key=table.wake_key(key))

    return attempt()


@syscall("pipe2", "file")
def sys_pipe2(k: Kernel, t: Thread, fds: int, flags: int, *_: int) -> int:
    if flags & ~(O_CLOEXEC | O_NONBLOCK | 0o40000):
        raise SyscallError(errno.EINVAL)
    files = _files(t)
    pipe = Pipe(k.wake_key)
    r, w = PipeEnd(pipe, False), PipeEnd(pipe, True)
    for end in (r, w):
        end.flags |= flags & O_NONBLOCK
    cloexec = bool(flags & O_CLOEXEC)
    rfd = files.install(r, cloexec)
    try:
        wfd = files.install(w, cloexec)
    except SyscallError:
        files.close(rfd)
        w.close()
        raise
    try:
        _space(t).write(fds, struct.pack("<ii", rfd, wfd))
    except SyscallError:
        files.close(rfd)
        files.close(wfd)
        raise
    return 0


@syscall("pipe", "file")
def sys_pipe(k: Kernel, t: Thread, fds: int, *_: int) -> int:
    return sys_pipe2(k, t, fds, 0)


# Paths --------------------------------------------------------------------------


def _path(k: Kernel, t: Thread, dirfd: int, addr: int, follow: bool = True, empty_ok: bool = False) -> str:
    """The host path for (dirfd, path) in the guest."""
    raw = _space(t).read_cstr(addr, 4096)
    path = os.fsdecode(raw)
    p = t.process
    if not path:
        if empty_ok:
            f = _files(t).get(dirfd)
            if isinstance(f, HostFile):
                return _fd_path(k, f)
        raise SyscallError(errno.ENOENT)
    if path in ("/proc/self/exe", f"/proc/{p.pid}/exe"):
        return k.vfs.host_path(p.exe, "/")
    base = p.cwd
    dirfd = s32(dirfd)
    if not path.startswith("/") and dirfd != AT_FDCWD:
        f = _files(t).get(dirfd)
        if not isinstance(f, HostFile):
            raise SyscallError(errno.ENOTDIR)
        base = k.vfs.guest_path(f.host_path)
    return k.vfs.host_path(path, base, follow)


def _fd_path(k: Kernel, f: HostFile) -> str:
    """The host path of an open file, for a call given (fd, "").

    The path the file was opened by is walked again inside the root, and
    must still name the same file: the recorded path is never handed to
    the host as it is, since a symbolic link may stand there now (ENOENT
    when the file has moved).
    """
    host = k.vfs.host_path(k.vfs.guest_path(f.host_path), "/")
    try:
        now = os.stat(host)
    except OSError:
        raise SyscallError(errno.ENOENT) from None
    then = f.stat()
    if (now.st_dev, now.st_ino) != (then.st_dev, then.st_ino):
        raise SyscallError(errno.ENOENT)
    return host


def _oserr(e: OSError) -> SyscallError:
    return SyscallError(e.errno or errno.EIO)


FIFO_POLL_S = 0.01  # how often an open of a FIFO for writing looks for a reader
# Devices whose writes change no file: opening them for writing needs no
# fs.write, so that `cmd > /dev/null` works in a sandbox without it.
DATALESS_DEVICES = frozenset({"/dev/null", "/dev/zero", "/dev/full", "/dev/tty"})


def _open(k: Kernel, t: Thread, dirfd: int, addr: int, flags: int, mode: int) -> int:
    # O_RDONLY needs fs.read, O_WRONLY fs.write, O_RDWR both; creating or
    # truncating is writing.  With the rights limited to path prefixes, the
    # resolved path is checked (below), never the string the guest gave.
    acc = flags & O_ACCMODE
    writes = acc != O_RDONLY or flags & (O_CREAT | O_TRUNC)
    reads = acc != O_WRONLY
    raw = _space(t).read_cstr(addr, 4096)
    guest = os.fsdecode(raw)
    if writes and not (guest.startswith("/") and _norm_guest(guest) in DATALESS_DEVICES):
        k.require(t, Right.FS_WRITE, "open a file for writing", errno.EACCES)
    if reads:
        k.require(t, Right.FS_READ, "open a file", errno.EACCES)
    # A device or /proc path (/proc/self/fd/N, /dev/fd/N, /dev/stdout open
    # the descriptor's file again).  The file it reaches is checked by its
    # own path once opened, before the guest gets it; so that nothing
    # happens to a file outside the prefixes first, truncation waits for
    # the check (a path out of /proc, such as /proc/self/cwd/new, is
    # checked by procfs before it creates anything).  /proc's own files are
    # checked by their path; the kernel's devices (/dev/null, ...) hold no
    # data and need only the right.
    special = _special_file(k, t, guest, dirfd, flags & ~O_TRUNC, mode)
    if special is not None:
        try:
            if isinstance(special, HostFile):
                _check_open(k, t, k.vfs.guest_path(special.host_path), reads, bool(writes))
                if flags & O_TRUNC and special.writable:
                    special.truncate(0)
            elif guest.startswith("/proc/") and "/fd/" not in guest:
                _check_open(k, t, _norm_guest(guest), reads, bool(writes))
        except SyscallError:
            if special.refs == 0:
                special.close()
            raise
        return _files(t).install(special, bool(flags & O_CLOEXEC))
    host = _path(k, t, dirfd, addr, follow=not flags & O_NOFOLLOW)
    _check_open(k, t, k.vfs.guest_path(host), reads, bool(writes))
    hflags = flags & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY | O_NOFOLLOW)
    try:
        # Never blocking on the host: opening a FIFO would wait there for
        # its other end, holding the whole kernel (and --timeout) for ever.
        # Regular files ignore the flag; a FIFO or device read with nothing
        # there blocks the calling thread instead (HostFile.read, which
        # also waits for a FIFO's first writer, as Linux's open would).
        fd = os.open(host, hflags | os.O_CLOEXEC | os.O_NONBLOCK, mode & ~t.process.umask & 0o7777)
    except OSError as e:
        if e.errno == errno.ENXIO and flags & O_ACCMODE == O_WRONLY and not flags & O_NONBLOCK:
            # A FIFO without a reader: Linux's open waits for one.  The host
            # tells of no reader's arrival, so the thread tries again every
            # FIFO_POLL_S (O_NONBLOCK keeps ENXIO, as on Linux).
            raise Block(f"open FIFO {guest} for writing", lambda: _open(k, t, dirfd, addr, flags, mode),
                        deadline=time.monotonic() + FIFO_POLL_S) from None
        raise _oserr(e) from None
    if fd >= _host_fd_ceiling():
        os.close(fd)
        raise SyscallError(errno.ENFILE, "the kernel keeps its last host descriptors")
    f = HostFile(fd, flags & ~O_CLOEXEC, guest, host)
    try:
        return _files(t).install(f, bool(flags & O_CLOEXEC))
    except SyscallError:
        f.close()
        raise


def _norm_guest(path: str) -> str:
    from ..kernel.perms import norm_prefix

    return norm_prefix(path) if path.startswith("/") else path


def _deny_path(k: Kernel, t: Thread, right: Right, what: str, guest: str) -> None:
    """EACCES with an audit event naming the path (the refusal summary
    counts by kind, so a guest trying many paths grows no table)."""
    name = FILE_RIGHTS[right]
    audit = k.stats.audit
    n = len(audit)
    try:
        k.deny(t, f"{what} outside {name}'s paths", errno.EACCES)
    except SyscallError:
        if len(audit) > n:
            audit[-1]["path"] = guest
            audit[-1]["right"] = " ".join(t.process.perms.rule(right).describe(name))
        raise


def _check_path(k: Kernel, t: Thread, right: Right, guest: str, what: str, entry: bool = False) -> None:
    """Raise EACCES unless t's process holds file right `right` at the
    resolved guest path (`entry`: for the name itself, see PathRule.permits)."""
    perms = t.process.perms
    if not perms.has(right):
        k.deny(t, what, errno.EACCES)
    if not perms.rule(right).permits(guest, entry):
        _deny_path(k, t, right, what, guest)


def _check_open(k: Kernel, t: Thread, guest: str, reads: bool, writes: bool) -> None:
    if reads:
        _check_path(k, t, Right.FS_READ, guest, "open a file")
    if writes:
        _check_path(k, t, Right.FS_WRITE, guest, "open a file for writing")


def _write_at(k: Kernel, t: Thread, host: str, what: str, entry: bool = False) -> str:
    """fs.write at a resolved host path (a name created or removed with
    `entry`); returns the host path for the call."""
    _check_path(k, t, Right.FS_WRITE, k.vfs.guest_path(host), what, entry)
    return host


def _write_fd(k: Kernel, t: Thread, f: OpenFile, what: str) -> None:
    """fs.write for a change made through a descriptor (fchmod, fchown,
    futimens): checked at the path the file was opened by."""
    _modify(k, t, what)
    if isinstance(f, HostFile) and not t.process.perms.write_paths.everywhere:
        _check_path(k, t, Right.FS_WRITE, k.vfs.guest_path(f.host_path), what)


def _move(k: Kernel, t: Thread, src: str, dst: str, what: str) -> None:
    """rename and link: both names, and what moves (Permissions.may_move)."""
    _modify(k, t, what)
    perms = t.process.perms
    gs, gd = k.vfs.guest_path(src), k.vfs.guest_path(dst)
    if not perms.may_move(gs, gd):
        _deny_path(k, t, Right.FS_WRITE, what, f"{gs} -> {gd}")


# Host descriptors the kernel keeps for itself (programs to load, its own
# modules and files): guests' opens together never take them.  The host
# hands out the lowest free number, so an open that returns one at or above
# the ceiling means fewer than that many are left.
HOST_FD_RESERVE = 64


def _host_fd_ceiling() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 62
    return max(soft - HOST_FD_RESERVE, soft // 2)


def _special_file(k: Kernel, t: Thread, path: str, dirfd: int = AT_FDCWD, flags: int = 0, mode: int = 0) -> OpenFile | None:
    from ..fs.devices import device_for

    return device_for(k, t, path, flags, dirfd, mode)


@syscall("open", "file")
def sys_open(k: Kernel, t: Thread, addr: int, flags: int, mode: int, *_: int) -> int:
    return _open(k, t, AT_FDCWD, addr, flags, mode)


@syscall("openat", "file")
def sys_openat(k: Kernel, t: Thread, dirfd: int, addr: int, flags: int, mode: int, *_: int) -> int:
    return _open(k, t, dirfd, addr, flags, mode)


@syscall("creat", "file")
def sys_creat(k: Kernel, t: Thread, addr: int, mode: int, *_: int) -> int:
    return _open(k, t, AT_FDCWD, addr, O_WRONLY | O_CREAT | O_TRUNC, mode)


def pack_stat(s: os.stat_result) -> bytes:
    """struct stat of x86-64 Linux (144 bytes) from a host stat result."""

    def field(name: str, default: int = 0) -> int:
        v = getattr(s, name, None)
        return default if v is None else int(v)

    def ts(i: int, name: str) -> tuple[int, int]:
        ns = getattr(s, name, None)
        if ns is None:
            ns = int(float(s[i]) * 1e9)
        return ns // 1_000_000_000, ns % 1_000_000_000

    a, m, c = ts(7, "st_atime_ns"), ts(8, "st_mtime_ns"), ts(9, "st_ctime_ns")
    return struct.pack(
        "<QQQIII4xQqqq6q24x",
        field("st_dev"), field("st_ino"), field("st_nlink", 1), field("st_mode"), field("st_uid"), field("st_gid"),
        field("st_rdev"), field("st_size"), field("st_blksize", 4096), field("st_blocks"), *a, *m, *c,
    )


def _stat_of(k: Kernel, t: Thread, dirfd: int, addr: int, flags: int) -> os.stat_result:
    """What stat, lstat, newfstatat and statx report for (dirfd, path, flags)."""
    if flags & AT_EMPTY_PATH and _space(t).read(addr, 1) == b"\0":
        return _stat_fd(t, dirfd)
    follow = not flags & AT_SYMLINK_NOFOLLOW
    got = procfs.stat_path(k, t, dirfd, os.fsdecode(_space(t).read_cstr(addr, 4096)), follow)
    if got is not None:  # the guest's /proc (and /dev/fd, /dev/stdin...)
        return got
    host = _path(k, t, dirfd, addr, follow)
    try:
        return os.stat(host) if follow else os.lstat(host)
    except OSError as e:
        raise _oserr(e) from None


def _stat_fd(t: Thread, fd: int) -> os.stat_result:
    s = _files(t).get(fd).stat()
    if s is None:  # a terminal-like stream with no host file behind it
        now = time.time()
        s = os.stat_result((st.S_IFCHR | 0o620, 0, 0, 1, t.process.user.uid, 5, 0, now, now, now))
    return s


def _stat_path(k: Kernel, t: Thread, dirfd: int, addr: int, buf: int, flags: int) -> int:
    _space(t).write(buf, pack_stat(_stat_of(k, t, dirfd, addr, flags)))
    return 0


@syscall("fstat", "file")
def sys_fstat(k: Kernel, t: Thread, fd: int, buf: int, *_: int) -> int:
    _space(t).write(buf, pack_stat(_stat_fd(t, fd)))
    return 0


STATX_BASIC_STATS = 0x7FF  # type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks
AT_STATX_SYNC_TYPE = 0x6000


def pack_statx(s: os.stat_result) -> bytes:
    """struct statx (256 bytes) from a host stat result; no birth time."""

    def ts(name: str, i: int) -> bytes:
        ns = getattr(s, name, None)
        if ns is None:
            ns = int(float(s[i]) * 1e9)
        return struct.pack("<qI4x", ns // 1_000_000_000, ns % 1_000_000_000)

    head = struct.pack(
        "<IIQIIIH2xQQQQ",
        STATX_BASIC_STATS, s.st_blksize or 4096, 0, s.st_nlink, s.st_uid, s.st_gid, s.st_mode & 0xFFFF,
        s.st_ino, s.st_size, s.st_blocks, 0,
    )
    times = ts("st_atime_ns", 7) + bytes(16) + ts("st_ctime_ns", 9) + ts("st_mtime_ns", 8)
    devs = struct.pack("<IIII", os.major(s.st_rdev), os.minor(s.st_rdev), os.major(s.st_dev), os.minor(s.st_dev))
    out = head + times + devs
    return out + bytes(256 - len(out))


@syscall("statx", "file", Support.PARTIAL, "basic fields only: no birth time, attributes or mount id")
def sys_statx(k: Kernel, t: Thread, dirfd: int, addr: int, flags: int, mask: int, buf: int, *_: int) -> int:
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 | AT_STATX_SYNC_TYPE) or (
        flags & AT_STATX_SYNC_TYPE
    ) == AT_STATX_SYNC_TYPE or mask & 0x80000000:
        raise SyscallError(errno.EINVAL)  # 0x800 is AT_NO_AUTOMOUNT, which changes nothing here
    _space(t).write(buf, pack_statx(_stat_of(k, t, dirfd, addr, flags)))
    return 0


@syscall("stat", "file")
def sys_stat(k: Kernel, t: Thread, addr: int, buf: int, *_: int) -> int:
    return _stat_path(k, t, AT_FDCWD, addr, buf, 0)


@syscall("lstat", "file")
def sys_lstat(k: Kernel, t: Thread, addr: int, buf: int, *_: int) -> int:
    return _stat_path(k, t, AT_FDCWD, addr, buf, AT_SYMLINK_NOFOLLOW)


@syscall("newfstatat", "file")
def sys_newfstatat(k: Kernel, t: Thread, dirfd: int, addr: int, buf: int, flags: int, *_: int) -> int:
    return _stat_path(k, t, dirfd, addr, buf, flags)


def _readlink(k: Kernel, t: Thread, dirfd: int, addr: int, buf: int, size: int) -> int:
    if s32(size) <= 0:
        raise SyscallError(errno.EINVAL)
    raw = os.fsdecode(_space(t).read_cstr(addr))
    target = procfs.readlink_path(k, t, dirfd, raw)
    if target is None:
        host = _path(k, t, dirfd, addr, follow=False)
        try:
            target = os.fsencode(os.readlink(host))
        except OSError as e:
            raise _oserr(e) from None
    out = target[:size]
    _space(t).write(buf, out)
    return len(out)


@syscall("readlink", "file")
def sys_readlink(k: Kernel, t: Thread, addr: int, buf: int, size: int, *_: int) -> int:
    return _readlink(k, t, AT_FDCWD, addr, buf, size)


@syscall("readlinkat", "file")
def sys_readlinkat(k: Kernel, t: Thread, dirfd: int, addr: int, buf: int, size: int, *_: int) -> int:
    return _readlink(k, t, dirfd, addr, buf, size)


def _access(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, flags: int) -> int:
    if mode & ~7:
        raise SyscallError(errno.EINVAL)
    got = procfs.stat_path(k, t, dirfd, os.fsdecode(_space(t).read_cstr(addr, 4096)), not flags & AT_SYMLINK_NOFOLLOW)
    if got is not None:  # /proc: by its modes (the guest's user owns its own entries)
        if mode & 2 and not got.st_mode & 0o222 or mode & 1 and not got.st_mode & 0o111:
            raise SyscallError(errno.EACCES)
        return 0
    host = _path(k, t, dirfd, addr, not flags & AT_SYMLINK_NOFOLLOW)
    if not os.path.lexists(host):
        raise SyscallError(errno.ENOENT)
    perms, guest = t.process.perms, k.vfs.guest_path(host)
    if mode & 2 and not perms.may(Right.FS_WRITE, guest):  # a question, not a refusal: no audit event
        raise SyscallError(errno.EACCES)
    if mode & 4 and not perms.may(Right.FS_READ, guest):
        raise SyscallError(errno.EACCES)
    if not os.access(host, mode, follow_symlinks=not flags & AT_SYMLINK_NOFOLLOW):
        raise SyscallError(errno.EACCES)
    return 0


@syscall("access", "file")
def sys_access(k: Kernel, t: Thread, addr: int, mode: int, *_: int) -> int:
    return _access(k, t, AT_FDCWD, addr, mode, 0)


@syscall("faccessat", "file")
def sys_faccessat(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, *_: int) -> int:
    return _access(k, t, dirfd, addr, mode, 0)


@syscall("faccessat2", "file")
def sys_faccessat2(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, flags: int, *_: int) -> int:
    return _access(k, t, dirfd, addr, mode, flags)


@syscall("getcwd", "file")
def sys_getcwd(k: Kernel, t: Thread, buf: int, size: int, *_: int) -> int:
    cwd = os.fsencode(t.process.cwd) + b"\0"
    if size < len(cwd):
        raise SyscallError(errno.ERANGE)
    _space(t).write(buf, cwd)
    return len(cwd)


@syscall("chdir", "file")
def sys_chdir(k: Kernel, t: Thread, addr: int, *_: int) -> int:
    host = _path(k, t, AT_FDCWD, addr)
    if not os.path.isdir(host):
        raise SyscallError(errno.ENOTDIR if os.path.exists(host) else errno.ENOENT)
    t.process.cwd = k.vfs.guest_path(os.path.normpath(host))
    return 0


@syscall("fchdir", "file")
def sys_fchdir(k: Kernel, t: Thread, fd: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, HostFile) or not st.S_ISDIR(f.stat().st_mode):
        raise SyscallError(errno.ENOTDIR)
    t.process.cwd = k.vfs.guest_path(f.host_path)
    return 0


@syscall("umask", "file")
def sys_umask(k: Kernel, t: Thread, mask: int, *_: int) -> int:
    old = t.process.umask
    t.process.umask = mask & 0o777
    return old


@syscall("getdents64", "file")
def sys_getdents64(k: Kernel, t: Thread, fd: int, buf: int, size: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, (HostFile, procfs.ProcDir)):
        raise SyscallError(errno.ENOTDIR)
    data = f.getdents(size)
    _space(t).write(buf, data)
    return len(data)


def _modify(k: Kernel, t: Thread, what: str) -> None:
    k.require(t, Right.FS_WRITE, what, errno.EACCES)


def _host_call(fn, *args, **kw):  # type: ignore[no-untyped-def]
    try:
        fn(*args, **kw)
    except OSError as e:
        raise _oserr(e) from None
    return 0


@syscall("unlink", "file")
def sys_unlink(k: Kernel, t: Thread, addr: int, *_: int) -> int:
    _modify(k, t, "remove a file")
    return _host_call(os.unlink, _write_at(k, t, _path(k, t, AT_FDCWD, addr, follow=False), "remove a file", True))


@syscall("unlinkat", "file")
def sys_unlinkat(k: Kernel, t: Thread, dirfd: int, addr: int, flags: int, *_: int) -> int:
    _modify(k, t, "remove a file")
    host = _write_at(k, t, _path(k, t, dirfd, addr, follow=False), "remove a file", True)
    return _host_call(os.rmdir if flags & AT_REMOVEDIR else os.unlink, host)


@syscall("rmdir", "file")
def sys_rmdir(k: Kernel, t: Thread, addr: int, *_: int) -> int:
    _modify(k, t, "remove a directory")
    return _host_call(os.rmdir, _write_at(k, t, _path(k, t, AT_FDCWD, addr, follow=False), "remove a directory", True))


@syscall("mkdir", "file")
def sys_mkdir(k: Kernel, t: Thread, addr: int, mode: int, *_: int) -> int:
    _modify(k, t, "create a directory")
    host = _write_at(k, t, _path(k, t, AT_FDCWD, addr, follow=False), "create a directory", True)
    return _host_call(os.mkdir, host, mode & ~t.process.umask & 0o7777)


@syscall("mkdirat", "file")
def sys_mkdirat(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, *_: int) -> int:
    _modify(k, t, "create a directory")
    host = _write_at(k, t, _path(k, t, dirfd, addr, follow=False), "create a directory", True)
    return _host_call(os.mkdir, host, mode & ~t.process.umask & 0o7777)


def _mknod(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, dev: int) -> int:
    """mknod(2) as an unprivileged user: FIFOs, regular files and socket
    names; devices are EPERM (CAP_MKNOD)."""
    mode &= 0xFFFF  # umode_t
    kind = st.S_IFMT(mode)
    if kind == 0:
        kind = st.S_IFREG
    if kind in (st.S_IFCHR, st.S_IFBLK):
        raise SyscallError(errno.EPERM)
    if kind not in (st.S_IFREG, st.S_IFIFO, st.S_IFSOCK):
        raise SyscallError(errno.EINVAL)
    _modify(k, t, "create a file")
    host = _write_at(k, t, _path(k, t, dirfd, addr, follow=False), "create a file", True)
    return _host_call(os.mknod, host, kind | (mode & ~t.process.umask & 0o7777))


@syscall("mknod", "file", Support.PARTIAL, "FIFOs, regular files and sockets; devices are EPERM (unprivileged)")
def sys_mknod(k: Kernel, t: Thread, addr: int, mode: int, dev: int, *_: int) -> int:
    return _mknod(k, t, AT_FDCWD, addr, mode, dev)


@syscall("mknodat", "file", Support.PARTIAL, "as mknod")
def sys_mknodat(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, dev: int, *_: int) -> int:
    return _mknod(k, t, dirfd, addr, mode, dev)


@syscall("rename", "file")
def sys_rename(k: Kernel, t: Thread, a: int, b: int, *_: int) -> int:
    return sys_renameat2(k, t, AT_FDCWD, a, AT_FDCWD, b, 0)


@syscall("renameat", "file")
def sys_renameat(k: Kernel, t: Thread, da: int, a: int, db: int, b: int, *_: int) -> int:
    return sys_renameat2(k, t, da, a, db, b, 0)


RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4


def _host_renameat2(a: str, b: str, flags: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        raise SyscallError(errno.ENOSYS)
    fn.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), flags) != 0:
        raise SyscallError(ctypes.get_errno() or errno.EIO)


@syscall("renameat2", "file", Support.PARTIAL, "RENAME_WHITEOUT is refused with EINVAL")
def sys_renameat2(k: Kernel, t: Thread, da: int, a: int, db: int, b: int, flags: int, *_: int) -> int:
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) or flags == RENAME_NOREPLACE | RENAME_EXCHANGE:
        raise SyscallError(errno.EINVAL)
    _modify(k, t, "rename a file")
    old, new = _path(k, t, da, a, False), _path(k, t, db, b, False)
    _move(k, t, old, new, "rename a file")
    if flags & RENAME_EXCHANGE:
        _move(k, t, new, old, "rename a file")
    if not flags:
        return _host_call(os.rename, old, new)
    _host_renameat2(old, new, flags)
    return 0


@syscall("link", "file")
def sys_link(k: Kernel, t: Thread, old: int, new: int, *_: int) -> int:
    _modify(k, t, "link a file")
    src, dst = _path(k, t, AT_FDCWD, old, False), _path(k, t, AT_FDCWD, new, False)
    _move(k, t, src, dst, "link a file")
    return _host_call(os.link, src, dst)


@syscall("linkat", "file")
def sys_linkat(k: Kernel, t: Thread, od: int, old: int, nd: int, new: int, flags: int, *_: int) -> int:
    _modify(k, t, "link a file")
    follow = bool(flags & 0x400)  # AT_SYMLINK_FOLLOW
    src, dst = _path(k, t, od, old, follow), _path(k, t, nd, new, False)
    _move(k, t, src, dst, "link a file")
    return _host_call(os.link, src, dst, follow_symlinks=False)


def _symlink(k: Kernel, t: Thread, target: int, dirfd: int, new: int) -> int:
    """The link's text is stored as given; it is resolved inside the root
    when followed (Vfs.host_path), so it cannot point out of the sandbox."""
    _modify(k, t, "create a symbolic link")
    text = os.fsdecode(_space(t).read_cstr(target))
    if not text:
        raise SyscallError(errno.ENOENT)
    return _host_call(os.symlink, text, _write_at(k, t, _path(k, t, dirfd, new, False), "create a symbolic link", True))


@syscall("symlink", "file")
def sys_symlink(k: Kernel, t: Thread, target: int, new: int, *_: int) -> int:
    return _symlink(k, t, target, AT_FDCWD, new)


@syscall("symlinkat", "file")
def sys_symlinkat(k: Kernel, t: Thread, target: int, dirfd: int, new: int, *_: int) -> int:
    return _symlink(k, t, target, dirfd, new)


@syscall("truncate", "file")
def sys_truncate(k: Kernel, t: Thread, addr: int, length: int, *_: int) -> int:
    _modify(k, t, "truncate a file")
    if length >= 1 << 63:
        raise SyscallError(errno.EINVAL)
    return _host_call(os.truncate, _write_at(k, t, _path(k, t, AT_FDCWD, addr), "truncate a file"), length)


def _chown(k: Kernel, t: Thread, host: str | int, uid: int, gid: int, follow: bool = True) -> int:
    """chown(2) as an unprivileged user: only to one's own ids (or -1)."""
    _modify(k, t, "change a file's owner")
    if isinstance(host, str):
        _write_at(k, t, host, "change a file's owner")
    user = t.process.user
    uid, gid = uid & 0xFFFFFFFF, gid & 0xFFFFFFFF
    if uid not in (0xFFFFFFFF, user.uid) or gid not in (0xFFFFFFFF, user.gid):
        raise SyscallError(errno.EPERM)
    try:  # the file must exist; its owner stays what it is
        os.stat(host, follow_symlinks=follow) if isinstance(host, str) else os.fstat(host)
    except OSError as e:
        raise _oserr(e) from None
    return 0


@syscall("chown", "file", Support.PARTIAL, "only to the process's own user and group, which changes nothing")
def sys_chown(k: Kernel, t: Thread, addr: int, uid: int, gid: int, *_: int) -> int:
    return _chown(k, t, _path(k, t, AT_FDCWD, addr), uid, gid)


@syscall("lchown", "file", Support.PARTIAL, "as chown")
def sys_lchown(k: Kernel, t: Thread, addr: int, uid: int, gid: int, *_: int) -> int:
    return _chown(k, t, _path(k, t, AT_FDCWD, addr, False), uid, gid, follow=False)


@syscall("fchown", "file", Support.PARTIAL, "as chown")
def sys_fchown(k: Kernel, t: Thread, fd: int, uid: int, gid: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, HostFile):
        raise SyscallError(errno.EINVAL)
    _write_fd(k, t, f, "change a file's owner")
    return _chown(k, t, f.fd, uid, gid)


@syscall("fchownat", "file", Support.PARTIAL, "as chown")
def sys_fchownat(k: Kernel, t: Thread, dirfd: int, addr: int, uid: int, gid: int, flags: int, *_: int) -> int:
    host = _path(k, t, dirfd, addr, not flags & AT_SYMLINK_NOFOLLOW, empty_ok=bool(flags & AT_EMPTY_PATH))
    return _chown(k, t, host, uid, gid, follow=not flags & AT_SYMLINK_NOFOLLOW)


UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


@syscall("utimensat", "file")
def sys_utimensat(k: Kernel, t: Thread, dirfd: int, addr: int, times: int, flags: int, *_: int) -> int:
    _modify(k, t, "change a file's times")
    follow = not flags & AT_SYMLINK_NOFOLLOW
    if addr:
        host: str | int = _write_at(k, t, _path(k, t, dirfd, addr, follow), "change a file's times")
    else:
        f = _files(t).get(dirfd)
        if not isinstance(f, HostFile):
            raise SyscallError(errno.EBADF)
        _write_fd(k, t, f, "change a file's times")
        host = f.fd
    try:
        info = os.stat(host, follow_symlinks=follow) if isinstance(host, str) else os.fstat(host)
    except OSError as e:
        raise _oserr(e) from None
    now = time.time_ns()
    got = [now, now]
    if times:
        raw = struct.unpack("<qqqq", _space(t).read(times, 32))
        for i, (sec, nsec) in enumerate(((raw[0], raw[1]), (raw[2], raw[3]))):
            if nsec == UTIME_OMIT:
                got[i] = info.st_atime_ns if i == 0 else info.st_mtime_ns
            elif nsec != UTIME_NOW:
                if not 0 <= nsec < 1_000_000_000:
                    raise SyscallError(errno.EINVAL)
                got[i] = sec * 1_000_000_000 + nsec
    try:
        if isinstance(host, str):
            os.utime(host, ns=(got[0], got[1]), follow_symlinks=follow)
        else:
            os.utime(host, ns=(got[0], got[1]))
    except OSError as e:
        raise _oserr(e) from None
    return 0


def _statfs(s: os.statvfs_result) -> bytes:
    return struct.pack("<qqQQQQQqqq5q", 0xEF53, s.f_bsize, s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree,
                       0, s.f_namemax, s.f_frsize, s.f_flag, 0, 0, 0, 0)


@syscall("statfs", "file")
def sys_statfs(k: Kernel, t: Thread, addr: int, buf: int, *_: int) -> int:
    try:
        s = os.statvfs(_path(k, t, AT_FDCWD, addr))
    except OSError as e:
        raise _oserr(e) from None
    _space(t).write(buf, _statfs(s))
    return 0


@syscall("fstatfs", "file")
def sys_fstatfs(k: Kernel, t: Thread, fd: int, buf: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, HostFile):
        raise SyscallError(errno.ENOSYS if f.kind != "pipe" else errno.EINVAL)
    try:
        s = os.fstatvfs(f.fd)
    except OSError as e:
        raise _oserr(e) from None
    _space(t).write(buf, _statfs(s))
    return 0


@syscall("fallocate", "file", Support.PARTIAL, "mode 0 only (allocate and extend); other modes are EOPNOTSUPP")
def sys_fallocate(k: Kernel, t: Thread, fd: int, mode: int, off: int, length: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, HostFile) or not f.writable:
        raise SyscallError(errno.EBADF)
    if mode != 0:
        raise SyscallError(errno.EOPNOTSUPP)
    if off >= 1 << 63 or length == 0 or length >= 1 << 63:
        raise SyscallError(errno.EINVAL)
    return _host_call(os.posix_fallocate, f.fd, off, length)


@syscall("chmod", "file")
def sys_chmod(k: Kernel, t: Thread, addr: int, mode: int, *_: int) -> int:
    _modify(k, t, "change a file's mode")
    return _host_call(os.chmod, _write_at(k, t, _path(k, t, AT_FDCWD, addr), "change a file's mode"), mode & 0o7777)


@syscall("fchmod", "file")
def sys_fchmod(k: Kernel, t: Thread, fd: int, mode: int, *_: int) -> int:
    _modify(k, t, "change a file's mode")
    f = _files(t).get(fd)
    if not isinstance(f, HostFile):
        raise SyscallError(errno.EINVAL)
    _write_fd(k, t, f, "change a file's mode")
    return _host_call(os.fchmod, f.fd, mode & 0o7777)


def _fchmodat(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, flags: int) -> int:
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    _modify(k, t, "change a file's mode")
    if flags & AT_EMPTY_PATH and _space(t).read(addr, 1) == b"\0":
        return sys_fchmod(k, t, dirfd, mode)
    host = _write_at(k, t, _path(k, t, dirfd, addr, not flags & AT_SYMLINK_NOFOLLOW), "change a file's mode")
    if flags & AT_SYMLINK_NOFOLLOW and os.path.islink(host):
        raise SyscallError(errno.EOPNOTSUPP)  # Linux cannot change a symbolic link's mode
    return _host_call(os.chmod, host, mode & 0o7777)


@syscall("fchmodat", "file")
def sys_fchmodat(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, *_: int) -> int:
    return _fchmodat(k, t, dirfd, addr, mode, 0)


@syscall("fchmodat2", "file")
def sys_fchmodat2(k: Kernel, t: Thread, dirfd: int, addr: int, mode: int, flags: int, *_: int) -> int:
    return _fchmodat(k, t, dirfd, addr, mode, flags)


@syscall("ftruncate", "file")
def sys_ftruncate(k: Kernel, t: Thread, fd: int, size: int, *_: int) -> int:
    f = _files(t).get(fd)
    if not isinstance(f, HostFile) or not f.writable or size >= 1 << 63:  # a negative off_t: EINVAL
        raise SyscallError(errno.EINVAL)
    f.truncate(size)
    return 0


@syscall("fsync", "file")
def sys_fsync(k: Kernel, t: Thread, fd: int, *_: int) -> int:
    _files(t).get(fd)
    return 0


@syscall("fdatasync", "file")
def sys_fdatasync(k: Kernel, t: Thread, fd: int, *_: int) -> int:
    _files(t).get(fd)
    return 0


# Mapping files ------------------------------------------------------------------


def map_file(k: Kernel, t: Thread, start: int, length: int, prot: Prot, shared: bool, fd: int, offset: int) -> Mapping:
    """mmap of a file: its bytes are read in at map time (a private copy).

    A shared writable file mapping would need write-back; it is refused
    with ENODEV rather than silently losing writes.
    """
    f = _files(t).get(fd)
    if not isinstance(f, HostFile):
        raise SyscallError(errno.ENODEV if f.kind != "pipe" else errno.EACCES)
    if not f.readable:
        raise SyscallError(errno.EACCES)
    if shared and prot & Prot.WRITE:
        raise SyscallError(errno.ENODEV, "shared writable file mappings are not supported")
    space = _space(t)
    todo = max(0, min(length, f.stat().st_size - offset))  # the file's bytes inside the mapping
    m = space.map_anon(start, length, prot, name=f.name)
    try:
        # Only the file's data (a sparse file's holes are skipped), a piece
        # at a time, so a huge file never sits in host memory whole; pages
        # of zeros stay demand-zero.
        for lo, hi in f.data_ranges(offset, offset + todo):
            pos = lo
            while pos < hi:
                data = f.pread(min(hi - pos, _MAP_CHUNK), pos)
                if not data:
                    break
                for at in range(0, len(data) if data.count(0) != len(data) else 0, PAGE):
                    page = data[at : at + PAGE]
                    if page.count(0) != len(page):
                        space.write(start + (pos - offset) + at, page, force=True)
                pos += len(data)
    except SyscallError:
        space.unmap(start, length)
        raise
    return m


_MAP_CHUNK = 1 << 20


# execve ---------------------------------------------------------------------------


def _strings(t: Thread, addr: int) -> list[bytes]:
    out: list[bytes] = []
    if not addr:
        return out
    space = _space(t)
    total = 0
    while True:
        p = space.read_u64(addr + 8 * len(out))
        if p == 0:
            return out
        if len(out) > 65536:
            raise SyscallError(errno.E2BIG)
        try:
            s = space.read_cstr(p, min(131072, MAX_ARGS - total + 1))
        except SyscallError as e:
            raise SyscallError(errno.E2BIG if e.errno == errno.ENAMETOOLONG else e.errno) from None
        total += len(s) + 1
        if total > MAX_ARGS:
            raise SyscallError(errno.E2BIG)
        out.append(s)


@syscall("execve", "process", Support.PARTIAL, "#! scripts need a static interpreter inside the root", defer=True)
def sys_execve(k: Kernel, t: Thread, path: int, argv: int, envp: int, *_: int) -> int:
    return _execve(k, t, AT_FDCWD, path, argv, envp, 0)


@syscall("execveat", "process", Support.PARTIAL, "as execve", defer=True)
def sys_execveat(k: Kernel, t: Thread, dirfd: int, path: int, argv: int, envp: int, flags: int, *_: int) -> int:
    return _execve(k, t, dirfd, path, argv, envp, flags)


def _execve(k: Kernel, t: Thread, dirfd: int, path: int, argv_p: int, envp_p: int, flags: int) -> int:
    k.require(t, Right.EXEC, "execve", errno.EACCES)
    guest = os.fsdecode(_space(t).read_cstr(path))
    if guest in ("/proc/self/exe", f"/proc/{t.process.pid}/exe"):
        guest = t.process.exe
    argv, envp = _strings(t, argv_p), _strings(t, envp_p)
    host = _path(k, t, dirfd, path, empty_ok=bool(flags & AT_EMPTY_PATH))
    image, argv = _image_for(k, t, host, guest, argv, 0)
    # Whatever can fail is checked before the point of no return.
    if sum(len(a) + 1 for a in argv + envp) > elf.MAX_ARG_BYTES:
        raise SyscallError(errno.E2BIG)
    replace_image(k, t, image, guest, k.vfs.guest_path(host), argv, envp)
    raise NoReturn()


def _image_for(k: Kernel, t: Thread, host: str, guest: str, argv: list[bytes], depth: int):  # type: ignore[no-untyped-def]
    """The ELF image to run for `host`, following #! lines (up to 4 deep).
    Running a file reads it: fs.read at its resolved path, the
    interpreter's too."""
    _check_path(k, t, Right.FS_READ, k.vfs.guest_path(host), "execute a file")
    try:
        if not st.S_ISREG(os.stat(host).st_mode):  # a FIFO's open would block the kernel
            raise SyscallError(errno.EACCES)
        with open(host, "rb") as fh:
            head = fh.read(256)
    except FileNotFoundError:
        raise SyscallError(errno.ENOENT) from None
    except IsADirectoryError:
        raise SyscallError(errno.EACCES) from None
    except OSError as e:
        raise _oserr(e) from None
    if head.startswith(b"#!") and depth < 4:
        if not os.access(host, os.X_OK):
            raise SyscallError(errno.EACCES)
        line = head[2:].split(b"\n", 1)[0].strip()
        if not line:
            raise SyscallError(errno.ENOEXEC)
        interp, _, arg = line.partition(b" ")
        interp_guest = os.fsdecode(interp)
        interp_host = k.vfs.host_path(interp_guest, t.process.cwd)
        new_argv = [interp] + ([arg.strip()] if arg.strip() else []) + [os.fsencode(guest)] + argv[1:]
        return _image_for(k, t, interp_host, interp_guest, new_argv, depth + 1)
    try:
        image = k.vfs.read_program(host, guest, k.pool.nframes << 12)
    except LoadError as e:
        raise SyscallError(e.errno, e.reason) from None
    return image, argv


def replace_image(k: Kernel, t: Thread, image, guest: str, exe: str, argv: list[bytes], envp: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    """The point of no return of execve: t's process gets a new image.

    `guest` is the path as the caller gave it, `exe` the program's absolute
    guest path.  Should loading still fail (memory runs out), the process
    has no image left to return to: it dies of SIGSEGV, as on Linux.
    """
    from ..mm.space import AddressSpace

    p = t.process
    for other in list(p.threads):
        if other is not t and other.alive:
            exits.terminate_thread(k, other, f"execve by thread {t.tid}")
    t.creator = None
    t.created = []
    t.name = ""  # comm is the new program's name again (/proc/PID/comm)
    p.main = t

    # The caller is the new image's main thread and, as in Linux's
    # de_thread(), takes over the pid as its thread id (the old main
    # thread, which had it, has just been terminated).
    if t.tid != p.pid:
        k.threads.pop(t.tid, None)
        t.tid = p.pid
        k.threads[t.tid] = t

    assert p.space is not None and p.files is not None and p.sig is not None
    p.space.users -= 1
    if p.space.users == 0:
        p.space.release()
    p.space = AddressSpace(k.pool)
    k._attach_budget(p)
    if p.files.users > 1:
        p.files.users -= 1
        p.files = p.files.fork(limited=False)
    p.files.close_on_exec()
    shared_sig = any(q.sig is p.sig for q in k.procs.values() if q is not p)
    if shared_sig:
        p.sig = p.sig.fork()
    # Caught signals go back to their default action; the pending set and
    # the caller's mask stay, as execve(2) says.
    p.sig.reset_for_exec()
    t.altstack = (0, 2, 0)
    try:
        k.exec_image(t, image, exe, argv, envp, execfn=os.fsencode(guest))
    except SyscallError as e:
        k.say(f"violet: {p.name}[{p.pid}]: execve of {guest} failed after the point of no return ({e}); killed")
        exits.kill_process(k, p, SIGSEGV, "execve failed", core=True)
        return
    p.execed = True
    if p.vfork_parent is not None:
        exits.release_vfork(k, p)
    k.events.emit("exec", proc=p, path=guest, argv=argv)


# Narrowing the file rights to path prefixes (Violet's extension call) ------------

VIOLET_RESTRICT_PATHS = 0x7606  # VIOLET_BASE + 6 (table.VIOLET_BASE)
VIOLET_PATHS_ONLY, VIOLET_PATHS_EXCEPT = 0, 1
MAX_PREFIXES = 64


@syscall("violet_restrict_paths", "process", nr=VIOLET_RESTRICT_PATHS)
def sys_violet_restrict_paths(k: Kernel, t: Thread, mask: int, paths: int, flags: int, *_: int) -> int:
    """violet_restrict_paths(rights, paths, flags): keep the file rights in
    `rights` (VIOLET_RIGHT_FS_READ, _FS_WRITE) only under the prefixes of
    the NULL-terminated array `paths` (flags VIOLET_PATHS_ONLY; an empty
    array or NULL drops them), or take those subtrees away from where they
    apply (VIOLET_PATHS_EXCEPT).  Relative paths start at the cwd; each is
    resolved inside the root now.  Only ever narrows: a prefix outside what
    the process holds adds nothing.  EINVAL for other rights or flags, an
    empty path or more than 64 of them."""
    if not mask or mask & ~int(Right.FS_READ | Right.FS_WRITE) or flags not in (VIOLET_PATHS_ONLY, VIOLET_PATHS_EXCEPT):
        raise SyscallError(errno.EINVAL)
    rights = Right(mask)
    texts = [os.fsdecode(s) for s in _strings(t, paths)] if paths else []
    if len(texts) > MAX_PREFIXES or any(not s for s in texts):
        raise SyscallError(errno.EINVAL)
    p = t.process
    except_ = flags == VIOLET_PATHS_EXCEPT
    resolved = [q for s in texts for q in k.vfs.resolve_prefix(s, p.cwd, except_)]
    chosen = {r: resolved for r in FILE_RIGHTS if rights & r}
    if except_:
        p.perms = p.perms.restrict(exclude=chosen)
    else:
        p.perms = p.perms.restrict(paths=chosen)
    k.events.emit("drop", proc=p, rights=int(rights), paths=resolved, exclude=except_)
    return 0
