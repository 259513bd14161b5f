"""Resource limits (getrlimit, setrlimit, prlimit64) kept per process.

Two limits are the kernel's own figures: RLIMIT_NOFILE is the descriptor
table's bound and RLIMIT_NPROC the process budget.  Every other limit is
kept in `Process.rlimits` when a guest sets it, inherited by fork, kept
by exec, and otherwise reads as Linux's default.  RLIMIT_CORE starts as
the host's (the user's `ulimit -c`), as a program started from the shell
would get it, and decides the core-dump bit of a wait status.
"""

from __future__ import annotations

import errno
import resource
from typing import TYPE_CHECKING

from ..errors import SyscallError

if TYPE_CHECKING:
    from .task import Process

RLIM_INFINITY = (1 << 64) - 1
RLIMIT_CORE, RLIMIT_STACK, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK = 4, 3, 6, 7, 8
RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIM_NLIMITS = 12, 13, 14, 16

_DEFAULTS = {
    RLIMIT_STACK: (8 << 20, RLIM_INFINITY),
    RLIMIT_MEMLOCK: (8 << 20, 8 << 20),
    RLIMIT_MSGQUEUE: (819200, 819200),
    RLIMIT_NICE: (0, 0),
    RLIMIT_RTPRIO: (0, 0),
}


def _host_core() -> tuple[int, int]:
    def wide(v: int) -> int:
        return RLIM_INFINITY if v == resource.RLIM_INFINITY else v

    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    return wide(soft), wide(hard)


def get(p: Process, res: int) -> tuple[int, int]:
    """p's (soft, hard) limit for a resource other than NOFILE and NPROC."""
    if not 0 <= res < RLIM_NLIMITS:
        raise SyscallError(errno.EINVAL)
    got = p.rlimits.get(res)
    if got is not None:
        return got
    if res == RLIMIT_CORE:
        return _host_core()
    return _DEFAULTS.get(res, (RLIM_INFINITY, RLIM_INFINITY))


def set_limit(p: Process, res: int, soft: int, hard: int) -> None:
    """setrlimit for a kept resource: the hard limit may only come down
    (Violet's users hold no CAP_SYS_RESOURCE)."""
    if soft > hard:
        raise SyscallError(errno.EINVAL)
    if hard > get(p, res)[1]:
        raise SyscallError(errno.EPERM)
    p.rlimits[res] = (soft, hard)


def dumps_core(p: Process) -> bool:
    """A core-dumping signal sets the wait status's core bit only when the
    core limit allows a dump, as on Linux (Violet writes no core file)."""
    return get(p, RLIMIT_CORE)[0] > 0
