"""A real third-party program: Debian's busybox-static (glibc, static).

The binary is fetched at test time (`apt-get download busybox-static`,
unpacked into the cache) or taken from the system when busybox-static is
installed; it is never committed.  Each Linux-behaviour test runs the same
command natively and under Violet and compares.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness import run_cli, same_as_native
from violet.cli import cache_dir
from violet.errors import LoadError
from violet.loader import elf


def _is_static(path: Path) -> bool:
    try:
        elf.parse(str(path), path.read_bytes())
    except (LoadError, OSError):
        return False
    return True


def _fetch() -> Path | None:
    for candidate in (shutil.which("busybox"), "/bin/busybox", "/usr/bin/busybox"):
        if candidate and Path(candidate).is_file() and _is_static(Path(candidate)):
            return Path(candidate)
    where = cache_dir() / "busybox-static"
    binary = where / "bin" / "busybox"
    if binary.is_file():
        return binary
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return None
    debs = cache_dir() / "debs"
    debs.mkdir(exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", "busybox-static"], cwd=debs, check=True, capture_output=True, timeout=120)
        deb = next(debs.glob("busybox-static_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(where)], check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, StopIteration, OSError):
        return None
    return binary if binary.is_file() else None


@pytest.fixture(scope="session")
def busybox() -> Path:
    found = _fetch()
    if found is None:
        pytest.skip("busybox-static is neither installed nor downloadable (apt-get download busybox-static)")
    return found


def test_glibc_static_shell_computes_and_exits_with_its_status(busybox: Path, violet) -> None:
    got = same_as_native(busybox, violet, ["sh", "-c", "echo $((6*7)); x=$(echo sub); echo got $x; exit 3"])
    assert got.out == "42\ngot sub\n" and got.status == 3


def test_pipeline_forks_and_execs_applets(busybox: Path, violet) -> None:
    script = f"echo one two three | {busybox} wc -w; {busybox} true && echo ok"
    got = same_as_native(busybox, violet, ["sh", "-c", script])
    assert got.out.split() == ["3", "ok"]


def test_files_are_created_read_and_removed(busybox: Path, violet, tmp_path: Path) -> None:
    script = f"cd {tmp_path} && mkdir d && echo hi > d/f && cat d/f && {busybox} rm -r d && {busybox} ls -a"
    got = same_as_native(busybox, violet, ["sh", "-c", script])
    assert got.out == "hi\n.\n..\n"


def test_proc_status_shows_violet_kinds(busybox: Path) -> None:
    # The second command runs in a forked child: a pipeline stage.
    script = f"{busybox} grep VioletKind /proc/$$/status; {busybox} cat /proc/self/status | {busybox} grep VioletKind"
    got = run_cli(busybox, ["sh", "-c", script])
    assert got.status == 0, got.report
    assert got.out.split() == ["VioletKind:", "application", "VioletKind:", "worker"]



# Scripts as people write them.  The applets are found through PATH, as a
# user's shell finds them: a directory of links to busybox, first in PATH
# for the native run and the Violet run alike.  Each script gets the
# directory it works in as $1.

APPLETS = (
    "awk cat cut dd echo env false find grep gunzip gzip head kill ls md5sum mkdir rm sed seq sh sha256sum "
    "sleep sort tail tee tr true uniq wc xargs"
).split()


@pytest.fixture(scope="session")
def bbenv(busybox: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    bindir = tmp_path_factory.mktemp("bbbin")
    for name in APPLETS:
        (bindir / name).symlink_to(busybox)
    return {"PATH": str(bindir), "HOME": "/", "TERM": "dumb"}


def _script(busybox: Path, violet, bbenv: dict[str, str], where: Path, text: str):  # type: ignore[no-untyped-def]
    (where / "script.sh").write_text('cd "$1" || exit 99\n' + text)
    return same_as_native(busybox, violet, ["sh", str(where / "script.sh"), str(where)], env=bbenv)


def test_text_pipeline_of_utilities(busybox: Path, violet, bbenv, tmp_path: Path) -> None:
    got = _script(busybox, violet, bbenv, tmp_path, r"""
printf 'pear 3\napple 5\nfig 1\napple 2\n' > in.txt
sort in.txt | cut -d' ' -f1 | uniq -c | sort -rn | head -n 2
awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' in.txt | sort
sed -n -e 's/apple/APPLE/g' -e '/APPLE/p' in.txt
cut -d' ' -f1 in.txt | tr a-z A-Z | sort -u | tee out.txt | wc -l
grep -c apple in.txt
seq 1 100 | xargs -n 10 echo | tail -n 2
find . -name '*.txt' | sort
echo appended >> out.txt; tail -n 2 out.txt
""")
    assert got.status == 0
    lines = got.out.splitlines()
    assert lines[0].split() == ["2", "apple"] and "apple 7" in lines and "91 92 93 94 95 96 97 98 99 100" in lines


def test_redirections_here_documents_and_read_loops(busybox: Path, violet, bbenv, tmp_path: Path) -> None:
    got = _script(busybox, violet, bbenv, tmp_path, r"""
exec 3> fd3.txt
echo to three >&3
exec 3>&-
cat fd3.txt
{ echo out; echo err >&2; } 2> err.txt > out.txt
cat out.txt err.txt
cat <<END
here $((1 + 2)) ${HOME}
END
printf 'a 1\nb 2\n' | while read name n; do echo "[$n:$name]"; done
while read line; do echo "line: $line"; done < fd3.txt
exec 4< out.txt
read first <&4
echo "fd 4 gave $first"
ls /no/such/place 2>/dev/null || echo "ls failed with $?"
echo to-stderr 1>&2
""")
    assert got.status == 0
    assert "fd 4 gave out" in got.out and "[2:b]" in got.out and got.stderr == b"to-stderr\n"


def test_traps_background_jobs_and_wait(busybox: Path, violet, bbenv, tmp_path: Path) -> None:
    got = _script(busybox, violet, bbenv, tmp_path, r"""
trap 'echo got USR1' USR1
kill -USR1 $$
trap 'echo leaving' EXIT
sleep 0.1 & p=$!
wait $p; echo "sleep ended with $?"
sleep 10 & p=$!
kill $p; wait $p; echo "killed sleep ended with $?"
(exit 7) & wait $!; echo "subshell ended with $?"
sh -c 'kill -TERM $$'; echo "self-terminated shell ended with $?"
# Whether the shell prints "Killed" for this job depends on when its SIGCHLD
# handler runs, natively too: the notice goes to /dev/null.
{ sleep 10 & p=$!; kill -STOP $p; kill -CONT $p; kill -KILL $p; wait $p; echo "stopped, continued, killed: $?"; } 2>/dev/null
{ for i in 1 2 3; do (echo job$i) & done; wait; } | sort
f() { return $(( $1 * 2 )); }
f 3; echo "function gave $?"
(set -e; false; echo never); echo "set -e subshell gave $?"
""")
    assert got.status == 0
    for line in ("got USR1", "sleep ended with 0", "killed sleep ended with 143", "subshell ended with 7",
                 "self-terminated shell ended with 143", "stopped, continued, killed: 137", "job3",
                 "function gave 6", "set -e subshell gave 1", "leaving"):
        assert line in got.out.splitlines(), line


def test_checksums_compression_and_devices(busybox: Path, violet, bbenv, tmp_path: Path) -> None:
    got = _script(busybox, violet, bbenv, tmp_path, r"""
seq 1 20000 > numbers
wc -c < numbers
md5sum < numbers
gzip -c numbers > numbers.gz
gunzip -c numbers.gz | sha256sum
sort -rn numbers | head -n 3
dd if=/dev/zero bs=1024 count=256 2>/dev/null | wc -c
head -c 100 /dev/urandom | wc -c
env | grep -c '^PATH='
""")
    assert got.status == 0
    assert got.out.splitlines()[0] == "108894" and "20000" in got.out


def test_cat_from_a_pipe_that_fills_late(busybox: Path, violet, bbenv, tmp_path: Path) -> None:
    """busybox cat tries sendfile first: from a pipe Linux says EINVAL and
    cat falls back to read and write."""
    got = _script(busybox, violet, bbenv, tmp_path, r"""
{ sleep 0.1; echo late; } | cat
ls / | cat | wc -l > count
test "$(cat count)" -gt 3 && echo listed
""")
    assert got.out == "late\nlisted\n"
