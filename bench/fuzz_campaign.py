"""The long syscall-fuzzing campaign (the short one is tests/test_fuzz.py).

    python bench/fuzz_campaign.py [--calls 1000000] [--per-run 20000] [--seed 1]

Runs tests/guests/fuzz_syscalls.c under Violet, seed after seed, each in a
fresh kernel with the invariant checker on, in an empty sandbox root with
no right to write files.  Prints one line per run and a total: calls made,
guest children that died or hung, kernel bugs met (handler exceptions) and
broken invariants.  Exit status 1 if any kernel bug or broken invariant.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from violet import Kernel, KernelBug, Permissions, Right  # noqa: E402
from violet.cli import build_cached  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--per-run", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    binary = build_cached(HERE.parent / "tests" / "guests" / "fuzz_syscalls.c")
    done = died = hung = bugs = broken = 0
    began = time.monotonic()
    seed = args.seed
    while done < args.calls:
        with tempfile.TemporaryDirectory() as root:
            shutil.copy(binary, Path(root) / "fuzz")
            out, report = bytearray(), io.StringIO()
            k = Kernel(mem="512M", root=root, stdout=out, stderr=bytearray(), report=report, check=True)
            perms = Permissions().restrict(drop=Right.FS_WRITE | Right.LAUNCH, max_procs=16, max_threads=16)
            k.spawn(["/fuzz", str(seed), str(args.per_run)], perms=perms, cwd="/")
            try:
                status = k.run(timeout=600)
            except KernelBug as e:
                broken += 1
                print(f"seed {seed}: INVARIANT BROKEN: {e}")
                status = -1
            text = out.decode(errors="replace")
            m = re.search(r"fuzz: (\d+) calls in \d+ children, (\d+) died of a signal, (\d+) hung", text)
            if m:
                done += int(m.group(1))
                died += int(m.group(2))
                hung += int(m.group(3))
            else:
                done += args.per_run
            bugs += len(k.bugs)
            for where, exc in k.bugs:
                print(f"seed {seed}: KERNEL BUG in {where}: {type(exc).__name__}: {exc}")
            print(f"seed {seed}: status {status}, {text.strip()!r}", flush=True)
        seed += 1
    took = time.monotonic() - began
    print(f"total: {done} calls, {seed - args.seed} runs, {died} children died of a signal, {hung} hung and were "
          f"killed, {bugs} kernel bugs, {broken} broken invariants, {took:.0f} s ({done / took:.0f} calls/s)")
    return 1 if bugs or broken else 0


if __name__ == "__main__":
    sys.exit(main())
