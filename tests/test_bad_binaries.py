"""A corpus of mangled ELF files (issue: nothing a guest does can hurt the
kernel).  Each is a copy of a good guest with one field broken; each gets
one clear line naming the file and the reason, status 126, no traceback."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from violet import Kernel, LoadError

PT_LOAD = 1


def _phdrs(data: bytes) -> list[tuple[int, int]]:
    """(offset of the header, p_type) for every program header."""
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = struct.unpack_from("<H", data, 56)[0]
    return [(phoff + 56 * i, struct.unpack_from("<I", data, phoff + 56 * i)[0]) for i in range(phnum)]


def _loads(data: bytes) -> list[int]:
    return [off for off, kind in _phdrs(data) if kind == PT_LOAD]


def phdrs_past_the_end(d: bytearray) -> None:
    struct.pack_into("<Q", d, 32, len(d) + 4096)


def overlapping_segments(d: bytearray) -> None:
    first, second = _loads(d)[:2]
    vaddr = struct.unpack_from("<Q", d, first + 16)[0]
    struct.pack_into("<Q", d, second + 16, vaddr + 0x10000)  # the second starts 64 KiB into...
    struct.pack_into("<Q", d, first + 40, 0x100000)  # ...the first, now 1 MiB long


def huge_segment(d: bytearray) -> None:
    last = _loads(d)[-1]
    struct.pack_into("<Q", d, last + 40, 1 << 62)


def entry_outside_every_segment(d: bytearray) -> None:
    struct.pack_into("<Q", d, 24, 0x7000_0000_0000)


def entry_in_a_data_segment(d: bytearray) -> None:
    last = _loads(d)[-1]
    struct.pack_into("<Q", d, 24, struct.unpack_from("<Q", d, last + 16)[0])


def wrong_class(d: bytearray) -> None:
    d[4] = 1  # ELFCLASS32


def big_endian(d: bytearray) -> None:
    d[5] = 2


def relocatable_object(d: bytearray) -> None:
    struct.pack_into("<H", d, 16, 1)  # ET_REL


def wrong_phentsize(d: bytearray) -> None:
    struct.pack_into("<H", d, 54, 32)


def no_program_headers(d: bytearray) -> None:
    struct.pack_into("<H", d, 56, 0)


def file_bytes_past_memory(d: bytearray) -> None:
    first = _loads(d)[0]
    memsz = struct.unpack_from("<Q", d, first + 40)[0]
    struct.pack_into("<Q", d, first + 32, memsz + 1)


def segment_data_past_the_end(d: bytearray) -> None:
    last = _loads(d)[-1]
    struct.pack_into("<Q", d, last + 8, len(d) - 16)
    struct.pack_into("<Q", d, last + 32, 4096)
    struct.pack_into("<Q", d, last + 40, 8192)


CORPUS: dict[str, tuple[Callable[[bytearray], None], str]] = {
    "phdrs-past-the-end": (phdrs_past_the_end, "program headers lie past the end"),
    "overlapping-segments": (overlapping_segments, "overlaps"),
    "huge-segment": (huge_segment, "does not fit the address space"),
    "entry-outside-segments": (entry_outside_every_segment, "entry point"),
    "entry-in-data": (entry_in_a_data_segment, "entry point"),
    "32-bit": (wrong_class, "32-bit"),
    "big-endian": (big_endian, "big-endian"),
    "relocatable": (relocatable_object, "relocatable object"),
    "phentsize": (wrong_phentsize, "no usable program headers"),
    "no-phdrs": (no_program_headers, "no usable program headers"),
    "filesz-over-memsz": (file_bytes_past_memory, "more file bytes than memory"),
    "data-past-the-end": (segment_data_past_the_end, "past the end of the file"),
}


def _mangled(guest, tmp_path: Path, name: str) -> Path:
    data = bytearray(Path(guest("hello")).read_bytes())
    CORPUS[name][0](data)
    path = tmp_path / name
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_mangled_elf_gets_one_line_and_status_126(guest, tmp_path: Path, name: str) -> None:
    path = _mangled(guest, tmp_path, name)
    proc = subprocess.run([sys.executable, "-m", "violet", "run", str(path)], capture_output=True, timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 126, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"violet: {path}: "), err
    assert CORPUS[name][1] in lines[0], lines[0]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_mangled_elf_is_a_load_error_and_leaves_the_kernel_usable(guest, tmp_path: Path, name: str) -> None:
    k = Kernel(mem="128M", stdout=bytearray(), check=True)
    with pytest.raises(LoadError):
        k.spawn([str(_mangled(guest, tmp_path, name))])
    assert k.pool.in_use == k.boot_frames
    k.spawn([str(guest("hello"))])
    assert k.run() == 0
