"""The command line: scripts, and mistakes that get one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _violet(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "violet", *args], capture_output=True, timeout=120)


def test_a_script_runs_its_static_interpreter_with_the_script_and_arguments(guest, tmp_path: Path) -> None:
    script = tmp_path / "hello.sh"
    interpreter = guest("args")
    script.write_text(f"#!{interpreter} from-the-line\nignored\n")
    script.chmod(0o755)
    done = _violet("run", str(script), "one", "two")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[:6] == ["argc=5", f'argv[0]="{interpreter}"', 'argv[1]="from-the-line"', f'argv[2]="{script}"',
                         'argv[3]="one"', 'argv[4]="two"'], lines


def test_a_script_whose_interpreter_is_missing_gets_127(tmp_path: Path) -> None:
    script = tmp_path / "bad.sh"
    script.write_text("#!/no/such/interpreter\n")
    script.chmod(0o755)
    done = _violet("run", str(script))
    assert done.returncode == 127
    assert done.stderr.decode() == f"violet: {script}: script interpreter /no/such/interpreter not found\n"


@pytest.mark.parametrize("args, says", [
    (["run", "--timeout", "0", "PROG"], "--timeout must be a positive"),
    (["run", "--slice-ms", "0", "PROG"], "--slice-ms must be at least"),
    (["run", "--mem", "0", "PROG"], "--mem must be a positive size"),
    (["run", "--mem-budget", "lots", "PROG"], "--mem-budget: cannot read size"),
    (["run", "--trace-filter", "nonsense", "PROG"], "--trace-filter: 'nonsense' is neither"),
    (["run", "--timeline", "/nonexistent/dir/t.json", "PROG"], "--timeline: cannot write"),
    (["run", "--tree-svg", "/nonexistent/dir/t.svg", "PROG"], "--tree-svg: cannot write"),
    (["run", "--deny", "nonsense", "PROG"], "unknown right 'nonsense'"),
    (["cc", "missing.c", "-o", "out"], "cc: missing.c: no such file"),
    (["cc"], "usage: violet cc"),
    (["run", "--timeout", "x", "PROG"], "argument --timeout: invalid float value: 'x'"),
    (["run", "--no-such-option", "PROG"], "unrecognized arguments: --no-such-option"),
    (["frob"], "invalid choice: 'frob'"),
])
def test_a_mistake_gets_one_line_and_status_2(guest, args: list[str], says: str) -> None:
    done = _violet(*[str(guest("hello")) if a == "PROG" else a for a in args])
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("violet: ") and says in err, err
    assert done.stdout == b""
