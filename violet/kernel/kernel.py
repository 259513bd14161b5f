"""The kernel: boot, the process table, the run loop.

One `Kernel` owns one CPU engine, one frame pool and every process and
thread.  Guest code runs only inside `Kernel.run`, one thread at a time; a
time slice ends when the thread makes a call that must finish outside the
engine, blocks, exits, faults, or its slice expires.  Nothing is global at
module level: several kernels can live in one Python process.
"""

from __future__ import annotations

import errno
import heapq
import os
import select
import sys
import threading
import time
import weakref
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Sequence

from ..cpu import engine as cpu_mod
from ..cpu.engine import Context, Cpu
from ..errors import KernelBug, LoadError, SyscallError, UsageError
from ..fs.files import O_RDONLY, O_WRONLY, BytesInput, Capture, Descriptors, FdTable, HostStream, OpenFile
from ..fs.vfs import Vfs
from ..loader import elf
from ..mm.frames import FramePool
from ..mm.space import AddressSpace
from ..syscalls.numbers import NAMES
from ..syscalls.table import SYSCALLS, Syscall, load_all, name_of
from ..trace.events import Events
from . import exits, invariants, timers
from .perms import Permissions, Right, User
from .signals import SIGKILL, UNBLOCKABLE, SigState, default_action, deliver_pending, signal_name
from .task import Block, Kind, NoReturn, Process, Thread, ThreadState

EXIT_TIMEOUT = 124
EXIT_DEADLOCK = 125
MAX_PID = 4_194_304  # /proc/sys/kernel/pid_max on 64-bit Linux
AUDIT_KEPT = 10_000  # permission denials kept as events in KernelStats.audit
MAX_UNNAMED_REPORTED = 64  # syscall numbers without a Linux name, reported and counted one by one
MAX_TASKS = 32_768  # live threads in one kernel (about 6 KiB of host memory each, and more)
MAX_FILLS_KEPT = 16384  # remembered fills per address space (about 2 MB of host memory at most)
HOOK_SWITCH_MAX_S = 0.002  # an engine run hands the CPU over in the hook for at most this long
TIMERS_COMPACT_MIN = 4096  # timer-heap entries before stale ones are swept out (Kernel.push_timer)
HOST_POLL_S = 0.005  # how often host descriptors guests wait on are polled while other threads run
RECLAIM_BATCH = 16  # ended processes whose memory is given back between two slices (FramePool.pending; about 0.5 ms)

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _close_fds(*fds: int) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def parse_size(text: str | int, what: str = "size") -> int:
    """'512M', '4G', '65536' -> bytes.  UsageError, naming `what`, if unreadable."""
    if isinstance(text, int):
        return text
    s = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = s[-1:] if s[-1:] in _UNITS else ""
    try:
        value = float(s[: len(s) - len(unit)])
    except ValueError:
        raise UsageError(f"{what}: cannot read size {text!r} (use e.g. 512M or 4G)") from None
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{what} must be a positive size, not {text!r}")
    return int(value * _UNITS[unit])


@dataclass
class Crash:
    """What the kernel knows about a fatal fault, for the report."""

    pid: int
    tid: int
    name: str
    signal: int
    what: str
    address: int | None
    rip: int
    instruction: str


@dataclass
class _Timer:
    """A deadline: a blocked thread's (thread, block), or a process's
    ITIMER_REAL (alarm, with the generation it was armed with)."""

    deadline: float
    thread: Thread | None
    block: Block | None
    alarm: Process | None = None
    generation: int = 0
    fire: Callable[[], None] | None = None  # a POSIX timer's expiry (kernel/timers.py)

    def __lt__(self, other: _Timer) -> bool:
        return self.deadline < other.deadline

    def stale(self) -> bool:
        """Nothing will happen when it comes due: an alarm re-armed or
        disarmed since, a wait that has ended, a POSIX timer re-armed or
        deleted (its `fire` tells)."""
        if self.alarm is not None:
            p = self.alarm
            return not p.alive or p.itimer_real is None or self.generation != p.itimer_generation
        fire = getattr(self, "fire", None)  # (the field comes with kernel/timers.py)
        if fire is not None:
            gone = getattr(fire, "stale", None)
            return bool(gone is not None and gone())
        t = self.thread
        return t is None or t.state is not ThreadState.BLOCKED or t.block is not self.block


@dataclass
class KernelStats:
    syscalls: int = 0
    switches: int = 0
    slices: int = 0
    preemptions: int = 0
    # Permission denials: the first AUDIT_KEPT as events, all of them
    # counted by (what, errno) in `refusals`; a guest repeating a denied
    # call in a loop must not grow the kernel's memory with each one.
    audit: list[dict[str, Any]] = field(default_factory=list)
    audit_dropped: int = 0
    refusals: Counter[tuple[str, str]] = field(default_factory=Counter)


class Kernel:
    """A Violet kernel.  See README, "Python API"."""

    def __init__(
        self,
        mem: str | int = "2G",
        stdin: Any = None,
        stdout: Any = None,
        stderr: Any = None,
        root: str = "/",
        slice_ms: float = 10.0,
        quiet: bool = False,
        report: IO[str] | None = None,
        check: bool = False,
    ) -> None:
        phys = parse_size(mem, "--mem")
        if phys < (16 << 20):
            raise UsageError("--mem must be at least 16M")
        if phys > (64 << 30):
            raise UsageError("--mem may be at most 64G")
        load_all()
        self.cpu = Cpu(phys)
        self.pool = FramePool(phys >> 12, self.cpu.phys_read, self.cpu.phys_write)
        self.pool.on_code_freed = self._code_freed
        self.vfs = Vfs(root)
        # Descriptors in every file table together: one per physical page
        # (at least 65536), about 100 bytes of host memory each.
        self.descriptors = Descriptors(max(1 << 16, self.pool.nframes))
        self.events = Events()
        self.stats = KernelStats()
        self.quiet = quiet
        self.check_invariants = check  # verify invariants.py after every deferred call
        self.max_tasks = MAX_TASKS  # live threads, all processes together: clone gets EAGAIN beyond
        self.report = report if report is not None else sys.stderr
        self.slice_us = max(100, int(slice_ms * 1000))

        self.procs: dict[int, Process] = {}  # live and zombie processes
        self.terminal_pgrp: int | None = None  # the terminal's foreground group (tcsetpgrp); None: the session's
        self.history: list[Process] = []  # every process ever created, in order
        self.threads: dict[int, Thread] = {}  # live threads by tid
        self._next_id = 1
        self.runq: deque[Thread] = deque()
        self._timers: list[_Timer] = []
        # The heap is rebuilt without its stale entries once it grows past
        # this: a guest re-arming an alarm or a timer a million times (or
        # cutting a long sleep short as often) must not leave a million
        # entries in host memory until their far-off deadlines.
        self._timers_compact_at = TIMERS_COMPACT_MIN
        self.current: Thread | None = None  # the thread loaded in the CPU
        self._space: AddressSpace | None = None  # whose translations the TLB holds
        self._fills: dict[int, tuple[int, int]] = {}  # _space's remembered read and fetch fills (_fill)
        self._fill_caches: weakref.WeakKeyDictionary[AddressSpace, dict[int, tuple[int, int]]] = weakref.WeakKeyDictionary()
        self._deferred: tuple[Syscall, tuple[int, ...]] | None = None
        self._trap: int | None = None
        self._fault: tuple[int, int] | None = None
        self._code_stale = False
        self.crashes: list[Crash] = []
        self.bugs: list[tuple[str, BaseException]] = []  # kernel bugs met while running
        self.enosys_seen: set[int] = set()
        self._unnamed_seen = 0  # numbers in enosys_seen without a Linux name
        self.futexes: dict[object, deque[Thread]] = {}
        self.futex_waits = 0  # futex waits since the last sweep of stale waiters (syscalls/futex.py)
        self.boot_frames = self.pool.in_use
        self.started = time.monotonic()
        self.deadlock: list[str] | None = None
        self.interrupted: int | None = None  # a host signal that ended the run
        self._expired = False  # set by run()'s deadline timer, from its own host thread
        self._slice_owner: Thread | None = None  # whose time slice is running
        self._slice_began = 0.0
        self._bounded = False  # the engine run under way has a deadline (see _switch_in_hook)
        self._running: Thread | None = None  # the thread the engine runs now (see _switch_in_hook)
        self._run_began = self._engine_began = 0.0
        self.in_engine = False  # inside cpu.run (a syscall in the hook)
        self._yielded = False  # sched_yield: the current slice ends now
        self.on_view: Callable[[Kernel], None] | None = None
        self._view_requested = False
        self._terminal_signals: list[int] = []  # from the host terminal, for the foreground group (terminal_signal)
        # Threads blocked on each wake key (a superset: entries are checked
        # against the thread's current Block when the key is woken).
        self._waiters: dict[object, set[Thread]] = {}
        # Host descriptors guests wait on are polled while other threads
        # run, at most this often; and a pipe that host signals and the
        # deadline timer write to wakes an idle kernel's select.
        self._next_host_poll = 0.0
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        weakref.finalize(self, _close_fds, self._wake_r, self._wake_w)
        self._min_vruntime = 0.0  # the least vruntime among threads picked so far
        self._spawned: list[Process] = []  # launched by spawn() since the last run(); run() reports the first
        self._stdio = self._std_files(stdin, stdout, stderr)

        self.cpu.on_fill = self._fill
        self.cpu.on_syscall = self._syscall
        self.cpu.on_interrupt = self._interrupt

        # PID 1: the system process that reaps what nobody waits for.  It runs
        # no guest code; the kernel acts for it.
        self.init = self._new_process(Kind.SYSTEM, None, User(0, "root", 0), Permissions(), None, None)
        self.init.argv = [b"init"]
        self.init.exe = "init"

    # Set-up -------------------------------------------------------------

    def _std_files(self, stdin: Any, stdout: Any, stderr: Any) -> list[OpenFile]:
        def make(spec: Any, fd: int, write: bool) -> OpenFile:
            name = ("stdin", "stdout", "stderr")[fd]
            if spec is None:
                return HostStream(fd, O_WRONLY if write else O_RDONLY, name)
            if isinstance(spec, int):
                return HostStream(spec, O_WRONLY if write else O_RDONLY, name)
            if isinstance(spec, (bytes, str)) and not write:
                return BytesInput(spec.encode() if isinstance(spec, str) else spec)
            if isinstance(spec, OpenFile):
                return spec
            if write and (isinstance(spec, bytearray) or hasattr(spec, "write")):
                return Capture(name, spec)
            raise UsageError(f"cannot use {spec!r} as {name}")

        return [make(stdin, 0, False), make(stdout, 1, True), make(stderr, 2, True)]

    def _new_id(self) -> int:
        if self._next_id >= MAX_PID:
            raise SyscallError(errno.EAGAIN, "process and thread IDs exhausted")
        n = self._next_id
        self._next_id += 1
        return n

    def _new_process(
        self,
        kind: Kind,
        parent: Process | None,
        user: User,
        perms: Permissions,
        space: AddressSpace | None,
        files: FdTable | None,
        launcher: Process | None = None,
    ) -> Process:
        p = Process(self._new_id(), kind, parent, user, perms, space, files)
        if launcher is not None:
            p.launcher = launcher
            launcher.launched.append(p)
        p.pgid = p.sid = p.pid
        if parent is not None:
            parent.children.append(p)
            if parent is not self.init:
                p.pgid, p.sid = parent.pgid, parent.sid
        self.procs[p.pid] = p
        self.history.append(p)
        for a in p.sponsors():
            a.live_below += 1
        if space is not None:
            self._attach_budget(p)
        return p

    def _attach_budget(self, p: Process) -> None:
        assert p.space is not None
        p.space.budget_pages = p.perms.mem_pages

    def new_thread(self, p: Process, creator: Thread | None) -> Thread:
        """A runnable thread of p.  A process's first thread has tid == pid."""
        tid = p.pid if not p.threads else self._new_id()
        t = Thread(tid, p, Context(self.cpu), creator)
        if creator is not None:
            creator.created.append(t)
            t.priority = creator.priority
            t.sigmask = creator.sigmask
            t.name = creator.name  # comm (PR_SET_NAME) is inherited, as on Linux
        p.threads.append(t)
        p.threads_created += 1
        p.live_count += 1
        self.threads[t.tid] = t
        t.vruntime = self._min_vruntime
        self.runq.append(t)
        return t

    # Launching programs ---------------------------------------------------

    def spawn(
        self,
        argv: Sequence[str | bytes],
        env: dict[str, str] | Sequence[str] | None = None,
        kind: Kind | str = Kind.APPLICATION,
        user: User | None = None,
        perms: Permissions | None = None,
        cwd: str | None = None,
        parent: Process | None = None,
        launcher: Process | None = None,
    ) -> Process:
        """Start a program as a new process (an application, a child of init).

        `launcher`: the process that asked for it (violet_launch); the new
        application counts against the launcher's process budgets and ends
        when the launcher ends.

        Raises LoadError when the program cannot be loaded (with the shell
        status 126/127), UsageError for bad arguments.  A str argument or
        variable is encoded as the host encodes file names (os.fsencode), so
        bytes that are not UTF-8 (sys.argv carries them as surrogates) arrive
        unchanged.
        """
        if isinstance(kind, str):
            try:
                kind = Kind(kind)
            except ValueError:
                raise UsageError(f"unknown process kind {kind!r}") from None
        if kind is Kind.WORKER:
            raise UsageError("workers are created by fork/clone, not launched")
        if not argv:
            raise UsageError("no program given")
        args = [os.fsencode(a) if isinstance(a, str) else bytes(a) for a in argv]
        if env is None:
            envp = [b"PATH=/usr/local/bin:/usr/bin:/bin", b"HOME=/", b"TERM=" + os.fsencode(os.environ.get("TERM", "dumb"))]
        elif isinstance(env, dict):
            envp = [os.fsencode(f"{k}={v}") for k, v in env.items()]
        else:
            envp = [os.fsencode(e) if isinstance(e, str) else bytes(e) for e in env]
        user = user or User()
        perms = perms or Permissions()
        parent = parent or self.init
        path = args[0].decode(errors="surrogateescape")
        host_path, guest_path = self.vfs.find_program(path, cwd or "/")
        host_path, shown, args = self.vfs.follow_scripts(host_path, path, args)
        if shown != path:
            guest_path = self.vfs.guest_path(host_path)
        image = self.vfs.read_program(host_path, shown, self.pool.nframes << 12)

        space = AddressSpace(self.pool)
        files = FdTable(self.descriptors)
        for fd, f in enumerate(self._stdio):
            files.install(f, at=fd)
        p = self._new_process(kind, parent, user, perms, space, files, launcher)
        p.cwd = cwd or self.vfs.default_cwd()
        p.sig = SigState()
        t = self.new_thread(p, None)
        p.main = t
        try:
            self.exec_image(t, image, guest_path, args, envp, execfn=args[0])
        except BaseException:
            exits.discard_unstarted(self, p)
            raise
        self.events.emit("process", proc=p, parent=parent, kind=kind.value)
        if parent is self.init:
            self._spawned.append(p)
        return p

    def exec_image(
        self, t: Thread, image: elf.ElfImage, path: str, argv: list[bytes], envp: list[bytes], execfn: bytes
    ) -> None:
        """Load `image` into t's process (whose address space is empty) and
        point t at its entry.  `path` is the guest's absolute path of the
        program; `execfn` the name it was started by (AT_EXECFN)."""
        p = t.process
        assert p.space is not None
        uid = p.user.uid
        ids = (uid, uid, p.user.gid, p.user.gid)
        loaded = elf.load(p.space, image, argv, envp, ids, os.urandom(16), execfn)
        p.argv, p.envp, p.exe = argv, envp, path
        if p.timers is not None:
            timers.on_exec(self, p)
        ctx = Context(self.cpu)
        t.ctx.free()
        t.ctx = ctx
        if self.current is t:
            self.current = None
        # A fresh register file: everything zero but RSP, RIP and flags.
        for reg in cpu_mod.GREGS:
            ctx.write(reg, 0)
        ctx.write(cpu_mod.RSP, loaded.sp)
        ctx.write(cpu_mod.RIP, loaded.entry)
        ctx.write(cpu_mod.EFLAGS, 0x2)
        ctx.write(cpu_mod.FS_BASE, 0)

    # The hooks -----------------------------------------------------------

    def _fill(self, vaddr: int, access: int) -> tuple[int, int] | None:
        # Read and fetch translations are remembered per address space
        # (`_fills`), so that the refills after each switch between two
        # processes cost a dict lookup instead of a walk (4 to 6 us).  They
        # stay valid until the space's translations change, which sets
        # tlb_stale and drops them (_load_space); a write fill, which may
        # install or copy the page, drops the page's.  Write fills are never
        # remembered: they are where copy-on-write and dirty pages happen.
        key = (vaddr & ~0xFFF) | (access & 3)
        if access != cpu_mod.ACCESS_WRITE:
            got = self._fills.get(key)
            if got is not None:
                return got
        space = self._space
        assert space is not None
        try:
            got = space.fault(vaddr, access)
        except SyscallError:
            got = None  # out of frames or over budget: the access fails
            self._fault_oom = True
        if got is None:
            self._fault = (vaddr, access)
            return None
        fills = self._fills
        if access == cpu_mod.ACCESS_WRITE:
            if fills:
                page = key & ~3
                fills.pop(page | (cpu_mod.ACCESS_READ & 3), None)
                fills.pop(page | (cpu_mod.ACCESS_FETCH & 3), None)
        elif len(fills) < MAX_FILLS_KEPT:
            fills[key] = got
        return got

    def _load_space(self, space: AddressSpace | None) -> None:
        """Flush the engine's TLB: translations are now `space`'s (and the
        remembered fills, dropped if its translations changed)."""
        self.cpu.flush_tlb()
        self._space = space
        if space is None:
            self._fills = {}
            return
        if space.tlb_stale:
            space.tlb_stale = False
            self._fills = self._fill_caches[space] = {}
        else:
            self._fills = self._fill_caches.setdefault(space, {})

    def _code_freed(self) -> None:
        self._code_stale = True

    def _syscall(self) -> None:
        args = self.cpu.syscall_args()
        nr = args[0]
        entry = SYSCALLS.get(nr)
        t = self.current
        assert t is not None
        self.stats.syscalls += 1
        if entry is None:
            self._unknown(t, nr)
            self.cpu.write(cpu_mod.RAX, -errno.ENOSYS)
            return
        t.process.syscalls[entry.name] += 1
        if entry.defer:
            self._deferred = (entry, args[1:])
            self.cpu.stop()
            return
        self._invoke(t, entry, args[1:], True)

    def _unknown(self, t: Thread, nr: int) -> None:
        """An unsupported call: counted by name and reported once per number.

        Numbers Linux has no name for are any of 2**64: past the first
        MAX_UNNAMED_REPORTED of them, they are counted together as
        `syscall_other` and reported no more, so a guest trying them all
        grows neither the kernel's memory nor its report without end.
        """
        name = name_of(nr)
        if nr not in NAMES and nr not in self.enosys_seen and self._unnamed_seen >= MAX_UNNAMED_REPORTED:
            t.process.syscalls["syscall_other"] += 1
            if self._unnamed_seen == MAX_UNNAMED_REPORTED:
                self._unnamed_seen += 1
                self.say(f"violet: {t.process.name}[{t.process.pid}]: unsupported syscall {nr}, returning ENOSYS; "
                         "further numbers without a Linux name are not reported")
            self.events.emit("enosys", thread=t, nr=nr, name="syscall_other")
            return
        t.process.syscalls[name] += 1
        if nr not in self.enosys_seen:
            self.enosys_seen.add(nr)
            if nr not in NAMES:
                self._unnamed_seen += 1
            self.say(f"violet: {t.process.name}[{t.process.pid}]: unsupported syscall {nr} ({name}), returning ENOSYS")
        self.events.emit("enosys", thread=t, nr=nr, name=name)

    def _invoke(self, t: Thread, entry: Syscall, args: tuple[int, ...], in_hook: bool) -> None:
        """Run one handler for t and deliver its result.  The one place that
        turns SyscallError into -errno."""
        tracing = self.events.tracing
        t.timed_out = False  # set only by the deadline of a Block this call raises
        try:
            ret = entry.handler(self, t, *args)
        except SyscallError as err:
            ret = -err.errno
        except Block as blk:
            self.block(t, blk)
            if tracing:
                t.blocked_call = (entry, args)
                self.events.syscall(t, entry, args, None, blk.reason)
            if in_hook and not self._switch_in_hook(t):
                self.cpu.stop()
            return
        except NoReturn:
            if tracing:
                self.events.syscall(t, entry, args, None, "no return")
            if in_hook:
                self.cpu.stop()
            return
        except Exception as exc:  # a kernel bug: the guest must not see it as an errno
            self.kernel_bug(t, entry.name, exc)
            if in_hook:
                self.cpu.stop()
            return
        if t.alive:
            self.set_result(t, ret)
        if tracing:
            self.events.syscall(t, entry, args, ret, None)
        if in_hook:
            space = t.process.space
            if self.current is not t or (space is not None and space.tlb_stale) or self._code_stale:
                self.cpu.stop()

    _fault_oom = False

    def _switch_in_hook(self, t: Thread) -> bool:
        """t has just blocked in the syscall hook.  When exactly one other
        thread is ready and nothing else needs the run loop, load that one
        now and let the engine go on with it, instead of stopping the engine
        and starting it again through the loop (which, with a bounded slice,
        also arms the watchdog: up to a few hundred us).  It is what the loop
        would do: the same thread (the only runnable one), its blocked call
        finished first, the same accounting.  A thread with a signal to take
        or a cut call to restart is left to the loop (a handler's frame is
        built with the thread loaded).  In a bounded run the incoming thread
        runs under the deadline already armed (at most the rest of t's
        slice, never longer than the loop would give it); an unbounded run
        goes on only while that thread is the only runnable one, as the
        loop's would.  False: stop the engine as usual.

        The hook runs before the engine steps past the syscall instruction
        (it adds the instruction's length, 2, to RIP afterwards), so t is
        saved with RIP past the instruction, and the incoming thread is
        loaded 2 bytes short of where it resumes."""
        if self._timers or self._code_stale or self.events.active:
            return False
        if self.interrupted is not None or self._view_requested or self._expired or self._terminal_signals:
            return False
        runq = self.runq
        if len(runq) != 1:
            return False
        b = runq[0]
        now = time.perf_counter()
        # The loop's own work (host descriptors, deadlines) waits no longer.
        # CPU-time timers are ticked by the loop, per slice (kernel/timers.py).
        if b is t or now - self._engine_began > HOOK_SWITCH_MAX_S or b.process.timers is not None \
                or t.process.timers is not None:
            return False
        if not b.alive or b.state is not ThreadState.RUNNABLE:
            return False
        space = b.process.space
        mine = t.process.space
        if space is None or mine is None:
            return False
        cpu = self.cpu
        rip = cpu.read(cpu_mod.RIP)
        try:
            if mine.read(rip, 2) != b"\x0f\x05":  # a prefixed syscall is longer: leave it to the loop
                return False
        except SyscallError:
            return False
        if b.block is not None and not self._resume_blocked(b):
            return False
        sig = b.process.sig
        if b.interrupted >= 0 or (sig is not None and (b.sig_pending | sig.pending) & ~(b.sigmask & ~UNBLOCKABLE)):
            # A handler's frame is built with b loaded (signals.setup_frame
            # switches the CPU to it), and a cut call restarts: the loop's work.
            return False
        deliver_pending(self, b)  # nothing to deliver: gives back a mask a wait swapped, if any
        if not b.alive or b.state is not ThreadState.RUNNABLE or b.block is not None or not t.alive:
            return False
        if self._code_stale:  # its call wrote code the engine translated: flushed by the loop
            return False
        if self.current is not t:
            raise KernelBug("the CPU changed hands while a thread blocked in the syscall hook")
        if not self._bounded and len(runq) != 1:
            return False  # its call woke another thread: an unbounded run would starve it
        # t's part of the engine run ends here (the rest of _run_slice's tail
        # does nothing for a thread that blocked).
        ran = now - self._run_began
        t.cpu_time += ran
        t.vruntime += ran * 10 / t.priority
        p = t.process
        if p.alive:
            p.peak_resident = max(p.peak_resident, mine.resident())
        cpu.save(t.ctx)
        t.ctx.write(cpu_mod.RIP, rip + 2)
        ctx = b.ctx
        resume = ctx.read(cpu_mod.RIP)
        ctx.write(cpu_mod.RIP, resume - 2)
        cpu.restore(ctx)
        ctx.write(cpu_mod.RIP, resume)  # valid again, though unused while b is loaded
        self.current = b
        if space is not self._space or space.tlb_stale:
            self._load_space(space)
        self.stats.switches += 1
        self.stats.slices += 1
        self._running, self._run_began = b, now
        self._slice_owner, self._slice_began = b, now
        if b.vruntime > self._min_vruntime:
            self._min_vruntime = b.vruntime
        return True

    def kernel_bug(self, t: Thread, where: str, exc: BaseException) -> None:
        """A handler raised something other than SyscallError: a kernel bug.

        The calling process is killed (SIGSYS) so the kernel stays
        consistent; the bug is reported on one line and kept in `bugs`.
        """
        import traceback

        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" ({os.path.basename(frame.filename)}:{frame.lineno})" if frame else ""
        self.bugs.append((where, exc))
        self.say(f"violet: kernel bug in {where}: {type(exc).__name__}: {exc}{at}; "
                 f"process {t.process.name}[{t.process.pid}] killed")
        exits.kill_process(self, t.process, 31, f"kernel bug in {where}")

    def _interrupt(self, intno: int) -> None:
        self._trap = intno
        self.cpu.stop()

    def say(self, line: str) -> None:
        """A line for the user on the report stream (stderr by default)."""
        if not self.quiet:
            try:
                self.report.write(line + "\n")
                self.report.flush()
            except (OSError, ValueError):
                pass

    # Registers of any thread ------------------------------------------

    def set_result(self, t: Thread, value: int) -> None:
        self.set_reg(t, cpu_mod.RAX, value)

    def set_reg(self, t: Thread, reg: int, value: int) -> None:
        if self.current is t:
            self.cpu.write(reg, value)
        else:
            t.ctx.write(reg, value)

    def get_reg(self, t: Thread, reg: int) -> int:
        if self.current is t:
            return self.cpu.read(reg)
        return t.ctx.read(reg)

    def save_current(self) -> None:
        """Save the loaded thread's registers into its context and unload it."""
        t = self.current
        if t is not None:
            if t.alive:
                self.cpu.save(t.ctx)
            self.current = None

    # Blocking and waking -----------------------------------------------

    def block(self, t: Thread, blk: Block) -> None:
        t.state = ThreadState.BLOCKED
        t.block = blk
        t.timed_out = False
        t.woken = False
        try:
            self.runq.remove(t)
        except ValueError:
            pass
        if blk.deadline is not None:
            self.push_timer(_Timer(blk.deadline, t, blk))
        for key in blk.keys:
            if isinstance(key, tuple):  # the keys wake_key is called with
                self._waiters.setdefault(key, set()).add(t)
        if self.events.active:
            self.events.emit("block", thread=t, reason=blk.reason)

    def wake(self, t: Thread) -> None:
        """Make a blocked thread runnable; its Block.retry runs before it does."""
        if t.state is ThreadState.BLOCKED:
            t.state = ThreadState.RUNNABLE
            t.woken = True
            self.make_runnable(t)
            if self.events.active:
                self.events.emit("wake", thread=t)

    def make_runnable(self, t: Thread) -> None:
        """Queue t, which has been waiting: it may run ahead of threads that
        used the CPU meanwhile, by at most half a slice of credit."""
        t.vruntime = max(t.vruntime, self._min_vruntime - self.slice_us / 2e6)
        self.runq.append(t)

    def wake_key(self, key: object) -> None:
        """Wake every thread blocked on `key` (a pid, a pipe, a host fd)."""
        waiting = self._waiters.pop(key, None)
        if waiting:
            for t in waiting:
                if t.state is ThreadState.BLOCKED and t.block is not None and key in t.block.keys:
                    self.wake(t)

    def _resume_blocked(self, t: Thread) -> bool:
        """Finish t's blocked syscall by calling its retry.  True if t may run."""
        blk = t.block
        if blk is None:
            return True
        t.block = None
        try:
            ret = blk.retry()
        except SyscallError as err:
            ret = -err.errno
        except Block as again:
            self.block(t, again)
            return False
        except NoReturn:
            return t.alive and t.state is ThreadState.RUNNABLE
        except Exception as exc:  # a kernel bug in the retry
            self.kernel_bug(t, blk.reason, exc)
            return False
        if not t.alive:
            return False
        self.set_result(t, ret)
        if self.events.tracing and t.blocked_call is not None:
            entry, args = t.blocked_call
            t.blocked_call = None
            self.events.syscall(t, entry, args, ret, "resumed")  # type: ignore[arg-type]
        return True

    def push_timer(self, entry: _Timer) -> None:
        """Add a deadline to the timer heap, first sweeping the stale
        entries out when there are many (see _timers_compact_at)."""
        heap = self._timers
        if len(heap) >= self._timers_compact_at:
            heap[:] = [e for e in heap if not e.stale()]
            heapq.heapify(heap)
            self._timers_compact_at = max(TIMERS_COMPACT_MIN, 2 * len(heap))
        heapq.heappush(heap, entry)

    def _fire_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0].deadline <= now:
            tm = heapq.heappop(self._timers)
            if tm.alarm is not None:
                self._ring(tm)
                continue
            if tm.fire is not None:
                tm.fire()
                continue
            t = tm.thread
            assert t is not None
            if t.state is ThreadState.BLOCKED and t.block is tm.block:
                t.timed_out = True
                self.wake(t)

    def set_alarm(self, p: Process, seconds: float, interval: float) -> tuple[float, float]:
        """Arm (seconds > 0) or disarm p's ITIMER_REAL; return the old
        (time left, interval).  It sends SIGALRM, then every `interval`."""
        old = p.itimer_real
        left = (max(0.0, old[0] - time.monotonic()), old[1]) if old is not None else (0.0, 0.0)
        p.itimer_generation += 1
        if seconds > 0:
            deadline = time.monotonic() + seconds
            p.itimer_real = (deadline, interval)
            self.push_timer(_Timer(deadline, None, None, p, p.itimer_generation))
        else:
            p.itimer_real = None
        return left

    def _ring(self, tm: _Timer) -> None:
        p = tm.alarm
        assert p is not None
        if not p.alive or p.itimer_real is None or tm.generation != p.itimer_generation:
            return
        from .signals import SIGALRM, SI_KERNEL, Info, send_process

        interval = p.itimer_real[1]
        if interval > 0:
            self.set_alarm(p, interval, interval)
        else:
            p.itimer_real = None
        send_process(self, p, SIGALRM, Info(SIGALRM, SI_KERNEL))

    # The run loop -----------------------------------------------------------

    def run(self, timeout: float | None = None) -> int:
        """Run until every process but init has ended.

        Returns the exit status of the first application launched (a shell's
        view: code, or 128+signal), EXIT_TIMEOUT after `timeout` seconds,
        EXIT_DEADLOCK when every thread is blocked for ever.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        # A lone thread's slice is unbounded (see _run_slice): a timer on a
        # host thread of its own stops the engine at the deadline.  That stop
        # may replay an instruction, but nothing runs after it: every
        # process is killed.
        self._expired = False
        over = threading.Event()
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, self._expire, (over,))
            timer.daemon = True
            timer.start()
        try:
            while self._anything_alive():
                if self.interrupted is not None:
                    self.kill_everything(f"violet received host signal {self.interrupted}")
                    return 128 + self.interrupted
                if self._view_requested:
                    self._view_requested = False
                    if self.on_view is not None:
                        self.on_view(self)
                while self._terminal_signals:
                    self._signal_foreground(self._terminal_signals.pop(0))
                if self._expired or (deadline is not None and time.monotonic() >= deadline):
                    self.say(f"violet: timeout after {timeout:g} s; terminating every process")
                    self.kill_everything("timeout")
                    return EXIT_TIMEOUT
                self._fire_timers()
                if self._waiters and time.monotonic() >= self._next_host_poll:
                    # Threads waiting on host descriptors are woken while
                    # others keep the CPU busy, not only when all are idle.
                    self._next_host_poll = time.monotonic() + HOST_POLL_S
                    reads, writes = self._host_waits()
                    if reads or writes:
                        self._poll_host(reads, writes, 0)
                if self.pool.pending:  # what ended processes left (exits.Remains), a batch between slices
                    self.pool.reclaim(RECLAIM_BATCH)
                t = self._pick()
                if t is None:
                    if self.pool.pending:  # idle: all of it
                        self.pool.reclaim()
                        continue
                    if not self._idle(deadline):
                        self._report_deadlock()
                        self.kill_everything("deadlock")
                        return EXIT_DEADLOCK
                    continue
                self._run_slice(t)
        finally:
            over.set()
            if timer is not None:
                timer.cancel()
            self.save_current()
            self.pool.reclaim()
        if self.check_invariants:
            invariants.check(self, "the run")
        status = self.result()
        self._spawned = []
        return status

    def _expire(self, over: threading.Event) -> None:
        """run()'s deadline passed: stop the engine until the run is over.

        Called on the timer's host thread.  The stop is repeated because
        the engine ignores one that arrives just before an engine run
        begins.
        """
        self._expired = True
        self.poke()
        while True:
            self.cpu.stop()
            if over.wait(0.01):
                return

    def result(self) -> int:
        """The shell status of the first program spawned since the last run."""
        if not self._spawned:
            return 0
        code = self._spawned[0].exit_code
        return 0 if code is None else code

    def _anything_alive(self) -> bool:
        return any(p.alive for p in self.procs.values() if p is not self.init)

    def _pick(self) -> Thread | None:
        """The next thread to run, with any finished blocking call delivered.

        The thread whose slice is under way keeps the CPU; otherwise the
        runnable thread with the least `vruntime` (CPU time weighted by
        priority) runs, so a thread that slept is not queued behind a
        compute loop, and a compute loop still gets its share.  The chosen
        thread is moved to the front of `runq`.
        """
        while self.runq:
            owner = self._slice_owner
            best = None
            dead = []
            for t in self.runq:
                if not t.alive or t.state is not ThreadState.RUNNABLE:
                    dead.append(t)
                elif t is owner:
                    best = t
                    break
                elif best is None or t.vruntime < best.vruntime:
                    best = t
            for t in dead:
                self.runq.remove(t)
            if best is None:
                return None
            if self.runq[0] is not best:
                self.runq.remove(best)
                self.runq.appendleft(best)
            if best.block is not None and not self._resume_blocked(best):
                continue
            if best.vruntime > self._min_vruntime:
                self._min_vruntime = best.vruntime
            return best
        return None

    def _host_waits(self) -> tuple[list[int], list[int]]:
        """The host descriptors blocked threads wait to read ("hostfd") and
        to write ("hostout")."""
        reads, writes = [], []
        for key, waiting in self._waiters.items():
            if isinstance(key, tuple) and key[0] in ("hostfd", "hostout") and any(
                t.state is ThreadState.BLOCKED and t.block is not None and key in t.block.keys for t in waiting
            ):
                (reads if key[0] == "hostfd" else writes).append(key[1])
        return reads, writes

    def _poll_host(self, reads: list[int], writes: list[int], delay: float | None) -> None:
        """Wait up to `delay` (None: for ever) for one of the descriptors or
        the wake pipe, and wake the threads of those that are ready."""
        try:
            r, w, _ = select.select(reads + [self._wake_r], writes, [], delay)
        except (OSError, ValueError):
            r, w = reads, writes
        if self._wake_r in r:
            try:
                while os.read(self._wake_r, 64):
                    pass
            except OSError:
                pass
        for fd in r:
            if fd != self._wake_r:
                self.wake_key(("hostfd", fd))
        for fd in w:
            self.wake_key(("hostout", fd))

    def poke(self) -> None:
        """From any host thread or a signal handler: wake an idle kernel."""
        try:
            os.write(self._wake_w, b"\0")
        except OSError:
            pass

    def _idle(self, deadline: float | None) -> bool:
        """Nothing runnable: wait for a timer or host input.  False = deadlock."""
        reads, writes = self._host_waits()
        if not self._timers and not reads and not writes:
            return False
        until = self._timers[0].deadline if self._timers else None
        if deadline is not None:
            until = deadline if until is None else min(until, deadline)
        delay = None if until is None else max(0.0, until - time.monotonic())
        self._poll_host(reads, writes, delay)
        return True

    def _switch_to(self, t: Thread) -> None:
        if self.current is not t:
            self.save_current()
            self.cpu.restore(t.ctx)
            self.current = t
            self.stats.switches += 1
        space = t.process.space
        if space is not self._space or (space is not None and space.tlb_stale):
            self._load_space(space)
        if self._code_stale:
            self.cpu.flush_code()
            self._code_stale = False

    def _run_slice(self, t: Thread) -> None:
        deliver_pending(self, t)
        if not t.alive or t.state is not ThreadState.RUNNABLE:
            return
        self._switch_to(t)
        # Only a slice that must end on time is bounded: when other threads
        # wait for the CPU or a timer is due.  A lone thread runs until it
        # makes a call that ends the engine run (no preemption hook is paid
        # for until then, see Cpu.enable_preemption); run()'s deadline timer
        # and host signals stop it from outside when the run is over.
        shared = len(self.runq) > 1 or bool(self._timers)
        # A slice spans engine runs: a thread that makes syscalls which end
        # an engine run keeps the CPU until its time slice is used up.
        now = time.perf_counter()
        if self._slice_owner is not t:
            self._slice_owner, self._slice_began = t, now
        full = self.slice_us * t.priority // 10
        timeout = max(100, full - int((now - self._slice_began) * 1e6)) if shared else 0
        if self._timers:
            left = int((self._timers[0].deadline - time.monotonic()) * 1e6)
            timeout = max(50, min(timeout, left))
        if t.process.timers is not None:  # CPU-time timers end the slice when they expire
            left = timers.cpu_left_us(self, t)
            timeout = min(timeout, left) if timeout and left else timeout or left
        self.stats.slices += 1
        begun = time.perf_counter()
        # The run may hand the CPU over inside the hook (_switch_in_hook),
        # which moves _running and _run_began on; `_bounded`: a deadline
        # will stop it.
        self._bounded = bool(timeout)
        self._running, self._run_began = t, begun
        self._engine_began = begun
        self.in_engine = True  # CPU clocks read inside the run count it (kernel/timers.py)
        try:
            err = self.cpu.run(self.cpu.read(cpu_mod.RIP), timeout)
        except Exception as exc:  # raised by a hook: a kernel bug
            self.in_engine = False
            t = self._running
            t.cpu_time += time.perf_counter() - self._run_began
            self._deferred = None
            self.kernel_bug(t, "the MMU or syscall hook", exc)
            return
        self.in_engine = False
        if self._running is not t:
            t = self._running
            full = self.slice_us * t.priority // 10
        ran = time.perf_counter() - self._run_began
        t.cpu_time += ran
        if t.process.timers is not None:
            timers.tick(self, t)
        t.vruntime += ran * 10 / t.priority
        if self.events.active:
            self.events.emit("slice", thread=t, seconds=ran)

        if self._deferred is not None:
            entry, args = self._deferred
            self._deferred = None
            self._invoke(t, entry, args, False)
            if self.check_invariants:
                invariants.check(self, entry.name)
        elif self._trap is not None:
            intno, self._trap = self._trap, None
            self._cpu_exception(t, intno)
        elif err:
            self._engine_error(t, err)
        elif shared and t.alive and t.state is ThreadState.RUNNABLE:
            self.stats.preemptions += 1

        p = t.process
        if p.space is not None and p.alive:
            p.peak_resident = max(p.peak_resident, p.space.resident())
        # Round robin: when its slice is used up (or it yielded), a thread
        # that is still runnable goes to the back.
        used = (time.perf_counter() - self._slice_began) * 1e6 >= full
        if self._yielded:
            # sched_yield: behind every other runnable thread.
            others = [o.vruntime for o in self.runq if o is not t and o.state is ThreadState.RUNNABLE]
            if others:
                t.vruntime = max(t.vruntime, max(others) + 1e-6)
        if self.runq and self.runq[0] is t and (used or self._yielded or t.state is not ThreadState.RUNNABLE):
            self.runq.rotate(-1)
            self._slice_owner = None
        self._yielded = False

    # Faults --------------------------------------------------------------

    def _engine_error(self, t: Thread, err: int) -> None:
        from unicorn import unicorn_const as uc

        if err == uc.UC_ERR_INSN_INVALID:
            # ILL_ILLOPN, si_addr the instruction, as Linux's do_invalid_op
            self.fault_signal(t, 4, "illegal instruction", self.get_reg(t, cpu_mod.RIP), 2)
            return
        fault = self._fault
        self._fault = None
        if fault is None:
            self.crash(t, 11, f"engine error {err}", None)
            return
        addr, access = fault
        if self._fault_oom:
            self._fault_oom = False
            self.say(f"violet: {t.process.name}[{t.process.pid}]: out of memory (budget or physical), killed")
            exits.kill_process(self, t.process, SIGKILL, "out of memory")
            return
        space = t.process.space
        # A file mapping's page past the file's end (AddressSpace.fault).
        bus = space is not None and space.bus_fault is not None and space.bus_fault == addr & ~0xFFF
        if space is not None:
            space.bus_fault = None
        addr = self._access_address(t, addr, access)
        verb = {cpu_mod.ACCESS_READ: "read from", cpu_mod.ACCESS_WRITE: "write to", cpu_mod.ACCESS_FETCH: "execute at"}
        if bus:
            self.fault_signal(t, 7, f"{verb.get(access, 'access to')} {addr:#x}, past the end of the mapped file", addr)
            return
        mapped = space is not None and space.find(addr) is not None
        where = "protected" if mapped else "unmapped"
        self.fault_signal(t, 11, f"{verb.get(access, 'access to')} {where} address {addr:#x}", addr)

    def _cpu_exception(self, t: Thread, intno: int) -> None:
        table = {0: (8, "divide error"), 1: (5, "debug trap"), 3: (5, "breakpoint (int3)"), 4: (11, "overflow"),
                 5: (11, "bound range"), 6: (4, "illegal instruction"), 13: (11, "general protection fault"),
                 14: (11, "page fault"), 16: (8, "floating-point error"), 17: (7, "alignment check"),
                 19: (8, "SIMD floating-point error")}
        sig, what = table.get(intno, (11, f"CPU exception {intno}"))
        # si_code and si_addr as Linux's traps give them: the faulting
        # instruction for a divide error (FPE_INTDIV) and an invalid opcode
        # (ILL_ILLOPN); a breakpoint or a general protection fault is SI_KERNEL.
        code = {0: 1, 6: 2, 17: 1}.get(intno)  # FPE_INTDIV, ILL_ILLOPN, BUS_ADRALN
        addr = self.get_reg(t, cpu_mod.RIP) if code is not None else None
        self.fault_signal(t, sig, what, addr, code)

    def fault_signal(self, t: Thread, sig: int, what: str, addr: int | None, code: int | None = None) -> None:
        """A synchronous fault: deliver `sig` to t (a handler may catch it);
        if it is fatal, report the crash."""
        from .signals import send_fault

        if not send_fault(self, t, sig, addr, what, code):
            self.crash(t, sig, what, addr)

    def crash(self, t: Thread, sig: int, what: str, addr: int | None) -> None:
        """t's process dies of `sig` from a fault: report it like a shell would."""
        p = t.process
        rip = self.get_reg(t, cpu_mod.RIP)
        # A trap (int3) leaves RIP after the instruction; show the int3 itself.
        shown = rip - 1 if what.startswith("breakpoint") else rip
        insn = self.disassemble(p, shown)
        c = Crash(p.pid, t.tid, p.name, sig, what, addr, rip, insn)
        self.crashes.append(c)
        self.say(
            f"violet: {p.name}[{p.pid}] crashed: {signal_name(sig)} ({what}) at rip {shown:#x}"
            + (f": {insn}" if insn else "")
        )
        self.events.emit("crash", proc=p, thread=t, crash=c)
        action = default_action(sig)
        exits.kill_process(self, p, sig, f"crashed: {what}", core=action == "core")

    def _access_address(self, t: Thread, page: int, access: int) -> int:
        """The address a faulting access used, as Linux reports it (si_addr).

        The engine's fill hook is given only the page, so the address is
        recomputed from the faulting instruction: RIP for a fetch, else the
        memory operand whose effective address lies in `page` (or, for an
        access straddling into it, the page's first byte).  `page` itself
        when the instruction cannot be decoded or names no such operand.
        """
        rip = self.get_reg(t, cpu_mod.RIP)
        if access == cpu_mod.ACCESS_FETCH:
            return rip if rip & ~0xFFF == page else page
        insn = self._decode(t.process, rip, detail=True)
        if insn is None:
            return page
        try:
            import capstone.x86 as cx
            from unicorn import x86_const

            seg_base = {cx.X86_REG_FS: cpu_mod.FS_BASE, cx.X86_REG_GS: cpu_mod.GS_BASE}

            def reg(r: int) -> int:
                if r == cx.X86_REG_RIP:
                    return rip + insn.size
                return self.get_reg(t, getattr(x86_const, f"UC_X86_REG_{insn.reg_name(r).upper()}"))

            for op in insn.operands:
                if op.type != cx.X86_OP_MEM:
                    continue
                m = op.mem
                ea = m.disp
                if m.base:
                    ea += reg(m.base)
                if m.index:
                    ea += reg(m.index) * m.scale
                if m.segment in seg_base:
                    ea += self.get_reg(t, seg_base[m.segment])
                ea &= 0xFFFF_FFFF_FFFF_FFFF
                if page <= ea < page + 4096:
                    return ea
                if ea < page < ea + op.size:
                    return page
        except Exception:  # an operand capstone or the engine cannot name: keep the page
            return page
        return page

    def _decode(self, p: Process, rip: int, detail: bool = False) -> Any:
        """The capstone instruction at rip in p, or None."""
        if p.space is None:
            return None
        try:
            code = p.space.read(rip, 16)
        except SyscallError:
            try:
                code = p.space.read(rip, 1)
            except SyscallError:
                return None
        try:
            import capstone

            md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
            md.detail = detail
            for insn in md.disasm(code, rip):
                return insn
        except Exception:  # capstone missing or confused: no instruction
            return None
        return None

    def disassemble(self, p: Process, rip: int) -> str:
        insn = self._decode(p, rip)
        return "" if insn is None else f"{insn.mnemonic} {insn.op_str}".strip()

    # Ending everything ---------------------------------------------------

    def interrupt(self, signo: int) -> None:
        """From a host signal handler: end the run, killing every guest."""
        self.interrupted = signo
        self.cpu.stop()
        self.poke()

    def terminal_signal(self, signo: int) -> None:
        """From any host thread: the host terminal sent `signo` (Ctrl-C,
        Ctrl-\\, a resize): it goes to the guest terminal's foreground
        process group, as the terminal would send it natively."""
        self._terminal_signals.append(signo)
        self.cpu.stop()
        self.poke()

    def _terminal_owner(self) -> Process | None:
        """The application `spawn` started, whose session the terminal is
        (None once it has ended)."""
        return next((p for p in self._spawned if p.alive), None)

    def terminal_session(self) -> int | None:
        owner = self._terminal_owner()
        return owner.sid if owner is not None else None

    def foreground_pgrp(self) -> int | None:
        """The terminal's foreground group: the one a guest set with
        tcsetpgrp, else the owner's group."""
        if self.terminal_pgrp is not None:
            return self.terminal_pgrp
        owner = self._terminal_owner()
        return owner.pgid if owner is not None else None

    def _signal_foreground(self, signo: int) -> None:
        from .signals import SI_KERNEL, Info, send_process

        fg = self.foreground_pgrp()
        group = [p for p in self.procs.values() if p.alive and p.pgid == fg]
        if not group:
            # Nobody would get it (a guest made an empty group the terminal's
            # foreground): the key ends the run, as without a terminal, so
            # that a guest cannot make itself unstoppable from its terminal.
            self.interrupted = signo
            return
        for p in group:
            send_process(self, p, signo, Info(signo, SI_KERNEL))

    def request_view(self) -> None:
        """From any host thread: call `on_view(kernel)` between two slices
        (violet run prints the process tree on SIGUSR1 this way)."""
        self._view_requested = True
        self.cpu.stop()
        self.poke()

    def kill_everything(self, reason: str) -> None:
        for p in list(self.init.children):
            if p.alive:
                exits.kill_process(self, p, SIGKILL, reason)

    def _report_deadlock(self) -> None:
        from ..syscalls.futex import describe_wait

        lines = ["violet: deadlock: every thread is blocked and no timer is pending"]
        for t in self.threads.values():
            if t.state is ThreadState.BLOCKED and t.block is not None:
                what = describe_wait(self, t) or t.block.reason
                lines.append(f"  {t.process.name}[{t.process.pid}] thread {t.tid}: {what}")
        self.deadlock = lines
        for line in lines:
            self.say(line)
        self.events.emit("deadlock", lines=lines)

    # Permissions ---------------------------------------------------------

    def require(self, t: Thread, right: Right, what: str, err: int = errno.EPERM) -> None:
        """Raise SyscallError(err) unless t's process holds `right`; audit a denial."""
        if not t.process.perms.has(right):
            self.deny(t, what, err)

    def deny(self, t: Thread, what: str, err: int = errno.EPERM) -> None:
        p = t.process
        name = errno.errorcode.get(err, str(err))
        self.stats.refusals[(what, name)] += 1
        if len(self.stats.audit) < AUDIT_KEPT:
            self.stats.audit.append({"pid": p.pid, "tid": t.tid, "what": what, "errno": name,
                                     "time": time.monotonic() - self.started})
        else:
            self.stats.audit_dropped += 1
        self.events.emit("denied", proc=p, thread=t, what=what, errno=err)
        raise SyscallError(err, what)

    # Views ----------------------------------------------------------------

    def process(self, pid: int) -> Process | None:
        return self.procs.get(pid)

    def live_processes(self) -> list[Process]:
        return [p for p in self.procs.values() if p.alive]

    def frames_in_use(self) -> int:
        return self.pool.in_use

    def close(self) -> None:
        """Release every guest resource.  The kernel cannot run again."""
        self.save_current()
        for p in list(self.procs.values()):
            if p.alive and p is not self.init:
                exits.kill_process(self, p, SIGKILL, "kernel closed")
        self.pool.reclaim()
        self.vfs.close()  # a private /dev/shm goes (fs/vfs.py)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Kernel", "LoadError", "KernelBug", "parse_size", "Crash", "EXIT_DEADLOCK", "EXIT_TIMEOUT"]
