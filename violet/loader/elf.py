"""ELF loading: static x86-64 executables into a fresh address space.

Accepted: ET_EXEC, and ET_DYN without PT_INTERP (static-pie), for
EM_X86_64, 64-bit little-endian.  Everything else is refused with a
`LoadError` whose reason reads well on one line, and whose status is what
a shell would exit with (126: found but cannot be executed).

The initial stack follows the System V x86-64 ABI (section 3.4.1) and what
Linux's create_elf_tables() builds: argc, argv[], NULL, envp[], NULL, auxv
pairs ending in AT_NULL, then the strings and the 16 AT_RANDOM bytes above.
No vDSO is offered (no AT_SYSINFO_EHDR), so clocks arrive as syscalls.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Callable

from ..errors import LoadError, SyscallError
from ..mm.space import PAGE, STACK_TOP, AddressSpace, Prot, page_down, page_up

ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62
PT_LOAD, PT_INTERP, PT_PHDR, PT_TLS, PT_GNU_STACK = 1, 3, 6, 7, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4

# Auxiliary vector keys (<linux/auxvec.h>, <elf.h>).
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN = 23, 25, 26, 31

STACK_SIZE = 8 << 20
PIE_BASE = 0x5555_5555_4000
MAX_ARG_BYTES = 2 << 20

_MACHINES = {3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 40: "ARM", 183: "AArch64", 243: "RISC-V", 22: "S390"}


@dataclass
class Segment:
    vaddr: int
    memsz: int
    offset: int
    filesz: int
    flags: int


@dataclass
class ElfImage:
    """What the loader read from an ELF file, checked."""

    path: str
    etype: int
    entry: int
    phoff: int
    phnum: int
    segments: list[Segment]
    phdr_vaddr: int | None
    exec_stack: bool
    data: bytes


def extent(read: Callable[[int, int], bytes], size: int) -> int:
    """How much of a file of `size` bytes `parse` needs: up to the end of
    the program headers and of every PT_LOAD and PT_INTERP segment's file
    bytes, never the sections after them (debug information, or a sparse
    file's gigabytes).  A file that is no usable ELF needs only its first
    64 bytes (parse then says why).  `read(offset, n)` reads the file."""
    head = read(0, 64)
    if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        return min(size, 64)
    phoff = struct.unpack_from("<Q", head, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", head, 54)
    table_end = phoff + phnum * 56
    if phentsize != 56 or phnum == 0 or table_end > size:
        return min(size, max(64, table_end))
    table = read(phoff, phnum * 56)
    end = table_end
    for i in range(len(table) // 56):
        ptype, _flags, off, _vaddr, _paddr, filesz = struct.unpack_from("<IIQQQQ", table, 56 * i)
        if ptype in (PT_LOAD, PT_INTERP):
            end = max(end, off + filesz)
    return min(size, end)


def parse(path: str, data: bytes) -> ElfImage:
    """Check an ELF file and read its program headers; LoadError if unfit."""
    if len(data) == 0:
        raise LoadError(path, "empty file, not an executable")
    if data[:4] != b"\x7fELF":
        if data[:2] == b"#!":
            raise LoadError(path, "is a script; its interpreter line could not be used")
        raise LoadError(path, "not an executable: this is not an ELF file (exec format error)")
    if len(data) < 64:
        raise LoadError(path, f"truncated ELF file: {len(data)} bytes, less than an ELF header")
    if data[4] != 2:
        raise LoadError(path, "a 32-bit ELF file; Violet runs x86-64 (64-bit) programs only")
    if data[5] != 1:
        raise LoadError(path, "a big-endian ELF file; Violet runs x86-64 programs only")
    etype, machine = struct.unpack_from("<HH", data, 16)
    if machine != EM_X86_64:
        name = _MACHINES.get(machine, f"machine {machine}")
        raise LoadError(path, f"built for {name}, not x86-64")
    if etype not in (ET_EXEC, ET_DYN):
        kind = {1: "a relocatable object file (.o)", 4: "a core dump"}.get(etype, f"ELF type {etype}")
        raise LoadError(path, f"{kind}, not an executable")
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    if phnum == 0 or phentsize != 56:
        raise LoadError(path, "malformed ELF file: no usable program headers")
    if phoff + phnum * 56 > len(data):
        raise LoadError(path, "truncated ELF file: program headers lie past the end of the file")

    segments: list[Segment] = []
    phdr_vaddr = None
    exec_stack = False
    for i in range(phnum):
        ptype, flags, off, vaddr, _paddr, filesz, memsz, _align = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
        if ptype == PT_INTERP:
            end = data.find(b"\0", off, off + filesz)
            interp = data[off:end].decode(errors="replace") if off < len(data) else "?"
            raise LoadError(path, f"dynamically linked (interpreter {interp}); Violet runs static binaries only")
        if ptype == PT_PHDR:
            phdr_vaddr = vaddr
        elif ptype == PT_GNU_STACK:
            exec_stack = bool(flags & PF_X)
        elif ptype == PT_LOAD:
            if memsz == 0:
                continue
            if filesz > memsz:
                raise LoadError(path, f"malformed ELF file: segment {i} has more file bytes than memory")
            if off + filesz > len(data):
                raise LoadError(path, f"truncated ELF file: segment {i} lies past the end of the file")
            if vaddr + memsz > STACK_TOP - STACK_SIZE or vaddr + memsz < vaddr:
                raise LoadError(path, f"malformed ELF file: segment {i} does not fit the address space")
            prev = segments[-1] if segments else None
            if prev and page_down(vaddr) < page_down(prev.vaddr + prev.memsz - 1):
                raise LoadError(path, f"malformed ELF file: segment {i} overlaps the one before")
            segments.append(Segment(vaddr, memsz, off, filesz, flags))
    if not segments:
        raise LoadError(path, "malformed ELF file: nothing to load")
    if not any(s.vaddr <= entry < s.vaddr + s.memsz and s.flags & PF_X for s in segments):
        raise LoadError(path, f"malformed ELF file: entry point {entry:#x} is outside every executable segment")
    return ElfImage(path, etype, entry, phoff, phnum, segments, phdr_vaddr, exec_stack, data)


def _prot(flags: int) -> Prot:
    p = Prot.NONE
    if flags & PF_R:
        p |= Prot.READ
    if flags & PF_W:
        p |= Prot.WRITE
    if flags & PF_X:
        p |= Prot.EXEC
    return p


@dataclass
class Loaded:
    entry: int
    sp: int
    brk: int


def load(
    space: AddressSpace,
    image: ElfImage,
    argv: list[bytes],
    envp: list[bytes],
    ids: tuple[int, int, int, int],
    random16: bytes,
    execfn: bytes,
) -> Loaded:
    """Map `image` into an empty `space` and build its initial stack."""
    base = PIE_BASE if image.etype == ET_DYN else 0
    top = 0
    for seg in image.segments:
        start = page_down(base + seg.vaddr)
        end = page_up(base + seg.vaddr + seg.memsz)
        prot = _prot(seg.flags)
        shared_page = space.find(start)
        if shared_page is not None:
            space.protect(start, PAGE, shared_page.prot | prot)
            start += PAGE
        if end > start:
            space.map_anon(start, end - start, prot, name=os.path.basename(image.path), replace=False)
        if seg.filesz:
            space.write(base + seg.vaddr, image.data[seg.offset : seg.offset + seg.filesz], force=True)
        top = max(top, end)

    space.brk_start = space.brk = top
    phdr = image.phdr_vaddr
    if phdr is None:
        first = image.segments[0]
        phdr = first.vaddr - first.offset + image.phoff
    sp = _build_stack(space, image, base, base + phdr, argv, envp, ids, random16, execfn)
    return Loaded(base + image.entry, sp, top)


def _build_stack(
    space: AddressSpace,
    image: ElfImage,
    base: int,
    phdr: int,
    argv: list[bytes],
    envp: list[bytes],
    ids: tuple[int, int, int, int],
    random16: bytes,
    execfn: bytes,
) -> int:
    if sum(len(a) + 1 for a in argv + envp) > MAX_ARG_BYTES:
        raise SyscallError(7, "argument list too long")  # E2BIG
    prot = Prot.READ | Prot.WRITE | (Prot.EXEC if image.exec_stack else Prot.NONE)
    m = space.map_anon(STACK_TOP - STACK_SIZE, STACK_SIZE, prot, name="[stack]", replace=False)
    m.grows_down = True

    # Strings at the top: the executable's name, then argv and envp.
    blob = bytearray()
    pos = STACK_TOP - 16

    def put(s: bytes) -> int:
        nonlocal blob
        blob = bytearray(s + b"\0") + blob
        return pos - len(blob)

    execfn_at = put(execfn)
    arg_at = [put(a) for a in reversed(argv)][::-1]
    env_at = [put(e) for e in reversed(envp)][::-1]
    platform_at = put(b"x86_64")
    random_at = put(random16[:16])  # a NUL follows; only the 16 bytes are read
    strings_start = pos - len(blob)
    space.write(strings_start, bytes(blob))

    uid, euid, gid, egid = ids
    auxv = [
        (AT_PHDR, phdr), (AT_PHENT, 56), (AT_PHNUM, image.phnum), (AT_PAGESZ, PAGE),
        (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, base + image.entry), (AT_UID, uid), (AT_EUID, euid),
        (AT_GID, gid), (AT_EGID, egid), (AT_SECURE, 0), (AT_RANDOM, random_at), (AT_HWCAP, 0x178BFBFF),
        (AT_HWCAP2, 0), (AT_CLKTCK, 100), (AT_PLATFORM, platform_at), (AT_EXECFN, execfn_at), (AT_NULL, 0),
    ]
    words = [len(argv), *arg_at, 0, *env_at, 0]
    for k, v in auxv:
        words += [k, v]
    sp = (strings_start - 8 * len(words)) & ~15
    space.write(sp, struct.pack(f"<{len(words)}Q", *words))
    return sp
