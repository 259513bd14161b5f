"""/proc as a guest sees it: listings, descriptor links, memory figures and
state letters, each checked against the same guest run natively; busybox's
ls, cat and ps reading it; and what stays out of reach (another user's
entries, paths outside the sandbox root)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from harness import run_cli, run_native, same_as_native
from test_busybox import busybox  # noqa: F401  (the fixture)


def test_proc_directories_list_what_is_there(guest, violet) -> None:
    got = same_as_native(guest("proc_list"), violet)
    for line in got.out.splitlines():
        if line.startswith(("reaped child listed", "no such", "a file as", "a directory for", "limits")):
            continue
        assert re.fullmatch(r"[^:]+: (.*\b1\b.*)", line) and " 0" not in line.split(":", 1)[1], line
    assert "reaped child listed: 0" in got.out
    assert "\nlimits: Max open files            100                  200                  files     \n" in got.out
    assert "no such entry: ENOENT\na file as a directory: ENOTDIR\na directory for writing: EISDIR\n" in got.out


def test_core_pattern_reads_core_and_proc_files_refuse_writing(guest, violet) -> None:
    got = violet(guest("proc_list"), ["violet"])
    assert got.out.splitlines() == ["core_pattern: core", "core_pattern for writing: EACCES",
                                    "status for writing: EACCES"], got.report


def test_fd_links_name_the_files_and_reopen_them(guest, violet, tmp_path: Path) -> None:
    prog = guest("proc_fds")
    got = same_as_native(prog, violet, [str(tmp_path / "held"), str(prog)])
    assert got.out.splitlines() == [
        "listing: dots 2, 0-2 1, file 1, pipe 1 1, null 1, own 1, others 0",
        "file link is the path: 1",
        "pipe links: 1 1",
        "null link: /dev/null",
        "missing: No such file or directory",
        "/dev/fd: /proc/self/fd",
        "exe is the program: 1",
        "cwd is getcwd: 1",
        "root: /",
        "self is the pid: 1",
        "lstat link 1, stat file 1",
        "/dev/fd stat is the pipe: 1",
        "reopened file reads: hello, own offset 5, first 5",
        "O_NOFOLLOW: ELOOP",
        "pipe reopened for reading reads: xy",
        "a file's link as a directory: ENOTDIR",
    ], got.report


def test_state_letters_follow_what_each_process_and_thread_does(guest, violet) -> None:
    got = same_as_native(guest("proc_states"), violet)
    assert got.out.splitlines() == [
        "pause: S, status S",
        "wait4: S, status S",
        "read: S, status S",
        "futex: S, status S",
        "nanosleep: S, status S",
        "poll: S, status S",
        "sigsuspend: S, status S",
        "compute: R 5 of 5",
        "stopped: T, status T (WIFSTOPPED 1)",
        "vfork parent: D",
        "exited: Z, status Z",
        "reaped: gone",
        "thread: S, main R, process R",
        "own stat: 52 fields, pid 1, ppid 1, comm 'a b) c', state R",
        "comm: a b) c",
    ], got.report


def test_smaps_rollup_follows_touched_pages_and_fork_sharing(guest, violet) -> None:
    got = same_as_native(guest("proc_smaps"), violet)
    assert got.out.splitlines() == [
        "rollup parses: 1 (Swap present)",
        "untouched mapping: smaps Rss 0: 1",
        "touched: Rss +1, Private_Dirty +1, Anonymous +1, Pss +1",
        "touched: smaps Rss 1, statm +1",
        "child after fork: Shared_Dirty >= 1, Pss below Rss by half 1",
        "parent while shared: Shared_Dirty >= 1",
        "child after writing: Private_Dirty +1, Shared_Dirty -1",
        "parent after the child: private again 1",
    ], got.report


def test_smaps_of_a_shared_file_mapping_tells_clean_from_dirty(guest, violet, tmp_path: Path) -> None:
    got = same_as_native(guest("proc_smaps"), violet, [str(tmp_path / "mapped")])
    assert got.out.splitlines() == [
        "file mapping read: Rss 64, Private_Clean 64, Private_Dirty 0, Anonymous 0",
        "one page written: Private_Clean 60, Private_Dirty 4",
        "child that read it all: Shared_Clean 60, Shared_Dirty 4, Pss 32",
    ], got.report


def test_smaps_rollup_has_linuxs_layout(busybox: Path, violet) -> None:  # noqa: F811
    """The field names, order and column widths of Linux's smaps_rollup
    (fs/proc/task_mmu.c): a label padded to 16, the figure to 8, ' kB'; the
    four Shared/Private figures add up to Rss."""

    def layout(out: str) -> list[tuple[str, int]]:
        lines = out.splitlines()
        assert re.fullmatch(r"[0-9a-f]{8,}-[0-9a-f]{8,} ---p 00000000 00:00 0 +\[rollup\]", lines[0]), lines[0]
        assert lines[0].index("[rollup]") == 73
        for ln in lines[1:]:
            assert re.fullmatch(r"[A-Za-z_]+: *\d+ kB", ln) and len(ln) == 27, ln
        return [(ln.split(":")[0], int(ln.split()[1])) for ln in lines[1:]]

    got = layout(violet(busybox, ["cat", "/proc/self/smaps_rollup"]).out)
    ref = layout(run_native(busybox, ["cat", "/proc/self/smaps_rollup"]).out)
    assert [name for name, _ in got] == [name for name, _ in ref]
    fig = dict(got)
    assert fig["Rss"] > 0 and fig["Swap"] == 0
    assert fig["Shared_Clean"] + fig["Shared_Dirty"] + fig["Private_Clean"] + fig["Private_Dirty"] == fig["Rss"]
    assert fig["Pss"] <= fig["Rss"]


@pytest.mark.parametrize("same_user", [True, False])
def test_another_users_descriptors_exe_and_memory_are_not_readable(guest, same_user) -> None:
    """As Linux's ptrace access check: fd/, exe and smaps_rollup of another
    user's process are EACCES; status and stat stay public."""
    from violet import Kernel
    from violet.kernel.perms import User

    out = bytearray()
    k = Kernel(stdout=out, stderr=bytearray(), quiet=True)
    with k:
        owner = k.spawn([str(guest("proc_list")), "wait"], user=User(1000, "alice", 1000))
        reader = User(1000, "alice", 1000) if same_user else User(1001, "bob", 1001)
        k.spawn([str(guest("proc_list")), "peek", str(owner.pid)], user=reader)
        k.run(timeout=1.0)
    verdict = "read" if same_user else "EACCES"
    assert out.decode().splitlines() == [f"fd: {verdict}", f"exe: {verdict}", f"smaps_rollup: {verdict}",
                                         "status: read", "stat: read"]


def test_busybox_ls_lists_its_own_descriptors(busybox: Path, violet) -> None:  # noqa: F811
    got = same_as_native(busybox, violet, ["ls", "/proc/self/fd"])
    assert got.out.split() == ["0", "1", "2", "3"]


def test_busybox_ls_lists_proc(busybox: Path, violet) -> None:  # noqa: F811
    got = violet(busybox, ["sh", "-c", "echo $$; ls /proc"])
    lines = got.out.split()
    assert got.status == 0, got.report
    assert lines[0] in lines[1:]  # the shell's own directory
    assert {"self", "thread-self", "meminfo", "sys", "1"} <= set(lines[1:])
    native = run_native(busybox, ["sh", "-c", "echo $$; ls /proc"]).out.split()
    assert native[0] in native[1:] and {"self", "thread-self", "meminfo", "sys", "1"} <= set(native[1:])


def test_busybox_cat_shows_its_own_status(busybox: Path, violet) -> None:  # noqa: F811
    def facts(out: str) -> list[str]:
        return [ln for ln in out.splitlines() if ln.split(":")[0] in ("Name", "State", "Threads")]

    got = violet(busybox, ["cat", "/proc/self/status"])
    ref = run_native(busybox, ["cat", "/proc/self/status"])
    assert facts(got.out) == facts(ref.out) == ["Name:\tbusybox", "State:\tR (running)", "Threads:\t1"]
    assert "\nVioletKind:\tapplication\n" in got.out
    assert re.search(r"\nVmRSS:\s+\d+ kB\n", got.out) and re.search(r"\nSigCgt:\t[0-9a-f]{16}\n", got.out)


PS_SCRIPT = "{bb} sleep 5 & {bb} sleep 1; echo sh=$$ bg=$!; {bb} ps -o pid,ppid,stat,args; kill $!"


def _ps_rows(out: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    ids = dict(kv.split("=") for kv in out.splitlines()[0].split())
    rows = {}
    for line in out.splitlines()[2:]:
        cols = line.split(None, 3)
        if len(cols) == 4:
            rows[cols[0]] = cols
    return ids, rows


def test_busybox_ps_lists_the_guests_processes(busybox: Path, violet) -> None:  # noqa: F811
    """ps reads /proc/PID/stat and cmdline for every numeric directory of
    /proc: the shell and its background sleep are there, with their parent
    and state (the sleep asleep), as natively."""
    script = PS_SCRIPT.format(bb=busybox)
    for got in (run_native(busybox, ["sh", "-c", script]), violet(busybox, ["sh", "-c", script])):
        assert got.status == 0, got.report
        ids, rows = _ps_rows(got.out)
        assert got.out.splitlines()[1].split() == ["PID", "PPID", "STAT", "COMMAND"]
        sh, bg = rows[ids["sh"]], rows[ids["bg"]]
        assert bg[1] == ids["sh"] and bg[2] == "S" and bg[3].endswith("sleep 5"), got.out
        assert "sh -c" in sh[3], got.out
    # Under Violet, only the guest's own processes: init, the shell, its children.
    assert set(rows) <= {"1", ids["sh"]} | {pid for pid, r in rows.items() if r[1] == ids["sh"]}, got.out


def test_a_directory_descriptors_link_stays_inside_the_root(busybox: Path, tmp_path: Path) -> None:  # noqa: F811
    """/proc/self/fd/N/.. walks from the directory's path inside the root:
    `..` stops at the root, as any path does; a file's link reopens it."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "sub" / "note").write_text("inside\n")
    (tmp_path / "outside-file").write_text("outside\n")
    shutil.copy(busybox, root / "bin" / "busybox")
    script = ("exec 3</sub/deeper 4</sub/note; /bin/busybox ls /proc/self/fd/3/../../../..; "
              "/bin/busybox cat /proc/self/fd/4; /bin/busybox readlink /proc/self/fd/3")
    got = run_cli("/bin/busybox", ["sh", "-c", script], options=["--root", str(root)])
    assert got.status == 0, got.report
    assert got.out.split() == ["bin", "sub", "inside", "/sub/deeper"]


def test_comm_follows_writes_and_exec(busybox: Path, violet) -> None:  # noqa: F811
    """A write to /proc/PID/comm names the process, newline and all, as
    Linux keeps it; exec names it after the new program again."""
    script = "echo renamed > /proc/$$/comm; cat /proc/$$/comm; exec cat /proc/self/comm"
    got = same_as_native(busybox, violet, ["sh", "-c", script])
    assert got.out == "renamed\n\ncat\n"


def test_a_path_out_through_proc_keeps_the_file_rights(busybox: Path, tmp_path: Path) -> None:  # noqa: F811
    """/proc/self/root/..., /proc/self/cwd/... and /proc/.. lead out of /proc
    to the root's files: fs.write limited to /out refuses creating or
    truncating anything else there, before the host sees the open."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "kept").write_text("kept\n")
    shutil.copy(busybox, root / "bin" / "busybox")
    script = ("echo x > /proc/self/root/evil; echo x > /proc/../evil2; echo x > /proc/self/cwd/kept; "
              "echo y > /out/f; echo z >> /proc/self/root/out/f; cat /proc/self/cwd/kept /out/f")
    got = run_cli("/bin/busybox", ["sh", "-c", "cd / && " + script], options=["--root", str(root), "--allow",
                                                                            "fs.write:/out"])
    assert got.out == "kept\ny\nz\n", got.report
    assert got.stderr.decode().count("Permission denied") == 3
    assert sorted(p.name for p in root.iterdir()) == ["bin", "kept", "out"]
    assert (root / "kept").read_text() == "kept\n"


def test_comm_is_inherited_by_fork_and_threads(guest, violet) -> None:
    got = same_as_native(guest("comm_inherit"), violet)
    assert got.out == "parent: renamed-one\nthread: renamed-one\nchild: renamed-one\nafter exec: comm_inherit\n"
