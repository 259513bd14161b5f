"""Real programs side by side: Lua and SQLite natively, under qemu-user and
under Violet.

    python bench/realprogs.py [--repeat N] [--runners native,qemu,violet] [--json FILE]

The programs are the ones the tests use (tests/realprogs.py: Lua 5.4.8 from
lupa's sdist on PyPI, the sqlite3 shell of SQLite 3.52.0 from the npm
package sqlite3; fetched and built once into the cache).  Two workloads:

- lua: tests/guests/lua/heavy.lua (a sieve to 200000, 8-queens, 20000
  string.format calls and a concat, sorting 50000 random numbers, 100000
  table updates, 200000 math.sin/sqrt, fib(24)); nearly no syscalls;
- sqlite: a new file database, 20000 INSERT statements in one transaction,
  an index, a join with GROUP BY and an integrity check: parsing and
  B-tree work plus a few hundred file writes.

Each way runs --repeat times (default 3); the figures are medians of the
whole run's wall time and of its CPU time (user + system of the process
and its children: on a machine shared with other work, the steadier of
the two), start-up included, and each ratio is over native's (above 1:
slower).  Every run's output must equal native's.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import realprogs

sys.path.insert(0, str(HERE))
from run import command

LUA_SCRIPT = HERE.parent / "tests" / "guests" / "lua" / "heavy.lua"


def sqlite_script(rows: int) -> bytes:
    lines = [".bail on", "create table item(id integer primary key, grp integer, name text, price real);",
             "create table grp(id integer primary key, label text);", "begin;"]
    lines += [f"insert into item values({i}, {i * 31 % 97}, 'item-{i:06d}', {i * 0.37:.2f});" for i in range(rows)]
    lines += [f"insert into grp values({g}, 'group {g}');" for g in range(97)]
    lines += ["commit;", "create index item_grp on item(grp);",
              "select count(*), round(sum(price), 2) from item;",
              ("select g.label, count(*), round(avg(i.price), 3) from item i join grp g on g.id = i.grp"
               " group by g.id order by 2 desc, 1 limit 3;"),
              "pragma integrity_check;"]
    return "\n".join(lines).encode() + b"\n"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_run(cmd: list[str], stdin: bytes, timeout: float) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of one run, and its output."""
    cpu0, begun = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, check=False)
    wall, cpu = time.perf_counter() - begun, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
    return wall, cpu, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runners", default="native,qemu,violet")
    parser.add_argument("--rows", type=int, default=20000, help="INSERT statements of the sqlite workload")
    parser.add_argument("--json", type=Path)
    opts = parser.parse_args()
    runners = [r for r in opts.runners.split(",") if r != "qemu" or shutil.which("qemu-x86_64")]
    if "native" not in runners:
        runners.insert(0, "native")

    lua, sqlite = realprogs.lua(), realprogs.sqlite3()
    results: dict[str, dict[str, dict[str, float]]] = {}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        script = sqlite_script(opts.rows)
        workloads = {
            "lua": (lua, lambda i: (str(LUA_SCRIPT),), b""),
            "sqlite": (sqlite, lambda i: (f"{tmp}/bench-{i}.db",), script),
        }
        for name, (binary, args, stdin) in workloads.items():
            reference = None
            results[name] = {}
            for runner in runners:
                walls, cpus = [], []
                for i in range(opts.repeat):
                    run_args = args(f"{runner}-{i}")
                    try:
                        wall, cpu, out = time_run(command(runner, binary, run_args), stdin, timeout=600)
                    except (RuntimeError, subprocess.TimeoutExpired) as e:
                        print(f"note: {name} under {runner}: {e}", file=sys.stderr)
                        failed = True
                        continue
                    if reference is None:
                        reference = out
                    elif out != reference:
                        print(f"note: {name} under {runner}: output differs from native's", file=sys.stderr)
                        failed = True
                        continue
                    walls.append(wall)
                    cpus.append(cpu)
                if walls:
                    results[name][runner] = {"wall": statistics.median(walls), "cpu": statistics.median(cpus)}

    others = [r for r in runners if r != "native"]
    print(f"| workload | figure | {' | '.join(runners)} | " + " | ".join(f"{r}/native" for r in others) + " |")
    print("|---" * (2 + len(runners) + len(others)) + "|")
    for name, times in results.items():
        for figure in ("wall", "cpu"):
            base = times.get("native", {}).get(figure)
            cells = [f"{times[r][figure]:.2f} s" if r in times else "FAIL" for r in runners]
            ratios = [f"{times[r][figure] / base:.1f}x" if base and r in times else "-" for r in others]
            print(f"| {name} | {figure} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    if opts.json:
        opts.json.write_text(json.dumps({"repeat": opts.repeat, "rows": opts.rows, "seconds": results}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
