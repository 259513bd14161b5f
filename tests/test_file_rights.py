"""fs.read and fs.write limited to path prefixes (--allow fs.write:/out,
--deny fs.write:/etc, violet_restrict_paths): every way a guest could reach
a file outside its prefixes is refused with EACCES, and the files there are
left as they were.  tests/guests/fr_ops.c makes the calls; natively each
of them succeeds, so every EACCES below is Violet's rule at work."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from harness import run_cli, run_native
from violet import Kernel, Permissions, Right


def _tree(base: Path) -> dict[str, Path]:
    """out/ (writable), tmp/ (writable), etc/ (holds a file that must stay), out2/ (a name sharing a prefix)."""
    dirs = {name: base / name for name in ("out", "tmp", "etc", "out2", "pub")}
    for d in dirs.values():
        d.mkdir(parents=True)
    for name in ("f", "g", "h"):
        (dirs["etc"] / name).write_text("keep\n")
    (dirs["pub"] / "p").write_text("public\n")
    return dirs


def _snapshot(d: Path) -> dict[str, str]:
    out = {}
    for root, subdirs, files in os.walk(d):
        for name in files + subdirs:
            p = Path(root, name)
            out[str(p.relative_to(d))] = p.read_text() if p.is_file() and not p.is_symlink() else "<dir or link>"
    return out


def _results(text: str, base: Path) -> list[str]:
    """The output lines with the tree's base as B; of the VioletRights
    line, only the file rights (the others are not this file's concern)."""
    out = []
    for line in text.splitlines():
        line = line.replace(str(base), "B")
        if line.startswith("VioletRights:"):
            line = "rights: " + " ".join(w for w in line.split()[1:] if "fs." in w)
        out.append(line)
    return out


def _both(guest, tmp_path: Path, ops, options, setup=None):  # type: ignore[no-untyped-def]
    """Run fr_ops natively on one tree and under Violet (CLI) on another;
    return (native lines, violet lines, violet result, violet tree)."""
    runs = {}
    for how in ("native", "violet"):
        base = tmp_path / how
        d = _tree(base)
        if setup:
            setup(d)
        args = [a.format(**{k: str(v) for k, v in d.items()}) for a in ops]
        if how == "native":
            got = run_native(guest("fr_ops"), args)
        else:
            opts = [o.format(**{k: str(v) for k, v in d.items()}) for o in options]
            got = run_cli(guest("fr_ops"), args, options=opts)
        runs[how] = (got, base, d)
    (n, nb, _), (v, vb, vd) = runs["native"], runs["violet"]
    assert n.status == 0, n.out
    return _results(n.out, nb), _results(v.out, vb), v, vd


def _links(d: dict[str, Path]) -> None:
    out, etc = d["out"], d["etc"]
    (out / "abs").symlink_to(etc)  # an absolute link out
    (out / "rel").symlink_to("../etc")  # a relative one
    (out / "lf").symlink_to(etc / "f")  # to the file itself
    (out / "dangling").symlink_to(etc / "new")  # to a file an O_CREAT would make
    (out / "real").write_text("mine\n")
    (out / "sw").symlink_to(out / "real")  # swapped for a link out, below


ESCAPES = [
    # (op and args, Violet's answer)
    (["w", "{out}/a"], "ok"),
    (["w", "{tmp}/b"], "ok"),
    (["w", "{etc}/x"], "EACCES"),
    (["w", "{out2}/x"], "EACCES"),  # /out2 is not under /out
    (["w", "{out}/../etc/x"], "EACCES"),  # ..
    (["w", "{out}/abs/x"], "EACCES"),  # absolute symlink
    (["w", "{out}/rel/x"], "EACCES"),  # relative symlink
    (["a", "{out}/lf"], "EACCES"),  # a link to the file
    (["w", "{out}/dangling"], "EACCES"),  # O_CREAT through a dangling link
    (["a", "{out}/sw"], "ok"),  # the link still points inside
    (["unlink", "{out}/sw"], "ok"),
    (["symlink", "{etc}/f", "{out}/sw"], "ok"),  # a link out may be made: it is followed when used
    (["a", "{out}/sw"], "EACCES"),  # ...and now it points out
    (["procfd", "{etc}/f"], "EACCES"),  # open read-only, then /proc/self/fd/N for writing
    (["procfd", "{out}/a"], "ok"),
    (["at", "{etc}", "x"], "EACCES"),  # openat from a directory descriptor outside
    (["at", "{out}", "y"], "ok"),
    (["rename", "{out}/a", "{etc}/a"], "EACCES"),  # out of the allowed directory
    (["rename", "{etc}/g", "{out}/g"], "EACCES"),  # into it
    (["rename", "{out}/y", "{tmp}/y"], "ok"),  # between two allowed ones
    (["link", "{etc}/f", "{out}/hard"], "EACCES"),  # a hard link would make etc/f writable
    (["link", "{out}/real", "{out}/hard2"], "ok"),
    (["creat", "{etc}/c"], "EACCES"),
    (["mkdir", "{etc}/d"], "EACCES"),
    (["mkdir", "{out}/d"], "ok"),
    (["rmdir", "{out}/d"], "ok"),
    (["rmdir", "{out}"], "EACCES"),  # the prefix itself is not a name under it
    (["chmod", "{etc}/f"], "EACCES"),
    (["truncate", "{etc}/f"], "EACCES"),
    (["utime", "{etc}/f"], "EACCES"),
    (["mkfifo", "{etc}/fifo"], "EACCES"),
    (["mkfifo", "{out}/fifo"], "ok"),
    (["access", "{etc}/f"], "EACCES"),
    (["access", "{out}/real"], "ok"),
    (["r", "{etc}/f"], "ok"),  # reading is not limited here
    (["unlink", "{etc}/h"], "EACCES"),
]


def test_every_route_out_of_the_write_prefixes_is_refused(guest, tmp_path) -> None:
    ops = [a for op, _ in ESCAPES for a in op]
    native, got, res, d = _both(guest, tmp_path, ops, ["--allow", "fs.write:{out}", "--allow", "fs.write:{tmp}"],
                                setup=_links)
    # Each call works on Linux (but for removing a directory that is not empty).
    assert all(line.endswith(": ok") or line == "rmdir B/out: ENOTEMPTY" for line in native), native
    want = [f"{' '.join(op).format(out='B/out', tmp='B/tmp', etc='B/etc', out2='B/out2')}: {answer}"
            for op, answer in ESCAPES]
    assert got == want, "\n".join(f"{g}    <- want {w}" if g != w else g for g, w in zip(got, want))
    assert res.status == 0
    assert _snapshot(d["etc"]) == {"f": "keep\n", "g": "keep\n", "h": "keep\n"}  # nothing outside changed
    assert sorted(_snapshot(d["out2"])) == []
    assert "violet: refused: open a file for writing outside fs.write's paths: EACCES" in res.report


def test_rights_are_inherited_by_fork_and_kept_by_exec(guest, tmp_path) -> None:
    ops = ["fork", "w", "{etc}/x", "w", "{out}/y", "status", "exec", "w", "{etc}/z", "w", "{out}/z", "status"]
    _native, got, res, d = _both(guest, tmp_path, ops, ["--allow", "fs.write:{out}"])
    rights = "rights: fs.read fs.write:B/out"
    assert got == ["w B/etc/x: EACCES", "w B/out/y: ok", rights, "w B/etc/z: EACCES", "w B/out/z: ok", rights]
    assert not (d["etc"] / "x").exists() and not (d["etc"] / "z").exists()


def test_violet_restrict_paths_narrows_and_never_widens(guest, tmp_path) -> None:
    ops = [
        "only-write", "{out},{tmp}", "w", "{etc}/a", "w", "{tmp}/a",
        "only-write", "{out}/sub,{tmp},{etc}", "status",  # /out narrows to /out/sub; /etc adds nothing
        "w", "{out}/a", "mkdir", "{out}/sub/d", "w", "{etc}/b",
        "except-write", "{tmp}/keep", "mkdir", "{tmp}/keep", "w", "{tmp}/c", "status",
        "fork", "only-write", "{etc}", "status", "w", "{tmp}/d",  # nothing in common: fs.write is gone
    ]
    native, got, _res, _d = _both(guest, tmp_path, ops, [], setup=lambda d: (d["out"] / "sub").mkdir())
    assert native[0] == "only-write B/out,B/tmp: ENOSYS"  # Linux has no such call
    assert got == [
        "only-write B/out,B/tmp: ok", "w B/etc/a: EACCES", "w B/tmp/a: ok",
        "only-write B/out/sub,B/tmp,B/etc: ok",
        "rights: fs.read fs.write:B/out/sub fs.write:B/tmp",
        "w B/out/a: EACCES", "mkdir B/out/sub/d: ok", "w B/etc/b: EACCES",
        "except-write B/tmp/keep: ok", "mkdir B/tmp/keep: EACCES", "w B/tmp/c: ok",
        "rights: fs.read fs.write:B/out/sub fs.write:B/tmp -fs.write:B/tmp/keep",
        "only-write B/etc: ok", "rights: fs.read",
        "w B/tmp/d: EACCES",
    ]


def test_the_old_violet_drop_still_drops_the_whole_right(guest, tmp_path) -> None:
    _native, got, _res, _d = _both(guest, tmp_path, ["w", "{out}/a", "drop-write", "w", "{out}/b", "status"],
                                   ["--allow", "fs.write:{out}"])
    assert got == ["w B/out/a: ok", "drop-write: ok", "w B/out/b: EACCES",
                   "rights: fs.read"]


def test_read_prefixes_limit_open_readdir_and_exec(guest, tmp_path) -> None:
    def setup(d):  # type: ignore[no-untyped-def]
        shutil.copy(guest("fr_ops"), d["pub"] / "prog")
        shutil.copy(guest("fr_ops"), d["etc"] / "prog")

    ops = ["r", "{pub}/p", "r", "{etc}/f", "ls", "{pub}", "ls", "{etc}", "run", "{pub}/prog", "run", "{etc}/prog",
           "rename", "{etc}/f", "{pub}/f", "w", "{etc}/new", "status"]
    # /proc is a path like any other: reading /proc/self/status needs it.
    native, got, _res, d = _both(guest, tmp_path, ops, ["--allow", "fs.read:{pub}", "--allow", "fs.read:/proc"],
                                 setup=setup)
    assert all(": ok" in line or "status 0" in line for line in native), native
    assert got == [
        "r B/pub/p: ok", "r B/etc/f: EACCES", "ls B/pub: ok", "ls B/etc: EACCES",
        "run B/pub/prog: status 0", "execve B/etc/prog: EACCES", "run B/etc/prog: status 127",
        "rename B/etc/f B/pub/f: EACCES",  # it would become readable there
        "w B/etc/new: ok",  # writing needs no fs.read
        "rights: fs.read:/proc fs.read:B/pub fs.write",
    ]
    assert (d["etc"] / "f").read_text() == "keep\n"


def test_violet_launch_needs_fs_read_at_the_program(guest, tmp_path) -> None:
    d = _tree(tmp_path)
    for where in ("pub", "etc"):
        shutil.copy(guest("fr_ops"), d[where] / "prog")
    got = run_cli(guest("fr_ops"), ["launch", f"{d['etc']}/prog", "launch", f"{d['pub']}/prog"],
                  options=["--allow", "proc.launch", "--allow", f"fs.read:{d['pub']}"])
    assert _results(got.out, tmp_path) == ["launch B/etc/prog: EACCES", "launch B/pub/prog: ok"]


def test_a_denied_prefix_takes_a_subtree_away(guest, tmp_path) -> None:
    def setup(d):  # type: ignore[no-untyped-def]
        (d["etc"] / "sub").mkdir()

    ops = ["w", "{etc}/x", "w", "{etc}/sub/x", "w", "{out}/x", "rename", "{etc}", "{tmp}/etc",
           "rename", "{out}/x", "{etc}/x", "rename", "{out}", "{tmp}/o", "status"]
    _native, got, _res, d = _both(guest, tmp_path, ops, ["--deny", "fs.write:{etc}"], setup=setup)
    assert got == [
        "w B/etc/x: EACCES", "w B/etc/sub/x: EACCES", "w B/out/x: ok",
        "rename B/etc B/tmp/etc: EACCES",  # moving the excluded tree out of its place
        "rename B/out/x B/etc/x: EACCES",
        "rename B/out B/tmp/o: ok",
        "rights: fs.read fs.write -fs.write:B/etc",
    ]
    assert _snapshot(d["etc"]) == {"f": "keep\n", "g": "keep\n", "h": "keep\n", "sub": "<dir or link>"}


def test_prefixes_are_guest_paths_inside_the_root(guest, tmp_path) -> None:
    root = tmp_path / "root"
    for sub in ("out", "etc"):
        (root / sub).mkdir(parents=True)
    (root / "out" / "up").symlink_to("/etc")  # inside the root: the root's /etc
    shutil.copy(guest("fr_ops"), root / "prog")
    got = run_cli("/prog", ["w", "/out/a", "w", "/etc/a", "w", "/out/up/b", "w", "/out/../../../out/c", "status"],
                  options=["--root", str(root), "--allow", "fs.write:/out"])
    assert _results(got.out, root) == [
        "w /out/a: ok", "w /etc/a: EACCES", "w /out/up/b: EACCES", "w /out/../../../out/c: ok",
        "rights: fs.read fs.write:/out",
    ]
    assert sorted(os.listdir(root / "out")) == ["a", "c", "up"] and os.listdir(root / "etc") == []


def test_a_prefix_given_through_a_symbolic_link_is_its_target(guest, tmp_path) -> None:
    """Checks compare resolved paths, so the CLI resolves the prefix too."""
    d = _tree(tmp_path)
    (tmp_path / "via").symlink_to(d["out"])
    got = run_cli(guest("fr_ops"), ["w", str(d["out"] / "a"), "w", str(tmp_path / "via" / "b")],
                  options=["--allow", f"fs.write:{tmp_path}/via"])
    assert got.out.splitlines() == [f"w {d['out']}/a: ok", f"w {tmp_path}/via/b: ok"]


@pytest.mark.parametrize("option, message", [
    (["--allow", "fs.write:out"], "--allow fs.write:out: 'out' is not an absolute path"),
    (["--allow", "fs.write:"], "--allow fs.write:: empty path"),
    (["--deny", "fs.read:"], "--deny fs.read:: empty path"),
    (["--allow", "fs.wrte:/out"], "--allow fs.wrte:/out: unknown right 'fs.wrte'"),
    (["--allow", "proc.spawn:/out"], "--allow proc.spawn:/out: proc.spawn takes no path"),
    (["--deny", "fs.writes"], "--deny fs.writes: unknown right 'fs.writes'"),
])
def test_a_malformed_right_is_a_usage_error(guest, option, message) -> None:
    got = run_cli(guest("fr_ops"), ["status"], options=option)
    assert got.status == 2
    assert got.out == ""
    assert message in got.report, got.report
    assert "Traceback" not in got.report + got.stderr.decode()


def test_the_api_takes_prefixes_and_audits_the_path(guest, tmp_path) -> None:
    d = _tree(tmp_path)
    out, report = bytearray(), io.StringIO()
    perms = Permissions().restrict(paths={Right.FS_WRITE: [str(d["out"])]})
    assert perms.may(Right.FS_WRITE, f"{d['out']}/x") and not perms.may(Right.FS_WRITE, f"{d['out']}2/x")
    with Kernel(stdout=out, stderr=bytearray(), report=report, check=True) as k:
        k.spawn([str(guest("fr_ops")), "w", f"{d['etc']}/x", "w", f"{d['out']}/x"], perms=perms)
        assert k.run(timeout=60) == 0
    assert out.decode().splitlines() == [f"w {d['etc']}/x: EACCES", f"w {d['out']}/x: ok"]
    [event] = k.stats.audit
    assert event["path"] == f"{d['etc']}/x" and event["right"] == f"fs.write:{d['out']}"
    assert event["errno"] == "EACCES"
    with pytest.raises(ValueError, match="not an absolute path"):
        Permissions().restrict(paths={Right.FS_WRITE: ["relative"]})
    with pytest.raises(ValueError, match="not a file right"):
        Permissions().restrict(paths={Right.SPAWN: ["/x"]})
    # Narrowing never widens: a prefix outside what is held gives nothing.
    narrower = perms.restrict(paths={Right.FS_WRITE: ["/"]})
    assert narrower.write_paths == perms.write_paths
    assert not perms.restrict(paths={Right.FS_WRITE: [str(d["etc"])]}).has(Right.FS_WRITE)


def test_the_command_line_rules_combine_as_documented() -> None:
    from violet.kernel.perms import from_options

    both = from_options(["fs.write:/out", "fs.write:/tmp", "fs.write:/out/sub"], [])
    assert [w for w in both.right_tokens() if "fs.write" in w] == ["fs.write:/out", "fs.write:/tmp"]  # a union, minimal
    assert not from_options(["fs.write:/out"], ["fs.write"]).has(Right.FS_WRITE)  # a denial beats an allowance
    assert from_options(["fs.write", "fs.write:/out"], []).write_paths.everywhere  # a bare allow is the whole root
    carved = from_options(["fs.write:/out"], ["fs.write:/out/keep"])
    assert carved.may(Right.FS_WRITE, "/out/x") and not carved.may(Right.FS_WRITE, "/out/keep/x")
    assert not from_options(["fs.write:/out"], ["fs.write:/"]).has(Right.FS_WRITE)
    assert from_options(["fs.read:/a/../b/./c/"], []).read_paths.allow == ("/b/c",)


def test_writing_to_dev_null_needs_no_write_right(guest, tmp_path) -> None:
    """`cmd > /dev/null` works under --deny fs.write (a shell script's
    ordinary redirections); a real file stays refused."""
    from test_busybox import _fetch

    busybox = _fetch()
    assert busybox is not None, "busybox-static is needed (apt-get download busybox-static)"
    script = f"echo gone > /dev/null && echo null ok; echo x > {tmp_path}/file || echo file refused"
    got = run_cli(busybox, ["sh", "-c", script], options=["--deny", "fs.write"])
    assert got.out == "null ok\nfile refused\n", got.report
    assert not (tmp_path / "file").exists()
