"""/proc as a guest sees it, generated from the kernel's own tables.

The tree (every directory can be listed with getdents64, every entry
stat'ed, every link read with readlink):

    /proc/                 one directory per process (live or zombie), self,
                           thread-self, cpuinfo, loadavg, meminfo, mounts,
                           stat, sys/, uptime, version
    /proc/<pid>/           cmdline comm cwd environ exe fd/ limits maps mounts root
                           smaps smaps_rollup stat statm status task/
    /proc/<pid>/task/<tid>/  the same for one thread (without task/)
    /proc/<pid>/fd/<n>     a link per descriptor: the file's path,
                           pipe:[N], /dev/null, ...; opening it opens the
                           same file again (a new open file description)
    /proc/sys/kernel/      core_pattern hostname osrelease ostype pid_max
    /proc/sys/vm/          max_map_count overcommit_memory

`/dev/fd` is a link to /proc/self/fd, and /dev/stdin, /dev/stdout and
/dev/stderr to /proc/self/fd/0, 1 and 2, as on Linux.

A path is the guest's /proc when it is spelled `/proc...` (or is relative
and lands there from the cwd or a /proc directory descriptor); other
spellings (`//proc`) reach the host's /proc through the sandbox root,
where Violet's own process is out of reach (vfs.py).

Files are generated when opened.  Nothing here is writable except
/proc/<pid>/comm of the caller's own process (as Linux); core_pattern reads
"core" and is EACCES to write even for a guest root: it would be one
setting for every application of the kernel, and Violet writes no cores.
Another user's environ, maps, smaps, smaps_rollup, fd/, exe, cwd and root
are EACCES, as Linux's ptrace access check (status, stat, statm, cmdline
and comm stay public).
"""

from __future__ import annotations

import errno
import math
import os
import posixpath
import stat as st
import time
import zlib
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import SyscallError
from ..kernel.task import ProcState, ThreadState
from .files import (
    O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
    OpenFile,
)

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Process, Thread
    from ..mm.space import AddressSpace

AT_FDCWD = -100
CLK_TCK = 100  # sysconf(_SC_CLK_TCK): the unit of stat's times
PROC_DEV = os.makedev(0, 22)
RLIM_INFINITY = (1 << 64) - 1
CORE_PATTERN = "core"

DT_DIR, DT_REG, DT_LNK = 4, 8, 10

_TOP_FILES = ("cpuinfo", "loadavg", "meminfo", "stat", "uptime", "version")
_TOP_LINKS = ("mounts", "self", "thread-self")
_SYS = {
    "kernel": ("core_pattern", "hostname", "osrelease", "ostype", "pid_max"),
    "vm": ("max_map_count", "overcommit_memory"),
}
_PID_FILES = ("cmdline", "comm", "environ", "limits", "maps", "mounts", "smaps", "smaps_rollup", "stat", "statm",
              "status")
_PID_LINKS = ("cwd", "exe", "root")
_PRIVATE = ("environ", "maps", "smaps", "smaps_rollup", "fd", "cwd", "exe", "root")  # ptrace-checked
# Entry points outside /proc that are links into it.
_DEV_LINKS = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1",
              "/dev/stderr": "/proc/self/fd/2"}
MAX_HOPS = 8


# Nodes ------------------------------------------------------------------------------


@dataclass
class Node:
    """One entry of the tree.  `kind` is "dir", "file" or "link"; `what`
    names it within its process directory ("status", "fd", "fd/3", "task")
    or at the top ("/", "meminfo", "sys/kernel/pid_max", "self")."""

    kind: str
    path: str
    what: str
    proc: Process | None = None
    thread: Thread | None = None  # a task/<tid> (or /proc/<tid>) directory's thread
    fd: int = -1


@dataclass
class Outside:
    """A link followed out of /proc: a guest path (exe, cwd, root, a
    directory descriptor's path) or an open file (fd/N)."""

    guest: str | None = None
    file: OpenFile | None = None


def _is_proc(path: str) -> bool:
    return path == "/proc" or path in _DEV_LINKS or path.startswith(("/proc/", "/dev/fd/"))


def proc_path(k: Kernel, t: Thread, dirfd: int, path: str) -> str | None:
    """The normalised guest path when (dirfd, path) names something of this
    tree, else None (an ordinary path, for the sandbox root)."""
    if not path:
        return None
    if path.startswith("/"):
        if not _is_proc(path):
            return None
        if path.startswith("/dev/fd/"):  # /dev/fd/.. is /proc/self
            path = "/proc/self/fd/" + path[len("/dev/fd/"):]
        full = path  # ".." is taken while walking: after a link, it leaves the link's target
    else:
        base = t.process.cwd
        fd = dirfd & 0xFFFFFFFF
        if fd != AT_FDCWD & 0xFFFFFFFF:
            files = t.process.files
            f = files.fds.get(fd, (None,))[0] if files is not None else None
            if not isinstance(f, ProcDir):
                return None  # the caller's own dirfd rules apply (EBADF, ENOTDIR, a host directory)
            base = f.path
        full = base.rstrip("/") + "/" + path
        if not _is_proc(full):
            full = posixpath.normpath(full)  # ../proc/self from elsewhere
            if full.startswith("//"):
                full = full[1:]
    return full if _is_proc(full) else None


def _split(path: str) -> list[str]:
    return [c for c in path.split("/")[2:] if c]


def _root() -> Node:
    return Node("dir", "/proc", "/")


def _child(k: Kernel, t: Thread, node: Node, name: str) -> Node | None:
    """The entry `name` of directory `node`, or None."""
    path = f"{node.path}/{name}"
    w = node.what
    if w == "/":
        if name in _TOP_FILES:
            return Node("file", path, name)
        if name in _TOP_LINKS:
            return Node("link", path, name)
        if name == "sys":
            return Node("dir", path, "sys")
        if name.isdigit() and name == str(int(name)):
            n = int(name)
            p = k.procs.get(n)
            if p is not None:
                return Node("dir", path, "pid", p)
            th = k.threads.get(n)
            if th is not None and th.alive and th.process.pid in k.procs:
                return Node("dir", path, "pid", th.process, th)  # /proc/<tid>: hidden, but there (Linux)
        return None
    if w == "sys":
        return Node("dir", path, f"sys/{name}") if name in _SYS else None
    if w.startswith("sys/"):
        return Node("file", path, f"{w}/{name}") if name in _SYS[w[4:]] else None
    p = node.proc
    assert p is not None
    if w == "pid":
        if name in _PID_FILES:
            return Node("file", path, name, p, node.thread)
        if name in _PID_LINKS:
            return Node("link", path, name, p, node.thread)
        if name == "fd":
            return Node("dir", path, "fd", p, node.thread)
        if name == "task" and node.thread is None:
            return Node("dir", path, "task", p)
        return None
    if w == "task":
        if not name.isdigit():
            return None
        th = next((x for x in p.threads if x.tid == int(name) and x.alive), None)
        return Node("dir", path, "pid", p, th) if th is not None and name == str(th.tid) else None
    if w == "fd":
        _check_peek(t, p)
        if not name.isdigit() or p.files is None or int(name) not in p.files.fds or name != str(int(name)):
            return None
        return Node("link", path, "fd/N", p, node.thread, int(name))
    return None


def _entries(k: Kernel, t: Thread, node: Node) -> list[tuple[str, int]]:
    """(name, d_type) of a directory's entries, "." and ".." first."""
    out = [(".", DT_DIR), ("..", DT_DIR)]
    w = node.what
    if w == "/":
        out += [(n, DT_REG) for n in _TOP_FILES] + [(n, DT_LNK) for n in _TOP_LINKS] + [("sys", DT_DIR)]
        out += [(str(pid), DT_DIR) for pid in sorted(k.procs)]
    elif w == "sys":
        out += [(n, DT_DIR) for n in _SYS]
    elif w.startswith("sys/"):
        out += [(n, DT_REG) for n in _SYS[w[4:]]]
    elif w == "pid":
        names = sorted(_PID_FILES + _PID_LINKS + ("fd",) + (("task",) if node.thread is None else ()))
        out += [(n, DT_LNK if n in _PID_LINKS else DT_DIR if n in ("fd", "task") else DT_REG) for n in names]
    elif w == "task":
        assert node.proc is not None
        out += [(str(th.tid), DT_DIR) for th in node.proc.threads if th.alive]
    elif w == "fd":
        assert node.proc is not None
        _check_peek(t, node.proc)
        files = node.proc.files
        if files is not None:
            out += [(str(fd), DT_LNK) for fd in sorted(files.fds)]
    return out


def _check_peek(t: Thread, p: Process) -> None:
    """As Linux's ptrace_may_access: another user's environment (its
    secrets), memory layout and descriptors are not for reading."""
    me = t.process.user.uid
    if p.user.uid != me and me != 0:
        raise SyscallError(errno.EACCES)


def _walk(k: Kernel, t: Thread, path: str, follow: bool, want_dir: bool = False) -> Node | Outside:
    """Resolve a normalised path of the tree; links on the way are followed
    (the last one only when `follow`, or when the path named a directory
    with a trailing slash: `want_dir`, ENOTDIR for anything else)."""
    got = _walk_path(k, t, path, follow or want_dir)
    if want_dir:
        if isinstance(got, Node) and got.kind != "dir":
            raise SyscallError(errno.ENOTDIR)
        if isinstance(got, Outside) and got.file is not None:
            from .hostfile import HostFile

            if not (isinstance(got.file, HostFile) and st.S_ISDIR(got.file.stat().st_mode)):
                raise SyscallError(errno.ENOTDIR)
    return got


def _walk_path(k: Kernel, t: Thread, path: str, follow: bool) -> Node | Outside:
    hops = 0
    if path in _DEV_LINKS or path.startswith("/dev/fd/"):
        top, rest = ("/dev/fd", path[len("/dev/fd"):]) if path.startswith("/dev/fd") else (path, "")
        if not rest and not follow:
            return Node("link", path, "dev")
        path = _DEV_LINKS[top] + rest
    comps = _split(path)
    stack = [_root()]  # the directories walked, for ".." (taken after a link is followed, as Linux does)
    i = 0
    while True:
        node = stack[-1]
        if node.kind == "link" and (i < len(comps) or follow):
            hops += 1
            if hops > MAX_HOPS:
                raise SyscallError(errno.ELOOP)
            target = _follow(k, t, node)
            rest = comps[i:]
            if isinstance(target, str):  # within the tree
                comps = _split(target) + rest
                stack, i = [_root()], 0
                continue
            if not rest:
                return target
            if target.guest is None:
                from .hostfile import HostFile

                f = target.file
                if not (isinstance(f, HostFile) and st.S_ISDIR(f.stat().st_mode)):
                    raise SyscallError(errno.ENOTDIR)
                target.guest = k.vfs.guest_path(f.host_path)
            return Outside(guest=posixpath.join(target.guest, *rest))
        if i >= len(comps):
            return node
        if node.kind != "dir":
            raise SyscallError(errno.ENOTDIR)
        c = comps[i]
        i += 1
        if c == ".":
            continue
        if c == "..":
            if len(stack) == 1:  # /proc/.. is the root's
                return Outside(guest=posixpath.join("/", *comps[i:]))
            stack.pop()
            continue
        child = _child(k, t, node, c)
        if child is None:
            raise SyscallError(errno.ENOENT)
        stack.append(child)


def _follow(k: Kernel, t: Thread, node: Node) -> str | Outside:
    """Where a link leads: a path of the tree, or something outside it."""
    w = node.what
    if w == "self":
        return f"/proc/{t.process.pid}"
    if w == "thread-self":
        return f"/proc/{t.process.pid}/task/{t.tid}"
    if w == "mounts":
        return "/proc/self/mounts"
    p = node.proc
    assert p is not None
    _check_peek(t, p)
    if w == "fd/N":
        files = p.files
        if files is None or node.fd not in files.fds:
            raise SyscallError(errno.ENOENT)
        f = files.fds[node.fd][0]
        if isinstance(f, (ProcFile, ProcDir)):
            return f.path
        return Outside(file=f)
    if not p.alive or p.space is None:
        raise SyscallError(errno.ENOENT)
    if w == "exe":
        return Outside(guest=p.exe)
    if w == "cwd":
        return Outside(guest=p.cwd)
    return Outside(guest="/")  # root


def _link_text(k: Kernel, t: Thread, node: Node) -> str:
    w = node.what
    if w == "dev":
        return _DEV_LINKS[node.path]
    if w == "self":
        return str(t.process.pid)
    if w == "thread-self":
        return f"{t.process.pid}/task/{t.tid}"
    if w == "mounts":
        return "self/mounts"
    target = _follow(k, t, node)
    if isinstance(target, str):
        return target
    if target.guest is not None:
        return target.guest
    assert target.file is not None
    return file_link_text(k, target.file)


def file_link_text(k: Kernel, f: OpenFile) -> str:
    """What readlink of /proc/<pid>/fd/N gives for an open file."""
    from .devices import CharDevice
    from .files import HostStream
    from .hostfile import HostFile
    from .pipe import PipeEnd

    own = getattr(f, "link_text", None)
    if callable(own):
        return str(own())
    if isinstance(f, HostFile):
        text = k.vfs.guest_path(f.host_path)
        try:
            if os.fstat(f.fd).st_nlink == 0:
                text += " (deleted)"
        except OSError:
            pass
        return text
    if isinstance(f, PipeEnd):
        return f"pipe:[{f.pipe.id}]"
    if isinstance(f, CharDevice):
        return f.name
    if isinstance(f, (ProcFile, ProcDir)):
        return f.path
    if isinstance(f, HostStream):
        try:
            text = os.readlink(f"/proc/self/fd/{f.fd}")
        except OSError:
            return f"anon_inode:[{f.name}]"
        root = k.vfs.root
        if not text.startswith("/") or root == "/":
            return text  # pipe:[N], socket:[N], or a path of the guest's own root
        if text == root or text.startswith(root + "/"):
            return k.vfs.guest_path(text)
        # A host file outside the root (a redirected stdout, say): its host
        # path is not the guest's to learn.
        return f"host:[{f.name}]"
    if f.name.startswith(("pipe:", "socket:", "anon_inode:")):
        return f.name
    return f"anon_inode:[{f.kind}]"


# Stat ------------------------------------------------------------------------------


def _ino(path: str) -> int:
    return 1 if path == "/proc" else (zlib.crc32(path.encode()) << 4) | 2


def _node_stat(k: Kernel, node: Node) -> os.stat_result:
    p = node.proc
    uid, gid = (p.user.uid, p.user.gid) if p is not None else (0, 0)
    when = _wall(k, p.started) if p is not None else _boot_wall(k)
    size = 0
    if node.kind == "dir":
        mode = st.S_IFDIR | (0o500 if node.what == "fd" else 0o555)
        nlink = 2
    elif node.kind == "link":
        mode = st.S_IFLNK | 0o777
        if node.what == "fd/N" and p is not None and p.files is not None and node.fd in p.files.fds:
            f = p.files.fds[node.fd][0]
            mode = st.S_IFLNK | 0o100 * (4 * f.readable + 2 * f.writable + 1)
            size = 64
        nlink = 1
    else:
        mode = st.S_IFREG | (0o400 if node.what == "environ" else 0o644 if node.what in (
            "comm", "sys/kernel/core_pattern", "sys/kernel/pid_max") else 0o444)
        nlink = 1
    return os.stat_result((mode, _ino(node.path), PROC_DEV, nlink, uid, gid, size, when, when, when))


def _file_stat(t: Thread, f: OpenFile) -> os.stat_result:
    s = f.stat()
    if s is None:  # a terminal-like stream with no host file behind it
        now = time.time()
        s = os.stat_result((st.S_IFCHR | 0o620, 0, 0, 1, t.process.user.uid, 5, 0, now, now, now))
    return s


def stat_path(k: Kernel, t: Thread, dirfd: int, path: str, follow: bool) -> os.stat_result | None:
    """stat/lstat of a /proc path; None if the path is not one."""
    full = proc_path(k, t, dirfd, path)
    if full is None:
        return None
    got = _walk(k, t, full, follow, _dir_spelling(path))
    if isinstance(got, Node):
        return _node_stat(k, got)
    if got.file is not None:
        return _file_stat(t, got.file)
    assert got.guest is not None
    try:
        return os.stat(k.vfs.host_path(got.guest, "/"))
    except OSError as e:
        raise SyscallError(e.errno or errno.ENOENT) from None


def readlink_path(k: Kernel, t: Thread, dirfd: int, path: str) -> bytes | None:
    """readlink of a /proc path; None if the path is not one."""
    full = proc_path(k, t, dirfd, path)
    if full is None:
        return None
    got = _walk(k, t, full, False, _dir_spelling(path))
    if not isinstance(got, Node) or got.kind != "link":
        raise SyscallError(errno.EINVAL)
    return os.fsencode(_link_text(k, t, got))


# Open files -----------------------------------------------------------------------


class ProcFile(OpenFile):
    """A generated file: its text is made when it is opened."""

    kind = "proc"

    def __init__(self, path: str, data: bytes, info: os.stat_result, flags: int = O_RDONLY, on_write=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(flags, path)
        self.path = path
        self.data = data
        self.pos = 0
        self.info = info
        self.on_write = on_write

    def read(self, n: int) -> bytes:
        if not self.readable:
            raise SyscallError(errno.EBADF)
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out

    def write(self, data: bytes) -> int:
        if not self.writable or self.on_write is None:
            raise SyscallError(errno.EBADF)
        return int(self.on_write(data))

    def seek(self, off: int, whence: int) -> int:
        base = {0: 0, 1: self.pos, 2: len(self.data)}.get(whence)
        if base is None or base + off < 0:
            raise SyscallError(errno.EINVAL)
        self.pos = base + off
        return self.pos

    def stat(self) -> os.stat_result:
        return self.info


class ProcDir(OpenFile):
    """A directory of the tree: its entries are listed by the first
    getdents64 from offset 0 (as Linux's procfs readdir, which takes the
    process table as it is then: a listing of fd/ shows its own descriptor)."""

    kind = "proc"

    def __init__(self, path: str, lister, info: os.stat_result, flags: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(flags, path)
        self.path = path
        self.info = info
        self.lister = lister
        self.records: list[bytes] | None = None
        self.pos = 0

    def _list(self) -> list[bytes]:
        records = []
        for i, (name, dt) in enumerate(self.lister()):
            raw = name.encode() + b"\0"
            reclen = (19 + len(raw) + 7) & ~7
            ino = self.info.st_ino if name == "." else _ino(posixpath.normpath(f"{self.path}/{name}"))
            records.append(
                ino.to_bytes(8, "little") + (i + 1).to_bytes(8, "little") + reclen.to_bytes(2, "little")
                + bytes([dt]) + raw.ljust(reclen - 19, b"\0"))
        return records

    def read(self, n: int) -> bytes:
        raise SyscallError(errno.EISDIR)

    def seek(self, off: int, whence: int) -> int:
        if whence == 0 and off >= 0:
            self.pos = off
        elif whence == 1 and self.pos + off >= 0:
            self.pos += off
        else:
            raise SyscallError(errno.EINVAL)
        return self.pos

    def getdents(self, size: int) -> bytes:
        if self.records is None or self.pos == 0:
            self.records = self._list()
        out = bytearray()
        while self.pos < len(self.records):
            rec = self.records[self.pos]
            if len(out) + len(rec) > size:
                if not out:
                    raise SyscallError(errno.EINVAL)
                break
            out += rec
            self.pos += 1
        return bytes(out)

    def stat(self) -> os.stat_result:
        return self.info


def open_path(k: Kernel, t: Thread, dirfd: int, path: str, flags: int, mode: int = 0) -> OpenFile | None:
    """The open file for a /proc path (or /dev/fd/N, /dev/stdin, ...); None
    if the path is not one."""
    full = proc_path(k, t, dirfd, path)
    if full is None:
        return None
    if _dir_spelling(path):
        flags |= O_DIRECTORY
    return _open_full(k, t, full, flags, mode)


def _dir_spelling(path: str) -> bool:
    """A path ending in / or /. names a directory (links followed)."""
    return path.endswith(("/", "/.", "/.."))


def _open_full(k: Kernel, t: Thread, full: str, flags: int, mode: int) -> OpenFile:
    excl = bool(flags & O_CREAT and flags & O_EXCL)
    follow = not flags & O_NOFOLLOW and not excl
    got = _walk(k, t, full, follow, bool(flags & O_DIRECTORY))
    if isinstance(got, Outside):
        if got.file is not None:
            return reopen(k, t, got.file, flags, mode)
        assert got.guest is not None  # a path out of the tree (cwd/..., /proc/../...): inside the root
        host = k.vfs.host_path(got.guest, "/", follow)
        # The file rights at the resolved path before the host sees the
        # open: O_CREAT or O_TRUNC must not act where they are refused.
        from ..syscalls.fileio import _check_open

        acc = flags & O_ACCMODE
        _check_open(k, t, k.vfs.guest_path(host), acc != O_WRONLY, bool(acc != O_RDONLY or flags & (O_CREAT | O_TRUNC)))
        return _host_open(k, t, host, got.guest, flags, mode, extra=flags & (O_EXCL | O_NOFOLLOW))
    if excl:  # the entry exists (a missing one was ENOENT)
        raise SyscallError(errno.EEXIST)
    acc = flags & O_ACCMODE
    if got.kind == "link":  # O_NOFOLLOW on a link
        raise SyscallError(errno.ELOOP)
    if got.kind == "dir":
        if acc != O_RDONLY:
            raise SyscallError(errno.EISDIR)
        _entries(k, t, got)  # EACCES now for another user's fd/
        return ProcDir(got.path, lambda: _entries(k, t, got), _node_stat(k, got), flags & ~O_CREAT)
    if flags & O_DIRECTORY:
        raise SyscallError(errno.ENOTDIR)
    on_write = None
    if acc != O_RDONLY or flags & O_TRUNC:
        on_write = _writer(t, got)
        if on_write is None:
            raise SyscallError(errno.EACCES)
    data = _content(k, t, got) if acc != O_WRONLY else b""
    return ProcFile(got.path, data, _node_stat(k, got), flags & (O_ACCMODE | O_APPEND | O_NONBLOCK), on_write)


def _writer(t: Thread, node: Node):  # type: ignore[no-untyped-def]
    """How a write to the file changes the kernel, if the caller may write
    it: only comm of a thread of its own process."""
    if node.what != "comm" or node.proc is not t.process:
        return None
    target = node.thread or node.proc.main

    def write(data: bytes) -> int:
        if target is not None:
            # As Linux's comm_write: the bytes as written (a newline
            # included), up to 15.
            target.name = data.split(b"\0", 1)[0][:15].decode(errors="replace")
        return len(data)

    return write


def reopen(k: Kernel, t: Thread, f: OpenFile, flags: int, mode: int = 0) -> OpenFile:
    """Open an open file again, as opening /proc/self/fd/N does on Linux:
    a new open file description of the same file (its own offset and
    flags), never a path walked again, so nothing but that file is reached."""
    from .devices import CharDevice
    from .hostfile import HostFile
    from .pipe import PipeEnd

    acc = flags & O_ACCMODE
    if isinstance(f, HostFile):
        return _host_open(k, t, f"/proc/self/fd/{f.fd}", f.name, flags, mode, host_path=f.host_path)
    if isinstance(f, PipeEnd):
        if flags & O_DIRECTORY:
            raise SyscallError(errno.ENOTDIR)
        write = f.is_writer if acc == O_RDWR else acc == O_WRONLY
        if write and f.pipe.readers == 0:
            raise SyscallError(errno.ENXIO)  # a FIFO opened for writing without a reader (never blocking here)
        end = PipeEnd(f.pipe, write)
        end.flags |= flags & O_NONBLOCK
        return end
    if isinstance(f, CharDevice):
        return CharDevice(f.name, f.rdev, f.source)
    if isinstance(f, (ProcFile, ProcDir)):
        return _open_full(k, t, f.path, flags & ~(O_CREAT | O_EXCL), mode)
    # A stream the kernel was given (a terminal, the captured output, the
    # API's input): the same description, in the modes it was opened with.
    if (acc != O_WRONLY and not f.readable) or (acc != O_RDONLY and not f.writable):
        raise SyscallError(errno.EACCES)
    return f


def _host_open(k: Kernel, t: Thread, host: str, name: str, flags: int, mode: int,
               host_path: str | None = None, extra: int = 0) -> OpenFile:
    from ..syscalls.fileio import _host_fd_ceiling
    from .hostfile import HostFile

    hflags = flags & (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_DIRECTORY) | extra
    try:
        fd = os.open(host, hflags | os.O_CLOEXEC | os.O_NONBLOCK, mode & ~t.process.umask & 0o7777)
    except OSError as e:
        raise SyscallError(e.errno or errno.EIO) from None
    if fd >= _host_fd_ceiling():
        os.close(fd)
        raise SyscallError(errno.ENFILE, "the kernel keeps its last host descriptors")
    return HostFile(fd, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW | 0o2000000), name, host_path or host)


# Contents ------------------------------------------------------------------------


def _boot_wall(k: Kernel) -> float:
    """The wall-clock time the kernel booted (/proc/stat's btime)."""
    return time.time() - (time.monotonic() - k.started)


def _wall(k: Kernel, mono: float) -> float:
    return time.time() - (time.monotonic() - mono)


def _ticks(seconds: float) -> int:
    return int(seconds * CLK_TCK)


def _comm(p: Process, th: Thread | None) -> str:
    if th is None:
        th = p.main
    return ((th.name if th is not None and th.name else "") or p.name)[:15]


def _main_or_any(p: Process) -> Thread | None:
    if p.main is not None and p.main.alive:
        return p.main
    return next((x for x in p.threads if x.alive), None)


def state_letter(p: Process, th: Thread | None = None) -> str:
    """Linux's state: R running or runnable, S asleep in a call that waits
    (futex, wait4, pause, sigsuspend, nanosleep, a read, poll), D waiting
    for a vfork child, T stopped, Z zombie.  A process shows its main
    thread's state, as Linux shows the thread-group leader's."""
    if p.state is not ProcState.LIVE:
        return "Z (zombie)"
    if th is None:
        th = _main_or_any(p)
        if th is None:  # init: the kernel acts for it, it runs nothing
            return "S (sleeping)"
    if not th.alive:
        return "Z (zombie)"
    blk = th.block
    reason = blk.reason if blk is not None else ""
    if p.stopped or reason == "stopped":
        return "T (stopped)"
    if th.state is ThreadState.BLOCKED:
        if reason.startswith("vfork"):
            return "D (disk sleep)"
        return "S (sleeping)"
    return "R (running)"


def _sigmasks(p: Process, th: Thread | None) -> tuple[int, int, int, int, int]:
    """(thread pending, shared pending, blocked, ignored, caught)."""
    from ..kernel.signals import SIG_DFL, SIG_IGN

    pend = th.sig_pending if th is not None else 0
    blocked = th.sigmask if th is not None else 0
    shared = ign = cgt = 0
    if p.sig is not None:
        shared = p.sig.pending
        for sig, a in enumerate(p.sig.actions):
            if sig == 0:
                continue
            if a.handler == SIG_IGN:
                ign |= 1 << (sig - 1)
            elif a.handler != SIG_DFL:
                cgt |= 1 << (sig - 1)
    return pend, shared, blocked, ign, cgt


@dataclass
class MemFigures:
    """Page figures of one mapping (or a whole space), as smaps counts them."""

    size: int = 0  # pages mapped
    rss: int = 0
    pss: float = 0.0  # pages: each page counts 1/its number of mappers
    pss_dirty: float = 0.0
    pss_anon: float = 0.0
    pss_file: float = 0.0
    pss_shmem: float = 0.0
    shared_clean: int = 0
    shared_dirty: int = 0
    private_clean: int = 0
    private_dirty: int = 0
    anonymous: int = 0
    file: int = 0  # resident pages of file mappings (RssFile)
    shmem: int = 0  # resident pages of anonymous shared mappings (RssShmem)

    def add(self, o: MemFigures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(o, name))


def _is_file(name: str) -> bool:
    """A mapping of a file (the program's segments, mmap of a file), by its name."""
    return bool(name) and not name.startswith("[") and name != "/dev/zero (deleted)"


def mapping_figures(space: AddressSpace, keys: list[int] | None = None) -> list[tuple[object, MemFigures]]:
    """(mapping, figures) for every mapping of `space`, from its page
    tables: a page is resident when an entry holds a frame; its mappers are
    the address spaces holding its leaf plus the other leaves holding the
    frame (a shared object's own reference left out); Linux counts a page
    shared when it has two or more."""
    from ..mm.space import LEAF_SHIFT, PAGE_SHIFT, Prot

    refs = space.pool.refs
    leaves = space.leaves
    if keys is None:
        keys = sorted(leaves)
    out: list[tuple[object, MemFigures]] = []
    for m in space.maps:
        fig = MemFigures(size=m.length >> PAGE_SHIFT)
        vs, ve = m.start >> PAGE_SHIFT, m.end >> PAGE_SHIFT
        obj = m.obj
        file_backed = _is_file(m.name)
        clean_kind = file_backed and obj is None and not m.prot & Prot.WRITE
        clean_of = getattr(obj, "clean", None) if obj is not None else None
        i = bisect_left(keys, vs >> LEAF_SHIFT)
        while i < len(keys) and (keys[i] << LEAF_SHIFT) < ve:
            li = keys[i]
            i += 1
            leaf = leaves[li]
            if not leaf.present:
                continue
            base = li << LEAF_SHIFT
            lo, hi = max(vs - base, 0), min(ve - base, 512)
            lrefs = leaf.refs
            for j in range(lo, hi):
                f = leaf.ptes[j]
                if not f:
                    continue
                if obj is not None:
                    mappers = lrefs + refs[f] - 2
                    clean = bool(clean_of(m.pgoff + base + j - vs)) if clean_of is not None else False
                else:
                    mappers = lrefs + refs[f] - 1
                    clean = clean_kind
                mappers = max(mappers, 1)
                share = 1.0 / mappers
                fig.rss += 1
                fig.pss += share
                if mappers > 1:
                    if clean:
                        fig.shared_clean += 1
                    else:
                        fig.shared_dirty += 1
                elif clean:
                    fig.private_clean += 1
                else:
                    fig.private_dirty += 1
                if not clean:
                    fig.pss_dirty += share
                if obj is not None and not file_backed:
                    fig.shmem += 1
                    fig.pss_shmem += share
                elif clean or obj is not None:
                    fig.file += 1
                    fig.pss_file += share
                else:
                    fig.anonymous += 1
                    fig.pss_anon += share
        out.append((m, fig))
    return out


def _kb_pages(n: float) -> int:
    return int(n * 4)


_SMAPS_FIELDS = ("Rss", "Pss", "Pss_Dirty", "Pss_Anon", "Pss_File", "Pss_Shmem", "Shared_Clean", "Shared_Dirty",
                 "Private_Clean", "Private_Dirty", "Referenced", "Anonymous", "KSM", "LazyFree", "AnonHugePages",
                 "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb", "Swap", "SwapPss", "Locked")


def _smaps_lines(fig: MemFigures, rollup: bool) -> list[str]:
    vals = {
        "Rss": fig.rss, "Pss": fig.pss, "Pss_Dirty": fig.pss_dirty, "Pss_Anon": fig.pss_anon,
        "Pss_File": fig.pss_file, "Pss_Shmem": fig.pss_shmem, "Shared_Clean": fig.shared_clean,
        "Shared_Dirty": fig.shared_dirty, "Private_Clean": fig.private_clean, "Private_Dirty": fig.private_dirty,
        "Referenced": fig.rss, "Anonymous": fig.anonymous,
    }
    lines = []
    if not rollup:
        lines += [_kb_line("Size", fig.size * 4), _kb_line("KernelPageSize", 4), _kb_line("MMUPageSize", 4)]
    for name in _SMAPS_FIELDS:
        if not rollup and name in ("Pss_Anon", "Pss_File", "Pss_Shmem"):
            continue
        lines.append(_kb_line(name, _kb_pages(vals.get(name, 0))))
    return lines


def _kb_line(name: str, kb: int) -> str:
    return f"{name + ':':<16}{kb:>8} kB"


def _map_line(m, p: Process) -> str:  # type: ignore[no-untyped-def]
    perms = ("r" if m.prot & 1 else "-") + ("w" if m.prot & 2 else "-") + ("x" if m.prot & 4 else "-")
    perms += "s" if m.shared else "p"
    head = f"{m.start:08x}-{m.end:08x} {perms} {(m.pgoff << 12) if m.shared else 0:08x} 00:00 0"
    name = _shown_name(m.name, p)
    return f"{head:<72} {name}" if name else head


def _shown_name(name: str, p: Process) -> str:
    """A mapping's name as Linux shows it: the program's path, nothing for
    anonymous memory, /dev/zero (deleted) for anonymous shared memory."""
    if name == "[anon]":
        return ""
    if name == "[shmem]":
        return "/dev/zero (deleted)"
    if name and "/" not in name and name == posixpath.basename(p.exe):
        return p.exe
    return name


def _maps(p: Process) -> bytes:
    if p.space is None or not p.alive:
        return b""
    return "".join(_map_line(m, p) + "\n" for m in p.space.maps).encode()


def _smaps(p: Process) -> bytes:
    if p.space is None or not p.alive:
        return b""
    out = []
    for m, fig in mapping_figures(p.space):
        out.append(_map_line(m, p))
        out += _smaps_lines(fig, False)
        out.append("VmFlags: " + " ".join(
            f for f, on in (("rd", m.prot & 1), ("wr", m.prot & 2), ("ex", m.prot & 4), ("sh", m.shared),
                            ("mr", True), ("mw", True), ("me", True), ("gd", m.grows_down)) if on))
    return "".join(line + "\n" for line in out).encode()


def _smaps_rollup(p: Process) -> bytes:
    if p.space is None or not p.alive or not p.space.maps:
        return b""
    total = MemFigures()
    for _m, fig in mapping_figures(p.space):
        total.add(fig)
    maps = p.space.maps
    head = f"{maps[0].start:08x}-{maps[-1].end:08x} ---p 00000000 00:00 0"
    lines = [f"{head:<72} [rollup]"] + _smaps_lines(total, True)
    return "".join(line + "\n" for line in lines).encode()


@dataclass
class _Vm:
    size: int = 0
    rss: int = 0
    anon: int = 0
    file: int = 0
    shmem: int = 0
    data: int = 0
    stack: int = 0
    exe: int = 0


def _present(space: AddressSpace, keys: list[int], m) -> int:  # type: ignore[no-untyped-def]
    """Resident pages of mapping m: entries holding a frame (counted in C)."""
    from ..mm.space import LEAF_SHIFT, PAGE_SHIFT

    vs, ve = m.start >> PAGE_SHIFT, m.end >> PAGE_SHIFT
    n = 0
    i = bisect_left(keys, vs >> LEAF_SHIFT)
    while i < len(keys) and (keys[i] << LEAF_SHIFT) < ve:
        leaf = space.leaves[keys[i]]
        base = keys[i] << LEAF_SHIFT
        i += 1
        if leaf.present:
            lo, hi = max(vs - base, 0), min(ve - base, 512)
            n += hi - lo - leaf.ptes[lo:hi].count(0)
    return n


def _vm(p: Process) -> _Vm:
    """The figures of status and statm, classified as mapping_figures does,
    without its page-by-page walk (status is read often)."""
    from ..mm.space import PAGE_SHIFT, Prot

    v = _Vm()
    space = p.space
    if space is None:
        return v
    keys = sorted(space.leaves)
    for m in space.maps:
        pages = m.length >> PAGE_SHIFT
        rss = _present(space, keys, m)
        v.size += pages
        v.rss += rss
        if m.obj is not None:
            if _is_file(m.name):
                v.file += rss
            else:
                v.shmem += rss
        elif _is_file(m.name) and not m.prot & Prot.WRITE:
            v.file += rss
        else:
            v.anon += rss
        if m.grows_down or m.name == "[stack]":
            v.stack += pages
        elif m.prot & Prot.WRITE and not m.shared:
            v.data += pages
        if m.prot & Prot.EXEC and _shown_name(m.name, p) == p.exe:
            v.exe += pages
    return v


def _status(k: Kernel, p: Process, th: Thread | None) -> bytes:
    ppid = p.parent.pid if p.parent is not None else 0
    tid = th.tid if th is not None else p.pid
    u, g = p.user.uid, p.user.gid
    fdsize = 64
    if p.files is not None and p.files.fds:
        while fdsize <= max(p.files.fds):
            fdsize *= 2
    lines = [
        f"Name:\t{_comm(p, th)}",
        f"Umask:\t{p.umask:04o}",
        f"State:\t{state_letter(p, th)}",
        f"Tgid:\t{p.pid}",
        "Ngid:\t0",
        f"Pid:\t{tid}",
        f"PPid:\t{ppid}",
        "TracerPid:\t0",
        f"Uid:\t{u}\t{u}\t{u}\t{u}",
        f"Gid:\t{g}\t{g}\t{g}\t{g}",
        f"FDSize:\t{fdsize}",
        "Groups:\t",
    ]
    if p.alive and p.space is not None:
        v = _vm(p)
        peak = max(p.peak_resident, v.rss)
        lines += [
            _kb_status("VmPeak", v.size), _kb_status("VmSize", v.size), _kb_status("VmLck", 0),
            _kb_status("VmPin", 0), _kb_status("VmHWM", peak), _kb_status("VmRSS", v.rss),
            _kb_status("RssAnon", v.anon), _kb_status("RssFile", v.file), _kb_status("RssShmem", v.shmem),
            _kb_status("VmData", v.data), _kb_status("VmStk", v.stack), _kb_status("VmExe", v.exe),
            _kb_status("VmLib", 0), _kb_status("VmPTE", len(p.space.leaves)),
            _kb_status("VmSwap", 0),
        ]
    pend, shared, blocked, ign, cgt = _sigmasks(p, th if th is not None else _main_or_any(p))
    lines += [
        f"Threads:\t{p.live_count if p.alive else 1}",
        f"SigQ:\t{(pend | shared).bit_count()}/{1 << 16}",
        f"SigPnd:\t{pend:016x}",
        f"ShdPnd:\t{shared:016x}",
        f"SigBlk:\t{blocked:016x}",
        f"SigIgn:\t{ign:016x}",
        f"SigCgt:\t{cgt:016x}",
        "NoNewPrivs:\t0",
        f"VioletKind:\t{p.kind.value}",
        f"VioletUser:\t{p.user.name}",
        f"VioletRights:\t{' '.join(p.perms.right_tokens()) or '-'}",  # fs.write:/out: limited to /out
        f"VioletParent:\t{ppid}",
    ]
    if th is not None:
        lines.append(f"VioletCreator:\t{th.creator.tid if th.creator is not None else 0}")
    return ("\n".join(lines) + "\n").encode()


def _kb_status(name: str, pages: int) -> str:
    return f"{name + ':'}\t{pages * 4:>8} kB"


def _stat(k: Kernel, p: Process, th: Thread | None) -> bytes:
    """The 52 fields of Linux's /proc/<pid>/stat (fs/proc/array.c)."""
    ppid = p.parent.pid if p.parent is not None else 0
    one = th if th is not None else _main_or_any(p)
    threads = [th] if th is not None else p.threads
    cpu = _ticks(sum(x.cpu_time for x in threads))
    nice = 10 - one.priority if one is not None else 0
    alive = p.alive and p.space is not None
    vsize = sum(m.length for m in p.space.maps) if alive and p.space is not None else 0
    rss = p.space.resident() if alive and p.space is not None else 0
    pend, shared, blocked, ign, cgt = _sigmasks(p, one)
    faults = p.space.counters.faults if alive and p.space is not None else 0
    fields = [
        th.tid if th is not None else p.pid, f"({_comm(p, th)})", state_letter(p, th)[0], ppid, p.pgid, p.sid,
        0, -1, 0x400000, faults, 0, 0, 0, cpu, 0, 0, 0, 20 + nice, nice,
        p.live_count if p.alive else 1, 0, _ticks(p.started - k.started), vsize, rss, RLIM_INFINITY,
        0, 0, 0, 0, 0, pend | shared, blocked, ign, cgt, 0, 0, 0, p.exit_signal, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, p.wait_status if not p.alive else 0,
    ]
    assert len(fields) == 52
    return (" ".join(str(f) for f in fields) + "\n").encode()


def _statm(p: Process) -> bytes:
    v = _vm(p) if p.alive else _Vm()
    return f"{v.size} {v.rss} {v.file + v.shmem} {v.exe} 0 {v.data + v.stack} 0\n".encode()


_LIMITS = (("Max cpu time", "seconds"), ("Max file size", "bytes"), ("Max data size", "bytes"),
           ("Max stack size", "bytes"), ("Max core file size", "bytes"), ("Max resident set", "bytes"),
           ("Max processes", "processes"), ("Max open files", "files"), ("Max locked memory", "bytes"),
           ("Max address space", "bytes"), ("Max file locks", "locks"), ("Max pending signals", "signals"),
           ("Max msgqueue size", "bytes"), ("Max nice priority", ""), ("Max realtime priority", ""),
           ("Max realtime timeout", "us"))


def _limits(k: Kernel, p: Process) -> bytes:
    """The resource limits as getrlimit gives them, in Linux's table
    (fs/proc/base.c proc_pid_limits)."""
    from ..syscalls.proc import _limit

    th = _main_or_any(p)
    lines = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}"]
    for res, (name, unit) in enumerate(_LIMITS):
        try:
            soft, hard = _limit(k, th, res) if th is not None else (RLIM_INFINITY, RLIM_INFINITY)
        except SyscallError:
            continue
        shown = ["unlimited" if v == RLIM_INFINITY else str(v) for v in (soft, hard)]
        lines.append(f"{name:<25} {shown[0]:<20} {shown[1]:<20} " + (f"{unit:<10}" if unit else ""))
    return "".join(line + "\n" for line in lines).encode()


def _uname() -> tuple[str, ...]:
    from ..syscalls.proc import _UNAME

    return _UNAME


def _loadavg(k: Kernel) -> bytes:
    """Exponentially decaying averages of the runnable threads, as Linux's,
    but sampled at each read of the file (the kernel keeps no tick)."""
    now = time.monotonic()
    running = sum(1 for x in k.threads.values() if x.alive and x.state is ThreadState.RUNNABLE)
    total = sum(1 for x in k.threads.values() if x.alive)
    state = k.__dict__.setdefault("_procfs_load", [k.started, 0.0, 0.0, 0.0])
    dt = max(0.0, now - state[0])
    for i, span in enumerate((60.0, 300.0, 900.0), start=1):
        decay = math.exp(-dt / span)
        state[i] = state[i] * decay + running * (1 - decay)
    state[0] = now
    return f"{state[1]:.2f} {state[2]:.2f} {state[3]:.2f} {running}/{total} {k._next_id - 1}\n".encode()


def _top_content(k: Kernel, t: Thread, what: str) -> bytes:
    if what == "meminfo":
        total, free = k.pool.nframes * 4, k.pool.free * 4
        return (f"MemTotal:\t{total} kB\nMemFree:\t{free} kB\nMemAvailable:\t{free} kB\n"
                f"SwapTotal:\t0 kB\nSwapFree:\t0 kB\n").encode()
    if what == "uptime":
        up = time.monotonic() - k.started
        busy = sum(x.cpu_time for p in k.procs.values() for x in p.threads)
        return f"{up:.2f} {max(0.0, up - busy):.2f}\n".encode()
    if what == "loadavg":
        return _loadavg(k)
    if what == "stat":
        up = time.monotonic() - k.started
        busy = _ticks(sum(x.cpu_time for p in k.procs.values() for x in p.threads))
        idle = max(0, _ticks(up) - busy)
        cpu = f"{busy} 0 0 {idle} 0 0 0 0 0 0"
        running = sum(1 for x in k.threads.values() if x.alive and x.state is ThreadState.RUNNABLE)
        blocked = sum(1 for x in k.threads.values() if x.alive and x.state is ThreadState.BLOCKED)
        return (f"cpu  {cpu}\ncpu0 {cpu}\nintr 0\nctxt 0\nbtime {int(_boot_wall(k))}\n"
                f"processes {len(k.history)}\nprocs_running {running}\nprocs_blocked {blocked}\n"
                f"softirq 0 0 0 0 0 0 0 0 0 0 0\n").encode()
    if what == "cpuinfo":
        return (b"processor\t: 0\nvendor_id\t: Violet\ncpu family\t: 6\nmodel\t\t: 0\n"
                b"model name\t: Violet emulated x86-64 CPU (Unicorn)\nstepping\t: 0\ncpu MHz\t\t: 1000.000\n"
                b"physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: 0\n"
                b"fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 1\nwp\t\t: yes\n"
                b"flags\t\t: fpu tsc cx8 cmov mmx fxsr sse sse2 syscall nx lm\n"
                b"clflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 48 bits physical, 48 bits virtual\n"
                b"\n")
    if what == "version":
        sysname, node, release, version, _machine, _dom = _uname()
        return f"{sysname} version {release} (violet@{node}) {version}\n".encode()
    if what.startswith("sys/"):
        from ..kernel.kernel import MAX_PID
        from ..mm.space import MAX_MAP_COUNT

        uname = _uname()
        values = {
            "sys/kernel/pid_max": MAX_PID, "sys/kernel/core_pattern": CORE_PATTERN,
            "sys/kernel/hostname": uname[1], "sys/kernel/osrelease": uname[2], "sys/kernel/ostype": uname[0],
            "sys/vm/max_map_count": MAX_MAP_COUNT, "sys/vm/overcommit_memory": 0,
        }
        return f"{values[what]}\n".encode()
    raise SyscallError(errno.ENOENT)


def _content(k: Kernel, t: Thread, node: Node) -> bytes:
    w = node.what
    p = node.proc
    if p is None:
        return _top_content(k, t, w)
    if w in _PRIVATE:
        _check_peek(t, p)
    th = node.thread
    if w == "status":
        return _status(k, p, th)
    if w == "stat":
        return _stat(k, p, th)
    if w == "statm":
        return _statm(p)
    if w == "comm":
        return (_comm(p, th) + "\n").encode()
    if w == "cmdline":
        return b"".join(a + b"\0" for a in p.argv) if p.alive else b""
    if w == "environ":
        return b"".join(a + b"\0" for a in p.envp) if p.alive else b""
    if w == "maps":
        return _maps(p)
    if w == "smaps":
        return _smaps(p)
    if w == "smaps_rollup":
        return _smaps_rollup(p)
    if w == "limits":
        return _limits(k, p)
    if w == "mounts":
        return b"violet / violet rw,relatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    raise SyscallError(errno.ENOENT)


# The old entry point, for callers that have only a path.
def proc_file(k: Kernel, t: Thread, path: str) -> OpenFile | None:
    """The open file for an absolute /proc path; None if not under /proc."""
    return open_path(k, t, AT_FDCWD, path, O_RDONLY)

