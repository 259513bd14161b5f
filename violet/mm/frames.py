"""Physical frames: 4 KiB pieces of the engine's one physical region.

A frame is named by its number (physical address >> 12).  Each frame has a
reference count: one per page-table slot that maps it (a shared leaf counts
once, however many address spaces hold the leaf) plus one per kernel holder
(a shared-memory object, the page cache).  A frame whose count drops to 0
returns to the free pool.

Frame 0 is never handed out, so a page-table entry of 0 means "absent".
Frame 1 is the shared zero frame: always mapped read-only, never written,
never freed.
"""

from __future__ import annotations

from array import array
from collections import deque
from typing import Any, Callable, Protocol

from ..errors import OutOfFrames

ZERO_FRAME = 1
_FIRST_FREE = 2
_ZEROS = bytes(4096)


class Account:
    """A memory budget and the frames charged to it (`--mem-budget`).

    Each frame is charged to at most one account, the one of the address
    space that made it (a zero fill or a copy-on-write copy: the writer),
    or of the space that created the shared object it belongs to.  It stays
    charged there until the frame is freed, whoever holds it by then (as
    Linux's memory cgroups charge a page to who first touched it): a fork
    child that is the last holder of its parent's pages owns them without
    paying, and the parent pays until they are gone, so no sequence of
    forks and unmaps takes a count below what is really held.
    """

    __slots__ = ("budget", "charged")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.charged = 0

    def charge(self, pool: FramePool, frame: int) -> None:
        """Charge a new frame; ENOMEM (nothing charged) past the budget."""
        if self.charged >= self.budget:
            from errno import ENOMEM

            from ..errors import SyscallError

            raise SyscallError(ENOMEM, "memory budget exhausted")
        self.charged += 1
        pool.owner[frame] = self


class Remains(Protocol):
    """What ended processes left to give back (kernel/exits.py): address
    spaces and other things, released a part at a time."""

    done: bool

    def spaces(self) -> list[Any]:
        """The address spaces not given back yet (they still hold frames)."""
        ...

    def give_back(self, budget: int | None) -> int | None:
        """Release parts for up to `budget` (None: all): an address space
        costs RECLAIM_UNIT, a lesser part (a saved context) 1.  Returns the
        budget left; sets `done` when nothing is left."""
        ...


RECLAIM_UNIT = 16  # an address space costs about as much to release as 16 saved contexts


class FramePool:
    """The kernel's physical memory.

    `refs[f]` is frame f's reference count (0 = free).  Frames never handed
    out since boot (at or above `_fresh`) are known to be zero; recycled
    frames are zeroed when handed out again.
    """

    def __init__(self, nframes: int, read: Callable[[int, int], bytes], write: Callable[[int, bytes], None]) -> None:
        self.nframes = nframes
        self.refs = array("l", bytes(8 * nframes))
        self.refs[0] = 1
        self.refs[ZERO_FRAME] = 1
        self._fresh = _FIRST_FREE
        self._free: list[int] = []
        self._read = read
        self._write = write
        self.in_use = 0
        self.peak = 0
        # Mappings in every address space together, and how many there may
        # be: each costs host memory and fork copies them all (space.py).
        self.mappings = 0
        self.max_mappings = max(1 << 18, nframes)
        # Frames that may hold translated code: recycling one needs a flush.
        self.code_frames: set[int] = set()
        self.on_code_freed: Callable[[], None] = _nothing
        # Called with (address space, virtual address) at each COW copy when
        # someone asked for COW events (violet run --trace-cow); None: no cost.
        self.on_cow: Callable[[object, int], None] | None = None
        # The account each charged frame is charged to (Account); only
        # frames made under a memory budget are here.
        self.owner: dict[int, Account] = {}
        # Mappings of shared objects (shared memory, a file's pages) in
        # every address space: SharedObject.hold and drop count them.  At 0
        # no space maps one, and an exit need not look (kernel/exits.py).
        self.object_maps = 0
        # Address spaces of ended processes whose frames, leaves and
        # mappings are given back later (kernel/exits.py): an exit cascade
        # ends thousands of processes in one step, and what no guest can
        # observe at once waits here.  Drained in batches between slices,
        # fully when the kernel is idle, before run() returns, and whenever
        # a frame is wanted and none is free (or the free count is asked).
        self.pending: deque[Remains] = deque()

    def reclaim(self, limit: int = 0) -> None:
        """Give back what `pending` holds: everything (limit 0), or about
        `limit` address spaces' worth."""
        pending = self.pending
        budget = None if limit <= 0 else limit * RECLAIM_UNIT
        while pending:
            e = pending[0]
            budget = e.give_back(budget)
            if e.done:
                pending.popleft()
            if budget is not None and budget <= 0:
                return

    def alloc(self, zero: bool = True) -> int:
        """A new frame with count 1.  Raises OutOfFrames when memory is full."""
        if self._free:
            f = self._free.pop()
            if zero:
                self._write(f << 12, _ZEROS)
        elif self._fresh < self.nframes:
            f = self._fresh
            self._fresh += 1
        elif self.pending:
            self.reclaim()
            return self.alloc(zero)
        else:
            raise OutOfFrames()
        self.refs[f] = 1
        self.in_use += 1
        if self.in_use > self.peak:
            self.peak = self.in_use
        return f

    def copy(self, src: int) -> int:
        """A new frame holding a copy of `src` (count 1)."""
        f = self.alloc(zero=False)
        self._write(f << 12, self._read(src << 12, 4096))
        return f

    def get(self, f: int) -> None:
        self.refs[f] += 1

    def put(self, f: int) -> None:
        """Drop one reference; free the frame when it was the last."""
        if f == ZERO_FRAME:
            return
        n = self.refs[f] - 1
        self.refs[f] = n
        if n == 0:
            self._free.append(f)
            self.in_use -= 1
            if self.owner:
                acct = self.owner.pop(f, None)
                if acct is not None:
                    acct.charged -= 1
            if f in self.code_frames:
                self.code_frames.discard(f)
                self.on_code_freed()
        elif n < 0:
            from ..errors import KernelBug

            raise KernelBug(f"frame {f} released more often than referenced")

    def read(self, f: int, off: int = 0, size: int = 4096) -> bytes:
        return self._read((f << 12) + off, size)

    def write(self, f: int, off: int, data: bytes) -> None:
        self._write((f << 12) + off, data)

    @property
    def free(self) -> int:
        if self.pending:
            self.reclaim()
        return self.nframes - _FIRST_FREE - self.in_use


def _nothing() -> None:
    return None
