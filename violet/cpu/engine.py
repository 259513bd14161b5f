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

# The floating-point state of a new Linux process: x87 extended precision,
# round to nearest, every exception masked; SSE likewise.
FPCW_INIT, MXCSR_INIT = 0x037F, 0x1F80

# The general registers in the order Linux's sigcontext keeps them.
GREGS = (R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS)

# Syscall entry reads these in one batch: number, then the six arguments.
_SYSCALL_REGS = (RAX, RDI, RSI, RDX, R10, R8, R9)


class _TlbEntry(ctypes.Structure):
    _fields_ = (("paddr", ctypes.c_uint64), ("perms", ctypes.c_uint32))


_FILL_CFUNC = ctypes.CFUNCTYPE(
    ctypes.c_bool, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int, ctypes.POINTER(_TlbEntry), ctypes.c_void_p
)
_INSN_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_INTR_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)


class Context:
    """One thread's saved register file (a Unicorn context).

    Owned by exactly one Thread; freed with it.  `update` saves the live CPU
    into it without allocating; `restore` loads it back.
    """

    __slots__ = ("_cpu", "_ptr")

    def __init__(self, cpu: Cpu, template: Context | None = None) -> None:
        self._cpu = cpu
        self._ptr = ctypes.c_void_p()
        _check(uclib.uc_context_alloc(cpu.handle, ctypes.byref(self._ptr)))
        # uc_context_alloc leaves the register file uninitialised: start
        # from the engine's reset state (or the given context).
        src = template if template is not None else cpu.pristine
        if src is not None:
            ctypes.memmove(self._ptr, src._ptr, cpu.context_bytes)

    def read(self, reg: int) -> int:
        val = ctypes.c_uint64()
        _check(uclib.uc_context_reg_read(self._ptr, reg, ctypes.byref(val)))
        return val.value

    def write(self, reg: int, value: int) -> None:
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
        self.uc.mem_map(0, phys_size, uc.UC_PROT_ALL)
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
        # Unicorn's reset leaves the x87 control word and MXCSR at 0: x87
        # arithmetic rounded to single precision (printf("%.17g", M_PI)
        # gave 3.1415927410125732) and every exception unmasked.  A new
        # Linux process starts from the FNINIT/default state instead.
        self.write(FPCW, FPCW_INIT)
        self.write(MXCSR, MXCSR_INIT)
        self.pristine: Context | None = None
        pristine = Context(self)
        self.save(pristine)
        self.pristine = pristine

    # Hooks ------------------------------------------------------------

    def _install_hooks(self) -> None:
        fill = _FILL_CFUNC(self._fill)
        syscall = _INSN_CFUNC(self._syscall)
        intr = _INTR_CFUNC(self._interrupt)
        self._hooks += [fill, syscall, intr]
        for kind, fn, extra in (
            (uc.UC_HOOK_TLB_FILL, fill, ()),
            (uc.UC_HOOK_INSN, syscall, (ctypes.c_int(x86.UC_X86_INS_SYSCALL),)),
            (uc.UC_HOOK_INTR, intr, ()),
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
        e = entry[0]
        e.paddr, e.perms = got
        return True

    def _syscall(self, _h, _u):  # type: ignore[no-untyped-def]
        try:
            self.on_syscall()
        except BaseException as exc:
            self._fail(exc)

    def _interrupt(self, _h, intno, _u):  # type: ignore[no-untyped-def]
        try:
            self.on_interrupt(intno)
        except BaseException as exc:
            self._fail(exc)

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
        if self.hook_error is not None:
            exc, self.hook_error = self.hook_error, None
            raise exc
        return int(err)

    def stop(self) -> None:
        """Stop the engine: from a hook (synchronous, exact), or from
        another thread (at the next block boundary, when the hook exists)."""
        if self.watchdog is not None and threading.current_thread() is not threading.main_thread():
            self._preempt_req.request = 1
        else:
            uclib.uc_emu_stop(self.handle)

    def flush_tlb(self) -> None:
        self.uc.ctl(uc.UC_CTL_TLB_FLUSH, uc.UC_CTL_IO_WRITE)

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
        return bytes(self.uc.mem_read(paddr, size))

    def phys_write(self, paddr: int, data: bytes) -> None:
        self.uc.mem_write(paddr, data)


def _check(err: int) -> None:
    if err != uc.UC_ERR_OK:
        raise UcError(err)


def _no_fill(vaddr: int, access: int) -> None:
    return None


def _nothing() -> None:
    return None


def _nothing_int(intno: int) -> None:
    return None
