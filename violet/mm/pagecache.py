"""The page cache: one set of frames per host file that is mapped shared.

A `PageCache` is created on the first MAP_SHARED mapping of a regular file
and lives while some mapping refers to it (in any address space of one
kernel: fork children inherit the mappings, so they map the same frames).
It is keyed by the file's (st_dev, st_ino), so every open of the file, by
any path or link, finds it.

- A page is read from the file at its first fault and kept in a frame that
  the cache holds (one reference, like a `SharedObject`).  A page at or past
  the end of the file has no frame: a fault there is a bus error (SIGBUS),
  a kernel copy there EFAULT, as on Linux.
- A page is *dirty* once something wrote to it through a mapping.  Pages
  are mapped read-only until their first write, so the write faults and
  marks the page; the engine's TLB entries are dropped whenever pages are
  made clean again (write-back), so the next store marks it again.
- The host file stays the authority for everything but the dirty pages:
  read/pread/readv on any descriptor of the file read the host file and
  lay the dirty pages over what they got (HostFile, `overlay`);
  write/pwrite/writev write the host file and the cached frames
  (`update`); ftruncate shrinks or grows the file, drops the frames past
  the new end from every mapping and zeroes the tail of the last page
  (`resized`).
- Dirty pages go back to the file at msync (MS_SYNC or MS_ASYNC), when the
  last mapping goes (munmap, exit, exec), and never otherwise.

Not covered: a file truncated by path (truncate(2), open with O_TRUNC) or
changed by a host program outside the kernel is not seen by the cached
frames until they are dropped.
"""

from __future__ import annotations

import errno
import fcntl
import os
import weakref
from typing import TYPE_CHECKING, Iterable

from .frames import FramePool
from .space import PAGE, PAGE_SHIFT, BusError, SharedObject

if TYPE_CHECKING:
    from ..fs.hostfile import HostFile
    from .space import AddressSpace

_ZEROS = bytes(PAGE)
_RUN = 256  # pages written back in one pwrite at most (1 MiB)


# (st_dev, st_ino) -> the caches of that file, one per kernel (frame pool)
# that maps it.  Module-wide so that a HostFile, which knows no kernel, can
# find them; two kernels in one Python process each have their own.  Weak:
# the mappings hold a cache, and a kernel dropped without close() must not
# stay alive through this table.
_caches: dict[tuple[int, int], weakref.WeakSet[PageCache]] = {}


def caches_for(key: tuple[int, int]) -> list[PageCache]:
    group = _caches.get(key)
    if group is None:
        return []
    found = list(group)
    if not found:
        del _caches[key]
    return found


def any_cached() -> bool:
    return bool(_caches)


def caches_of(pool: FramePool) -> list[PageCache]:
    """Every page cache of one kernel (the invariant checker's view)."""
    return [c for cs in list(_caches.values()) for c in list(cs) if c.pool is pool]


def cache_for(pool: FramePool, f: HostFile) -> PageCache:
    """The page cache of f's file in this kernel, created if there is none.
    The caller holds it (`hold`) before anything can drop it."""
    key = f.file_key()
    for c in _caches.get(key, ()):
        if c.pool is pool:
            c.add_file(f)
            return c
    c = PageCache(pool, key, f)
    _caches.setdefault(key, weakref.WeakSet()).add(c)
    return c


class PageCache(SharedObject):
    """The cached pages of one host file in one kernel.  `frames` maps a
    page index of the file to the frame holding it."""

    def __init__(self, pool: FramePool, key: tuple[int, int], f: HostFile) -> None:
        super().__init__(pool, 0, f.name)
        self.key = key
        self.dirty: set[int] = set()
        # The open files it reads and writes through: one reference each,
        # as a Linux mapping holds its file (closing the descriptor leaves
        # the mapping working).  `wfile` is open for writing, if any was.
        self.rfile = f
        self.wfile: HostFile | None = None
        f.refs += 1
        if f.writable:
            self.wfile = f
            f.refs += 1
        # Address spaces that have mapped it (to drop frames after a
        # truncation and to stale their TLB after a write-back).
        self.spaces: weakref.WeakSet[AddressSpace] = weakref.WeakSet()
        self.writebacks = 0  # pages written back, for tests and stats

    # As a SharedObject ------------------------------------------------------

    def add_file(self, f: HostFile) -> None:
        if self.wfile is None and f.writable:
            self.wfile = f
            f.refs += 1

    def attach(self, space: AddressSpace) -> None:
        self.spaces.add(space)

    def size(self) -> int:
        try:
            return os.fstat(self.rfile.fd).st_size
        except OSError as e:
            raise BusError(f"the mapped file cannot be read: {os.strerror(e.errno or errno.EIO)}") from None

    def frame(self, index: int) -> int:
        f = self.frames.get(index)
        if f is not None:
            return f
        off = index << PAGE_SHIFT
        if off >= self.size():
            raise BusError("beyond the end of the mapped file")
        try:
            data = os.pread(self.rfile.fd, PAGE, off)
        except OSError as e:
            raise BusError(f"the mapped file cannot be read: {os.strerror(e.errno or errno.EIO)}") from None
        nonzero = data.count(0) != len(data)
        f = self.pool.alloc(zero=len(data) < PAGE or not nonzero)  # a recycled frame holds old bytes
        if nonzero:
            self.pool.write(f, 0, data)
        self.frames[index] = f
        return f

    def clean(self, index: int) -> bool:
        """True: the page must stay read-only in the TLB until it is written."""
        return index not in self.dirty

    def dirtied(self, index: int) -> None:
        self.dirty.add(index)

    def drop(self) -> None:
        self.users -= 1
        self.pool.object_maps -= 1
        if self.users > 0:
            return
        self.writeback()
        for f in self.frames.values():
            self.pool.put(f)
        self.frames.clear()
        self.dirty.clear()
        group = _caches.get(self.key)
        if group is not None:
            group.discard(self)
            if not group:
                del _caches[self.key]
        for f in (self.rfile, self.wfile):
            if f is not None:
                f.refs -= 1
                if f.refs == 0:
                    f.close()
        self.wfile = None

    # Write-back ---------------------------------------------------------

    def writeback(self, lo: int = 0, hi: int | None = None) -> int:
        """Write the dirty pages with index in [lo, hi) to the file; they
        are clean afterwards.  0, or the errno of the first failure."""
        pages = sorted(i for i in self.dirty if i >= lo and (hi is None or i < hi))
        if not pages:
            return 0
        err = 0
        try:
            size = self.size()
        except BusError:
            size = 0
            err = errno.EIO
        w = self.wfile
        fd = w.fd if w is not None else -1
        flags = None
        if w is not None:
            try:
                flags = fcntl.fcntl(fd, fcntl.F_GETFL)
                if flags & os.O_APPEND:  # pwrite would append (Linux's pwrite on O_APPEND)
                    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_APPEND)
            except OSError:
                flags = None
        try:
            # Runs of consecutive pages go in one pwrite each (at most
            # _RUN pages), cut at the file's end: stores past it are not kept.
            run: list[int] = []
            for i in pages + [-1]:
                if i >= 0:
                    self.dirty.discard(i)
                    if i << PAGE_SHIFT >= size:
                        continue
                    if run and run[-1] == i - 1 and len(run) < _RUN:
                        run.append(i)
                        continue
                if run:
                    if w is None:
                        err = err or errno.EBADF
                    else:
                        off = run[0] << PAGE_SHIFT
                        data = b"".join(self.pool.read(self.frames[j]) for j in run)[: size - off]
                        try:
                            os.pwrite(fd, data, off)
                            self.writebacks += len(run)
                        except OSError as e:
                            err = err or (e.errno or errno.EIO)
                run = [i] if i >= 0 else []
        finally:
            if flags is not None and flags & os.O_APPEND:
                try:
                    fcntl.fcntl(fd, fcntl.F_SETFL, flags)
                except OSError:
                    pass
        # Clean pages are read-only again: every TLB that may hold a
        # writable entry for one must be refilled.
        for space in self.spaces:
            space.tlb_stale = True
        return err

    # The file's other users (HostFile) -----------------------------------

    def overlay(self, data: bytes, pos: int) -> bytes:
        """`data`, read from the host file at `pos`, with the dirty pages'
        bytes in place of the file's."""
        if not self.dirty or not data:
            return data
        end = pos + len(data)
        first, last = pos >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        if last - first + 1 <= len(self.dirty):
            hit: Iterable[int] = (i for i in range(first, last + 1) if i in self.dirty)
        else:
            hit = sorted(i for i in self.dirty if first <= i <= last)
        out: bytearray | None = None
        for i in hit:
            if out is None:
                out = bytearray(data)
            lo, hi = max(pos, i << PAGE_SHIFT), min(end, (i + 1) << PAGE_SHIFT)
            base = i << PAGE_SHIFT
            out[lo - pos : hi - pos] = self.pool.read(self.frames[i], lo - base, hi - lo)
        return data if out is None else bytes(out)

    def update(self, pos: int, data: bytes) -> None:
        """`data` was written to the host file at `pos`: the cached frames
        get it too."""
        if not data or not self.frames:
            return
        end = pos + len(data)
        first, last = pos >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        if last - first + 1 <= len(self.frames):
            hit: Iterable[int] = (i for i in range(first, last + 1) if i in self.frames)
        else:
            hit = sorted(i for i in self.frames if first <= i <= last)
        pool = self.pool
        for i in hit:
            lo, hi = max(pos, i << PAGE_SHIFT), min(end, (i + 1) << PAGE_SHIFT)
            f = self.frames[i]
            if f in pool.code_frames:
                pool.on_code_freed()
            pool.write(f, lo - (i << PAGE_SHIFT), data[lo - pos : hi - pos])

    def resized(self, old: int, new: int) -> None:
        """The file went from `old` to `new` bytes (ftruncate).

        Pages wholly past the new end leave every mapping (a later access
        is SIGBUS) and the cache; the last page keeps zeros past the end,
        as the file reads."""
        pool = self.pool
        keep = (new + PAGE - 1) >> PAGE_SHIFT  # pages [0, keep) remain
        gone = [i for i in self.frames if i >= keep]
        if gone:
            for space in list(self.spaces):
                for m in list(space.maps):
                    if m.obj is not self:
                        continue
                    npages = (m.end - m.start) >> PAGE_SHIFT
                    if m.pgoff + npages <= keep:
                        continue
                    lo = m.start + (max(0, keep - m.pgoff) << PAGE_SHIFT)
                    space.clear_ptes(lo, m.end)
            for i in gone:
                pool.put(self.frames.pop(i))
                self.dirty.discard(i)
        # Zeros past the end in the last page: after a shrink (the bytes
        # cut off) and after a growth (what was stored past the old end).
        edge = min(old, new)
        if edge & (PAGE - 1):
            f = self.frames.get(edge >> PAGE_SHIFT)
            if f is not None:
                if f in pool.code_frames:
                    pool.on_code_freed()
                pool.write(f, edge & (PAGE - 1), _ZEROS[edge & (PAGE - 1) :])
