"""Pipes in the kernel (pipe(7)): a 64 KiB buffer between two ends.

Writes of at most PIPE_BUF bytes are atomic; a read of an empty pipe blocks
while a writer exists and returns 0 (EOF) once none does; a write with no
reader fails with EPIPE (and the writer gets SIGPIPE).
"""

from __future__ import annotations

import errno
import itertools
import os
import stat
import time
from typing import Callable

from ..errors import SyscallError
from .files import O_RDONLY, O_WRONLY, OpenFile, WouldBlock

PIPE_CAPACITY = 65536
PIPE_BUF = 4096
_ids = itertools.count(1)


class Pipe:
    def __init__(self, on_change: Callable[[object], None]) -> None:
        self.on_change = on_change  # wakes threads blocked on `key`
        self.id = next(_ids)
        self.buf = bytearray()
        self.readers = 0
        self.writers = 0
        self.ctime = time.time()

    @property
    def key(self) -> tuple[str, int]:
        return ("pipe", self.id)


class PipeEnd(OpenFile):
    kind = "pipe"

    def __init__(self, pipe: Pipe, write: bool) -> None:
        super().__init__(O_WRONLY if write else O_RDONLY, f"pipe:[{pipe.id}]")
        self.pipe = pipe
        self.is_writer = write
        if write:
            pipe.writers += 1
        else:
            pipe.readers += 1

    def read(self, n: int) -> bytes:
        if self.is_writer:
            raise SyscallError(errno.EBADF)
        p = self.pipe
        if not p.buf:
            if p.writers == 0:
                return b""
            raise WouldBlock(key=p.key)
        out = bytes(p.buf[:n])
        del p.buf[:n]
        p.on_change(p.key)
        return out

    def write(self, data: bytes) -> int:
        if not self.is_writer:
            raise SyscallError(errno.EBADF)
        p = self.pipe
        if p.readers == 0:
            raise SyscallError(errno.EPIPE)
        room = PIPE_CAPACITY - len(p.buf)
        if room <= 0 or (len(data) <= PIPE_BUF and room < len(data)):
            raise WouldBlock(key=p.key)
        n = min(room, len(data))
        p.buf += data[:n]
        p.on_change(p.key)
        return n

    def readable_now(self) -> bool:
        return bool(self.pipe.buf) or self.pipe.writers == 0

    def writable_now(self) -> bool:
        return self.pipe.readers == 0 or len(self.pipe.buf) < PIPE_CAPACITY

    def poll_state(self) -> tuple[int, object]:
        p = self.pipe
        if self.is_writer:
            if p.readers == 0:
                return 0x8 | 0x4, p.key  # POLLERR | POLLOUT: a write fails at once
            return (0x4 if PIPE_CAPACITY - len(p.buf) >= PIPE_BUF else 0), p.key
        mask = 0x1 if p.buf else 0
        if p.writers == 0:
            mask |= 0x10  # POLLHUP
        return mask, p.key

    def close(self) -> None:
        if self.is_writer:
            self.pipe.writers -= 1
        else:
            self.pipe.readers -= 1
        self.pipe.on_change(self.pipe.key)

    def stat(self) -> os.stat_result:
        t = self.pipe.ctime
        return os.stat_result((stat.S_IFIFO | 0o600, self.pipe.id, 12, 1, os.getuid(), os.getgid(), len(self.pipe.buf), t, t, t))
