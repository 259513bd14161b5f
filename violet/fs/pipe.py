"""Pipes in the kernel (pipe(7)), laid out as Linux lays them out.

A pipe holds 16 slots of one page each (64 KiB).  As in Linux's
pipe_write, the tail of a write (its length modulo 4096) first merges into
the last slot when it fits there; the rest takes fresh slots, a page at a
time.  So a write of at most PIPE_BUF bytes goes in whole or not at all
(atomic), the pipe's capacity in small writes is what Linux's is (sixteen
1000-byte slots hold 4000 bytes each, 64000 in all), and a writer sees
POLLOUT while a slot is free.

A read of an empty pipe blocks while a writer exists and returns 0 (EOF)
once none does; a write with no reader fails with EPIPE (the caller sends
SIGPIPE); a write of 0 bytes succeeds even then, as on Linux.  `write`
puts in what fits and returns the count; for a blocking descriptor
fileio's write path waits and writes the rest (`completes_writes`), so the
call returns when everything is in or the reader went away.
"""

from __future__ import annotations

import errno
import itertools
import os
import stat
import struct
import time
from collections import deque
from typing import Callable

from ..errors import SyscallError
from .files import O_RDONLY, O_WRONLY, OpenFile, WouldBlock

PAGE = 4096
PIPE_SLOTS = 16
PIPE_CAPACITY = PIPE_SLOTS * PAGE
PIPE_BUF = 4096
FIONREAD = 0x541B
_ids = itertools.count(1)


class Pipe:
    __slots__ = ("on_change", "id", "buf", "slots", "last_end", "readers", "writers", "ctime", "key")

    def __init__(self, on_change: Callable[[object], None]) -> None:
        self.on_change = on_change  # wakes threads blocked on `key`
        self.id = next(_ids)
        self.buf = bytearray()  # the bytes in the pipe, oldest first
        self.slots: deque[int] = deque()  # bytes left in each used slot, oldest first
        self.last_end = 0  # where in its page the last slot's data ends
        self.readers = 0
        self.writers = 0
        self.ctime = time.time()
        self.key = ("pipe", self.id)

    def put(self, data: bytes) -> int:
        """Append what fits of data, slot by slot; return how much did."""
        n = len(data)
        slots = self.slots
        done = 0
        tail = n & (PAGE - 1)
        if tail and slots and self.last_end + tail <= PAGE:
            self.buf += data[:tail] if tail < n else data
            slots[-1] += tail
            self.last_end += tail
            done = tail
        while done < n and len(slots) < PIPE_SLOTS:
            k = min(PAGE, n - done)
            self.buf += data[done : done + k] if k < n else data
            slots.append(k)
            self.last_end = k
            done += k
        return done

    def take(self, n: int) -> bytes:
        """Remove and return up to n bytes from the front."""
        buf = self.buf
        if n >= len(buf):
            out = bytes(buf)
            buf.clear()
            self.slots.clear()
            self.last_end = 0
            return out
        out = bytes(buf[:n])
        del buf[:n]
        slots = self.slots
        left = n
        while left:
            if slots[0] <= left:
                left -= slots.popleft()
            else:
                slots[0] -= left
                left = 0
        if not slots:
            self.last_end = 0
        return out


class PipeEnd(OpenFile):
    kind = "pipe"
    completes_writes = True  # a short write blocks for the rest (fileio)

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
            if p.writers == 0 or n == 0:
                return b""
            raise WouldBlock(key=p.key)
        if n == 0:
            return b""
        out = p.take(n)
        p.on_change(p.key)
        return out

    def write(self, data: bytes) -> int:
        """Write what fits (all of it for at most PIPE_BUF bytes, or none).
        The rest of a blocking write goes on when a reader makes room: its
        last slot is then full, so, as on Linux, nothing more merges."""
        if not self.is_writer:
            raise SyscallError(errno.EBADF)
        if not data:
            return 0
        p = self.pipe
        if p.readers == 0:
            raise SyscallError(errno.EPIPE)
        n = p.put(data)
        if n == 0:
            raise WouldBlock(key=p.key)
        p.on_change(p.key)
        return n

    def ioctl(self, req: int, arg: object = None) -> bytes | int:
        """FIONREAD, on either end: the bytes in the pipe (Linux's
        pipe_ioctl); anything else is ENOTTY."""
        if req == FIONREAD:
            return struct.pack("<i", len(self.pipe.buf))
        raise SyscallError(errno.ENOTTY)

    def readable_now(self) -> bool:
        return bool(self.pipe.buf) or self.pipe.writers == 0

    def writable_now(self) -> bool:
        return self.pipe.readers == 0 or len(self.pipe.slots) < PIPE_SLOTS

    def poll_state(self) -> tuple[int, object]:
        p = self.pipe
        if self.is_writer:
            if p.readers == 0:
                return 0x8 | 0x4, p.key  # POLLERR | POLLOUT: a write fails at once
            return (0x4 if len(p.slots) < PIPE_SLOTS else 0), p.key
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
