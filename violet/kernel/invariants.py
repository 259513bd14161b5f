"""The kernel's invariants, checked on demand (`violet run --check`, tests).

1. Every frame's reference count equals the number of page-table slots
   that map it (a leaf shared by several address spaces counts once) plus
   the shared-memory objects that hold it; no frame is both free and used.
2. No live process has a dead ancestor (the exit cascade leaves none).
3. No zombie lacks a living parent.
4. Every live thread's creator chain ends at its process's main thread.
5. When every process but init has ended, the frames in use are back to
   the figure at boot.
6. Every page-table entry lies inside a mapping of its address space
   (what munmap or mremap leaves behind must not show through a later
   mapping).
7. The kernel's descriptor count is the number of entries in its file
   tables.  (Address spaces of ended processes waiting in the pool's
   reclaim queue, FramePool.pending, still hold their frames, leaves,
   mappings and shared objects: they count as holders of 1, 8 and 9
   until given back.)
8. The pool's mapping count is the number of mappings in the address
   spaces.
9. Every shared object (anonymous shared memory, a file's page cache) is
   held by exactly as many mappings as it counts (`users`); every page
   cache of the kernel is in use and registered (mm/pagecache.py), and its
   dirty pages have frames; the pool's count of such mappings
   (FramePool.object_maps) is their number.
10. Memory budgets: each account's charge is the number of frames charged
    to it (FramePool.owner), every charged frame is in use, and no account
    is over its budget.

A broken invariant is a kernel bug: `check` raises KernelBug naming the
invariant and the objects involved.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..errors import KernelBug
from ..mm import pagecache
from ..mm.frames import ZERO_FRAME
from .task import ProcState

if TYPE_CHECKING:
    from ..mm.space import AddressSpace, SharedObject
    from .kernel import Kernel
    from .task import Process


def all_spaces(k: Kernel) -> dict[int, AddressSpace]:
    """Every address space that holds memory: the processes' and those
    waiting in the reclaim queue (exits.Remains)."""
    spaces: dict[int, AddressSpace] = {}
    for p in k.procs.values():
        if p.space is not None:
            spaces[id(p.space)] = p.space
    for r in k.pool.pending:
        for s in r.spaces():
            spaces[id(s)] = s
    return spaces


def frame_holders(k: Kernel) -> Counter[int]:
    """How many holders each frame has, counted from the page tables and objects."""
    spaces = all_spaces(k)
    leaves: dict[int, list[int]] = {}
    objects: dict[int, SharedObject] = {}
    for space in spaces.values():
        for leaf in space.leaves.values():
            leaves[id(leaf)] = leaf.ptes
        for m in space.maps:
            if m.obj is not None:
                objects[id(m.obj)] = m.obj
    for cache in pagecache.caches_of(k.pool):  # held by the kernel even if no mapping shows it
        objects[id(cache)] = cache
    counts: Counter[int] = Counter()
    for ptes in leaves.values():
        counts.update(f for f in ptes if f)
    for obj in objects.values():
        counts.update(obj.frames.values())
    return counts


def violations(k: Kernel) -> list[str]:
    """Every broken invariant, one sentence each (empty when all hold)."""
    out: list[str] = []
    pool = k.pool

    # 1. Frames.
    counts = frame_holders(k)
    free = set(pool._free)
    for f, n in counts.items():
        if f == ZERO_FRAME:
            out.append(f"frame accounting: the zero frame is mapped by a page-table entry ({n} times)")
            continue
        if f in free:
            out.append(f"frame accounting: frame {f} is free but still mapped {n} times")
        if pool.refs[f] != n:
            out.append(f"frame accounting: frame {f} has reference count {pool.refs[f]} but {n} holders")
    in_use = pool.in_use
    if len(counts) - (1 if ZERO_FRAME in counts else 0) != in_use:
        leaked = in_use - len(counts)
        out.append(f"frame accounting: {in_use} frames in use but {len(counts)} held ({leaked} leaked)")

    # 2 and 3. The process tree.
    for p in k.procs.values():
        if p is k.init:
            continue
        if p.alive:
            dead = [a for a in p.ancestors() if not a.alive]
            if dead:
                out.append(f"process tree: {p.name}[{p.pid}] is alive but its ancestor {dead[0].name}[{dead[0].pid}] is not")
            if p.launcher is not None and not p.launcher.alive:
                out.append(f"process tree: {p.name}[{p.pid}] is alive but its launcher {p.launcher.name}[{p.launcher.pid}] is not")
        elif p.state is ProcState.ZOMBIE and (p.parent is None or not p.parent.alive):
            out.append(f"process tree: zombie {p.name}[{p.pid}] has no living parent")

    # 4. The thread tree.
    for p in k.procs.values():
        for t in p.live_threads:
            c = t
            while c.creator is not None:
                c = c.creator
                if not c.alive:
                    out.append(f"thread tree: live thread {t.tid} of {p.name}[{p.pid}] has a terminated ancestor {c.tid}")
                    break
            if c is not p.main and c.alive:
                out.append(f"thread tree: thread {t.tid} of {p.name}[{p.pid}] descends from {c.tid}, not the main thread")

    # 6. No entry outside the mappings.
    seen: set[int] = set()
    for p in k.procs.values():
        space = p.space
        if space is None or id(space) in seen:
            continue
        seen.add(id(space))
        for vpn, _f, _shared in space.pages():
            if space.find(vpn << 12) is None:
                out.append(f"page tables: {p.name}[{p.pid}] has an entry at {vpn << 12:#x}, outside every mapping")
                break

    # 2'. The live counts of what each budget covers (descendants and
    # launched applications, Process.sponsors), summed up in one pass.
    below: dict[int, int] = {}
    covered: dict[int, list[Process]] = {}
    for p in k.procs.values():
        s = p.launcher or p.parent
        if s is not None:
            covered.setdefault(s.pid, []).append(p)
    order = [k.init]
    for p in order:
        order.extend(covered.get(p.pid, ()))
    for p in reversed(order):
        below[p.pid] = sum(below[c.pid] + (1 if c.alive else 0) for c in covered.get(p.pid, ()))
        if p.live_below != below[p.pid]:
            out.append(f"process count: {p.name}[{p.pid}] counts {p.live_below} live descendants but has {below[p.pid]}")

    # 4'. The live-thread count.
    for p in k.procs.values():
        if p.live_count != len(p.live_threads):
            out.append(f"thread count: {p.name}[{p.pid}] counts {p.live_count} live threads but has {len(p.live_threads)}")

    # 8. Mappings.
    spaces = all_spaces(k)
    mapped = sum(len(s.maps) for s in spaces.values())
    if mapped != k.pool.mappings:
        out.append(f"mappings: the pool counts {k.pool.mappings} but the address spaces hold {mapped}")

    # 9. Shared objects and page caches.
    holders: Counter[int] = Counter()
    objs: dict[int, object] = {}
    for s_ in spaces.values():
        for m in s_.maps:
            if m.obj is not None:
                holders[id(m.obj)] += 1
                objs[id(m.obj)] = m.obj
    if sum(holders.values()) != k.pool.object_maps:
        out.append(f"shared memory: the pool counts {k.pool.object_maps} mappings of shared objects, "
                   f"the address spaces hold {sum(holders.values())}")
    registered = {id(c): c for c in pagecache.caches_of(k.pool)}
    for oid, obj in objs.items():
        if obj.users != holders[oid]:  # type: ignore[attr-defined]
            out.append(f"shared memory: {obj.name} counts {obj.users} users but {holders[oid]} mappings hold it")  # type: ignore[attr-defined]
        if isinstance(obj, pagecache.PageCache) and oid not in registered:
            out.append(f"page cache: {obj.name} is mapped but not registered")
    for oid, c in registered.items():
        if oid not in objs:
            out.append(f"page cache: {c.name} is registered ({c.users} users, {len(c.frames)} frames) but no mapping holds it")
        lost = [i for i in c.dirty if i not in c.frames]
        if lost:
            out.append(f"page cache: {c.name} has dirty page {lost[0]} without a frame")

    # 10. Memory budgets.
    per_account: Counter[int] = Counter()
    accounts = {}
    for f, acct in pool.owner.items():
        per_account[id(acct)] += 1
        accounts[id(acct)] = acct
        if pool.refs[f] <= 0:
            out.append(f"memory budget: frame {f} is charged but free")
            break
    for aid, acct in accounts.items():
        if acct.charged != per_account[aid]:
            out.append(f"memory budget: an account counts {acct.charged} frames but {per_account[aid]} are charged to it")
        if acct.charged > acct.budget:
            out.append(f"memory budget: an account holds {acct.charged} frames, over its budget of {acct.budget}")

    # 7. Descriptors.
    tables = {id(p.files): p.files for p in k.procs.values() if p.files is not None}
    held = sum(len(tbl.fds) for tbl in tables.values())
    if held != k.descriptors.used:
        out.append(f"descriptors: the kernel counts {k.descriptors.used} in use but its tables hold {held}")

    # 5. Nothing left behind.
    if (not any(p.alive for p in k.procs.values() if p is not k.init) and not pool.pending
            and pool.in_use != k.boot_frames):
        out.append(f"frame accounting: every process has ended but {pool.in_use - k.boot_frames} frames are still in use")
    return out


def check(k: Kernel, when: str = "") -> None:
    """Raise KernelBug if any invariant is broken."""
    bad = violations(k)
    if bad:
        where = f" after {when}" if when else ""
        raise KernelBug(f"invariant broken{where}: " + "; ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""))
