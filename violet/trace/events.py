"""Kernel events for subscribers: the one place tracing hooks in.

`emit` costs one attribute test when nobody subscribes.  Syscall events go
through `syscall`, called only when `tracing` is true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..kernel.task import Thread
    from ..syscalls.table import Syscall

Listener = Callable[[str, dict[str, Any]], None]


class Events:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._sys_listeners: list[Callable[..., None]] = []
        self.tracing = False
        self.active = False

    def subscribe(self, fn: Listener) -> Callable[[], None]:
        """Call fn(kind, fields) for every event; returns an unsubscribe function."""
        self._listeners.append(fn)
        self.active = True
        return lambda: self._unsubscribe(fn)

    def _unsubscribe(self, fn: Listener) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)
        self.active = bool(self._listeners)

    def subscribe_syscalls(self, fn: Callable[..., None]) -> None:
        """fn(thread, entry, args, result, note) after every traced syscall."""
        self._sys_listeners.append(fn)
        self.tracing = True

    def emit(self, event: str, **fields: Any) -> None:
        if self.active:
            for fn in list(self._listeners):
                fn(event, fields)

    def syscall(self, t: Thread, entry: Syscall, args: tuple[int, ...], result: int | None, note: str | None) -> None:
        for fn in self._sys_listeners:
            fn(t, entry, args, result, note)
