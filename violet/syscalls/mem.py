"""Memory calls: brk, mmap, munmap, mprotect, mremap, madvise, msync.

Semantics follow mmap(2), mremap(2) and Linux's mm/mmap.c; the address
space does the work (violet/mm/space.py).
"""

from __future__ import annotations

import enum
import errno
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..mm.space import PAGE, USER_TOP, Prot, page_up
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


def _space(t: Thread):  # type: ignore[no-untyped-def]
    space = t.process.space
    assert space is not None
    return space


@syscall("brk", "memory", defer=True)
def sys_brk(k: Kernel, t: Thread, addr: int, *_: int) -> int:
    space = _space(t)
    if addr < space.brk_start:
        return space.brk
    old_top, new_top = page_up(space.brk), page_up(addr)
    if new_top > old_top:
        if space.overlaps(old_top, new_top) or new_top > USER_TOP or not space.can_commit((new_top - old_top) >> 12):
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


@syscall("mmap", "memory", Support.PARTIAL, "file mappings: private ones are read in at map time", defer=True)
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
    shared = kind != MapFlag.PRIVATE
    if prot & Prot.WRITE and not space.can_commit(length >> 12):
        raise SyscallError(errno.ENOMEM, "mapping larger than the memory budget left")
    if flags & MapFlag.ANONYMOUS:
        m = space.map_anon(start, length, Prot(prot), shared=shared, name="[anon]" if not shared else "[shmem]")
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


@syscall("msync", "memory", Support.PARTIAL, "memory is the file's cache: nothing to write back")
def sys_msync(k: Kernel, t: Thread, addr: int, length: int, flags: int, *_: int) -> int:
    if addr & (PAGE - 1):
        raise SyscallError(errno.EINVAL)
    return 0
