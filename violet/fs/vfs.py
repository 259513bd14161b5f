"""The guest's file-system view: a host directory as its root.

Guest paths are resolved component by component against `root`; `..` never
climbs above the root and symbolic links are followed inside it (an
absolute link target restarts at the guest root), so no path leaves it.

/dev/shm (where shm_open creates its files) is the root's own when the root
has one (with the host's root, the host's /dev/shm).  A root without one
gets a private host directory in its place, made at the first use (mode
0700, under the host's temporary directory) and removed with everything in
it when the kernel closes: POSIX shared memory then works in any root and
is shared by the kernel's processes only.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import weakref

from ..errors import LoadError, SyscallError
from ..loader import elf

MAX_LINKS = 40


def _violet_itself(name: str) -> bool:
    """`name` in the host's /proc is this Violet process or one of its
    threads: its memory, environment and descriptors are the kernel's own,
    never the guest's, even with the host's root (the guest's /proc is
    procfs.py; other spellings of the path reach the host's)."""
    if name in ("self", "thread-self"):
        return True
    return name.isdigit() and os.path.isdir(f"/proc/{os.getpid()}/task/{name}")


class Vfs:
    def __init__(self, root: str = "/") -> None:
        real = os.path.realpath(root)
        if not os.path.isdir(real):
            from ..errors import UsageError

            raise UsageError(f"--root {root}: not a directory")
        self.root = real
        # The host directory standing for /dev/shm when the root has none
        # ("" once the root's own is in use; None before the first use).
        self._shm: str | None = None
        self._shm_cleanup: weakref.finalize | None = None

    def _shm_dir(self) -> str:
        """The private /dev/shm ("" when the root has its own)."""
        if self._shm is None:
            if os.path.isdir(os.path.join(self.root, "dev", "shm")):
                self._shm = ""
            else:
                self._shm = tempfile.mkdtemp(prefix="violet-shm-")
                self._shm_cleanup = weakref.finalize(self, shutil.rmtree, self._shm, True)
        return self._shm

    def _join(self, done: list[str]) -> str:
        """The host path of the resolved guest components `done`."""
        if len(done) >= 2 and done[0] == "dev" and done[1] == "shm":
            shm = self._shm_dir()
            if shm:
                return os.path.join(shm, *done[2:])
        return os.path.join(self.root, *done)

    def close(self) -> None:
        """Remove the private /dev/shm, if one was made."""
        if self._shm_cleanup is not None:
            self._shm_cleanup()

    def default_cwd(self) -> str:
        """The guest's initial cwd: the host cwd when it lies inside the root."""
        here = os.getcwd()
        if self.root == "/":
            return here
        if here == self.root or here.startswith(self.root + os.sep):
            return "/" + os.path.relpath(here, self.root).replace(os.sep, "/").removeprefix(".")
        return "/"

    def host_path(self, guest: str, cwd: str = "/", follow: bool = True) -> str:
        """The host path of a guest path, confined to the root.

        ENOENT/ENOTDIR/ELOOP as Linux's path walk gives them for missing
        intermediate parts; the last component need not exist.
        """
        if not guest:
            raise SyscallError(errno.ENOENT)
        if not guest.startswith("/"):
            guest = cwd.rstrip("/") + "/" + guest
        parts = [c for c in guest.split("/") if c and c != "."]
        done: list[str] = []
        links = 0
        while parts:
            c = parts.pop(0)
            if c == "..":
                if done:
                    done.pop()
                continue
            here = self._join(done + [c])
            last = not parts
            if (follow or not last) and os.path.islink(here):
                links += 1
                if links > MAX_LINKS:
                    raise SyscallError(errno.ELOOP)
                target = os.readlink(here)
                if target.startswith("/"):
                    done = []
                parts = [x for x in target.split("/") if x and x != "."] + parts
                continue
            if not last and not os.path.isdir(here) and not (not done and c == "dev" and parts[0] == "shm"
                                                             and self._shm_dir()):
                raise SyscallError(errno.ENOTDIR if os.path.exists(here) else errno.ENOENT)
            done.append(c)
        if self.root == "/" and len(done) >= 2 and done[0] == "proc" and _violet_itself(done[1]):
            raise SyscallError(errno.EACCES)
        return self._join(done)

    def resolve_prefix(self, path: str, cwd: str = "/", excluded: bool = False) -> list[str]:
        """The guest path(s) a file-right prefix stands for (perms.PathRule):
        resolved inside the root as of now (symbolic links followed), since
        the rights are checked against resolved paths.  A path whose
        directories do not exist stays as written.  An exclusion keeps its
        written form too (a symbolic link's own name is then covered)."""
        from ..kernel.perms import norm_prefix

        literal = norm_prefix(path if path.startswith("/") else cwd.rstrip("/") + "/" + path)
        try:
            resolved = self.guest_path(self.host_path(literal, "/"))
        except (SyscallError, OSError):
            return [literal]
        if excluded and resolved != literal:
            return [literal, resolved]
        return [resolved]

    def guest_path(self, host: str) -> str:
        shm = self._shm
        if shm and (host == shm or host.startswith(shm + os.sep)):
            return "/dev/shm" + host[len(shm):]
        if self.root == "/":
            return host
        rel = os.path.relpath(host, self.root)
        return "/" if rel == "." else "/" + rel

    def find_program(self, path: str, cwd: str) -> tuple[str, str]:
        """(host path, guest path) of a program to launch; LoadError 127 if absent.

        The program named on Violet's own command line is a host path when
        the root is the host's; with another root it is a guest path.
        """
        if self.root == "/":
            host = os.path.abspath(path)
            if not os.path.exists(host):
                raise LoadError(path, "no such file", status=127, err=errno.ENOENT)
            return host, host
        try:
            host = self.host_path(path, cwd)
        except SyscallError:
            raise LoadError(path, "no such file", status=127, err=errno.ENOENT) from None
        if not os.path.exists(host):
            raise LoadError(path, "no such file", status=127, err=errno.ENOENT)
        return host, self.guest_path(host)

    def follow_scripts(self, host: str, shown: str, argv: list[bytes]) -> tuple[str, str, list[bytes]]:
        """For a `#!` script, its interpreter (up to 4 levels, as Linux's
        binfmt_script): (host path, shown name, argv with the interpreter,
        its optional argument and the script's path first)."""
        for _ in range(4):
            try:
                if not stat.S_ISREG(os.stat(host).st_mode):  # read_program says why (a FIFO's open would block)
                    return host, shown, argv
                with open(host, "rb") as f:
                    head = f.read(256)
            except OSError:
                return host, shown, argv
            if not head.startswith(b"#!"):
                return host, shown, argv
            line = head[2:].split(b"\n", 1)[0].strip()
            if not line:
                raise LoadError(shown, "script with an empty #! line")
            interp, _, arg = line.partition(b" ")
            name = os.fsdecode(interp)
            try:
                host_interp, _guest = self.find_program(name, "/")
            except LoadError:
                raise LoadError(shown, f"script interpreter {name} not found", status=127, err=errno.ENOENT) from None
            argv = [interp] + ([arg.strip()] if arg.strip() else []) + [os.fsencode(shown)] + argv[1:]
            host, shown = host_interp, name
        raise LoadError(shown, "too many levels of #! interpreters")

    def read_program(self, host: str, shown: str, limit: int | None = None) -> elf.ElfImage:
        """Read and check an executable; LoadError (126) when unfit.

        Only what the loader uses is read (elf.extent), and not more than
        `limit` bytes (the kernel's memory): ENOMEM past it.
        """
        try:
            st = os.stat(host)
        except OSError as e:
            raise LoadError(shown, os.strerror(e.errno or errno.ENOENT), status=127, err=e.errno or errno.ENOENT) from None
        if stat.S_ISDIR(st.st_mode):
            raise LoadError(shown, "is a directory", err=errno.EACCES)
        if not stat.S_ISREG(st.st_mode):
            raise LoadError(shown, "not a regular file", err=errno.EACCES)
        if not st.st_mode & 0o111:
            raise LoadError(shown, "permission denied (not executable)", err=errno.EACCES)
        try:
            with open(host, "rb") as f:
                fd = f.fileno()
                need = elf.extent(lambda off, n: os.pread(fd, n, off), st.st_size)
                if limit is not None and need > limit:
                    raise LoadError(shown, "too large: its loadable segments do not fit the kernel's memory",
                                    err=errno.ENOMEM)
                data = os.pread(fd, need, 0)
        except OSError as e:
            raise LoadError(shown, os.strerror(e.errno or errno.EACCES), err=e.errno or errno.EACCES) from None
        return elf.parse(shown, data)
