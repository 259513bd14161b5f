"""`--trace`: one strace-like line per syscall, from the dispatcher.

    [pid/tid] name(args) = result
    [pid/tid] name(args) = -1 ENOENT (No such file or directory)
    [pid/tid] name(args) <blocked: reason>

Kernel events (process creation, exec, exit, cascade kills, thread exits,
denials) appear in the same stream, prefixed with `---`.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread
    from ..syscalls.table import Syscall

_STRING_ARGS = {"open": (0,), "openat": (1,), "execve": (0,), "stat": (0,), "lstat": (0,), "newfstatat": (1,),
                "access": (0,), "faccessat": (1,), "unlink": (0,), "unlinkat": (1,), "mkdir": (0,), "chdir": (0,),
                "readlink": (0,), "readlinkat": (1,), "rename": (0, 1), "rmdir": (0,), "creat": (0,)}
_NARGS = {"exit": 1, "exit_group": 1, "getpid": 0, "gettid": 0, "getppid": 0, "fork": 0, "vfork": 0,
          "brk": 1, "close": 1, "write": 3, "read": 3, "writev": 3, "readv": 3, "mmap": 6, "munmap": 2,
          "mprotect": 3, "wait4": 4, "kill": 2, "clone": 5, "futex": 6, "set_tid_address": 1, "arch_prctl": 2,
          "ioctl": 3, "rt_sigaction": 4, "rt_sigprocmask": 4, "execve": 3, "pipe2": 2, "dup2": 2, "openat": 4}


def _decode(k: Kernel, t: Thread, entry: Syscall, args: tuple[int, ...]) -> str:
    n = _NARGS.get(entry.name, 3)
    out = []
    strings = _STRING_ARGS.get(entry.name, ())
    space = t.process.space
    for i in range(n):
        a = args[i]
        if i in strings and space is not None:
            try:
                s = space.read_cstr(a, 256)
                out.append(repr(os.fsdecode(s))[:80].replace("'", '"'))
                continue
            except Exception:  # an unreadable pointer is shown as a number
                pass
        if entry.name in ("write",) and i == 1 and space is not None:
            try:
                data = space.read(a, min(args[2], 32))
                text = repr(data)[2:-1]
                out.append(f'"{text}"' + ("..." if args[2] > 32 else ""))
                continue
            except Exception:  # see above
                pass
        if a >= 1 << 63:
            out.append(str(a - (1 << 64)))  # a negative argument: -1, AT_FDCWD
        else:
            out.append(str(a) if a < 4096 else hex(a))
    return ", ".join(out)


CLASSES = ("process", "memory", "file", "signal", "thread", "time", "events")


def check_filter(filt: str) -> None:
    """UsageError for a --trace-filter word that is neither a class nor a syscall."""
    from ..errors import UsageError
    from ..syscalls.table import load_all

    names = {e.name for e in load_all().values()}
    for word in (w.strip() for w in filt.split(",")):
        if word not in CLASSES and word not in names:
            raise UsageError(f"--trace-filter: {word!r} is neither a class ({', '.join(CLASSES)}) nor a syscall")


def attach_tracer(k: Kernel, path: str | None, filt: str | None) -> IO[str]:
    """Trace k's syscalls and events to `path` (stderr if None); returns the
    stream, which the caller closes after the run when it is a file."""
    try:
        stream: IO[str] = open(path, "w") if path else sys.stderr  # noqa: SIM115 (closed by the caller)
    except OSError as e:
        from ..errors import UsageError

        raise UsageError(f"cannot write trace file {path}: {e.strerror}") from None
    wanted = {w.strip() for w in filt.split(",")} if filt else None

    def on_syscall(t: Thread, entry: Syscall, args: tuple[int, ...], result: int | None, note: str | None) -> None:
        if wanted is not None and entry.cls not in wanted and entry.name not in wanted:
            return
        if note == "resumed":
            head = f"[{t.process.pid}/{t.tid}] <... {entry.name} resumed>"
        else:
            head = f"[{t.process.pid}/{t.tid}] {entry.name}({_decode(k, t, entry, args)})"
        if result is None:
            line = f"{head} <{note}>"
        elif -4096 < result < 0:
            e = -result
            line = f"{head} = -1 {errno.errorcode.get(e, e)} ({os.strerror(e)})"
        else:
            line = f"{head} = {hex(result) if result > 65535 else result}"
        stream.write(line + "\n")

    def on_event(kind: str, f: dict[str, Any]) -> None:
        if kind in ("block", "wake", "slice"):
            return
        if wanted is not None and "events" not in wanted and "process" not in wanted:
            return
        desc = ", ".join(f"{k2}={_show(v)}" for k2, v in f.items())
        stream.write(f"--- {kind}: {desc}\n")

    k.events.subscribe_syscalls(on_syscall)
    k.events.subscribe(on_event)
    return stream


def trace_cow(k: Kernel) -> None:
    """Emit a `cow` event (process, address) for every copy-on-write copy."""

    def on_cow(space: object, va: int) -> None:
        owner = next((p for p in k.procs.values() if p.space is space), None)
        k.events.emit("cow", proc=owner, addr=hex(va & ~0xFFF))

    k.pool.on_cow = on_cow


def _show(v: Any) -> str:
    from ..kernel.task import Process, Thread

    if isinstance(v, Process):
        return f"{v.name}[{v.pid}]"
    if isinstance(v, Thread):
        return f"{v.process.pid}/{v.tid}"
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return str(v)
