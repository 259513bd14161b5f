"""Real programs: the Lua 5.4 interpreter and SQLite's sqlite3 shell, built
at test time from public source releases (tests/realprogs.py: lupa's sdist
on PyPI, the npm package sqlite3), run under Violet and natively.

Each test runs the same static binary with the same input both ways and
compares what a user sees.  Without the network or the registries the
fixtures fail (they do not skip): these programs are part of what Violet
is tested on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import realprogs
from harness import BASE_ENV, GUESTS, Result, run_api, run_cli, run_native, same_as_native

LUA_SCRIPTS = GUESTS / "lua"
SQL_SCRIPTS = GUESTS / "sqlite"


def _built(make) -> Path:  # type: ignore[no-untyped-def]
    try:
        return make()
    except realprogs.Unavailable as e:
        pytest.fail(f"{e}\n(tests/realprogs.py fetches the sources from PyPI and npm at test time)", pytrace=False)


@pytest.fixture(scope="session")
def lua() -> Path:
    return _built(realprogs.lua)


@pytest.fixture(scope="session")
def sqlite3() -> Path:
    return _built(realprogs.sqlite3)


def _same(ref: Result, got: Result, normalise=lambda b: b) -> None:  # type: ignore[no-untyped-def]
    for what in ("stdout", "stderr"):
        mine, theirs = normalise(getattr(got, what)), normalise(getattr(ref, what))
        assert mine == theirs, f"{what} differs ({got.how})\n violet: {mine!r}\n native: {theirs!r}\n{got.report}"
    assert got.status == ref.status, f"status: violet {got.status}, native {ref.status}\n{got.report}"


# Lua -----------------------------------------------------------------------


@pytest.mark.parametrize("script", ["basics", "coroutines", "errors", "heavy"])
def test_lua_script_prints_what_it_prints_natively(lua: Path, violet, script: str) -> None:
    got = same_as_native(lua, violet, [str(LUA_SCRIPTS / f"{script}.lua")])
    assert got.status == 0 and got.stderr == b""


def test_lua_checksums_are_the_known_ones(lua: Path) -> None:
    got = run_api(lua, [str(LUA_SCRIPTS / "heavy.lua")])
    assert got.out.splitlines()[:2] == ["primes\t17984\t199999", "queens\t92"]
    assert "fib\t46368" in got.out and "float\t-539.208564" in got.out


def test_lua_floating_point_prints_exactly(lua: Path, violet) -> None:
    code = 'print(math.pi, 1/3, 2^0.5, string.format("%.17g %a", math.pi, 0.1), 1e300*1e10, -0.0)'
    got = same_as_native(lua, violet, ["-e", code])
    assert got.out == "3.1415926535898\t0.33333333333333\t1.4142135623731\t3.1415926535897931 0x1.999999999999ap-4\tinf\t-0.0\n"


def test_lua_uncaught_error_goes_to_stderr_with_status_1(lua: Path, violet) -> None:
    got = same_as_native(lua, violet, [str(LUA_SCRIPTS / "errors.lua"), "die"])
    assert got.status == 1 and b"fatal here" in got.stderr and b"stack traceback:" in got.stderr


def test_lua_os_exit_status(lua: Path, violet) -> None:
    assert same_as_native(lua, violet, [str(LUA_SCRIPTS / "errors.lua"), "exit", "7"]).status == 7


def test_lua_reads_a_program_from_stdin(lua: Path, violet) -> None:
    prog = b"local s = 0; for l in io.lines() do s = s + #l end; print(s)\n"
    got = same_as_native(lua, violet, ["-"], stdin=prog)
    assert got.out == "0\n"  # the program itself consumed stdin up to its end


def test_lua_files_in_a_directory(lua: Path, violet, tmp_path: Path) -> None:
    (tmp_path / "n").mkdir()
    (tmp_path / "v").mkdir()
    stdin = b"first\nsecond\nthird\n"
    ref = run_native(lua, [str(LUA_SCRIPTS / "files.lua"), str(tmp_path / "n")], stdin=stdin)
    got = violet(lua, [str(LUA_SCRIPTS / "files.lua"), str(tmp_path / "v")], stdin=stdin)
    _same(ref, got, lambda b: b.replace(str(tmp_path / "n").encode(), b"DIR").replace(str(tmp_path / "v").encode(), b"DIR"))
    assert b"3 stdin lines: FIRST|SECOND|THIRD" in got.stdout and got.stderr == b"to stderr\n"
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == ["buf.txt", "out.txt"]
    assert (tmp_path / "v" / "out.txt").read_text() == (tmp_path / "n" / "out.txt").read_text() == "via io.write\n"


def test_lua_time_and_clock(lua: Path, violet) -> None:
    got = same_as_native(lua, violet, [str(LUA_SCRIPTS / "time.lua"), str(int(time.time()))])
    assert got.out.count("false") == 1  # only the isdst of a UTC date
    assert got.out.startswith("time near the caller's\ttrue\ntime after 2020\ttrue\nclock advances\ttrue\ttrue\t")


# Lua's own test suite (testes/ of the release), files that run on their own.
# _port skips the non-portable parts (they start /bin/sh, a dynamic program);
# _soft makes the long ones shorter.
LUA_TESTES = ["strings", "sort", "closure", "coroutine", "nextvar", "math", "events", "vararg", "tpack", "utf8",
              "goto", "pm", "bitwise", "constructs", "calls", "errors", "files", "locals", "attrib", "cstack",
              "db", "gc", "gengc", "api", "code", "big", "verybig"]


@pytest.mark.parametrize("name", LUA_TESTES)
def test_lua_test_suite_file_passes_as_natively(lua: Path, name: str) -> None:
    testes = realprogs.lua_sources() / "testes"
    env = {**BASE_ENV, "LUA_PATH": f"{testes}/?.lua;;"}
    args = ["-e", "_port=true; _soft=true", str(testes / f"{name}.lua")]
    ref = run_native(lua, args, env=env)
    assert ref.status == 0, ref.stderr
    got = run_api(lua, args, env=env)
    # Timings, dates and temporary names differ from run to run.
    _same(ref, got, lambda b: re.sub(rb"[0-9]+", b"N", b))


# SQLite --------------------------------------------------------------------


def test_sqlite_session_same_as_native(sqlite3: Path, violet) -> None:
    got = same_as_native(sqlite3, violet, [], stdin=(SQL_SCRIPTS / "session.sql").read_bytes())
    # The session ends on a query of a missing table: .bail stops with status 1.
    assert got.status == 1 and got.stderr.endswith(b"no such table: nonexistent_table\n")
    assert got.out.startswith("emps|sales|depts\n2000|20000|4\n")
    assert "SEARCH sale USING INDEX sale_emp_day (emp_id=? AND day>?)" in got.out


def _bulk_script(rows: int) -> bytes:
    """A transaction of `rows` separate INSERT statements, as a dump would load."""
    lines = [".bail on", "create table kv(k integer primary key, v text, n real);", "begin;"]
    lines += [f"insert into kv values({i}, 'value {i * 7 % 1009}', {i / 7!r});" for i in range(rows)]
    lines += ["commit;", "create index kv_v on kv(v);",
              "select count(*), count(distinct v), round(sum(n), 3) from kv;", "pragma integrity_check;"]
    return "\n".join(lines).encode() + b"\n"


def test_sqlite_bulk_insert_into_a_file_persists_across_runs(sqlite3: Path, violet, tmp_path: Path) -> None:
    db = tmp_path / "violet.db"
    got = violet(sqlite3, [str(db)], stdin=_bulk_script(5000))
    assert (got.status, got.out, got.stderr) == (0, "5000|1009|1785357.143\nok\n", b""), got.report
    assert sorted(p.name for p in tmp_path.iterdir()) == ["violet.db"]  # the journal is gone
    query = ["select count(*), max(k), v from kv where v like 'value 10%' group by v order by v limit 3;",
             "pragma integrity_check;"]
    # A second run under Violet reopens it; the host's own run reads the same.
    again = violet(sqlite3, [str(db), *query])
    native = run_native(sqlite3, [str(db), *query])
    assert again.out == native.out == "5|4614|value 10\n5|4771|value 100\n5|4323|value 1000\nok\n", again.report
    # And a database the host wrote, Violet reads.
    host_db = tmp_path / "native.db"
    assert run_native(sqlite3, [str(host_db)], stdin=_bulk_script(3000)).status == 0
    assert violet(sqlite3, [str(host_db), *query]).out == run_native(sqlite3, [str(host_db), *query]).out


@pytest.mark.parametrize("mode", ["delete", "truncate", "persist", "memory", "wal", "off"])
def test_sqlite_journal_mode(sqlite3: Path, violet, tmp_path: Path, mode: str) -> None:
    script = f"""
.bail on
pragma journal_mode = {mode};
create table t(a integer primary key, b text);
begin; insert into t(b) select 'row' || value from generate_series(1, 2000); commit;
begin; delete from t where a % 2 = 0; rollback;
begin; update t set b = upper(b) where a <= 10; commit;
savepoint s; insert into t(b) values ('gone'); rollback to s; release s;
select count(*), sum(length(b)), min(b), max(b) from t;
pragma integrity_check;
""".encode()
    outcomes = {}
    for how, run in (("native", run_native), ("violet", violet)):
        where = tmp_path / how
        where.mkdir()
        r = run(sqlite3, [str(where / "j.db")], stdin=script)
        check = run_native(sqlite3, [str(where / "j.db"), "pragma journal_mode;", "select count(*) from t;"])
        outcomes[how] = (r.status, r.out, r.stderr, check.out, sorted(p.name for p in where.iterdir()))
    assert outcomes["violet"] == outcomes["native"]
    status, out, _, check, files = outcomes["violet"]
    assert status == 0 and out.splitlines()[1:] == ["2000|12893|ROW1|row999", "ok"]
    assert check == (f"{'wal' if mode == 'wal' else 'delete'}\n2000\n")
    assert files == (["j.db", "j.db-journal"] if mode in ("persist", "truncate") else ["j.db"])


def _writer_script(tag: int, transactions: int) -> str:
    lines = [".timeout 30000", ".bail on"]
    for i in range(transactions):
        lines.append(f"begin immediate; insert into t values({tag}, {i}, (select count(*) from t)); commit;")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("mode", ["delete", "wal"])
def test_sqlite_two_processes_write_one_database(sqlite3: Path, guest, violet, tmp_path: Path, mode: str) -> None:
    """Two shells at once on one database, each committing its own
    transactions: SQLite's file locks (and in WAL mode the shared -shm
    mapping) serialise them, so every insert saw a different row count."""
    n = 150
    for tag in (1, 2):
        (tmp_path / f"w{tag}.sql").write_text(_writer_script(tag, n))
    summary = "select count(*), count(distinct seen), max(seen), sum(k = 1), sum(k = 2) from t; pragma integrity_check;"
    results = {}
    for how, run in (("native", run_native), ("violet", violet)):
        db = tmp_path / f"{how}.db"
        assert run_native(sqlite3, [str(db), f"pragma journal_mode = {mode};", "create table t(k, i, seen);"]).status == 0
        args = [str(sqlite3), "-init", str(tmp_path / "w1.sql"), str(db), ".quit", "--",
                str(sqlite3), "-init", str(tmp_path / "w2.sql"), str(db), ".quit"]
        r = run(guest("spawn_all"), args)
        results[how] = (r.status, r.out, r.stderr, run_native(sqlite3, [str(db), summary]).out)
    assert results["violet"] == results["native"]
    assert results["violet"] == (0, "0 exit 0\n1 exit 0\n", b"", f"{2 * n}|{2 * n}|{2 * n - 1}|{n}|{n}\nok\n")


def test_sqlite_import_and_dump(sqlite3: Path, violet, tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text("name,age,city\n" + "".join(f"p{i},{20 + i % 50},\"City, {i % 7}\"\n" for i in range(500)))
    args = [":memory:", f".import --csv {csv} people", "select count(*), avg(age), count(distinct city) from people;",
            ".output " + str(tmp_path / "OUT"), "select city, count(*) from people group by city;", ".output stdout",
            "create table small as select * from people limit 3;", ".dump small"]
    ref = run_native(sqlite3, args)
    ref_file = (tmp_path / "OUT").read_bytes()
    got = violet(sqlite3, args)
    _same(ref, got)
    assert (tmp_path / "OUT").read_bytes() == ref_file and ref_file.count(b"\n") == 7
    assert got.out.startswith("500|44.5|7\nPRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE small(")


def test_sqlite_mmap_io_temp_files_vacuum_and_attach(sqlite3: Path, violet, tmp_path: Path) -> None:
    """Reads through a shared mapping of the database (mmap_size), a sort
    larger than the page cache spilling to temporary files, VACUUM (which
    rewrites the file through a temporary database), VACUUM INTO and ATTACH,
    and an exclusive lock."""
    script = b"""
.bail on
pragma mmap_size = 268435456;
pragma cache_size = 50;
pragma temp_store = file;
create table big(a integer, b text);
insert into big select value, hex(value * 2654435761 % 1000003) || '-' || value from generate_series(1, 30000);
select count(*), count(distinct b) from big;
select a, b from big order by b desc limit 1 offset 100;
create index big_b on big(b);
vacuum;
vacuum into 'copy.db';
attach 'copy.db' as c;
select count(*), sum(a) from c.big;
pragma locking_mode = exclusive;
insert into big values (0, 'x');
select count(*) from big;
pragma integrity_check;
"""
    outcomes = {}
    for how, run in (("native", run_native), ("violet", violet)):
        where = tmp_path / how
        where.mkdir()
        # copy.db is relative: run in the directory (the script cd's nowhere).
        r = run(sqlite3, ["-cmd", f".cd {where}", str(where / "e.db")], stdin=script)
        outcomes[how] = (r.status, r.out, r.stderr, sorted(p.name for p in where.iterdir()))
    assert outcomes["violet"] == outcomes["native"]
    assert outcomes["violet"][0] == 0 and outcomes["violet"][1].endswith("30001\nok\n")
    assert outcomes["violet"][3] == ["copy.db", "e.db"]


@pytest.fixture(scope="session")
def static_sh() -> Path:
    """A static shell to be /bin/sh in a root of our own (the host's is dynamic)."""
    from test_busybox import _fetch

    found = _fetch()
    if found is None:
        pytest.skip("busybox-static is neither installed nor downloadable (apt-get download busybox-static)")
    return found


def test_lua_os_execute_and_io_popen_run_a_shell(lua: Path, static_sh: Path, tmp_path: Path) -> None:
    """Under a root whose /bin/sh is busybox, Lua's os.execute and io.popen
    (musl's posix_spawn of /bin/sh -c) give what they give natively with the
    host's shell: statuses, a signal, pipes both ways."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "tmp").mkdir()
    shutil.copy(static_sh, root / "bin" / "sh")
    shutil.copy(lua, root / "bin" / "lua")
    shutil.copy(LUA_SCRIPTS / "processes.lua", root / "tmp" / "processes.lua")
    ref = run_native(lua, [str(LUA_SCRIPTS / "processes.lua")])
    got = run_cli("/bin/lua", ["/tmp/processes.lua"], options=["--root", str(root)])
    _same(ref, got)
    assert got.out.splitlines()[1:3] == ["nil\texit\t3", "nil\tsignal\t9"]


def _cut(text: str, start: str, end: str) -> str:
    a, b = text.index(start), text.index(end)
    assert a < b, (start, end)
    return text[:a] + text[b:]


def test_lua_test_suite_stand_alone_interpreter(lua: Path, static_sh: Path, tmp_path: Path) -> None:
    """testes/main.lua: the `lua` program itself, driven through the shell
    (options, -e/-l/-i/-W, LUA_INIT, arg, stdin, redirections, exit codes,
    error objects, warnings): dozens of sh -c lines that fork and exec lua.

    Three parts are cut from it, each for a reason that is not Violet's: a
    C module (a static lua has no dlopen), the non-string prompt (fails
    natively too: it expects readline's echo), and "Ctrl C", which reads the
    output of a job left in the background by a shell that has exited:
    under Violet's process model the job ends with the shell."""
    src = (realprogs.lua_sources() / "testes" / "main.lua").read_text()
    src = _cut(src, "-- test module names with version sufix", "-- test 'arg' table")
    src = _cut(src, "-- non-string prompt", "-- test for error objects")
    src = _cut(src, "print('testing Ctrl C')", 'print("OK")')
    root = tmp_path / "root"
    for sub in ("bin", "tmp", "testes"):
        (root / sub).mkdir(parents=True)
    shutil.copy(static_sh, root / "bin" / "sh")
    shutil.copy(lua, root / "bin" / "lua")
    (root / "testes" / "main.lua").write_text(src)

    env = {**BASE_ENV, "PATH": f"{root / 'bin'}:{BASE_ENV['PATH']}"}
    ref = run_native(root / "bin" / "lua", [str(root / "testes" / "main.lua")], env=env)
    assert ref.status == 0, ref.stderr
    got = run_cli("/bin/lua", ["/testes/main.lua"], env={**BASE_ENV, "PATH": "/bin"}, options=["--root", str(root)])

    def normal(b: bytes) -> bytes:
        b = b.replace(str(root / "bin" / "lua").encode(), b"/bin/lua")
        return re.sub(rb"/tmp/lua_\w+", b"/tmp/lua_X", b)

    _same(ref, got, normal)
    assert got.out.endswith("testing warnings\n+\nOK\n")


def test_sqlite_backup_restore_save_clone_and_readonly(sqlite3: Path, violet, tmp_path: Path) -> None:
    def session(d: Path) -> tuple[bytes, bytes]:
        first = f"""
.bail on
create table t(a, b);
insert into t select value, printf('%08d', value * 17) from generate_series(1, 5000);
.backup {d}/backup.db
.sha3sum
.open --readonly {d}/backup.db
select count(*), max(b) from t;
insert into t values(1, 2);
"""
        second = f"""
.open {d}/other.db
.restore {d}/backup.db
select count(*), sum(a) from t;
.save {d}/saved.db
.clone {d}/cloned.db
.open {d}/cloned.db
select count(*), min(b) from t;
"""
        return first.encode(), second.encode()

    outcomes = {}
    for how, run in (("native", run_native), ("violet", violet)):
        d = tmp_path / how
        d.mkdir()
        first, second = session(d)
        r1, r2 = run(sqlite3, [], stdin=first), run(sqlite3, [], stdin=second)
        outcomes[how] = [(r.status, r.out, r.stderr.replace(str(d).encode(), b"D")) for r in (r1, r2)]
        outcomes[how].append(sorted(p.name for p in d.iterdir()))
    assert outcomes["violet"] == outcomes["native"]
    (s1, out1, err1), (s2, out2, _), files = outcomes["violet"]
    assert s1 == 1 and out1.endswith("5000|00085000\n") and b"attempt to write a readonly database" in err1
    assert s2 == 0 and out2.startswith("5000|12502500\n") and out2.endswith("5000|00000017\n")
    assert files == ["backup.db", "cloned.db", "other.db", "saved.db"]


def test_sqlite_under_violet_sees_a_host_sqlite3_s_lock(sqlite3: Path, tmp_path: Path) -> None:
    """A host sqlite3 holds an exclusive transaction on a database; a second
    writer must get "database is locked" (natively it does) instead of
    writing under it: the two would corrupt the database."""
    db = tmp_path / "shared.db"
    assert run_native(sqlite3, [str(db), "create table t(a);"]).status == 0
    holder = subprocess.Popen([str(sqlite3), str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write(b"begin exclusive; insert into t values(1); select 'holding';\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == b"holding\n"
        native = run_native(sqlite3, [str(db), "insert into t values(2);"])
        assert native.status == 5 and b"database is locked" in native.stderr  # SQLITE_BUSY
        got = run_cli(sqlite3, [str(db), "insert into t values(3);"])
        assert (got.status, got.stderr) == (native.status, native.stderr), got.report
    finally:
        holder.communicate(b"commit;\n", timeout=60)


def test_lua_under_an_address_space_limit_gets_not_enough_memory(lua: Path, static_sh: Path, tmp_path: Path) -> None:
    """`ulimit -v` in the shell, then a table that outgrows it: Lua's
    allocator gets NULL and raises "not enough memory", which pcall catches."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy(static_sh, root / "bin" / "sh")
    shutil.copy(lua, root / "bin" / "lua")
    code = ("local t = {} local ok, err = pcall(function() for i = 1, 1e8 do t[i] = i end end) "
            "print(ok, err, #t > 1000000) t = nil collectgarbage() print(collectgarbage('count') < 1000)")
    script = f"ulimit -v 200000; exec LUA -e \"{code}\""
    ref = run_native("/bin/sh", ["-c", script.replace("LUA", str(root / "bin" / "lua"))])
    got = run_cli("/bin/sh", ["-c", script.replace("LUA", "/bin/lua")], options=["--root", str(root)])
    _same(ref, got)
    assert got.out == "false\tnot enough memory\ttrue\ntrue\n"


def _converse(cmd: list[str], prompt: bytes, lines: list[bytes], timeout: float = 60.0) -> bytes:
    """Run `cmd` on a new pseudo-terminal as a person would: wait for the
    prompt, type a line, and so on; return everything the terminal showed
    (the program's output and the terminal's echo of what was typed)."""
    import os
    import pty
    import select

    main_fd, sub_fd = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=sub_fd, stdout=sub_fd, stderr=sub_fd, start_new_session=True,
                            env={**BASE_ENV, "TERM": "dumb"})
    os.close(sub_fd)
    shown = bytearray()
    deadline = time.monotonic() + timeout

    def read_until(done) -> None:  # type: ignore[no-untyped-def]
        while not done():
            left = deadline - time.monotonic()
            assert left > 0, f"no prompt; the terminal shows {bytes(shown)!r}"
            if select.select([main_fd], [], [], left)[0]:
                try:
                    chunk = os.read(main_fd, 4096)
                except OSError:  # the program closed the terminal
                    return
                if not chunk:
                    return
                shown.extend(chunk)

    try:
        mark = 0
        for line in lines:
            # A new prompt: one that came after the last line typed (and its echo).
            read_until(lambda: len(shown) > mark and shown.endswith(prompt))
            os.write(main_fd, line + b"\n")
            mark = len(shown)
        read_until(lambda: proc.poll() is not None and not select.select([main_fd], [], [], 0.2)[0])
        assert proc.wait(timeout=timeout) == 0, bytes(shown)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)
    return bytes(shown)


def test_sqlite_interactive_session_on_a_terminal(sqlite3: Path, tmp_path: Path) -> None:
    """The shell on a terminal: banner, prompts, a continuation prompt for
    a statement over three lines, box output, .quit."""
    lines = [b"create table t(a);", b"insert into t values (41), (1);", b".mode box",
             b"select sum(a) as answer from t;", b"select", b"1 +", b"2;", b".quit"]
    shown = {}
    for how in ("native", "violet"):
        cmd = [str(sqlite3)] if how == "native" else [sys.executable, "-m", "violet", "run", str(sqlite3)]
        # sqlite3 prompts "sqlite> " and, inside a statement, "   ...> ".
        shown[how] = _converse([*cmd, str(tmp_path / f"{how}.db")], b"> ", lines)
    assert shown["violet"] == shown["native"]
    assert b"sqlite> select sum(a) as answer from t;\r\n" in shown["violet"]
    assert b"\xe2\x94\x82     42 \xe2\x94\x82" in shown["violet"]  # │     42 │


def test_lua_interactive_session_on_a_terminal(lua: Path) -> None:
    lines = [b"x = 6 * 7", b"print(x, _VERSION)", b"function f(n)", b"  return n * 2", b"end", b"= f(x)",
             b"error('oops')", b"os.exit(0)"]
    shown = {}
    for how in ("native", "violet"):
        cmd = [str(lua)] if how == "native" else [sys.executable, "-m", "violet", "run", str(lua)]
        shown[how] = _converse([*cmd, "-i"], b"> ", lines)
    assert shown["violet"] == shown["native"]
    assert b"42\tLua 5.4\r\n" in shown["violet"] and b"84\r\n" in shown["violet"]
    assert b"oops" in shown["violet"]
