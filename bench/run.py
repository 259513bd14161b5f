"""Side-by-side benchmarks: the same static guest natively, under qemu-user
and under Violet.

    python bench/run.py [NAME ...] [--repeat N] [--runners native,qemu,violet]

Each guest (bench/guests/*.c) times its own inner section and prints
"metric NAME VALUE UNIT" lines; this harness also times each whole run from
the outside (wall), so the start-up of the Python kernel is reported apart
from steady-state speed.  Every figure is the median over the repeats.
Ratios are "times slower than native": the ratio of times, or the inverse
ratio of rates, so that above 1 always means slower.

Run it with the Python that has Violet installed (the project's venv): the
guests are compiled with `violet.cli.build_cached` and run with `violet run`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUESTS = HERE / "guests"
RUNNERS = ("native", "qemu", "violet")
METRIC_LINE = re.compile(r"^metric (\S+) (\S+) (\S+)$")
CHECK_LINE = re.compile(r"^check (\S+) (\S+)$")


@dataclass(frozen=True)
class Shown:
    """One figure of a benchmark that goes into the table."""

    key: str  # the guest's metric name, or "wall" for the harness's own timing
    label: str
    unit: str
    higher_is_better: bool = False


@dataclass(frozen=True)
class Bench:
    name: str
    source: str
    args: tuple[str, ...]
    what: str
    shown: tuple[Shown, ...]
    # Arguments for Violet when it needs a smaller size than native and
    # qemu (the figures are per byte or per operation, so they compare).
    violet_args: tuple[str, ...] | None = None

    def args_for(self, runner: str) -> tuple[str, ...]:
        if runner == "violet" and self.violet_args is not None:
            return self.violet_args
        return self.args


WALL = Shown("wall", "whole run, wall", "s")

BENCHES = (
    Bench("startup", "startup.c", (), "an empty main(): the fixed cost of starting a guest",
          (WALL,)),
    Bench("compute", "compute.c", ("160",), "integer hash loop over a 64 KiB table, 160 Mi steps",
          (Shown("inner", "inner section", "s"), WALL)),
    Bench("syscall", "syscall.c", ("200000",), "raw getppid() 200000 times",
          (Shown("per_call", "per call", "us"), WALL)),
    Bench("fork", "fork.c", ("256", "5"), "256 MiB touched; fork + child _exit + wait (median of 5); "
          "parent writes every page while the child lives",
          (Shown("fork_wait", "fork+exit+wait", "ms"), Shown("cow_write_per_page", "COW write, per page", "us"),
           Shown("touch_per_page", "first touch, per page", "us"), WALL)),
    Bench("thread", "thread.c", ("1000",), "pthread_create + pthread_join, 1000 times",
          (Shown("create_join", "create+join", "us"), WALL)),
    Bench("futex", "futex.c", ("20000",), "two threads hand a turn back and forth with FUTEX_WAIT/WAKE",
          (Shown("round_trips_per_s", "round trips", "1/s", higher_is_better=True), WALL)),
    Bench("mutex", "mutex.c", ("500000",), "4 threads x 500000 increments under one pthread mutex",
          (Shown("per_increment", "per increment", "ns"), WALL)),
    Bench("fork1m", "proctree.c", ("fork", "1", "21"), "fork + child _exit + wait with 1 MiB touched (median of 21)",
          (Shown("fork_wait", "fork+exit+wait", "ms"),)),
    Bench("fork64m", "proctree.c", ("fork", "64", "9"), "fork + child _exit + wait with 64 MiB touched (median of 9)",
          (Shown("fork_wait", "fork+exit+wait", "ms"),)),
    Bench("fork1g", "proctree.c", ("fork", "1024", "5"), "fork + child _exit + wait with 1 GiB touched (median of 5)",
          (Shown("fork_wait", "fork+exit+wait", "ms"),)),
    Bench("children", "proctree.c", ("children", "1000", "64"),
          "1000 children of a 64 MiB parent, each writing one page: memory in use while they live",
          (Shown("children_kib", "memory in use", "KiB"),)),
    Bench("tree", "proctree.c", ("tree", "10000"), "a tree of 10000 processes ends: Violet's cascade from its root, "
          "Linux's kill of the process group",
          (Shown("end_tree", "end the tree", "ms"), WALL)),
    Bench("pagefault", "pagefault.c", ("128",), "write one byte per page of 128 MiB fresh anonymous memory, twice",
          (Shown("first_touch", "first touch, per page", "us"), Shown("second_sweep", "second sweep, per page", "us"),
           WALL)),
    Bench("pipe", "pipe.c", ("256",), "a forked child reads what the parent writes in 64 KiB chunks: "
          "256 MiB (Violet: 32 MiB)",
          (Shown("mb_per_s", "throughput", "MB/s", higher_is_better=True), WALL), violet_args=("32",)),
    Bench("pingpong", "pingpong.c", ("20000", "proc"), "one byte there and back through two pipes between "
          "two processes, 20000 round trips (Violet: 5000)",
          (Shown("round_trip", "round trip", "us"), WALL), violet_args=("5000", "proc")),
    Bench("pingpong_thr", "pingpong.c", ("20000", "thread"), "the same between two threads of one process",
          (Shown("round_trip", "round trip", "us"), WALL), violet_args=("5000", "thread")),
    Bench("files", "files.c", ("1000", "4"), "1000 files of 4 KiB in a fresh /tmp directory: "
          "create, write, read, delete",
          (Shown("create", "create (open O_CREAT + close)", "us"), Shown("write", "write 4 KiB (open+write+close)", "us"),
           Shown("read", "read 4 KiB (open+read+close)", "us"), Shown("delete", "delete (unlink)", "us"), WALL)),
    Bench("exec", "exec.c", ("200",), "fork + execve of a small static program + wait, 200 times (Violet: 50)",
          (Shown("per_exec", "fork+exec+exit+wait", "us"), WALL), violet_args=("50",)),
)


@dataclass
class Outcome:
    """The runs of one benchmark under one runner.

    A run that fails (bad exit status, timeout, a figure missing, a check
    value that differs from native's) adds to `failures` and contributes no
    samples; the medians are over the runs that succeeded.
    """

    samples: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    runs: int = 0
    skipped: str | None = None

    @property
    def ok(self) -> int:
        return self.runs - len(self.failures)

    def median(self, key: str) -> float | None:
        values = self.samples.get(key)
        return statistics.median(values) if values else None


# Building -----------------------------------------------------------------


def build(bench: Bench) -> Path:
    """Compile a guest once (cached by content) and return the binary.

    bench.h is pasted into the source first, so that the cache key, which
    covers the source file and violet.h, changes when bench.h does.
    """
    from violet.cli import build_cached, cache_dir

    text = (GUESTS / bench.source).read_text()
    header = (GUESTS / "bench.h").read_text()
    text = text.replace('#include "bench.h"\n', header)
    folder = cache_dir() / "bench-src"
    folder.mkdir(exist_ok=True)
    src = folder / bench.source
    if not src.exists() or src.read_text() != text:
        src.write_text(text)
    return build_cached(src, quiet=True)


# Running ------------------------------------------------------------------


def violet_command() -> list[str]:
    """`violet run`, from the same installation as this interpreter."""
    script = Path(sysconfig.get_path("scripts")) / "violet"
    if script.exists():
        return [str(script), "run"]
    return [sys.executable, "-m", "violet.cli", "run"]


def command(runner: str, binary: Path, args: tuple[str, ...]) -> list[str]:
    if runner == "native":
        return [str(binary), *args]
    if runner == "qemu":
        return ["qemu-x86_64", str(binary), *args]
    return [*violet_command(), str(binary), *args]


def run_once(cmd: list[str], timeout: float) -> tuple[dict[str, float] | None, dict[str, str], str]:
    """Run one guest: its metrics plus "wall" and its check values, or None
    and why it failed."""
    begun = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, {}, f"timed out after {timeout:g} s"
    wall = time.perf_counter() - begun
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return None, {}, f"exit status {proc.returncode}" + (f": {tail}" if tail else "")
    metrics = {"wall": wall}
    checks = {}
    for line in proc.stdout.splitlines():
        m = METRIC_LINE.match(line.strip())
        if m:
            metrics[m.group(1)] = float(m.group(2))
        c = CHECK_LINE.match(line.strip())
        if c:
            checks[c.group(1)] = c.group(2)
    return metrics, checks, ""


def measure(bench: Bench, binary: Path, runner: str, repeat: int, timeout: float,
            expect: dict[str, str] | None) -> tuple[Outcome, dict[str, str]]:
    """Run the guest `repeat` times; also return the check values it printed
    (the first successful run's), which native's runs set for the others."""
    out = Outcome()
    cmd = command(runner, binary, bench.args_for(runner))
    seen: dict[str, str] = {}
    for _ in range(repeat):
        out.runs += 1
        metrics, checks, why = run_once(cmd, timeout)
        if metrics is None:
            out.failures.append(why)
            continue
        missing = [s.key for s in bench.shown if s.key not in metrics]
        if missing:
            out.failures.append(f"printed no {', '.join(missing)}")
            continue
        wrong = [f"{k}={v} (native: {expect[k]})" for k, v in checks.items() if expect and expect.get(k, v) != v]
        if wrong:
            out.failures.append(f"wrong result: {', '.join(wrong)}")
            continue
        seen = seen or checks
        for key, value in metrics.items():
            out.samples.setdefault(key, []).append(value)
    return out, seen


# Reporting ----------------------------------------------------------------


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    mag = abs(value)
    if mag >= 1e5:
        return f"{value:.3g}"
    if mag >= 100:
        return f"{value:.0f}"
    if mag >= 10:
        return f"{value:.1f}"
    if mag >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def slowdown(shown: Shown, native: float | None, other: float | None) -> float | None:
    if native is None or other is None or native <= 0 or other <= 0:
        return None
    return native / other if shown.higher_is_better else other / native


def table(results: dict[str, dict[str, Outcome]], benches: list[Bench], runners: list[str]) -> str:
    head = ["benchmark", "figure", "unit", *runners]
    ratio_cols = [r for r in runners if r != "native"] if "native" in runners else []
    head += [f"{r}/native" for r in ratio_cols]
    rows = [head]
    for bench in benches:
        by_runner = results[bench.name]
        for i, shown in enumerate(bench.shown):
            row = [bench.name if i == 0 else "", shown.label, shown.unit]
            for r in runners:
                o = by_runner[r]
                if o.skipped:
                    cell = "skip"
                elif o.ok == 0:
                    cell = "FAIL"
                else:
                    cell = fmt(o.median(shown.key)) + ("*" if o.failures else "")
                row.append(cell)
            native = by_runner["native"].median(shown.key) if "native" in runners else None
            for r in ratio_cols:
                ratio = slowdown(shown, native, by_runner[r].median(shown.key))
                row.append("-" if ratio is None else f"{ratio:.2f}x")
            rows.append(row)
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[c]) if c < 3 else cell.rjust(widths[c]) for c, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def targets(results: dict[str, dict[str, Outcome]]) -> list[str]:
    """The project's stated targets, checked against Violet's medians."""

    def med(bench: str, runner: str, key: str) -> float | None:
        o = results.get(bench, {}).get(runner)
        return None if o is None else o.median(key)

    lines = []
    checks = (
        ("compute within 1.5x of native", "compute", "inner", "ratio", 1.5),
        ("syscall round trip under 10 us", "syscall", "per_call", "absolute", 10.0),
        ("thread create+join within 20x of native", "thread", "create_join", "ratio", 20.0),
        ("pipe ping-pong round trip under 30 us", "pingpong", "round_trip", "absolute", 30.0),
    )
    for text, bench, key, kind, limit in checks:
        v = med(bench, "violet", key)
        n = med(bench, "native", key)
        if v is None or (kind == "ratio" and n is None):
            lines.append(f"  {text}: not measured")
            continue
        value = v / n if kind == "ratio" and n else v
        shown = f"{value:.2f}x" if kind == "ratio" else f"{value:.2f} us"
        verdict = "met" if value <= limit else f"MISSED by {value / limit:.2f}x"
        lines.append(f"  {text}: {shown} -> {verdict}")
    return lines


def qemu_version() -> str | None:
    if shutil.which("qemu-x86_64") is None:
        return None
    try:
        out = subprocess.run(["qemu-x86_64", "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown version"
    return out.splitlines()[0] if out else "unknown version"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        uc = version("unicorn")
    except Exception:  # not installed as a distribution
        uc = "?"
    return (f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
            f"Python {platform.python_version()}, unicorn {uc}")


def violet_version() -> str:
    """The commit of the Violet being measured, and whether its tree differs."""
    import violet

    src = Path(violet.__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return str(src)
    if not head:
        return str(src)
    return f"{src} at {head}" + (" with uncommitted changes" if dirty else "")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# Main ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per benchmark and runner (default 5)")
    ap.add_argument("--runners", default=",".join(RUNNERS), help="comma-separated subset of native,qemu,violet")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds allowed for one run (default 60)")
    ap.add_argument("--json", metavar="FILE", help="also write every sample to FILE")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)

    if args.list:
        for b in BENCHES:
            print(f"{b.name:10s} {b.what}")
        return 0
    known = {b.name: b for b in BENCHES}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    benches = [known[n] for n in args.names] if args.names else list(BENCHES)
    runners = [r.strip() for r in args.runners.split(",") if r.strip()]
    bad = [r for r in runners if r not in RUNNERS]
    if bad or not runners or args.repeat < 1:
        print("--runners takes native,qemu,violet; --repeat at least 1", file=sys.stderr)
        return 2
    try:
        import violet.cli  # noqa: F401
    except ImportError:
        print("bench/run.py needs Violet importable: run it with the project's venv python", file=sys.stderr)
        return 2

    notes = []
    qemu = qemu_version() if "qemu" in runners else None
    if "qemu" in runners and qemu is None:
        notes.append("qemu-x86_64 not found (Debian: apt-get install qemu-user): the qemu column is skipped")
    print(f"Violet benchmarks, {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}")
    print(f"machine: {machine()}")
    print(f"violet: {violet_version()}")
    if qemu:
        print(f"qemu: {qemu}")
    print(f"load average before: {load_average()} (other work on the machine skews every column)")
    print(f"median of {args.repeat} runs each; ratios are times slower than native\n", flush=True)

    results: dict[str, dict[str, Outcome]] = {}
    started = time.perf_counter()
    for bench in benches:
        print(f"[{bench.name}] {bench.what}", file=sys.stderr, flush=True)
        try:
            binary = build(bench)
        except Exception as e:  # a build failure ends only this benchmark
            notes.append(f"{bench.name}: build failed: {e}")
            results[bench.name] = {r: Outcome(failures=["build failed"], runs=1) for r in runners}
            continue
        results[bench.name] = {}
        expect: dict[str, str] | None = None
        for runner in runners:
            if runner == "qemu" and qemu is None:
                results[bench.name][runner] = Outcome(skipped="no qemu")
                continue
            o, checks = measure(bench, binary, runner, args.repeat, args.timeout, expect)
            if runner == "native":
                expect = checks
            for why in dict.fromkeys(o.failures):
                times = o.failures.count(why)
                notes.append(f"{bench.name} under {runner}: {times} of {o.runs} runs failed: {why}")
            results[bench.name][runner] = o

    print(table(results, benches, runners))
    if "violet" in runners:
        print("\ntargets (Violet):")
        print("\n".join(targets(results)))
    if any(o.failures and o.ok for rs in results.values() for o in rs.values()):
        notes.insert(0, "* = median of the runs that succeeded; the others failed (below)")
    if notes:
        print("\nnotes:")
        for n in notes:
            print(f"  {n}")
    print(f"\n(harness took {time.perf_counter() - started:.0f} s; load average after: {load_average()})")

    if args.json:
        dump = {b: {r: {"samples": o.samples, "failures": o.failures, "skipped": o.skipped} for r, o in rs.items()}
                for b, rs in results.items()}
        Path(args.json).write_text(json.dumps(dump, indent=1))
    failed = any(o.failures for rs in results.values() for o in rs.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
