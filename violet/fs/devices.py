"""Device files every program expects: /dev/null, /dev/zero, /dev/urandom,
/dev/random, /dev/tty (when the kernel's stdin is a terminal), and
/dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N."""

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


def device_for(k: Kernel, t: Thread, path: str) -> OpenFile | None:
    """The kernel's own file for a device path, or None for an ordinary path."""
    if path in _DEVICES:
        src, rdev = _DEVICES[path]
        return CharDevice(path, rdev, src)
    fdname = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}.get(path)
    if fdname is None and (path.startswith("/dev/fd/") or path.startswith("/proc/self/fd/")):
        try:
            fdname = int(path.rsplit("/", 1)[1])
        except ValueError:
            raise SyscallError(errno.ENOENT) from None
    if fdname is not None:
        files = t.process.files
        assert files is not None
        return files.get(fdname)
    if path.startswith("/proc"):
        from .procfs import proc_file

        return proc_file(k, t, path)
    if path == "/dev/tty":
        f = k._stdio[0]
        if getattr(f, "is_tty", False):
            return f
        raise SyscallError(errno.ENXIO)
    return None
