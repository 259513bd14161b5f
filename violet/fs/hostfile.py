"""Files and directories of the sandbox root, opened on the host.

While a file is mapped shared somewhere in the kernel, its page cache
(violet/mm/pagecache.py) holds the pages written through mappings: reads
here lay those pages over what the host file gives, writes and truncations
reach the cached pages as well as the host file.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import stat
import struct

from ..errors import SyscallError
from ..mm import pagecache
from .files import O_ACCMODE, O_APPEND, O_NONBLOCK, O_TRUNC, OpenFile, WouldBlock

_DT = {stat.S_IFREG: 8, stat.S_IFDIR: 4, stat.S_IFLNK: 10, stat.S_IFIFO: 1, stat.S_IFSOCK: 12, stat.S_IFCHR: 2, stat.S_IFBLK: 6}


def _host_getdents64():  # type: ignore[no-untyped-def]
    try:
        fn = ctypes.CDLL(None, use_errno=True).getdents64
    except (AttributeError, OSError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t)
    fn.restype = ctypes.c_ssize_t
    return fn


_getdents64 = _host_getdents64()


def _hung_up(fd: int) -> bool:
    """Has a writer opened this FIFO (read end) and gone since we opened it?
    (Linux raises POLLHUP only then.)"""
    p = select.poll()
    p.register(fd, select.POLLIN)
    try:
        return any(ev & select.POLLHUP for _, ev in p.poll(0))
    except OSError:
        return True


def _oserr(e: OSError) -> SyscallError:
    return SyscallError(e.errno or errno.EIO)


class HostFile(OpenFile):
    """A regular file or directory; owns its host descriptor."""

    kind = "file"

    def __init__(self, fd: int, flags: int, name: str, host_path: str) -> None:
        super().__init__(flags, name)
        self.fd = fd
        self.host_path = host_path
        # A FIFO or device is opened non-blocking on the host (fileio._open):
        # a write it cannot take now blocks the writing thread on
        # ("hostout", fd), and the write syscalls complete a short one.
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            mode = stat.S_IFREG
        self.completes_writes = not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
        self._fifo = stat.S_ISFIFO(mode)
        self._dir: list[bytes] | None = None
        self._dirpos = 0
        self._key: tuple[int, int] | None = None
        if flags & O_TRUNC:
            # The open has just emptied the file: a mapped file's cached
            # pages go too (later accesses are SIGBUS), as on Linux.
            for c in self._caches():
                c.resized(0, 0)

    def file_key(self) -> tuple[int, int]:
        """(st_dev, st_ino): what names the file, whatever path opened it."""
        if self._key is None:
            st = self.stat()
            self._key = (st.st_dev, st.st_ino)
        return self._key

    def _caches(self) -> list[pagecache.PageCache]:
        """The page caches of this file (empty unless it is mapped shared)."""
        if not pagecache.any_cached():
            return []
        try:
            return pagecache.caches_for(self.file_key())
        except SyscallError:
            return []

    def read(self, n: int) -> bytes:
        if not self.readable:
            raise SyscallError(errno.EBADF)
        try:
            caches = self._caches()
            if caches:
                pos = os.lseek(self.fd, 0, os.SEEK_CUR)
                data = os.read(self.fd, n)
                for c in caches:
                    data = c.overlay(data, pos)
                return data
            data = os.read(self.fd, n)
            if not data and self._fifo and not self.flags & O_NONBLOCK and not _hung_up(self.fd):
                # No writer has opened the FIFO yet (Linux's open would
                # still be waiting for one): not an end of file, wait.
                raise WouldBlock(self.fd)
            return data
        except BlockingIOError:
            # A FIFO or device with nothing to read (opened non-blocking on
            # the host, see fileio._open): the calling thread waits for it.
            raise WouldBlock(self.fd) from None
        except OSError as e:
            raise _oserr(e) from None

    def pread(self, n: int, off: int) -> bytes:
        try:
            data = os.pread(self.fd, n, off)
        except OSError as e:
            raise _oserr(e) from None
        for c in self._caches():
            data = c.overlay(data, off)
        return data

    def write(self, data: bytes) -> int:
        if not self.writable:
            raise SyscallError(errno.EBADF)
        pos = 0
        try:
            caches = self._caches()
            if self.flags & O_APPEND:
                pos = os.lseek(self.fd, 0, os.SEEK_END)
            elif caches:
                pos = os.lseek(self.fd, 0, os.SEEK_CUR)
            n = os.write(self.fd, data)
        except BlockingIOError:
            raise WouldBlock(key=("hostout", self.fd)) from None
        except OSError as e:
            raise _oserr(e) from None
        for c in caches:
            c.update(pos, data[:n])
        return n

    def pwrite(self, data: bytes, off: int) -> int:
        try:
            caches = self._caches()
            if caches and self.flags & O_APPEND:  # Linux's pwrite appends on an O_APPEND file
                off = os.fstat(self.fd).st_size
            n = os.pwrite(self.fd, data, off)
        except OSError as e:
            raise _oserr(e) from None
        for c in caches:
            c.update(off, data[:n])
        return n

    def seek(self, off: int, whence: int) -> int:
        if whence not in (0, 1, 2, 3, 4):
            raise SyscallError(errno.EINVAL)
        try:
            pos = os.lseek(self.fd, off, whence)
        except OSError as e:
            raise _oserr(e) from None
        if self._dir is not None and whence == 0:
            self._dirpos = off
        return pos

    def data_ranges(self, start: int, end: int) -> list[tuple[int, int]]:
        """The parts of [start, end) that hold data, holes left out
        (SEEK_DATA, SEEK_HOLE); the whole range where the host cannot
        tell.  The file offset the guest sees is left as it was.  The whole
        range while the file's page cache may hold pages the host file
        lacks."""
        if self._caches():
            return [(start, end)]
        here = os.lseek(self.fd, 0, os.SEEK_CUR)
        out: list[tuple[int, int]] = []
        try:
            pos = start
            while pos < end:
                try:
                    lo = os.lseek(self.fd, pos, os.SEEK_DATA)
                except OSError as e:
                    if e.errno == errno.ENXIO:  # only a hole is left
                        break
                    return [(start, end)]
                if lo >= end:
                    break
                hi = min(end, os.lseek(self.fd, lo, os.SEEK_HOLE))
                out.append((lo, hi))
                pos = hi
        except OSError:
            return [(start, end)]
        finally:
            os.lseek(self.fd, here, os.SEEK_SET)
        return out

    def stat(self) -> os.stat_result:
        try:
            return os.fstat(self.fd)
        except OSError as e:
            raise _oserr(e) from None

    def truncate(self, size: int) -> None:
        try:
            caches = self._caches()
            old = os.fstat(self.fd).st_size if caches else 0
            os.ftruncate(self.fd, size)
        except OSError as e:
            raise _oserr(e) from None
        for c in caches:
            c.resized(old, size)

    def getdents(self, size: int) -> bytes:
        """linux_dirent64 records that fit in `size` bytes.

        The host's getdents64 on the descriptor itself where the C library
        offers it: the directory is read as the guest reads it (its offset
        is the descriptor's, lseek works on it), never held whole in host
        memory (a directory of a million names, opened a thousand times,
        would be tens of gigabytes).  Otherwise it is listed once.
        """
        if _getdents64 is not None:
            n = min(size, 1 << 20)
            buf = ctypes.create_string_buffer(n)
            got = _getdents64(self.fd, buf, n)
            if got < 0:
                raise SyscallError(ctypes.get_errno() or errno.EIO)
            return buf.raw[:got]
        if self._dir is None:
            if not stat.S_ISDIR(self.stat().st_mode):
                raise SyscallError(errno.ENOTDIR)
            recs = []
            st = self.stat()
            entries = [(".", st.st_ino, 4), ("..", 1, 4)]
            try:
                # By descriptor: the path it was opened by may name
                # something else now, even a link out of the root.
                with os.scandir(self.fd) as it:
                    for e in it:
                        try:
                            mode = e.stat(follow_symlinks=False).st_mode
                        except OSError:
                            mode = 0
                        entries.append((e.name, e.inode(), _DT.get(stat.S_IFMT(mode), 0)))
            except OSError as e:
                raise _oserr(e) from None
            for i, (name, ino, dt) in enumerate(entries):
                raw = os.fsencode(name) + b"\0"
                reclen = (19 + len(raw) + 7) & ~7
                recs.append(struct.pack("<QqHB", ino, i + 1, reclen, dt) + raw.ljust(reclen - 19, b"\0"))
            self._dir = recs
        out = bytearray()
        while self._dirpos < len(self._dir):
            rec = self._dir[self._dirpos]
            if len(out) + len(rec) > size:
                if not out:
                    raise SyscallError(errno.EINVAL)
                break
            out += rec
            self._dirpos += 1
        return bytes(out)

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass

    @property
    def access(self) -> int:
        return self.flags & O_ACCMODE
