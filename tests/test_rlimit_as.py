"""RLIMIT_AS: the address-space limit a guest sets bounds mmap, brk and
mremap (ENOMEM), so malloc returns NULL (guest rlimit_as.c)."""

from __future__ import annotations

from harness import same_as_native


def test_address_space_limit_bounds_mmap_brk_mremap_and_malloc(guest, violet):
    r = same_as_native(guest("rlimit_as"), violet)
    assert r.out.splitlines() == [
        "limit 256 MiB",
        "mmap 512 MiB: Out of memory",
        "mmap 512 MiB PROT_NONE: Out of memory",
        "mmap 64 MiB: ok",
        "mmap 64 MiB over itself: ok",
        "mremap to 400 MiB: Out of memory",
        "mremap to 96 MiB: ok",
        "sbrk 300 MiB: Out of memory, break unchanged",
        "malloc 1 MiB blocks: stopped between 150 and 256 MiB",
        "child: limit 256 MiB, mmap 512 MiB: Out of memory",
        "unlimited again, mmap 512 MiB: ok",
    ]
