"""Address spaces: mappings over page tables over frames.

Three notions are kept apart:

- a *mapping* (`Mapping`) is a range of virtual addresses with a protection,
  a sharing mode and a name; it says what may be there;
- a *page-table entry* is one slot of a `Leaf`, holding the number of the
  frame that backs one virtual page, or 0 for "nothing yet";
- a *frame* is 4 KiB of physical memory with a reference count
  (`FramePool`).

A `Leaf` holds the entries for 512 consecutive pages (2 MiB).  Fork does not
copy entries: the child takes a reference to each of the parent's leaves.
While a leaf is held by more than one address space, nothing may write
through it; the first write fault in either space copies the leaf (adding a
reference to each frame in it), and then, if the frame itself is still
shared and the mapping is private, copies the frame.  A fork therefore costs
O(leaves), and a write after fork copies one leaf and one frame.

Protection lives only in mappings; an entry carries no permission bits.  The
permission handed to the engine's TLB is computed at fill time, and write
permission is granted only when the write cannot be seen by anyone else:
leaf private to this space, frame not the zero frame, and the frame's only
reference (or the mapping is shared).

Anonymous private memory is demand-zero: a read of an absent page maps the
zero frame without installing an entry; the first write installs a frame.
Anonymous shared memory (MAP_SHARED) is backed by a `SharedObject` whose
frames every mapping of it sees, in this space and in forked children.  A
shared mapping of a file is backed by the file's `PageCache` (pagecache.py),
a SharedObject whose pages come from the file and go back to it: its pages
are mapped read-only until written (`clean`), so that a write marks them
dirty (`dirtied`), and a page past the file's end is a bus error.
"""

from __future__ import annotations

import errno
from bisect import bisect_right
from dataclasses import dataclass
from enum import IntFlag
from operator import countOf
from typing import Iterator

from ..errors import SyscallError
from .frames import ZERO_FRAME, Account, FramePool

PAGE = 4096
PAGE_SHIFT = 12
LEAF_PAGES = 512
LEAF_SHIFT = 9

# The engine's access kinds (UC_MEM_READ/WRITE/FETCH) and protections.
_READ, _WRITE, _FETCH = 16, 17, 18

USER_TOP = 0x7FFF_FFFF_F000
MAX_MAP_COUNT = 65_530  # mappings in one address space (Linux's vm.max_map_count)
MMAP_TOP = 0x7F00_0000_0000
STACK_TOP = 0x7FFF_FFFF_E000


class Prot(IntFlag):
    """PROT_* of <sys/mman.h>; the same bits as the engine's UC_PROT_*."""

    NONE = 0
    READ = 1
    WRITE = 2
    EXEC = 4


class BusError(SyscallError):
    """An access to a page a file mapping cannot back (past the file's
    end, or the file could not be read): SIGBUS for a guest access, EFAULT
    for a kernel copy."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.EFAULT, why)


def page_down(x: int) -> int:
    return x & ~(PAGE - 1)


def page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


class SharedObject:
    """Memory that several mappings see as the same bytes (shmem).

    `frames` maps a page index to a frame; the object holds one reference on
    each.  `users` counts the mappings that refer to the object; when it
    drops to 0, the frames are released.
    """

    def __init__(self, pool: FramePool, npages: int, name: str = "shmem") -> None:
        self.pool = pool
        self.npages = npages
        self.name = name
        self.frames: dict[int, int] = {}
        self.users = 0
        self.account: Account | None = None  # the creator's budget, charged for every page (frames.Account)

    def frame(self, index: int) -> int:
        f = self.frames.get(index)
        if f is None:
            if self.account is not None and self.account.charged >= self.account.budget:
                raise SyscallError(errno.ENOMEM, "memory budget exhausted")
            f = self.pool.alloc()
            if self.account is not None:
                self.account.charge(self.pool, f)
            self.frames[index] = f
        return f

    def clean(self, index: int) -> bool:
        """Must the page be mapped read-only until it is written?  (A file's
        page cache tracks its dirty pages so; anonymous memory does not.)"""
        return False

    def dirtied(self, index: int) -> None:
        """A page of the object is being written through a mapping."""
        return None

    def attach(self, space: AddressSpace) -> None:
        """`space` maps the object (the page cache keeps track)."""
        return None

    def hold(self) -> None:
        self.users += 1
        self.pool.object_maps += 1

    def drop(self) -> None:
        self.users -= 1
        self.pool.object_maps -= 1
        if self.users == 0:
            for f in self.frames.values():
                self.pool.put(f)
            self.frames.clear()


@dataclass(eq=False)
class Mapping:
    """A range [start, end) of an address space and what it allows.

    `obj` is set for shared mappings; page `start` is the object's page
    `pgoff`.  Private mappings have no object: their pages live only in the
    page tables.
    """

    start: int
    end: int
    prot: Prot
    name: str = ""
    obj: SharedObject | None = None
    pgoff: int = 0
    grows_down: bool = False
    # False for a shared mapping of a file not open for writing: mprotect
    # cannot add PROT_WRITE (Linux's VM_MAYWRITE).
    maywrite: bool = True

    @property
    def shared(self) -> bool:
        return self.obj is not None

    @property
    def length(self) -> int:
        return self.end - self.start

    def split_at(self, addr: int) -> Mapping:
        """Cut at `addr`; self keeps [start, addr), the result is [addr, end)."""
        tail = Mapping(addr, self.end, self.prot, self.name, self.obj, self.pgoff, self.grows_down, self.maywrite)
        if self.obj is not None:
            tail.pgoff = self.pgoff + ((addr - self.start) >> PAGE_SHIFT)
            self.obj.hold()
        self.end = addr
        return tail

    def copy(self) -> Mapping:
        if self.obj is not None:
            self.obj.hold()
        return Mapping(self.start, self.end, self.prot, self.name, self.obj, self.pgoff, self.grows_down, self.maywrite)


class Leaf:
    """Page-table entries for 512 pages.  `refs` = address spaces holding it."""

    __slots__ = ("ptes", "refs", "present")

    def __init__(self, ptes: list[int] | None = None, present: int = 0) -> None:
        self.ptes = ptes if ptes is not None else [0] * LEAF_PAGES
        self.refs = 1
        self.present = present


@dataclass
class MemCounters:
    cow_copies: int = 0
    cow_reuses: int = 0
    leaf_copies: int = 0
    zero_fills: int = 0
    faults: int = 0


class AddressSpace:
    """A process's virtual memory.

    Threads of one process share one AddressSpace.  Every change of
    translations for pages the engine may have cached sets `tlb_stale`; the
    kernel flushes before the guest runs again.
    """

    def __init__(self, pool: FramePool) -> None:
        self.pool = pool
        self.maps: list[Mapping] = []  # sorted by start, disjoint
        self._starts: list[int] = []  # maps[i].start, for bisect
        self.leaves: dict[int, Leaf] = {}
        self.counters = MemCounters()
        self.tlb_stale = False
        self.users = 1  # processes using this space (CLONE_VM children share it)
        # The memory budget (--mem-budget): the frames charged to it are
        # those this space made (zero fills, COW copies, pages of shared
        # memory it created) and nobody has freed yet (frames.Account).
        self.account: Account | None = None
        self.brk_start = 0
        self.brk = 0
        self._last: Mapping | None = None
        self._counted = 0  # len(maps) as last added to pool.mappings
        # The page of the last fault that was a bus error (a file mapping
        # past the file's end): the kernel sends SIGBUS for it, not SIGSEGV.
        self.bus_fault: int | None = None

    # Mapping lookup -----------------------------------------------------

    def find(self, va: int) -> Mapping | None:
        m = self._last
        if m is not None and m.start <= va < m.end:
            return m
        i = bisect_right(self._starts, va) - 1
        if i >= 0:
            m = self.maps[i]
            if va < m.end:
                self._last = m
                return m
        return None

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and self.maps[i].end > start:
            return True
        return i + 1 < len(self.maps) and self.maps[i + 1].start < end

    def _reindex(self) -> None:
        self.maps.sort(key=lambda m: m.start)
        self._starts = [m.start for m in self.maps]
        self._last = None
        self.pool.mappings += len(self.maps) - self._counted
        self._counted = len(self.maps)

    def _room(self, n: int) -> None:
        """ENOMEM unless n more mappings fit: MAX_MAP_COUNT in this space,
        the pool's limit in the kernel (Linux fails a split the same way)."""
        if len(self.maps) + n > MAX_MAP_COUNT or self.pool.mappings + n > self.pool.max_mappings:
            raise SyscallError(errno.ENOMEM, "too many mappings")

    def _overlapping(self, start: int, end: int) -> list[Mapping]:
        """The mappings that meet [start, end), in order: O(log n + found)."""
        i = max(0, bisect_right(self._starts, start) - 1)
        out = []
        while i < len(self.maps) and self.maps[i].start < end:
            if self.maps[i].end > start:
                out.append(self.maps[i])
            i += 1
        return out

    # The fill hook --------------------------------------------------------

    def fault(self, va: int, access: int) -> tuple[int, int] | None:
        """Translate `va` for the engine; None is a fault (SIGSEGV).

        Idempotent: the engine may ask again for the same page.
        """
        m = self.find(va)
        if m is None:
            return None
        prot = m.prot
        if access == _WRITE:
            if not prot & Prot.WRITE:
                return None
            try:
                frame = self._writable_frame(va, m)
            except BusError:
                self.bus_fault = va & ~(PAGE - 1)
                return None
            if prot & Prot.EXEC:
                self.pool.code_frames.add(frame)
            return frame << PAGE_SHIFT, prot | Prot.READ
        if access == _FETCH:
            if not prot & Prot.EXEC:
                return None
        elif not prot:
            return None

        vpn = va >> PAGE_SHIFT
        leaf = self.leaves.get(vpn >> LEAF_SHIFT)
        frame = leaf.ptes[vpn & 511] if leaf is not None else 0
        if frame == 0:
            if m.obj is None:
                # Demand-zero: read the zero frame; nothing installed.
                return ZERO_FRAME << PAGE_SHIFT, (prot | Prot.READ) & ~Prot.WRITE
            try:
                frame = self._install(va, m.obj.frame(m.pgoff + ((va - m.start) >> PAGE_SHIFT)))
            except BusError:
                self.bus_fault = va & ~(PAGE - 1)
                return None
            leaf = self.leaves[vpn >> LEAF_SHIFT]
        perms = prot | Prot.READ
        if prot & Prot.WRITE and (
            leaf.refs > 1
            or (self.pool.refs[frame] > 1 if m.obj is None else m.obj.clean(m.pgoff + ((va - m.start) >> PAGE_SHIFT)))
        ):
            perms &= ~Prot.WRITE
        if prot & Prot.EXEC:
            # Whatever the access, the engine's entry now allows fetches:
            # code may be translated from this frame without another fill.
            self.pool.code_frames.add(frame)
        return frame << PAGE_SHIFT, perms

    def _own_leaf(self, li: int) -> Leaf:
        """The leaf for index `li`, private to this space (copied if shared)."""
        leaf = self.leaves.get(li)
        if leaf is None:
            leaf = self.leaves[li] = Leaf()
        elif leaf.refs > 1:
            get = self.pool.get
            for f in leaf.ptes:
                if f:
                    get(f)
            leaf.refs -= 1
            leaf = self.leaves[li] = Leaf(list(leaf.ptes), leaf.present)
            self.counters.leaf_copies += 1
        return leaf

    def _install(self, va: int, frame: int) -> int:
        """Map `frame` at the page of va, taking a reference for the entry."""
        self.pool.get(frame)
        self.put_ptes(va & ~(PAGE - 1), [(0, frame)])
        return frame

    def _writable_frame(self, va: int, m: Mapping) -> int:
        """The frame at va, made private and writable: the write-fault path."""
        vpn = va >> PAGE_SHIFT
        leaf = self._own_leaf(vpn >> LEAF_SHIFT)
        i = vpn & 511
        frame = leaf.ptes[i]
        pool = self.pool
        if m.obj is not None:
            index = m.pgoff + ((va - m.start) >> PAGE_SHIFT)
            if frame == 0:
                frame = m.obj.frame(index)
                pool.get(frame)
                leaf.ptes[i] = frame
                leaf.present += 1
            m.obj.dirtied(index)
            return frame
        acct = self.account
        if frame == 0:
            if acct is not None and acct.charged >= acct.budget:
                raise SyscallError(errno.ENOMEM, "memory budget exhausted")
            frame = pool.alloc()
            if acct is not None:
                acct.charge(pool, frame)
            leaf.ptes[i] = frame
            leaf.present += 1
            self.counters.zero_fills += 1
        elif pool.refs[frame] > 1:
            if acct is not None and acct.charged >= acct.budget:
                raise SyscallError(errno.ENOMEM, "memory budget exhausted")
            new = pool.copy(frame)
            if acct is not None:
                acct.charge(pool, new)
            pool.put(frame)
            leaf.ptes[i] = frame = new
            self.counters.cow_copies += 1
            if pool.on_cow is not None:
                pool.on_cow(self, va)
        return frame

    @property
    def budget_pages(self) -> int | None:
        return None if self.account is None else self.account.budget

    @budget_pages.setter
    def budget_pages(self, pages: int | None) -> None:
        """A new budget with nothing charged to it yet (None: no budget)."""
        self.account = None if pages is None else Account(pages)

    @property
    def charged(self) -> int:
        """Frames charged to this space's budget (0 without one)."""
        return 0 if self.account is None else self.account.charged

    def can_commit(self, npages: int) -> bool:
        """Could a new mapping of npages ever be filled within the budget?"""
        return self.account is None or self.account.charged + npages <= self.account.budget

    # Creating and removing mappings --------------------------------------

    def add(self, m: Mapping) -> Mapping:
        """Insert a mapping over a range the caller has made empty."""
        self._room(1)
        i = bisect_right(self._starts, m.start)
        self.maps.insert(i, m)
        self._starts.insert(i, m.start)
        self._last = None
        self.pool.mappings += 1
        self._counted += 1
        return m

    def find_free(self, length: int, hint: int = 0, top: int = MMAP_TOP) -> int:
        """An unused, page-aligned range of `length` bytes.

        The hint is taken when the range there is free (the guest libc's
        allocator relies on it); otherwise the highest gap below `top`.
        """
        if hint and page_down(hint) == hint and hint + length <= USER_TOP and not self.overlaps(hint, hint + length):
            return hint
        end = top
        for m in reversed(self.maps):
            if m.start >= end:
                continue
            if m.end <= end - length:
                return end - length
            end = min(end, m.start)
        if end - length >= 0x10000:
            return end - length
        raise SyscallError(errno.ENOMEM, "no room in the address space")

    def map_anon(
        self, start: int, length: int, prot: Prot, shared: bool = False, name: str = "", replace: bool = True
    ) -> Mapping:
        """Map [start, start+length) as anonymous memory.

        Whatever was there is unmapped first when `replace` (MAP_FIXED);
        otherwise an overlap is EEXIST.
        """
        end = start + length
        if self.overlaps(start, end):
            if not replace:
                raise SyscallError(errno.EEXIST)
            self.unmap(start, length)
        obj = None
        if shared:
            obj = SharedObject(self.pool, length >> PAGE_SHIFT)
            obj.account = self.account  # its pages are charged to its creator, whoever touches them
            obj.hold()
        return self.add(Mapping(start, end, prot, name, obj))

    def map_object(
        self, start: int, length: int, prot: Prot, obj: SharedObject, pgoff: int, name: str, maywrite: bool = True
    ) -> Mapping:
        """Map [start, start+length) to `obj`'s pages from `pgoff` on (a
        file's page cache), replacing whatever was there (MAP_FIXED).  The
        mapping takes a hold on obj, taken before the old mappings go: they
        may be the object's last."""
        obj.hold()
        try:
            if self.overlaps(start, start + length):
                self.unmap(start, length)
            m = self.add(Mapping(start, start + length, prot, name, obj, pgoff, maywrite=maywrite))
        except BaseException:
            obj.drop()
            raise
        obj.attach(self)
        return m

    def _carve_at(self, start: int, end: int) -> tuple[int, int]:
        """Split mappings so that [start, end) is a union of whole ones:
        maps[i:j].  Only the two mappings cut are touched, and the index is
        kept in order by insertion (no sort): O(log n) and two inserts."""
        maps, starts = self.maps, self._starts
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(maps) and maps[i].end <= start:
            i += 1
        j = i
        while j < len(maps) and maps[j].start < end:
            j += 1
        if i == j:
            return i, j
        first, last = maps[i], maps[j - 1]
        self._room((first.start < start) + (last.end > end))
        if last.end > end:
            maps.insert(j, last.split_at(end))
            starts.insert(j, end)
        if first.start < start:
            maps.insert(i + 1, first.split_at(start))
            starts.insert(i + 1, start)
            i, j = i + 1, j + 1
        self._last = None
        self.pool.mappings += len(maps) - self._counted
        self._counted = len(maps)
        return i, j

    def _carve(self, start: int, end: int) -> list[Mapping]:
        """Split mappings so that [start, end) is a union of whole ones; return them."""
        i, j = self._carve_at(start, end)
        return self.maps[i:j]

    def unmap(self, start: int, length: int) -> None:
        """munmap(2): remove mappings and frames in [start, start+length)."""
        end = start + length
        i, j = self._carve_at(start, end)
        if i == j:
            return
        gone = self.maps[i:j]
        del self.maps[i:j]
        del self._starts[i:j]
        self._last = None
        self.pool.mappings -= j - i
        self._counted = len(self.maps)
        # Entries first, then the objects: an object's last drop frees its
        # frames (and a file's page cache writes its pages back), and the
        # budget count of the entries must see the object's reference.
        self.clear_ptes(start, end)
        for m in gone:
            if m.obj is not None:
                m.obj.drop()

    def _leaves_in(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(leaf index, first slot, end slot) for each leaf present in
        [start, end): O(leaves), however large the range."""
        first, last = start >> PAGE_SHIFT, end >> PAGE_SHIFT
        lo, hi = first >> LEAF_SHIFT, (last - 1) >> LEAF_SHIFT
        if hi - lo < len(self.leaves):
            found = [li for li in range(lo, hi + 1) if li in self.leaves]
        else:
            found = sorted(li for li in self.leaves if lo <= li <= hi)
        out = []
        for li in found:
            base = li << LEAF_SHIFT
            out.append((li, max(first, base) - base, min(last, base + LEAF_PAGES) - base))
        return out

    def clear_ptes(self, start: int, end: int) -> None:
        """Drop every entry in [start, end) and the frame references they held."""
        pool = self.pool
        for li, lo, hi in self._leaves_in(start, end):
            leaf = self.leaves[li]
            if leaf.present == 0:
                continue
            if lo == 0 and hi == LEAF_PAGES:
                del self.leaves[li]
                self._release_leaf(leaf)
                continue
            if not any(leaf.ptes[lo:hi]):
                continue
            leaf = self._own_leaf(li)
            ptes = leaf.ptes
            for i in range(lo, hi):
                f = ptes[i]
                if f:
                    ptes[i] = 0
                    leaf.present -= 1
                    pool.put(f)  # a freed frame is uncharged from whoever it is charged to
        self.tlb_stale = True

    def _release_leaf(self, leaf: Leaf) -> None:
        leaf.refs -= 1
        if leaf.refs == 0 and leaf.present:
            put = self.pool.put
            # filter() skips the empty entries in C: a leaf is mostly empty,
            # and this runs for every leaf of every process that ends.
            for f in filter(None, leaf.ptes):
                put(f)

    def protect(self, start: int, length: int, prot: Prot) -> None:
        """mprotect(2).  ENOMEM if part of the range is unmapped."""
        end = start + length
        covered = start
        for m in self._overlapping(start, end):
            if m.start > covered:
                break
            covered = m.end
        if covered < end:
            raise SyscallError(errno.ENOMEM)
        if prot & Prot.WRITE and any(not m.maywrite for m in self._overlapping(start, end)):
            raise SyscallError(errno.EACCES, "the mapped file is not open for writing")
        for m in self._carve(start, end):
            m.prot = prot
        self.tlb_stale = True

    def take_ptes(self, start: int, end: int) -> list[tuple[int, int]]:
        """Remove the entries of [start, end), keeping their references: (offset, frame)."""
        out = []
        for li, lo, hi in self._leaves_in(start, end):
            if not any(self.leaves[li].ptes[lo:hi]):
                continue
            leaf = self._own_leaf(li)
            base = li << (LEAF_SHIFT + PAGE_SHIFT)
            for i in range(lo, hi):
                f = leaf.ptes[i]
                if f:
                    leaf.ptes[i] = 0
                    leaf.present -= 1
                    out.append((base + (i << PAGE_SHIFT) - start, f))
        self.tlb_stale = True
        return out

    def put_ptes(self, start: int, entries: list[tuple[int, int]]) -> None:
        for off, f in entries:
            vpn = (start + off) >> PAGE_SHIFT
            leaf = self._own_leaf(vpn >> LEAF_SHIFT)
            old = leaf.ptes[vpn & 511]
            if old:
                self.pool.put(old)
            else:
                leaf.present += 1
            leaf.ptes[vpn & 511] = f

    def remap(self, old: int, old_len: int, new_len: int, may_move: bool, fixed_at: int | None) -> int:
        """mremap(2) for one whole mapping or a prefix of it.

        The caller has checked the ranges (sys_mremap): a `fixed_at`
        destination lies in user space apart from [old, old + old_len).
        old_len 0 asks for a second mapping of a shared mapping's pages
        (EINVAL for a private one, which has no object to share).
        """
        m = self.find(old)
        if m is None or m.start > old or old + old_len > m.end:
            raise SyscallError(errno.EFAULT)
        if old_len == 0:
            return self._duplicate(m, old, new_len, may_move, fixed_at)
        if fixed_at is None and new_len <= old_len:
            if new_len < old_len:
                self.unmap(old + new_len, old_len - new_len)
            return old
        if (fixed_at is None and old + old_len == m.end and old + new_len <= USER_TOP
                and not self.overlaps(m.end, old + new_len)):
            m.end = old + new_len
            self._reindex()
            return old
        if not may_move:
            raise SyscallError(errno.ENOMEM)
        dest = fixed_at if fixed_at is not None else self.find_free(new_len)
        if fixed_at is not None:
            self.unmap(dest, new_len)
        self._carve(old, old + old_len)
        entries = self.take_ptes(old, old + old_len)
        moved = self.find(old)
        assert moved is not None
        self.maps.remove(moved)
        moved.start, moved.end = dest, dest + max(new_len, 0)
        if new_len < old_len:
            for o, f in entries:
                if o >= new_len:
                    self.pool.put(f)
            entries = [(o, f) for o, f in entries if o < new_len]
        self.maps.append(moved)
        self._reindex()
        self.put_ptes(dest, entries)
        return dest

    def _duplicate(self, m: Mapping, old: int, new_len: int, may_move: bool, fixed_at: int | None) -> int:
        """mremap with old_len 0: map m's object again from `old` on."""
        if m.obj is None:
            raise SyscallError(errno.EINVAL)
        if not may_move:
            raise SyscallError(errno.ENOMEM)
        if fixed_at is not None:
            self.unmap(fixed_at, new_len)
            dest = fixed_at
        else:
            dest = self.find_free(new_len)
        m.obj.hold()
        pgoff = m.pgoff + ((old - m.start) >> PAGE_SHIFT)
        self.add(Mapping(dest, dest + new_len, m.prot, m.name, m.obj, pgoff, maywrite=m.maywrite))
        return dest

    # Fork and teardown -------------------------------------------------

    def fork(self) -> AddressSpace:
        """A copy-on-write copy: mappings copied, leaves shared by reference."""
        if self.pool.mappings + len(self.maps) > self.pool.max_mappings:
            raise SyscallError(errno.ENOMEM, "too many mappings")
        child = AddressSpace(self.pool)
        child.maps = [m.copy() for m in self.maps]
        for m in child.maps:
            if m.obj is not None:
                m.obj.attach(child)
        child._starts = list(self._starts)
        child._counted = len(child.maps)
        self.pool.mappings += child._counted
        for li, leaf in self.leaves.items():
            leaf.refs += 1
            child.leaves[li] = leaf
        child.brk_start, child.brk = self.brk_start, self.brk
        child.budget_pages = self.budget_pages  # a budget of its own: charged nothing until it writes
        self.tlb_stale = True
        return child

    def release(self) -> None:
        """Drop every mapping and leaf; the frames go back to the pool."""
        for leaf in self.leaves.values():
            self._release_leaf(leaf)
        self.leaves.clear()
        for m in self.maps:
            if m.obj is not None:
                m.obj.drop()
        self.maps.clear()
        self._starts.clear()
        self._last = None
        self.pool.mappings -= self._counted
        self._counted = 0
        self.tlb_stale = True

    # Kernel access to guest memory --------------------------------------

    def _frame_for_read(self, va: int) -> int:
        m = self.find(va)
        if m is None or not m.prot:
            raise SyscallError(errno.EFAULT)
        vpn = va >> PAGE_SHIFT
        leaf = self.leaves.get(vpn >> LEAF_SHIFT)
        f = leaf.ptes[vpn & 511] if leaf is not None else 0
        if f:
            return f
        if m.obj is not None:
            return m.obj.frame(m.pgoff + ((va - m.start) >> PAGE_SHIFT))
        return ZERO_FRAME

    def read(self, va: int, size: int) -> bytes:
        """copy-in: `size` bytes at va.  EFAULT where nothing readable is mapped."""
        if size <= 0:
            return b""
        if va < 0 or va + size > USER_TOP:
            raise SyscallError(errno.EFAULT)
        out = []
        read = self.pool.read
        while size > 0:
            off = va & (PAGE - 1)
            n = min(size, PAGE - off)
            out.append(read(self._frame_for_read(va), off, n))
            va += n
            size -= n
        return b"".join(out)

    def write(self, va: int, data: bytes, force: bool = False) -> None:
        """copy-out: write data at va, breaking COW.  EFAULT if not writable.

        `force` writes into read-only mappings too (the loader, ptrace-like
        uses); it still needs a mapping.
        """
        size = len(data)
        if va < 0 or va + size > USER_TOP:
            raise SyscallError(errno.EFAULT)
        pos = 0
        write = self.pool.write
        while pos < size:
            m = self.find(va)
            if m is None or not (force or m.prot & Prot.WRITE):
                raise SyscallError(errno.EFAULT)
            off = va & (PAGE - 1)
            n = min(size - pos, PAGE - off)
            before = self._entry(va)
            f = self._writable_frame(va, m)
            if f != before:
                self.tlb_stale = True
            if f in self.pool.code_frames:
                # The engine does not see this write: translations made
                # from the frame are stale, as when it is freed.
                self.pool.on_code_freed()
            write(f, off, data[pos : pos + n])
            va += n
            pos += n

    def _entry(self, va: int) -> int:
        vpn = va >> PAGE_SHIFT
        leaf = self.leaves.get(vpn >> LEAF_SHIFT)
        return leaf.ptes[vpn & 511] if leaf is not None else 0

    def read_cstr(self, va: int, limit: int = 4096) -> bytes:
        """A NUL-terminated string at va (without the NUL).  ENAMETOOLONG past limit."""
        out = bytearray()
        while len(out) < limit:
            off = va & (PAGE - 1)
            chunk = self.pool.read(self._frame_for_read(va), off, PAGE - off)
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                return bytes(out[:limit])
            out += chunk
            va += len(chunk)
        raise SyscallError(errno.ENAMETOOLONG)

    def read_u64(self, va: int) -> int:
        return int.from_bytes(self.read(va, 8), "little")

    def write_u64(self, va: int, value: int) -> None:
        self.write(va, (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))

    def read_u32(self, va: int) -> int:
        return int.from_bytes(self.read(va, 4), "little")

    def write_u32(self, va: int, value: int) -> None:
        self.write(va, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def frame_at(self, va: int) -> int:
        """The frame backing va now (0 if none yet), for keys such as futexes."""
        return self._entry(va)

    # Accounting -------------------------------------------------------

    def pages(self) -> Iterator[tuple[int, int, bool]]:
        """(virtual page number, frame, leaf shared) for every present entry."""
        for li, leaf in self.leaves.items():
            base = li << LEAF_SHIFT
            shared_leaf = leaf.refs > 1
            for i, f in enumerate(leaf.ptes):
                if f:
                    yield base + i, f, shared_leaf

    def resident(self) -> int:
        """Pages with a frame: O(leaves), cheap enough for every slice."""
        return sum(leaf.present for leaf in self.leaves.values())

    def usage(self) -> dict[str, int]:
        """Resident, shared and private pages, and the mapped size."""
        resident = shared = 0
        refs = self.pool.refs
        for leaf in self.leaves.values():
            resident += leaf.present
            if leaf.refs > 1:
                shared += leaf.present  # a shared leaf: every page in it is shared
            elif leaf.present:  # the frames held elsewhere too; counted in C (every exit asks)
                shared += leaf.present - countOf(map(refs.__getitem__, filter(None, leaf.ptes)), 1)
        mapped = sum(m.length for m in self.maps) >> PAGE_SHIFT
        return {
            "mapped": mapped,
            "resident": resident,
            "shared": shared,
            "private": resident - shared,
            "cow_copies": self.counters.cow_copies,
            "leaf_copies": self.counters.leaf_copies,
            "zero_fills": self.counters.zero_fills,
        }
