"""The `violet` command: run, cc, demo, syscalls.

    violet run [options] PROG [ARGS...]
    violet cc FILE.c ... -o OUT
    violet demo
    violet syscalls

Exit status of `run` is the guest's, as a shell reports it: its exit code,
or 128+N for a death by signal N; 126/127 when the program cannot be
started; 124 on --timeout; 125 on a deadlock; 2 for a usage mistake.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import NoReturn

from .errors import KernelBug, LoadError, UsageError

GUEST_DIR = Path(__file__).parent / "guest"
ZIG_TARGET = ["-target", "x86_64-linux-musl", "-mcpu=baseline", "-static"]
USAGE_STATUS = 2
BUG_STATUS = 70  # EX_SOFTWARE


def cache_dir() -> Path:
    base = os.environ.get("VIOLET_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "violet"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _zig_version() -> str:
    try:
        from importlib.metadata import version

        return version("ziglang")
    except Exception:  # not installed as a distribution: still try to run it
        return "unknown"


def compile_c(sources: list[str], out: str, extra: list[str] | None = None, quiet: bool = False) -> int:
    """Build a static x86-64 guest with zig cc; return zig's exit status."""
    marker = cache_dir() / f"zig-libc-ready-{_zig_version()}"
    if not marker.exists() and not quiet:
        print("violet cc: the first build compiles the guest C library (musl); this takes about a minute, once.",
              file=sys.stderr, flush=True)
    cmd = [sys.executable, "-m", "ziglang", "cc", *ZIG_TARGET, f"-I{GUEST_DIR}", "-O2", *(extra or []), *sources, "-o", out]
    try:
        rc = subprocess.call(cmd)
    except OSError as e:
        print(f"violet cc: cannot run zig: {e}", file=sys.stderr)
        return 127
    if rc == 0:
        marker.touch()
    return rc


def _local_headers(source: Path) -> bytes:
    """The bytes of every `#include "x.h"` found beside `source` (one level)."""
    found = re.findall(rb'^\s*#\s*include\s+"([^"]+)"', source.read_bytes(), re.M)
    paths = [source.parent / os.fsdecode(name) for name in found]
    return b"".join(p.read_bytes() for p in paths if p.is_file())


def build_cached(source: Path, quiet: bool = False) -> Path:
    """Compile `source` once into the cache (keyed by its content, the
    headers it includes from beside it, violet.h and the zig version).

    Safe when several processes build the same source at once (parallel
    test runs): each compiles to its own temporary name and the rename into
    place is atomic, so `out` is always a complete binary.
    """
    key = source.read_bytes() + _local_headers(source) + (GUEST_DIR / "violet.h").read_bytes() + _zig_version().encode()
    digest = hashlib.sha256(key).hexdigest()[:16]
    folder = cache_dir() / digest
    folder.mkdir(exist_ok=True)
    out = folder / source.stem
    if not out.exists():
        tmp = folder / f"{source.stem}.{os.getpid()}.tmp"
        rc = compile_c([str(source)], str(tmp), quiet=quiet)
        if rc != 0:
            tmp.unlink(missing_ok=True)
            raise UsageError(f"could not build {source.name} (zig cc exit {rc})")
        os.replace(tmp, out)
    return out


def _parse_env(items: list[str]) -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/"), "TERM": os.environ.get("TERM", "dumb")}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--env needs KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        env[key] = value
    return env


def _parse_user(text: str | None):  # type: ignore[no-untyped-def]
    from .kernel.perms import User

    if text is None:
        import pwd

        try:
            name = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            name = os.environ.get("USER", "user")
        return User(os.getuid(), name, os.getgid())
    name, _, uid = text.partition(":")
    if uid and not uid.isdigit():
        raise UsageError(f"--user NAME[:UID], got {text!r}")
    if name == "root":
        return User(0, "root", 0)
    n = int(uid) if uid else 1000
    return User(n, name or "user", n)


def _permissions(args: argparse.Namespace, vfs=None):  # type: ignore[no-untyped-def]
    from .kernel.kernel import parse_size
    from .kernel.perms import from_options

    perms = from_options(args.allow, args.deny)
    if vfs is not None:  # prefixes are compared with resolved paths: resolve them too, inside the root
        perms = perms.map_paths(lambda path, excluded: vfs.resolve_prefix(path, "/", excluded))
    mem_pages = parse_size(args.mem_budget, "--mem-budget") // 4096 if args.mem_budget else None
    for value, flag in ((args.max_procs, "--max-procs"), (args.max_threads, "--max-threads")):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be at least 1")
    return perms.restrict(mem_pages=mem_pages, max_procs=args.max_procs, max_threads=args.max_threads)


def _terminal_modes() -> dict[int, list]:  # type: ignore[type-arg]
    """The modes of the terminals Violet's stdin, stdout and stderr are."""
    import termios

    modes = {}
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                modes[fd] = termios.tcgetattr(fd)
        except (OSError, termios.error):
            pass
    return modes


def _restore_terminal_modes(modes: dict[int, list]) -> None:  # type: ignore[type-arg]
    """Put the terminal back as it was: a guest killed in raw mode (or one
    that forgot) must not leave the user's shell without echo."""
    import termios

    for fd, mode in modes.items():
        try:
            if termios.tcgetattr(fd) != mode:
                termios.tcsetattr(fd, termios.TCSADRAIN, mode)
        except (OSError, termios.error):
            pass


def cmd_run(args: argparse.Namespace) -> int:
    from .kernel.kernel import Kernel
    from .kernel.task import Kind

    if not args.prog:
        raise UsageError("violet run needs a program")
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    if not args.slice_ms >= 0.1:
        raise UsageError(f"--slice-ms must be at least 0.1, not {args.slice_ms:g}")
    if args.trace_filter:
        from .trace.strace import check_filter

        check_filter(args.trace_filter)
    outputs = {}
    if args.timeline:
        outputs["--timeline"] = _open_output("--timeline", args.timeline)
    if args.tree_svg and not os.access(os.path.dirname(os.path.abspath(args.tree_svg)), os.W_OK):
        raise UsageError(f"--tree-svg: cannot write {args.tree_svg}: its directory is missing or read-only")
    kernel = Kernel(mem=args.mem, root=args.root, quiet=args.quiet, slice_ms=args.slice_ms, check=args.check)
    trace_file = None
    if args.trace or args.trace_file:
        from .trace.strace import attach_tracer

        stream = attach_tracer(kernel, args.trace_file, args.trace_filter)
        trace_file = stream if args.trace_file else None
        if args.trace_cow:
            from .trace.strace import trace_cow

            trace_cow(kernel)
    timeline = None
    if args.timeline:
        from .trace.timeline import Timeline

        timeline = Timeline(kernel)
    try:
        kernel.spawn(
            [args.prog, *args.args],
            env=_parse_env(args.env),
            kind=Kind.SYSTEM if args.system else Kind.APPLICATION,
            user=_parse_user(args.user),
            perms=_permissions(args, kernel.vfs),
        )
    except LoadError as e:
        print(f"violet: {e}", file=sys.stderr)
        return e.status
    _forward_host_signals(kernel)
    from .trace.report import print_tree

    kernel.on_view = lambda k: print_tree(k, sys.stderr)
    modes = _terminal_modes()
    try:
        status = kernel.run(timeout=args.timeout)
    finally:
        _restore_terminal_modes(modes)
        if trace_file is not None:
            trace_file.close()
    if kernel.stats.audit and not args.quiet:
        _report_refusals(kernel)
    if args.stats:
        from .trace.report import print_stats

        print_stats(kernel, sys.stderr)
    if args.tree:
        from .trace.report import print_tree

        print_tree(kernel, sys.stderr)
    if timeline is not None:
        with outputs["--timeline"] as f:
            timeline.write(f)
    if args.tree_svg:
        from .trace.timeline import write_tree_svg

        try:
            written = write_tree_svg(kernel, args.tree_svg)
        except OSError as e:
            print(f"violet: --tree-svg: cannot write {args.tree_svg}: {e.strerror}", file=sys.stderr)
        else:
            if written != args.tree_svg:
                print(f"violet: graphviz's dot is not installed; wrote the tree as DOT to {written}", file=sys.stderr)
    if kernel.interrupted is not None:
        return 128 + kernel.interrupted
    return status


def _report_refusals(kernel) -> None:  # type: ignore[no-untyped-def]
    """One line per kind of request the permissions or budgets refused."""
    for (what, err), n in kernel.stats.refusals.most_common():
        times = f" ({n} times)" if n > 1 else ""
        print(f"violet: refused: {what}: {err}{times}", file=sys.stderr)


def _open_output(flag: str, path: str):  # type: ignore[no-untyped-def]
    """Open an output file before the run, so a bad path fails at once."""
    try:
        return open(path, "w")  # noqa: SIM115 (closed after the run)
    except OSError as e:
        raise UsageError(f"{flag}: cannot write {path}: {e.strerror}") from None


def _on_terminal() -> bool:
    """Violet runs in the foreground of the terminal that is its stdin."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def _forward_host_signals(kernel) -> None:  # type: ignore[no-untyped-def]
    """SIGTERM or SIGHUP to violet end the guest tree (the cascade rule);
    SIGUSR1 prints the process tree while the guest runs.  Ctrl-C
    (SIGINT) and Ctrl-\\ (SIGQUIT) end the guest tree too, unless Violet
    runs on a terminal: then they, and SIGWINCH, go to the guest's
    foreground process group, as the terminal would send them, so an
    interactive shell survives a Ctrl-C that stops its command.

    Python runs signal handlers only between bytecodes of the main thread,
    and a guest in a compute loop may keep the main thread inside the
    engine: the signal's number is also written to a wakeup pipe, whose
    reader thread stops the engine at once.
    """
    forwarded = {signal.SIGINT, signal.SIGQUIT, signal.SIGWINCH} if _on_terminal() else set()

    def handler(signo: int, _frame: object) -> None:
        if signo == signal.SIGUSR1:
            kernel.request_view()
        elif signo not in forwarded:  # the wakeup pipe's reader forwards those, once
            kernel.interrupt(signo)

    for s in {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1} | forwarded:
        signal.signal(s, handler)
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)

    def reader() -> None:
        while True:
            try:
                data = os.read(r, 1)
            except OSError:
                return
            if not data:
                return
            if data[0] == signal.SIGUSR1:
                kernel.request_view()
            elif data[0] in forwarded:
                kernel.terminal_signal(data[0])
            else:
                kernel.interrupt(data[0])

    threading.Thread(target=reader, name="violet-signals", daemon=True).start()


def cmd_cc(argv: list[str]) -> int:
    if not argv or "-o" not in argv:
        raise UsageError("usage: violet cc FILE.c ... -o OUT")
    i = argv.index("-o")
    if i + 1 >= len(argv):
        raise UsageError("-o needs a file name")
    out = argv[i + 1]
    rest = argv[:i] + argv[i + 2 :]
    for src in rest:
        if not src.startswith("-") and src.endswith((".c", ".s", ".S", ".o", ".a", ".cc", ".cpp")) and not os.path.exists(src):
            raise UsageError(f"cc: {src}: no such file")
    return compile_c(rest, out)


def cmd_demo(args: argparse.Namespace) -> int:
    from .kernel.kernel import Kernel

    print("Building the demo guest (cached after the first time)...", file=sys.stderr, flush=True)
    binary = build_cached(GUEST_DIR / "demo.c")
    print(f"Running {binary.name} under Violet:\n", file=sys.stderr, flush=True)
    kernel = Kernel(mem="1G")
    kernel.spawn([str(binary)])
    status = kernel.run()
    from .trace.report import print_tree

    print("\nThe process tree Violet kept:", flush=True)
    print_tree(kernel, sys.stdout)
    return status


def cmd_syscalls(args: argparse.Namespace) -> int:
    from .syscalls.table import load_all

    print(f"{'nr':>6}  {'name':22s} {'support':8s} {'class':8s}  what is missing")
    for nr, e in sorted(load_all().items()):
        note = f"  {e.note}" if e.note else ""
        print(f"{nr:6d}  {e.name:22s} {e.support.value:8s} {e.cls:8s}{note}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake reported on one line like every other."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="violet", description="Run static x86-64 Linux programs under Violet's kernel.")
    sub = ap.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a static program under Violet")
    run.add_argument("prog", nargs="?")
    run.add_argument("args", nargs=argparse.REMAINDER)
    run.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="set a variable (repeatable)")
    run.add_argument("--mem", default="2G", help="physical memory of the kernel (default 2G)")
    run.add_argument("--root", default="/", help="host directory that is the guest's / (default: the host's /)")
    run.add_argument("--user", help="run as NAME[:UID] (default: your own user)")
    run.add_argument("--deny", action="append", default=[], metavar="RIGHT",
                     help="drop a right: proc.spawn, proc.thread, proc.launch, proc.signal, proc.exec, fs.read, fs.write; "
                          "fs.read:PREFIX, fs.write:PREFIX take a subtree away from the right")
    run.add_argument("--allow", action="append", default=[], metavar="RIGHT",
                     help="grant a right: proc.launch (violet_launch) is held only when granted; "
                          "fs.read:PREFIX, fs.write:PREFIX limit a file right to a subtree")
    run.add_argument("--mem-budget", metavar="SIZE", help="private memory the program may own, e.g. 64M")
    run.add_argument("--max-procs", type=int, metavar="N", help="processes alive at once in the program's tree")
    run.add_argument("--max-threads", type=int, metavar="N", help="threads alive at once per process")
    run.add_argument("--system", action="store_true", help="launch as a system process instead of an application")
    run.add_argument("--timeout", type=float, metavar="SECONDS", help="end the whole guest tree after this long")
    run.add_argument("--slice-ms", type=float, default=10.0, help="scheduler time slice (default 10 ms)")
    run.add_argument("--quiet", "-q", action="store_true", help="no kernel messages on stderr")
    run.add_argument("--check", action="store_true", help="verify the kernel's invariants after every process-level call")
    run.add_argument("--trace", action="store_true", help="print every syscall to stderr")
    run.add_argument("--trace-file", metavar="FILE", help="write the trace to FILE")
    run.add_argument("--trace-cow", action="store_true", help="with --trace: an event for every copy-on-write copy")
    run.add_argument("--trace-filter", metavar="CLASSES",
                     help="comma-separated classes (process, memory, file, signal, thread, time, events) "
                          "or syscall names, e.g. process,mmap")
    run.add_argument("--stats", action="store_true", help="print per-process figures at exit")
    run.add_argument("--tree", action="store_true", help="print the process and thread tree at exit")
    run.add_argument("--timeline", metavar="FILE.json", help="write a Chrome/Perfetto trace of the run")
    run.add_argument("--tree-svg", metavar="FILE.svg", help="draw the process tree (graphviz dot, else DOT text)")

    sub.add_parser("cc", help="compile a guest program: violet cc FILE.c -o OUT", add_help=False)
    sub.add_parser("demo", help="build and run the bundled example")
    sub.add_parser("syscalls", help="list the syscalls Violet implements")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "cc":
            return cmd_cc(argv[1:])
        args = build_parser().parse_args(argv)
        handler = {"run": cmd_run, "demo": cmd_demo, "syscalls": cmd_syscalls}[args.command]
        code = handler(args)
    except UsageError as e:
        print(f"violet: {e}", file=sys.stderr)
        code = USAGE_STATUS
    except KernelBug as e:
        print(f"violet: internal error (a kernel bug, please report it): {e}", file=sys.stderr)
        code = BUG_STATUS
    except BrokenPipeError:
        code = 0
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return code


if __name__ == "__main__":
    sys.exit(main())
