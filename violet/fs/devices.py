"""Device files every program expects: /dev/null, /dev/zero, /dev/urandom,
/dev/random, /dev/tty (when the kernel's stdin is a terminal), and the
links into /proc (procfs.py): /dev/fd -> /proc/self/fd, /dev/stdin,
/dev/stdout, /dev/stderr -> /proc/self/fd/0, 1, 2."""

from __future__ import annotations

import errno
import os
import stat
import time
from typing import TYPE_CHECKING

from ..errors import SyscallError
from .files import O_RDWR, OpenFile

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread


class CharDevice(OpenFile):
    kind = "device"

    def __init__(self, name: str, rdev: int, source: str) -> None:
        super().__init__(O_RDWR, name)
        self.rdev = rdev
        self.source = source

    def read(self, n: int) -> bytes:
        if self.source == "null":
            return b""
        if self.source == "zero":
            return bytes(n)
        return os.urandom(n)

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, off: int, whence: int) -> int:
        return 0

    def stat(self) -> os.stat_result:
        now = time.time()
        return os.stat_result((stat.S_IFCHR | 0o666, 0, 0, 1, 0, 0, 0, now, now, now))


_DEVICES = {"/dev/null": ("null", 0x103), "/dev/zero": ("zero", 0x105), "/dev/urandom": ("urandom", 0x109),
            "/dev/random": ("urandom", 0x108)}


def device_for(k: Kernel, t: Thread, path: str, flags: int = 0, dirfd: int = -100, mode: int = 0) -> OpenFile | None:
    """The kernel's own file for a device or /proc path (`dirfd` as openat's),
    or None for an ordinary path.  /dev/fd/N and /proc/self/fd/N open the
    descriptor's file again, as Linux does (procfs.reopen)."""
    if path in _DEVICES:
        src, rdev = _DEVICES[path]
        return CharDevice(path, rdev, src)
    from .procfs import open_path

    got = open_path(k, t, dirfd, path, flags, mode)
    if got is not None:
        return got
    if path == "/dev/tty":
        f = k._stdio[0]
        if getattr(f, "is_tty", False):
            return f
        raise SyscallError(errno.ENXIO)
    return None
