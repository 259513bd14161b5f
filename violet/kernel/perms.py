"""Users and permission sets.

Every process runs as a `User` and holds `Permissions`: a set of rights and
two budgets.  A child gets exactly its parent's permissions (fork, clone,
vfork, threads); exec keeps them; a process may drop rights or tighten
budgets (`Permissions.restrict`) and can never widen them.  A denied call
returns EPERM (EAGAIN for an exhausted budget) and is recorded as an audit
event.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from ..errors import UsageError


class Right(enum.IntFlag):
    """The rights a process may hold.  Their names on the command line are
    the lowercase dotted forms in `RIGHT_NAMES`."""

    SPAWN = 1  # create processes: fork, vfork, clone without CLONE_THREAD
    THREAD = 2  # create threads: clone with CLONE_THREAD
    LAUNCH = 4  # start application processes (violet_launch)
    SIGNAL = 8  # signal processes outside one's own subtree
    FS_READ = 16  # open files for reading
    FS_WRITE = 32  # create, change and remove files
    EXEC = 64  # replace the image with execve


RIGHT_NAMES = {
    "proc.spawn": Right.SPAWN,
    "proc.thread": Right.THREAD,
    "proc.launch": Right.LAUNCH,
    "proc.signal": Right.SIGNAL,
    "fs.read": Right.FS_READ,
    "fs.write": Right.FS_WRITE,
    "proc.exec": Right.EXEC,
}

ALL_RIGHTS = Right(sum(RIGHT_NAMES.values()))


def right_names(rights: Right) -> list[str]:
    return [name for name, r in RIGHT_NAMES.items() if rights & r]


def parse_right(name: str) -> Right:
    try:
        return RIGHT_NAMES[name]
    except KeyError:
        known = ", ".join(RIGHT_NAMES)
        raise UsageError(f"unknown right {name!r} (known: {known})") from None


@dataclass(frozen=True)
class Permissions:
    """What a process may do.  Immutable; `restrict` makes a narrower copy.

    `mem_pages`: private frames the process may own at once (None: no limit).
    `max_procs`: processes alive at once in the subtree rooted where the
    budget was set (None: no limit); `max_threads` likewise per process.
    """

    rights: Right = ALL_RIGHTS
    mem_pages: int | None = None
    max_procs: int | None = None
    max_threads: int | None = None

    def has(self, right: Right) -> bool:
        return bool(self.rights & right)

    def restrict(
        self,
        drop: Right = Right(0),
        mem_pages: int | None = None,
        max_procs: int | None = None,
        max_threads: int | None = None,
    ) -> Permissions:
        """A copy with `drop` removed and each given budget tightened (never widened)."""

        def tighter(old: int | None, new: int | None) -> int | None:
            if new is None:
                return old
            return new if old is None else min(old, new)

        return replace(
            self,
            rights=self.rights & ~drop,
            mem_pages=tighter(self.mem_pages, mem_pages),
            max_procs=tighter(self.max_procs, max_procs),
            max_threads=tighter(self.max_threads, max_threads),
        )

    def describe(self) -> str:
        parts = right_names(self.rights) or ["(none)"]
        if self.mem_pages is not None:
            parts.append(f"mem={self.mem_pages * 4}K")
        if self.max_procs is not None:
            parts.append(f"procs={self.max_procs}")
        if self.max_threads is not None:
            parts.append(f"threads={self.max_threads}")
        return " ".join(parts)


@dataclass(frozen=True)
class User:
    uid: int = 1000
    name: str = "user"
    gid: int = 1000


ROOT = User(0, "root", 0)
