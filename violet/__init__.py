"""Violet: a user-space kernel for static x86-64 Linux programs.

    from violet import Kernel
    k = Kernel(stdout=bytearray())
    p = k.spawn(["./hello"])
    status = k.run()
"""

from .errors import KernelBug, LoadError, SyscallError, UsageError
from .kernel.kernel import EXIT_DEADLOCK, EXIT_TIMEOUT, Kernel
from .kernel.perms import Permissions, Right, User
from .kernel.task import Kind, Process, ProcState, Thread, ThreadState

__version__ = "0.1.0"
__all__ = [
    "Kernel", "Process", "Thread", "Kind", "ProcState", "ThreadState", "Permissions", "Right", "User",
    "KernelBug", "LoadError", "SyscallError", "UsageError", "EXIT_DEADLOCK", "EXIT_TIMEOUT",
]
