"""What Violet's event and trace hooks cost (issue: see inside).

    python bench/trace_cost.py [--calls 100000] [--repeat 5]

Runs the syscall guest (bench/guests/syscall.c: raw getppid in a loop)
in one Python process, each time in a fresh kernel:

  none      nobody subscribed: the hooks are one attribute test each
  events    a subscriber to kernel events that does nothing
  syscalls  a syscall subscriber that does nothing (what --trace hangs on)
  trace     the real --trace, writing to /dev/null

and prints the median microseconds per syscall of each, and the extra
cost over `none`.  The figure that matters is `none`: that is every run
without --trace.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from violet import Kernel  # noqa: E402
from violet.cli import build_cached  # noqa: E402


def one(binary: Path, calls: int, mode: str) -> float:
    out = bytearray()
    k = Kernel(mem="256M", stdout=out, stderr=bytearray())
    if mode == "events":
        k.events.subscribe(lambda kind, fields: None)
    elif mode == "syscalls":
        k.events.subscribe_syscalls(lambda *a: None)
    elif mode == "trace":
        from violet.trace.strace import attach_tracer

        attach_tracer(k, "/dev/null", None)
    k.spawn([str(binary), str(calls)])
    if k.run() != 0:
        raise SystemExit(f"the guest failed under mode {mode}")
    for line in out.decode().splitlines():
        if line.startswith("metric per_call "):
            return float(line.split()[2])
    raise SystemExit("no per_call metric")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    binary = build_cached(HERE / "guests" / "syscall.c")
    modes = ("none", "events", "syscalls", "trace")
    samples: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.repeat):
        for m in modes:  # interleaved, so machine load hits every mode alike
            samples[m].append(one(binary, args.calls, m))
    base = statistics.median(samples["none"])
    print(f"syscall round trip under Violet, median of {args.repeat} runs of {args.calls} getppid calls")
    print(f"{'mode':10s} {'us/call':>8s} {'extra':>8s}")
    for m in modes:
        med = statistics.median(samples[m])
        print(f"{m:10s} {med:8.2f} {med - base:+8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
