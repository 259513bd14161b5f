"""Preemption without replay: a native block hook and a watchdog thread.

See preempt.c for why the engine's own timeout cannot be used: it may stop
mid-instruction after a store, and the store then happens twice.  Here the
watchdog thread only raises a flag when a slice's deadline passes; the
native block hook stops the engine at the next block boundary.

The hook is compiled once with the guest toolchain (zig cc, a dependency)
into the cache.  Where that fails, `load` returns None and the CPU falls
back to the engine's timeout, with a warning (see Cpu.run).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SOURCE = Path(__file__).with_name("preempt.c")


class Request(ctypes.Structure):
    _fields_ = (("request", ctypes.c_int32), ("unused", ctypes.c_int32), ("stop", ctypes.c_void_p))


def _cache() -> Path:
    from ..cli import cache_dir

    return cache_dir()


def load() -> ctypes.CDLL | None:
    """The compiled hook library, building it on first use; None on failure."""
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source + sys.version.encode()).hexdigest()[:16]
    lib = _cache() / f"preempt-{digest}.so"
    if not lib.exists():
        tmp = lib.with_name(f"{lib.name}.{os.getpid()}.tmp")
        cmd = [sys.executable, "-m", "ziglang", "cc", "-shared", "-fPIC", "-O2", "-nostdlib", str(SOURCE), "-o", str(tmp)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0 or not tmp.exists():
            return None
        os.replace(tmp, lib)
    try:
        return ctypes.CDLL(str(lib))
    except OSError:
        return None


class Watchdog:
    """Raises `request.request` when the armed deadline passes.

    `arm(deadline)` before each engine run, `disarm()` after it.  A request
    raised just after a disarm can stop the next slice early; that costs a
    spurious preemption, never correctness.
    """

    def __init__(self, request: Request) -> None:
        self._request = request
        self._deadline: float | None = None
        self._armed = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float) -> None:
        self._deadline = deadline
        self._request.request = 0
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="violet-watchdog", daemon=True)
            self._thread.start()
        self._armed.set()

    def disarm(self) -> None:
        self._deadline = None

    def _watch(self) -> None:
        while True:
            self._armed.wait()
            self._armed.clear()
            while True:
                deadline = self._deadline
                if deadline is None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    if self._deadline is deadline:
                        self._request.request = 1
                    break
                # Woken early by a new arm(): look at the new deadline.
                if self._armed.wait(min(left, 0.05)):
                    self._armed.clear()
