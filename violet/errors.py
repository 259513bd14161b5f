"""The kernel's exceptions.

Inside the kernel, a failing system call raises `SyscallError(errno)`; the
dispatcher is the one place that turns it into -errno for the guest.  A
`KernelBug` is a broken invariant: it never reaches a guest as an errno and
stops the run with a report.  `LoadError` is a program that cannot be
started (it carries the shell's exit status, 126 or 127).
"""

from __future__ import annotations

import errno as _errno


class SyscallError(Exception):
    """A system call fails with `errno` (a positive Linux errno value)."""

    def __init__(self, err: int, why: str = "") -> None:
        super().__init__(f"{_errno.errorcode.get(err, err)}{': ' + why if why else ''}")
        self.errno = err


class OutOfFrames(SyscallError):
    """Physical memory is exhausted."""

    def __init__(self) -> None:
        super().__init__(_errno.ENOMEM, "physical memory exhausted")


class KernelBug(Exception):
    """A kernel invariant is broken.  Never shown to a guest as an errno."""


class LoadError(Exception):
    """A program cannot be loaded.  `status` is what a shell would exit with."""

    def __init__(self, path: str, reason: str, status: int = 126, err: int = _errno.ENOEXEC) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.status = status
        self.errno = err


class UsageError(Exception):
    """A mistake on the command line or in an API call."""
