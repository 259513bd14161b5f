"""`--timeline FILE.json`: the run in Chrome's trace-event format.

Perfetto (ui.perfetto.dev) and chrome://tracing open it: one track per
thread, grouped by process; "running" slices for the time a thread ran on
the CPU, "blocked: <reason>" slices for the time it waited, and instant
events for fork, exec, exit, crashes, cascade kills and thread exits.

`--tree-svg FILE.svg` draws the process tree (with graphviz's `dot` where
it is installed; otherwise the DOT source is written next to FILE).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.task import Process, Thread


class Timeline:
    """Collects events from a kernel; `write` emits the JSON."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.events: list[dict[str, Any]] = []
        self._blocked: dict[int, tuple[float, str]] = {}
        self._named: set[tuple[int, int]] = set()
        k.events.subscribe(self._on)

    def _us(self, t: float | None = None) -> float:
        return round(((time.monotonic() if t is None else t) - self.k.started) * 1e6, 1)

    def _name(self, p: Process, t: Thread | None) -> None:
        if (p.pid, 0) not in self._named:
            self._named.add((p.pid, 0))
            self.events.append({"ph": "M", "name": "process_name", "pid": p.pid,
                                "args": {"name": f"{p.name} [{p.pid}] ({p.kind.value})"}})
        if t is not None and (p.pid, t.tid) not in self._named:
            self._named.add((p.pid, t.tid))
            label = "main" if t is p.main else f"created by {t.creator.tid}" if t.creator else "thread"
            self.events.append({"ph": "M", "name": "thread_name", "pid": p.pid, "tid": t.tid,
                                "args": {"name": f"thread {t.tid} ({label})"}})

    def _instant(self, name: str, p: Process, t: Thread | None, args: dict[str, Any]) -> None:
        self._name(p, t)
        self.events.append({"ph": "i", "s": "t" if t else "p", "name": name, "pid": p.pid,
                            "tid": t.tid if t else p.pid, "ts": self._us(), "args": args})

    def _end_block(self, t: Thread) -> None:
        began = self._blocked.pop(t.tid, None)
        if began is not None:
            start, reason = began
            self.events.append({"ph": "X", "name": f"blocked: {reason}", "cat": "blocked", "pid": t.process.pid,
                                "tid": t.tid, "ts": start, "dur": max(0.1, self._us() - start)})

    def _on(self, kind: str, f: dict[str, Any]) -> None:
        t: Thread | None = f.get("thread")
        if kind == "slice" and t is not None:
            self._name(t.process, t)
            dur = f["seconds"] * 1e6
            self.events.append({"ph": "X", "name": "running", "cat": "cpu", "pid": t.process.pid, "tid": t.tid,
                                "ts": round(self._us() - dur, 1), "dur": round(max(dur, 0.1), 1)})
        elif kind == "block" and t is not None:
            self._blocked[t.tid] = (self._us(), f.get("reason", "?"))
        elif kind == "wake" and t is not None:
            self._end_block(t)
        elif kind == "thread_exit" and t is not None:
            self._end_block(t)
            self._instant("thread exit", t.process, t, {"reason": f.get("reason", "")})
        elif kind == "process":
            p: Process = f["proc"]
            parent = f.get("parent")
            self._instant("fork" if p.kind.value == "worker" else "launch", p, p.main,
                          {"parent": parent.pid if parent is not None else 0, "kind": p.kind.value})
        elif kind == "exec":
            self._instant("exec", f["proc"], None, {"path": f.get("path", "")})
        elif kind == "exit":
            p = f["proc"]
            self._instant("exit", p, None, {"status": f.get("status", 0), "reason": f.get("reason", "")})
        elif kind == "cascade":
            p = f["proc"]
            self._instant("cascade kill", p, None, {"killed": [d.pid for d in f.get("killed", [])]})
        elif kind == "crash":
            p = f["proc"]
            self._instant("crash", p, t, {"what": f["crash"].what})

    def write(self, out: IO[str]) -> None:
        for tid in list(self._blocked):
            th = self.k.threads.get(tid) or next((x for p in self.k.history for x in p.threads if x.tid == tid), None)
            if th is not None:
                self._end_block(th)
        json.dump({"traceEvents": self.events, "displayTimeUnit": "ms"}, out)


def tree_dot(k: Kernel) -> str:
    """The process tree (and each process's threads) as graphviz DOT."""
    lines = ["digraph violet {", '  rankdir=TB; node [shape=box, fontname="monospace"];']
    colours = {"system": "#d9d2e9", "application": "#cfe2f3", "worker": "#d9ead3"}
    for p in k.history:
        from .report import _status

        label = f"{p.pid} {p.name}\\n{p.kind.value}\\n{_status(p)}"
        style = ', style="filled,dashed"' if p.killed_by is not None else ', style=filled'
        lines.append(f'  p{p.pid} [label="{label}", fillcolor="{colours[p.kind.value]}"{style}];')
        if p.parent is not None:
            lines.append(f"  p{p.parent.pid} -> p{p.pid};")
        if len(p.threads) > 1:
            for t in p.threads:
                lines.append(f'  t{t.tid} [label="thread {t.tid}", shape=ellipse, fontsize=10];')
                src = f"t{t.creator.tid}" if t.creator is not None and t.creator in p.threads else f"p{p.pid}"
                lines.append(f"  {src} -> t{t.tid} [style=dotted];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_tree_svg(k: Kernel, path: str) -> str:
    """Write the tree as SVG (via dot) or, without graphviz, as DOT; return what was written."""
    dot = tree_dot(k)
    exe = shutil.which("dot")
    if exe is not None:
        done = subprocess.run([exe, "-Tsvg", "-o", path], input=dot.encode(), capture_output=True, timeout=60)
        if done.returncode == 0:
            return path
    target = path if path.endswith(".dot") else path + ".dot"
    with open(target, "w") as f:
        f.write(dot)
    return target
