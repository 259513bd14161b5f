"""Two properties of the Unicorn engine that Violet's preemption relies on,
measured on the bare engine (no Violet code involved).

    python bench/engine_probe.py

1. The cost of one `emu_start` that returns at once, with and without a
   `timeout`.  With a timeout the engine starts and joins a host thread for
   every call, which every time slice of a multi-threaded guest pays.

2. Whether stopping the engine from outside (the `timeout` watchdog, or
   another thread calling `emu_stop`) leaves a consistent state.  The guest
   loop is `inc rax; inc qword [rbx]; dec rcx; jnz`, resumed at the saved
   RIP after every stop, so at the end rax, the memory word and the number
   of iterations must all agree.  "replayed" counts memory increments beyond
   the iterations: each is a stop after which the engine ran a
   read-modify-write instruction a second time.
"""

from __future__ import annotations

import threading
import time

from unicorn import UC_ARCH_X86, UC_MODE_64, UC_PROT_ALL, Uc
from unicorn.x86_const import UC_X86_INS_SYSCALL, UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RIP
from unicorn.unicorn_const import UC_HOOK_INSN

CODE_AT, DATA_AT = 0x1000, 0x8000
LOOP = bytes.fromhex("48ffc0" "48ff03" "48ffc9")  # inc rax; inc qword [rbx]; dec rcx
LOOP += b"\x75" + bytes([(-(len(LOOP) + 2)) & 0xFF]) + b"\xf4"  # jnz back; hlt


def engine(code: bytes) -> Uc:
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(0, 16 << 20, UC_PROT_ALL)
    uc.mem_write(CODE_AT, code)
    return uc


def start_cost(timeout_us: int, n: int = 2000) -> float:
    """Microseconds per emu_start of a guest that stops at its first syscall."""
    uc = engine(b"\x0f\x05\xf4")  # syscall; hlt
    uc.hook_add(UC_HOOK_INSN, lambda u, _d: u.emu_stop(), None, 1, 0, UC_X86_INS_SYSCALL)
    begun = time.perf_counter()
    for _ in range(n):
        uc.emu_start(CODE_AT, 0, timeout=timeout_us)
    return (time.perf_counter() - begun) / n * 1e6


def replays(how: str, iterations: int = 20_000_000) -> tuple[int, int, int]:
    """Run LOOP to the end under repeated outside stops: (stops, rax error, replayed)."""
    uc = engine(LOOP)
    uc.reg_write(UC_X86_REG_RCX, iterations)
    uc.reg_write(UC_X86_REG_RBX, DATA_AT)
    done = threading.Event()

    def watchdog() -> None:
        while not done.wait(0.002):
            uc.emu_stop()

    if how == "thread":
        threading.Thread(target=watchdog, daemon=True).start()
    pc, stops = CODE_AT, 0
    while uc.reg_read(UC_X86_REG_RCX):
        uc.emu_start(pc, 0, timeout=2000 if how == "timeout" else 0)
        pc = uc.reg_read(UC_X86_REG_RIP)
        stops += 1
    done.set()
    word = int.from_bytes(uc.mem_read(DATA_AT, 8), "little")
    return stops, uc.reg_read(UC_X86_REG_RAX) - iterations, word - iterations


def main() -> None:
    print("1. emu_start that stops at the first syscall:")
    print(f"   without timeout: {start_cost(0):7.1f} us per call")
    print(f"   timeout=10 ms:   {start_cost(10_000):7.1f} us per call")
    print("2. a loop stopped from outside every ~2 ms, resumed at the saved RIP:")
    for how, what in (("timeout", "emu_start(timeout=2000)"), ("thread", "emu_stop() from another thread")):
        stops, rax_err, replayed = replays(how)
        verdict = "consistent" if rax_err == 0 and replayed == 0 else "INCONSISTENT"
        print(f"   {what:31s}: {stops:5d} stops, rax off by {rax_err}, "
              f"memory increments replayed {replayed} -> {verdict}")


if __name__ == "__main__":
    main()
