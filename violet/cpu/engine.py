"""The Unicorn adapter: one x86-64 engine shared by every thread.

The engine runs in virtual-TLB mode over a single physical region at
address 0.  Guest virtual addresses are translated by `on_fill`, a callback
the memory manager installs, which walks Violet's own page tables.  The
syscall instruction traps to `on_syscall`; CPU exceptions (divide error,
int3, general protection) reach `on_interrupt`.

Hot paths go through the raw C library (`uclib`) with preallocated ctypes
buffers: the binding's generic wrappers cost several microseconds a call.
"""

from __future__ import annotations

import ctypes
import mmap
import threading
import time
from typing import Callable

from unicorn import Uc, UcError, unicorn_const as uc
from unicorn import x86_const as x86
from unicorn.unicorn_py3.unicorn import uclib, uc_hook_h

PAGE = 4096

# Access kinds as the fill hook reports them.
ACCESS_READ = uc.UC_MEM_READ
ACCESS_WRITE = uc.UC_MEM_WRITE
ACCESS_FETCH = uc.UC_MEM_FETCH

PROT_R = uc.UC_PROT_READ
PROT_W = uc.UC_PROT_WRITE
PROT_X = uc.UC_PROT_EXEC

RAX, RBX, RCX, RDX = x86.UC_X86_REG_RAX, x86.UC_X86_REG_RBX, x86.UC_X86_REG_RCX, x86.UC_X86_REG_RDX
RSI, RDI, RBP, RSP = x86.UC_X86_REG_RSI, x86.UC_X86_REG_RDI, x86.UC_X86_REG_RBP, x86.UC_X86_REG_RSP
R8, R9, R10, R11 = x86.UC_X86_REG_R8, x86.UC_X86_REG_R9, x86.UC_X86_REG_R10, x86.UC_X86_REG_R11
R12, R13, R14, R15 = x86.UC_X86_REG_R12, x86.UC_X86_REG_R13, x86.UC_X86_REG_R14, x86.UC_X86_REG_R15
RIP, EFLAGS, FS_BASE = x86.UC_X86_REG_RIP, x86.UC_X86_REG_EFLAGS, x86.UC_X86_REG_FS_BASE
GS_BASE = x86.UC_X86_REG_GS_BASE
FPCW, MXCSR = x86.UC_X86_REG_FPCW, x86.UC_X86_REG_MXCSR
FPSW, FPTAG = x86.UC_X86_REG_FPSW, x86.UC_X86_REG_FPTAG

# The floating-point state of a new Linux process: x87 extended precision,
# round to nearest, every exception masked, an empty stack (every tag 11);
# SSE likewise.
FPCW_INIT, MXCSR_INIT, FPTAG_EMPTY = 0x037F, 0x1F80, 0xFFFF

# The general registers in the order Linux's sigcontext keeps them.
GREGS = (R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS)

# Syscall entry reads these in one batch: number, then the six arguments.
_SYSCALL_REGS = (RAX, RDI, RSI, RDX, R10, R8, R9)


class _TlbEntry(ctypes.Structure):
    _fields_ = (("paddr", ctypes.c_uint64), ("perms", ctypes.c_uint32))


# The entry is passed as a plain address: converting it to a POINTER object
# on every fill costs more than writing through from_address.
_FILL_CFUNC = ctypes.CFUNCTYPE(
    ctypes.c_bool, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p
)
_TLB_FLUSH = (uc.UC_CTL_IO_WRITE << 30) | uc.UC_CTL_TLB_FLUSH  # uc_ctl's code for a flush, no arguments
_INSN_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_INTR_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
_IN_CFUNC = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_void_p)
_OUT_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint32, ctypes.c_void_p)
GP_FAULT = 13  # the vector of a general protection fault


class Context:
    """One thread's saved register file (a Unicorn context).

    Owned by exactly one Thread; freed with it.  `update` saves the live CPU
    into it without allocating; `restore` loads it back.
    """

    __slots__ = ("_cpu", "_ptr", "_words")

    def __init__(self, cpu: Cpu, template: Context | None = None) -> None:
        self._cpu = cpu
        self._ptr = ctypes.c_void_p()
        _check(uclib.uc_context_alloc(cpu.handle, ctypes.byref(self._ptr)))
        # uc_context_alloc leaves the register file uninitialised: start
        # from the engine's reset state (or the given context).
        src = template if template is not None else cpu.pristine
        if src is not None:
            ctypes.memmove(self._ptr, src._ptr, cpu.context_bytes)
        # The saved registers as 64-bit words, for those (Cpu.plain_regs)
        # found at a fixed place in it: read and written without a call
        # into the engine.
        self._words = (ctypes.c_uint64 * (cpu.context_bytes // 8)).from_address(self._ptr.value) \
            if cpu.plain_regs else None

    def read(self, reg: int) -> int:
        at = self._cpu.plain_regs.get(reg)
        if at is not None:
            return self._words[at]  # type: ignore[index]
        val = ctypes.c_uint64()
        _check(uclib.uc_context_reg_read(self._ptr, reg, ctypes.byref(val)))
        return val.value

    def write(self, reg: int, value: int) -> None:
        at = self._cpu.plain_regs.get(reg)
        if at is not None:
            self._words[at] = value & 0xFFFFFFFFFFFFFFFF  # type: ignore[index]
            return
        val = ctypes.c_uint64(value & 0xFFFFFFFFFFFFFFFF)
        _check(uclib.uc_context_reg_write(self._ptr, reg, ctypes.byref(val)))

    def free(self) -> None:
        if self._ptr:
            uclib.uc_context_free(self._ptr)
            self._ptr = ctypes.c_void_p()


class Cpu:
    """The emulated processor.

    The kernel sets `on_fill(vaddr, access) -> (paddr, perms) | None`,
    `on_syscall()` and `on_interrupt(intno)` before the first `run`.
    """

    def __init__(self, phys_size: int) -> None:
        self.uc = Uc(uc.UC_ARCH_X86, uc.UC_MODE_64)
        self.handle = self.uc._uch
        self.uc.ctl_set_tlb_mode(uc.UC_TLB_VIRTUAL)
        # Physical memory is a host mapping of our own, given to the engine
        # with uc_mem_map_ptr, so the kernel copies in and out of it by
        # slicing (about 0.3 us) instead of through uc_mem_read/write (3 to
        # 5 us a call).  Committed lazily, as the engine's own would be.
        # Such copies do not invalidate translated code: the kernel flushes
        # it itself when it writes a frame code was translated from
        # (FramePool.code_frames, AddressSpace.write).
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0)
        self.ram = mmap.mmap(-1, phys_size, flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self._ram_base = ctypes.c_char.from_buffer(self.ram)  # pins the mapping while the engine uses it
        _check(uclib.uc_mem_map_ptr(self.handle, 0, phys_size, uc.UC_PROT_ALL, ctypes.addressof(self._ram_base)))
        self.phys_size = phys_size

        self.on_fill: Callable[[int, int], tuple[int, int] | None] = _no_fill
        self.on_syscall: Callable[[], None] = _nothing
        self.on_interrupt: Callable[[int], None] = _nothing_int
        self.hook_error: BaseException | None = None

        n = len(_SYSCALL_REGS)
        self._sys_ids = (ctypes.c_int * n)(*_SYSCALL_REGS)
        self._sys_vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self._sys_vals)
        self._sys_ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])
        self._one = ctypes.c_uint64()
        self._one_ref = ctypes.byref(self._one)
        self._hooks: list[object] = []
        self._install_hooks()
        self._install_preemption()
        self.context_bytes = int(uclib.uc_context_size(self.handle))
        self.plain_regs: dict[int, int] = {}
        # Unicorn's reset leaves the x87 control word and MXCSR at 0: x87
        # arithmetic rounded to single precision (printf("%.17g", M_PI)
        # gave 3.1415927410125732) and every exception unmasked.  A new
        # Linux process starts from the FNINIT/default state instead.
        self.write(FPCW, FPCW_INIT)
        self.write(MXCSR, MXCSR_INIT)
        self.write(FPTAG, FPTAG_EMPTY)  # Unicorn's reset marks all eight registers in use
        self.pristine: Context | None = None
        _enter_user_mode(self)
        pristine = Context(self)
        self.save(pristine)
        self.pristine = pristine
        self.plain_regs = _find_plain_regs(self)

    # Hooks ------------------------------------------------------------

    def _install_hooks(self) -> None:
        fill = _FILL_CFUNC(self._fill)
        syscall = _INSN_CFUNC(self._syscall)
        intr = _INTR_CFUNC(self._interrupt)
        port_in, port_out = _IN_CFUNC(self._port_in), _OUT_CFUNC(self._port_out)
        self._hooks += [fill, syscall, intr, port_in, port_out]
        self._io_trap: Context | None = None
        self._faulted = False  # the interrupt hook ran during this run
        self._exc_at: int | None = None
        self._scratch: Context | None = None
        for kind, fn, extra in (
            (uc.UC_HOOK_TLB_FILL, fill, ()),
            (uc.UC_HOOK_INSN, syscall, (ctypes.c_int(x86.UC_X86_INS_SYSCALL),)),
            (uc.UC_HOOK_INTR, intr, ()),
            (uc.UC_HOOK_INSN, port_in, (ctypes.c_int(x86.UC_X86_INS_IN),)),
            (uc.UC_HOOK_INSN, port_out, (ctypes.c_int(x86.UC_X86_INS_OUT),)),
        ):
            h = uc_hook_h()
            _check(
                uclib.uc_hook_add(
                    self.handle, ctypes.byref(h), kind, ctypes.cast(fn, ctypes.c_void_p),
                    None, ctypes.c_uint64(1), ctypes.c_uint64(0), *extra
                )
            )

    def _install_preemption(self) -> None:
        """State for the native block hook that stops the engine cleanly
        (preempt.py).  The hook itself is added by `enable_preemption`, the
        first time a slice must end on time: until then (a program with one
        thread) no block pays for it."""
        from . import preempt

        self._preempt_req = preempt.Request(0, 0, ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value)
        self.watchdog: preempt.Watchdog | None = None
        self._preempt_tried = False

    def enable_preemption(self) -> bool:
        """Add the block hook (once; translated code is flushed so every
        block calls it).  False where it cannot be built."""
        if self._preempt_tried:
            return self.watchdog is not None
        self._preempt_tried = True
        from . import preempt

        lib = preempt.load()
        if lib is None:
            return False
        h = uc_hook_h()
        fn = ctypes.cast(lib.violet_block_hook, ctypes.c_void_p)
        err = uclib.uc_hook_add(self.handle, ctypes.byref(h), uc.UC_HOOK_BLOCK, fn, ctypes.byref(self._preempt_req),
                                ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err != uc.UC_ERR_OK:
            return False
        self._hooks.append(lib)
        self.flush_code()
        self.watchdog = preempt.Watchdog(self._preempt_req)
        return True

    def _fill(self, _h, vaddr, access, entry, _u):  # type: ignore[no-untyped-def]
        try:
            got = self.on_fill(vaddr, access)
        except BaseException as exc:  # a kernel bug: stop and re-raise outside
            self._fail(exc)
            return False
        if got is None:
            return False
        e = _TlbEntry.from_address(entry)
        e.paddr, e.perms = got
        return True

    def _syscall(self, _h, _u):  # type: ignore[no-untyped-def]
        try:
            self.on_syscall()
        except BaseException as exc:
            self._fail(exc)

    def _interrupt(self, _h, intno, _u):  # type: ignore[no-untyped-def]
        self._faulted = True
        try:
            self.on_interrupt(intno)
        except BaseException as exc:
            self._fail(exc)

    # Port I/O.  Guest code runs at CPL 3, where the CPU refuses in, out,
    # ins and outs (IOPL 0, no I/O bitmap) with #GP, but Unicorn skips that
    # check.  Its port hooks run inside the instruction and cannot stop the
    # rest of the translation block, so the hook saves the registers as
    # they were before it (RIP is the instruction's), then makes whatever
    # the block still does harmless: every translation is flushed and each
    # fill refused (a memory access stops the engine there), syscalls and
    # exceptions ignored.  `run` then restores the registers and reports a
    # general protection fault (vector 13) at the instruction.

    def _port_in(self, _h, _port, _size, _u):  # type: ignore[no-untyped-def]
        self._begin_io_trap()
        return 0

    def _port_out(self, _h, _port, _size, _value, _u):  # type: ignore[no-untyped-def]
        self._begin_io_trap()

    def _begin_io_trap(self) -> None:
        if self._io_trap is not None:
            return
        try:
            ctx = Context(self)
            self.save(ctx)
        except BaseException as exc:
            self._fail(exc)
            return
        self._io_trap = ctx
        self._io_hooks = (self.on_fill, self.on_syscall, self.on_interrupt)
        self.on_fill, self.on_syscall, self.on_interrupt = _no_fill, _nothing, _nothing_int
        self.flush_tlb()
        uclib.uc_emu_stop(self.handle)

    def _end_io_trap(self) -> None:
        ctx, self._io_trap = self._io_trap, None
        assert ctx is not None
        self.on_fill, self.on_syscall, self.on_interrupt = self._io_hooks
        self.restore(ctx)
        ctx.free()
        self.flush_tlb()
        self.on_interrupt(GP_FAULT)

    def _fail(self, exc: BaseException) -> None:
        if self.hook_error is None:
            self.hook_error = exc
        uclib.uc_emu_stop(self.handle)

    # Running ------------------------------------------------------------

    def run(self, pc: int, timeout_us: int = 0) -> int:
        """Run from `pc` until a stop, or about `timeout_us` (0: no limit);
        return the Unicorn error code (0 = OK).

        The time limit is enforced by the watchdog and the native block
        hook, which stop at a block boundary; only where the hook could not
        be built does the engine's own timeout serve (it may replay a store:
        see preempt.c).  A hook that raised is re-raised here.
        """
        if timeout_us and not self._preempt_tried:
            self.enable_preemption()
        dog = self.watchdog
        if dog is not None:
            if timeout_us:
                dog.arm(time.monotonic() + timeout_us / 1e6)
            err = uclib.uc_emu_start(self.handle, pc, 0, 0, 0)
            if timeout_us:
                dog.disarm()
        else:
            err = uclib.uc_emu_start(self.handle, pc, 0, timeout_us, 0)
        if self._io_trap is not None:  # first: the hooks it set aside must come back even if a hook raised
            self._end_io_trap()
            if self.hook_error is None:
                return 0
        if self.hook_error is not None:
            exc, self.hook_error = self.hook_error, None
            raise exc
        if err or self._faulted:
            self._faulted = False
            self._clear_exception()
        return int(err)

    def _clear_exception(self) -> None:
        """After a fault: the engine no longer delivers one (see
        _find_exception_word), so the next is not a double fault."""
        at = self._exc_at
        if at is None:
            return
        ctx = self._scratch
        if ctx is None:
            ctx = self._scratch = Context(self)
        self.save(ctx)
        ctypes.c_int32.from_address(ctx._ptr.value + at).value = -1
        self.restore(ctx)

    def stop(self) -> None:
        """Stop the engine: from a hook (synchronous, exact), or from
        another thread (at the next block boundary, when the hook exists)."""
        if self.watchdog is not None and threading.current_thread() is not threading.main_thread():
            self._preempt_req.request = 1
        else:
            uclib.uc_emu_stop(self.handle)

    def flush_tlb(self) -> None:
        _check(uclib.uc_ctl(self.handle, _TLB_FLUSH))

    def flush_code(self) -> None:
        self.uc.ctl_flush_tb()

    # Registers ----------------------------------------------------------

    def syscall_args(self) -> tuple[int, int, int, int, int, int, int]:
        """RAX and the six argument registers, in one engine call."""
        uclib.uc_reg_read_batch(self.handle, self._sys_ids, self._sys_ptrs, 7)
        v = self._sys_vals
        return (v[0], v[1], v[2], v[3], v[4], v[5], v[6])

    def read(self, reg: int) -> int:
        uclib.uc_reg_read(self.handle, reg, self._one_ref)
        return self._one.value

    def write(self, reg: int, value: int) -> None:
        self._one.value = value & 0xFFFFFFFFFFFFFFFF
        uclib.uc_reg_write(self.handle, reg, self._one_ref)

    def save(self, ctx: Context) -> None:
        _check(uclib.uc_context_save(self.handle, ctx._ptr))

    def restore(self, ctx: Context) -> None:
        _check(uclib.uc_context_restore(self.handle, ctx._ptr))

    # Physical memory ----------------------------------------------------

    def phys_read(self, paddr: int, size: int) -> bytes:
        if paddr < 0 or size < 0 or paddr + size > self.phys_size:
            raise UcError(uc.UC_ERR_READ_UNMAPPED)
        return self.ram[paddr : paddr + size]

    def phys_write(self, paddr: int, data: bytes) -> None:
        end = paddr + len(data)
        if paddr < 0 or end > self.phys_size:
            raise UcError(uc.UC_ERR_WRITE_UNMAPPED)
        self.ram[paddr:end] = data


def _find_plain_regs(cpu: Cpu) -> dict[int, int]:
    """Where RIP and the general registers sit in a saved context, as word
    indices: those the engine stores as plain 64-bit words (a sentinel
    written with uc_context_reg_write shows up at exactly one aligned word,
    and a word written there reads back through uc_context_reg_read).
    Registers whose writes do more (flags, segment bases) are not among
    them; an engine that lays contexts out otherwise gets {} and the API."""
    probe = Context(cpu)
    try:
        if cpu.context_bytes % 8 or probe._ptr.value % 8:
            return {}
        words = (ctypes.c_uint64 * (cpu.context_bytes // 8)).from_address(probe._ptr.value)
        found: dict[int, int] = {}
        for n, reg in enumerate(GREGS[:-1]):  # every general register and RIP, not EFLAGS
            mark = 0x5A17_0000_0000_0000 | (n << 16) | 0xC0DE
            val = ctypes.c_uint64(mark)
            if uclib.uc_context_reg_write(probe._ptr, reg, ctypes.byref(val)) != uc.UC_ERR_OK:
                return {}
            hits = [i for i in range(len(words)) if words[i] == mark]
            if len(hits) != 1:
                return {}
            words[hits[0]] = mark ^ 0xFFFF_0000
            back = ctypes.c_uint64()
            if uclib.uc_context_reg_read(probe._ptr, reg, ctypes.byref(back)) != uc.UC_ERR_OK or back.value != mark ^ 0xFFFF_0000:
                return {}
            found[reg] = hits[0]
        return found
    finally:
        probe.free()


# User mode --------------------------------------------------------------
#
# Guest code runs at privilege level 3, as on Linux, so that hlt, cli, sti,
# rdmsr/wrmsr, moves to control and debug registers, lgdt/lidt, ltr,
# swapgs, invlpg, clts, wbinvd fault with #GP (vector 13, a SIGSEGV) instead
# of running (Unicorn starts at CPL 0).  The engine enters CPL 3 once, at
# boot, by an iretq from a trampoline through a GDT with Linux's user
# segments (CS 0x33, SS 0x2b); every context is saved from it afterwards
# (the pristine one included), so every thread stays there.  The
# trampoline, its stack and the GDT live in two pages above the kernel's
# physical memory, unmapped again once done, and the GDT register is then
# emptied (limit 0): loading any selector but 0 is a #GP, so no guest can
# reach a descriptor of its own making (a call gate would lead to CPL 0).
# Linux lets a program load its user selectors; here that is a SIGSEGV.
# Syscalls reach the hook as before, and FS base writes (arch_prctl,
# wrfsbase) are unaffected.

USER_CS, USER_SS = 0x33, 0x2B
_GDT = (
    0,
    0x00CF9B000000FFFF,  # 0x08 kernel code, 32-bit
    0x00AF9B000000FFFF,  # 0x10 kernel code, 64-bit
    0x00CF93000000FFFF,  # 0x18 kernel data
    0x00CFFB000000FFFF,  # 0x23 user code, 32-bit
    0x00CFF3000000FFFF,  # 0x2b user data
    0x00AFFB000000FFFF,  # 0x33 user code, 64-bit
)  # the accessed bits are set: loading a segment writes nothing back
_BOOT_VA, _GDT_VA = 0x1000, 0xFFFF_FFFF_FF5F_E000
_IRETQ, _HLT = b"\x48\xcf", b"\xf4"


def _enter_user_mode(cpu: Cpu) -> None:
    gdt_pa, boot_pa = cpu.phys_size, cpu.phys_size + PAGE
    cpu.uc.mem_map(gdt_pa, 2 * PAGE, uc.UC_PROT_ALL)
    pages = {_GDT_VA >> 12: gdt_pa, _BOOT_VA >> 12: boot_pa}

    def boot_fill(vaddr: int, access: int) -> tuple[int, int] | None:
        pa = pages.get(vaddr >> 12)
        return None if pa is None else (pa | (vaddr & (PAGE - 1)), PROT_R | PROT_W | PROT_X)

    land = _BOOT_VA + len(_IRETQ)
    frame = _BOOT_VA + PAGE // 2
    cpu.uc.mem_write(gdt_pa, b"".join(d.to_bytes(8, "little") for d in _GDT))
    cpu.uc.mem_write(boot_pa, _IRETQ + _HLT + _HLT)
    cpu.uc.mem_write(boot_pa + PAGE // 2, b"".join(
        v.to_bytes(8, "little") for v in (land, USER_CS, 0x2, 0, USER_SS)))  # RIP, CS, RFLAGS, RSP, SS
    cpu.uc.reg_write(x86.UC_X86_REG_GDTR, (0, _GDT_VA, 8 * len(_GDT) - 1, 0))
    saved, cpu.on_fill = cpu.on_fill, boot_fill
    try:
        cpu.write(RSP, frame)
        cpu.uc.emu_start(_BOOT_VA, land)
        cpu._exc_at = _find_exception_word(cpu, land)
    finally:
        cpu.on_fill = saved
        cpu.flush_tlb()
        cpu.flush_code()
        cpu.uc.mem_unmap(gdt_pa, 2 * PAGE)
    if cpu.uc.reg_read(x86.UC_X86_REG_CS) != USER_CS or cpu.uc.reg_read(x86.UC_X86_REG_SS) != USER_SS:
        raise RuntimeError("the engine did not enter user mode (CPL 3)")
    cpu.uc.reg_write(x86.UC_X86_REG_GDTR, (0, 0, 0, 0))
    cpu.write(RSP, 0)
    cpu.write(RIP, 0)


def _find_exception_word(cpu: Cpu, hlt_at: int) -> int | None:
    """Where a saved context keeps the engine's "exception being
    delivered" (QEMU's old_exception): the byte offset of the int32 that
    reads -1 before a #GP and 13 after it.  Unicorn hands faults to the
    interrupt hook without delivering them, so that word is never reset: a
    second #GP (or divide error, or page fault) became a double fault
    (vector 8) and a third shut the CPU down, every later run returning at
    once.  `Cpu.run` resets it after each fault.  None if not found.

    Runs at CPL 3 at `hlt_at`, where two hlt instructions are."""
    got: list[int] = []
    saved_int, cpu.on_interrupt = cpu.on_interrupt, lambda n: (got.append(n), uclib.uc_emu_stop(cpu.handle))
    before, after = Context(cpu), Context(cpu)
    try:
        cpu.save(before)
        cpu.uc.emu_start(hlt_at, 0)
        cpu.save(after)
        n = cpu.context_bytes
        a = ctypes.string_at(before._ptr.value, n)
        b = ctypes.string_at(after._ptr.value, n)
        hits = [off for off in range(0, n - 3, 4)
                if a[off:off + 4] == b"\xff\xff\xff\xff" and b[off:off + 4] == (GP_FAULT).to_bytes(4, "little")]
        if got != [GP_FAULT] or len(hits) != 1:
            return None
        # Check: with the word reset, the next #GP is a #GP again.
        ctypes.c_int32.from_address(after._ptr.value + hits[0]).value = -1
        cpu.restore(after)
        got.clear()
        cpu.uc.emu_start(hlt_at + 1, 0)
        return hits[0] if got == [GP_FAULT] else None
    finally:
        cpu.on_interrupt = saved_int
        cpu.restore(before)
        before.free()
        after.free()


def _check(err: int) -> None:
    if err != uc.UC_ERR_OK:
        raise UcError(err)


def _no_fill(vaddr: int, access: int) -> None:
    return None


def _nothing() -> None:
    return None


def _nothing_int(intno: int) -> None:
    return None
