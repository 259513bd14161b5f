"""The syscall table, kept as data.

Each entry says: number, name, handler, support level, what is missing,
the class used by trace filters, and whether the call must run outside the
engine's syscall hook (`defer`: calls that change mappings, create or end
threads, or replace the image; see DESIGN.md, technical decision 4).

`python -m violet.syscalls` prints the compatibility table from this data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .numbers import NAMES, NUMBERS

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Thread

    Handler = Callable[[Kernel, Thread, int, int, int, int, int, int], int]


class Support(enum.Enum):
    FULL = "full"  # as Linux does it
    PARTIAL = "partial"  # the common uses; `note` says what is missing
    STUB = "stub"  # answers without doing anything (documented in `note`)


@dataclass(frozen=True)
class Syscall:
    nr: int
    name: str
    handler: Handler
    cls: str
    support: Support
    note: str
    defer: bool


SYSCALLS: dict[int, Syscall] = {}

# Violet's extension calls live above Linux's numbers.
VIOLET_BASE = 0x7600


def syscall(
    name: str, cls: str, support: Support = Support.FULL, note: str = "", defer: bool = False, nr: int | None = None
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of syscall `name`."""

    def register(fn: Handler) -> Handler:
        number = NUMBERS[name] if nr is None else nr
        if number in SYSCALLS:
            raise RuntimeError(f"syscall {name} registered twice")
        SYSCALLS[number] = Syscall(number, name, fn, cls, support, note, defer)
        return fn

    return register


def name_of(nr: int) -> str:
    e = SYSCALLS.get(nr)
    if e is not None:
        return e.name
    return NAMES.get(nr, f"syscall_{nr}")


def load_all() -> dict[int, Syscall]:
    """Import every handler module (registration happens at import)."""
    from . import fileio, futex, mem, poll, proc, signal, timing, violet  # noqa: F401

    return SYSCALLS
