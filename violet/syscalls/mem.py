"""Memory calls: brk, mmap, munmap, mprotect, mremap, madvise, msync.

Semantics follow mmap(2), mremap(2), msync(2) and Linux's mm/mmap.c; the
address space does the work (violet/mm/space.py).  A shared mapping of a
regular file maps the file's page cache (violet/mm/pagecache.py); a private
one is a copy read in at map time (fileio.map_file).
"""

from __future__ import annotations

import enum
import errno
import stat
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..fs.hostfile import HostFile
from ..kernel import limits
from ..mm import pagecache
from ..mm.space import PAGE, USER_TOP, Mapping, Prot, page_up
from .table import Support, syscall

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread


class MapFlag(enum.IntFlag):
    """MAP_* of <linux/mman.h> (x86-64)."""

    SHARED = 0x01
    PRIVATE = 0x02
    SHARED_VALIDATE = 0x03
    FIXED = 0x10
    ANONYMOUS = 0x20
    GROWSDOWN = 0x100
    DENYWRITE = 0x800
    EXECUTABLE = 0x1000
    LOCKED = 0x2000
    NORESERVE = 0x4000
    POPULATE = 0x8000
    NONBLOCK = 0x10000
    STACK = 0x20000
    HUGETLB = 0x40000
    FIXED_NOREPLACE = 0x100000


MREMAP_MAYMOVE, MREMAP_FIXED = 1, 2
MADV_DONTNEED, MADV_FREE = 4, 8
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4


def _space(t: Thread):  # type: ignore[no-untyped-def]
    space = t.process.space
    assert space is not None
    return space


def _file(t: Thread, fd: int):  # type: ignore[no-untyped-def]
    files = t.process.files
    assert files is not None
    return files.get(fd)


RLIMIT_AS = 9


def _fits_address_limit(t: Thread, grow: int, replaced: tuple[int, int] = (0, 0)) -> bool:
    """Whether the address space may grow by `grow` bytes under the soft
    RLIMIT_AS (Linux's may_expand_vm); the mapped part of `replaced`, which
    a MAP_FIXED mapping takes over, does not count twice.  Free (no walk)
    while the limit is infinite, as it is unless the guest sets it."""
    soft = limits.get(t.process, RLIMIT_AS)[0]
    if soft == limits.RLIM_INFINITY:
        return True
    space = _space(t)
    total = sum(m.end - m.start for m in space.maps)
    lo, hi = replaced
    if hi > lo:
        total -= sum(min(m.end, hi) - max(m.start, lo) for m in space._overlapping(lo, hi))
    return total + grow <= soft


@syscall("brk", "memory", defer=True)
def sys_brk(k: Kernel, t: Thread, addr: int, *_: int) -> int:
    space = _space(t)
    if addr < space.brk_start:
        return space.brk
    old_top, new_top = page_up(space.brk), page_up(addr)
    if new_top > old_top:
        if space.overlaps(old_top, new_top) or new_top > USER_TOP or not space.can_commit((new_top - old_top) >> 12):
            return space.brk
        if not _fits_address_limit(t, new_top - old_top):
            return space.brk
        heap = space.find(old_top - 1) if old_top > space.brk_start else None
        if heap is not None and heap.name == "[heap]" and heap.end == old_top:
            heap.end = new_top
            space.maps.sort(key=lambda m: m.start)
        else:
            space.map_anon(old_top, new_top - old_top, Prot.READ | Prot.WRITE, name="[heap]", replace=False)
    elif new_top < old_top:
        space.unmap(new_top, old_top - new_top)
    space.brk = addr
    return addr


@syscall("mmap", "memory", Support.PARTIAL,
         "a private file mapping is read in at map time (later writes to the file do not show in it)", defer=True)
def sys_mmap(k: Kernel, t: Thread, addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int:
    space = _space(t)
    fd = fd if fd < 1 << 31 else fd - (1 << 32)
    if length == 0 or length > USER_TOP:
        raise SyscallError(errno.EINVAL if length == 0 else errno.ENOMEM)
    if offset & (PAGE - 1) or prot & ~7:
        raise SyscallError(errno.EINVAL)
    kind = flags & 0x03
    if kind not in (MapFlag.SHARED, MapFlag.PRIVATE, MapFlag.SHARED_VALIDATE):
        raise SyscallError(errno.EINVAL)
    length = page_up(length)
    fixed = bool(flags & (MapFlag.FIXED | MapFlag.FIXED_NOREPLACE))
    if fixed:
        if addr & (PAGE - 1):
            raise SyscallError(errno.EINVAL)
        if addr + length > USER_TOP or addr < PAGE:
            raise SyscallError(errno.ENOMEM if addr + length > USER_TOP else errno.EPERM)
        start = addr
        if flags & MapFlag.FIXED_NOREPLACE and not flags & MapFlag.FIXED and space.overlaps(start, start + length):
            raise SyscallError(errno.EEXIST)
    else:
        start = space.find_free(length, addr & ~(PAGE - 1))
    if not _fits_address_limit(t, length, (start, start + length) if fixed else (0, 0)):
        raise SyscallError(errno.ENOMEM, "RLIMIT_AS")
    shared = kind != MapFlag.PRIVATE
    if shared and not flags & MapFlag.ANONYMOUS:
        m = map_shared_file(k, t, start, length, Prot(prot), fd, offset)
    elif prot & Prot.WRITE and not space.can_commit(length >> 12):
        raise SyscallError(errno.ENOMEM, "mapping larger than the memory budget left")
    elif flags & MapFlag.ANONYMOUS:
        m = space.map_anon(start, length, Prot(prot), shared=shared, name="[anon]" if not shared else "[shmem]")
    elif getattr(_file(t, fd), "source", None) == "zero":  # a private /dev/zero: anonymous memory
        m = space.map_anon(start, length, Prot(prot), name="[anon]")
    else:
        from .fileio import map_file

        m = map_file(k, t, start, length, Prot(prot), shared, fd, offset)
    if flags & MapFlag.STACK:
        m.name = "[stack]"
    return m.start


@syscall("munmap", "memory", defer=True)
def sys_munmap(k: Kernel, t: Thread, addr: int, length: int, *_: int) -> int:
    if addr & (PAGE - 1) or length == 0 or addr + length > USER_TOP:
        raise SyscallError(errno.EINVAL)
    _space(t).unmap(addr, page_up(length))
    return 0


@syscall("mprotect", "memory", defer=True)
def sys_mprotect(k: Kernel, t: Thread, addr: int, length: int, prot: int, *_: int) -> int:
    if addr & (PAGE - 1) or prot & ~(7 | 0x01000000 | 0x02000000):
        raise SyscallError(errno.EINVAL)
    if length == 0:
        return 0
    _space(t).protect(addr, page_up(length), Prot(prot & 7))
    return 0


@syscall("mremap", "memory", defer=True)
def sys_mremap(k: Kernel, t: Thread, old: int, old_len: int, new_len: int, flags: int, new_addr: int, *_: int) -> int:
    if old & (PAGE - 1) or flags & ~7 or new_len == 0:
        raise SyscallError(errno.EINVAL)
    if flags & MREMAP_FIXED and not flags & MREMAP_MAYMOVE:
        raise SyscallError(errno.EINVAL)
    old_len, new_len = page_up(old_len), page_up(new_len)
    if new_len > USER_TOP:
        raise SyscallError(errno.EINVAL)
    fixed_at = new_addr if flags & MREMAP_FIXED else None
    if fixed_at is not None:
        # As mremap_to(): inside user space, above the lowest page (as
        # mmap), and apart from the source.
        if fixed_at & (PAGE - 1) or fixed_at + new_len > USER_TOP:
            raise SyscallError(errno.EINVAL)
        if fixed_at < PAGE:
            raise SyscallError(errno.EPERM)
        if old + old_len > fixed_at and fixed_at + new_len > old:
            raise SyscallError(errno.EINVAL)
    if new_len > old_len and not _fits_address_limit(t, new_len - old_len):
        raise SyscallError(errno.ENOMEM, "RLIMIT_AS")
    return _space(t).remap(old, old_len, new_len, bool(flags & MREMAP_MAYMOVE), fixed_at)


@syscall("madvise", "memory", Support.PARTIAL, "only MADV_DONTNEED and MADV_FREE act; other advice is accepted and ignored", defer=True)
def sys_madvise(k: Kernel, t: Thread, addr: int, length: int, advice: int, *_: int) -> int:
    if addr & (PAGE - 1):
        raise SyscallError(errno.EINVAL)
    space = _space(t)
    end = addr + page_up(length)
    if advice in (MADV_DONTNEED, MADV_FREE):
        for m in list(space.maps):
            lo, hi = max(m.start, addr), min(m.end, end)
            if lo < hi and m.obj is None:
                space.clear_ptes(lo, hi)
    return 0


def map_shared_file(k: Kernel, t: Thread, start: int, length: int, prot: Prot, fd: int, offset: int) -> Mapping:
    """MAP_SHARED of a file: the mapping shows the file's page cache, which
    every shared mapping of the file in the kernel shares and which
    read/write on the file see (pagecache.py).  As Linux: the file must be
    open for reading (EACCES), and for writing when PROT_WRITE is asked
    (EACCES); a file that is not a regular one cannot be mapped (ENODEV);
    pages past the file's end give SIGBUS when touched."""
    space = _space(t)
    f = _file(t, fd)
    if not isinstance(f, HostFile):
        if getattr(f, "source", None) == "zero":  # /dev/zero: shared anonymous memory, as Linux
            return space.map_anon(start, length, prot, shared=True, name="/dev/zero (deleted)")
        raise SyscallError(errno.ENODEV if f.kind != "pipe" else errno.EACCES)
    if not stat.S_ISREG(f.stat().st_mode):
        raise SyscallError(errno.ENODEV)
    if not f.readable or (prot & Prot.WRITE and not f.writable):
        raise SyscallError(errno.EACCES)
    if offset >= 1 << 63 or offset + length >= 1 << 63:
        raise SyscallError(errno.EOVERFLOW)
    cache = pagecache.cache_for(space.pool, f)
    cache.hold()
    try:
        return space.map_object(start, length, prot, cache, offset >> 12, f.name, maywrite=f.writable)
    finally:
        cache.drop()  # the mapping holds it now (or nothing does)


@syscall("msync", "memory", Support.PARTIAL,
         "MS_SYNC and MS_ASYNC both write the dirty pages back before returning; "
         "the host file is not fsync'ed; MS_INVALIDATE does nothing more")
def sys_msync(k: Kernel, t: Thread, addr: int, length: int, flags: int, *_: int) -> int:
    if addr & (PAGE - 1) or flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) or (flags & MS_ASYNC and flags & MS_SYNC):
        raise SyscallError(errno.EINVAL)
    end = addr + page_up(length)
    if end > USER_TOP or end < addr:
        raise SyscallError(errno.ENOMEM)
    space = _space(t)
    covered, err = addr, 0
    gap = False
    for m in space._overlapping(addr, end):
        if m.start > covered:
            gap = True
        covered = m.end
        if isinstance(m.obj, pagecache.PageCache):
            lo, hi = max(m.start, addr), min(m.end, end)
            first = m.pgoff + ((lo - m.start) >> 12)
            e = m.obj.writeback(first, first + ((hi - lo) >> 12))
            err = err or e
    if gap or covered < end:
        raise SyscallError(errno.ENOMEM)
    if err:
        raise SyscallError(err)
    return 0
