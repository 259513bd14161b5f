"""MAP_SHARED file mappings (the page cache, violet/mm/pagecache.py), msync,
SIGBUS past the end of a file, and /dev/shm for shm_open.

Every guest run is compared with the same program run natively; the API
runs also check the kernel's invariants, frames left over included.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest

from harness import BASE_ENV, run_api, run_cli, run_native, same_as_native
from violet import Kernel
from violet.kernel import invariants
from violet.mm import pagecache

PG = 4096


def _env(tmp_path):
    return dict(BASE_ENV, DIR=str(tmp_path))


def _run(guest, violet, tmp_path, mode):
    r = same_as_native(guest("mmap_shared_file"), violet, [mode], env=_env(tmp_path))
    assert "BAD" not in r.out, r.out + r.report
    assert r.status == 0, r.report
    return r


def test_a_store_through_the_mapping_is_seen_by_read_pread_and_readv(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "write_then_read")
    assert "pread: stored via the mapping" in r.out
    assert "read: second page" in r.out
    assert "pread, another open: stored via the mapping" in r.out
    assert "readv: stored| vi" in r.out
    assert "after munmap: X" in r.out


def test_write_pwrite_writev_and_growth_are_seen_by_the_mapping(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "write_then_map")
    assert "mapping after pwrite: pwritten, own store kept: m" in r.out
    assert "mapping after write: written" in r.out
    assert "mapping after writev: writev" in r.out
    assert "grown page: grown" in r.out
    assert "appended at the end: appended" in r.out
    assert f"size {3 * PG + 8}" in r.out


def test_parent_and_child_share_a_file_mapping_both_ways(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "fork_share")
    assert "parent sees: from the child" in r.out
    assert "child sees: from the parent" in r.out
    assert "file holds: from the parent" in r.out


def test_a_mapping_made_by_the_child_after_fork_is_the_parents_too(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "child_maps")
    assert "before: 0" in r.out
    assert "parent sees: child's own mapping" in r.out


def test_protection_checks_are_linuxs(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "prot")
    assert "shared PROT_WRITE on O_RDONLY: EACCES" in r.out
    assert "shared PROT_READ on O_RDONLY: ok" in r.out
    assert "mprotect to PROT_WRITE: -1 EACCES" in r.out
    assert "private PROT_WRITE on O_RDONLY: ok" in r.out
    assert "shared on O_WRONLY: EACCES" in r.out
    assert "shared directory: ENODEV" in r.out


def test_partial_munmap_and_mappings_at_an_offset(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "partial")
    assert "unmapped page: 11" in r.out
    assert "view at offset: third" in r.out
    assert "original sees the view's store: fourth" in r.out
    assert "file: first third fourth" in r.out
    assert "view still: fourth" in r.out


def test_a_private_mapping_copies_the_shared_stores_and_keeps_its_own(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "private")
    assert "private copy: shared store" in r.out
    assert "private store stays private: s" in r.out


def test_past_the_end_of_the_file_is_sigbus_and_truncation_moves_the_end(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "sigbus")
    assert "last page, past the last byte: 0" in r.out
    assert "page past the end, read: 7" in r.out
    assert "page past the end, write: 7" in r.out
    assert "after shrink, page 1: 7" in r.out
    assert "after shrink, page 0 past the end reads 0" in r.out
    assert "after growth, page 1: 0, holds 0" in r.out
    assert "grown page written: z" in r.out
    assert "write from past the end: -1 errno EFAULT" in r.out


def test_mremap_grows_moves_and_aliases_a_file_mapping(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "remap")
    assert "grown: first page / third page" in r.out
    assert "alias store seen: via the alias" in r.out
    assert "file: via the alias" in r.out
    assert "alias still: first page" in r.out


def test_an_open_with_o_trunc_takes_the_mapped_pages_away(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "otrunc")
    assert "after O_TRUNC, page 0: 7" in r.out
    assert "after growth, page 0: 0, holds 0" in r.out
    assert f"size {PG}" in r.out


def test_an_unhandled_sigbus_kills_with_status_135(guest, violet, tmp_path):
    r = same_as_native(guest("mmap_shared_file"), violet, ["sigbus_fatal"], env=_env(tmp_path))
    assert r.status == 128 + 7
    assert "SIGBUS" in r.report and "past the end of the mapped file" in r.report


def test_shm_open_ftruncate_mmap_fork_shm_unlink(guest, violet, tmp_path):
    r = _run(guest, violet, tmp_path, "shm")
    assert f"parent sees p[0]=4242 sum={sum(range(1, 2 * PG // 4))}" in r.out
    assert "mapping after unlink: 4242" in r.out
    assert "shm_open after unlink: -1 ENOENT" in r.out


def test_msync_puts_the_stores_on_disk_before_the_mapping_goes(guest, tmp_path):
    """msync(MS_SYNC) writes the dirty pages to the host file: read from the
    host (another program than the guest) the moment msync returns; munmap
    writes back what was stored after it."""
    prog = guest("mmap_shared_file")
    native = run_native(prog, ["msync"], env=_env(tmp_path))
    assert native.status == 0 and "BAD" not in native.out
    on_disk_native = (tmp_path / "synced").read_bytes()
    (tmp_path / "synced").unlink()

    seen: list[bytes] = []

    def after(t, entry, args, result, note):
        if entry.name == "msync" and result == 0:
            seen.append((tmp_path / "synced").read_bytes())

    out = bytearray()
    with Kernel(stdout=out, stderr=bytearray(), report=io.StringIO(), check=True) as k:
        k.events.subscribe_syscalls(after)
        k.spawn([str(prog), "msync"], env=_env(tmp_path))
        assert k.run(timeout=60) == 0
    assert out.decode() == native.out
    assert seen, "msync never returned 0"
    at_msync = seen[0]
    assert at_msync[PG + 16 : PG + 16 + 21] == b"written back by msync"
    assert len(at_msync) == 2 * PG
    final = (tmp_path / "synced").read_bytes()
    assert final == on_disk_native
    assert final[16:25] == b"by munmap"


def test_dev_shm_in_a_root_without_one_is_private_and_removed_at_close(guest, tmp_path):
    """A --root without /dev/shm gets a private one: shm_open works, nothing
    is created in the root, and the directory is gone when the kernel closes."""
    root = tmp_path / "root"
    (root / "work").mkdir(parents=True)
    shutil.copy(guest("mmap_shared_file"), root / "msf")
    native = run_native(guest("mmap_shared_file"), ["shm"], env=_env(tmp_path))
    out = bytearray()
    with Kernel(stdout=out, stderr=bytearray(), report=io.StringIO(), check=True, root=str(root)) as k:
        k.spawn(["/msf", "shm"], env=dict(BASE_ENV, DIR="/work"))
        assert k.run(timeout=60) == 0
        private = k.vfs._shm
        assert private and os.path.isdir(private)
        assert not private.startswith(str(root))
    assert out.decode() == native.out
    assert not os.path.exists(private)
    assert sorted(os.listdir(root)) == ["msf", "work"]


def test_shm_open_needs_fs_write(guest, tmp_path):
    r = run_cli(guest("mmap_shared_file"), ["shm"], env=_env(tmp_path), options=["--deny", "fs.write"])
    assert r.status == 1
    assert "BAD: shm_open (errno 13)" in r.out


def test_the_invariant_checker_counts_the_page_cache_as_a_holder(guest, tmp_path):
    """A page cache's frames are its own holders, and its users must match
    the mappings that hold it: a leaked or miscounted cache is reported."""
    path = tmp_path / "f"
    path.write_bytes(b"a" * PG * 2)
    with Kernel(stdout=bytearray(), stderr=bytearray(), report=io.StringIO()) as k:
        p = k.spawn([str(guest("mmap_shared_file")), "prot"], env=_env(tmp_path))
        from violet.fs.hostfile import HostFile
        from violet.mm.space import Prot

        before = k.pool.in_use
        f = HostFile(os.open(path, os.O_RDWR), os.O_RDWR, str(path), str(path))
        cache = pagecache.cache_for(k.pool, f)
        cache.hold()
        addr = p.space.find_free(2 * PG)
        p.space.map_object(addr, 2 * PG, Prot.READ | Prot.WRITE, cache, 0, str(path))
        cache.drop()
        p.space.write(addr + PG, b"dirty")
        assert cache.frames and cache.dirty == {1}
        assert invariants.violations(k) == []
        cache.users += 1
        bad = invariants.violations(k)
        assert any("counts 2 users but 1 mappings" in v for v in bad), bad
        cache.users -= 1
        p.space.unmap(addr, 2 * PG)
        assert pagecache.caches_of(k.pool) == []
        assert k.pool.in_use == before
        assert invariants.violations(k) == []
    assert path.read_bytes()[PG : PG + 5] == b"dirty"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_random_operations_on_a_mapped_file_match_native(guest, violet, tmp_path, seed):
    """A differential fuzz (tests/guests/mmap_shared_fuzz.c): mmap, partial
    munmap, mprotect, stores and loads, pwrite, pread, ftruncate, msync and
    forked children on one file mapped several times; every result and the
    file's final bytes must be native's.  (It found a recycled frame filled
    from a hole of the file without being zeroed.)"""
    r = same_as_native(guest("mmap_shared_fuzz"), violet, [str(seed), "400", str(tmp_path)])
    assert r.status == 0
    assert "SIGBUS" in r.out and "final:" in r.out
