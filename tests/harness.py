"""Running guest programs three ways, for the tests.

Each runner takes the program (a path), its arguments, an environment and
stdin, and returns a `Result`: stdout, stderr, the status as a shell
reports it, and Violet's own messages.

- `run_native`: the program runs on the host kernel, as the reference;
- `run_cli`: `python -m violet run PROG ARGS...` in a subprocess;
- `run_api`: a `violet.Kernel` in this Python process.

Nothing here depends on the working directory: paths are absolute, and
every run gets the same explicit environment (`BASE_ENV` unless the test
passes its own).  Tests import this module (`from harness import ...`);
tests/conftest.py turns it into fixtures.
"""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from violet import Kernel, LoadError

TESTS = Path(__file__).resolve().parent
GUESTS = TESTS / "guests"

# The environment every run gets unless a test passes its own.  The CLI
# always sets PATH, HOME and TERM first (cli._parse_env); giving them here,
# first and in that order, makes the guest's envp the same under all runners.
BASE_ENV: dict[str, str] = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/", "TERM": "dumb"}

# No test should get near this; it turns a hang into a failure.
RUN_TIMEOUT = 60.0

SIGILL_STATUS, SIGTRAP_STATUS, SIGFPE_STATUS, SIGSEGV_STATUS = 128 + 4, 128 + 5, 128 + 8, 128 + 11


@dataclass
class Result:
    stdout: bytes
    stderr: bytes  # the guest's stderr (for the CLI, without Violet's lines)
    status: int
    report: str = ""  # Violet's messages: the report stream (API) or its lines on stderr (CLI)
    how: str = ""  # "native", "cli" or "api"

    @property
    def out(self) -> str:
        return self.stdout.decode(errors="replace")

    def violet_lines(self) -> list[str]:
        """The lines Violet itself wrote (they start with 'violet')."""
        return [line for line in self.report.splitlines() if line.startswith("violet")]


Runner = Callable[..., Result]


def _argv(prog: str | Path, args: Sequence[str | bytes]) -> list[str | bytes]:
    return [str(prog), *args]


def _shell_status(returncode: int) -> int:
    """subprocess's returncode as a shell reports it (-N is 128+N)."""
    return 128 - returncode if returncode < 0 else returncode


def run_native(
    prog: str | Path, args: Sequence[str | bytes] = (), env: Mapping[str, str] | None = None, stdin: bytes = b""
) -> Result:
    """Run the program on the host kernel."""
    proc = subprocess.run(
        _argv(prog, args), input=stdin, capture_output=True, env=dict(BASE_ENV if env is None else env),
        timeout=RUN_TIMEOUT,
    )
    return Result(proc.stdout, proc.stderr, _shell_status(proc.returncode), "", "native")


def run_cli(
    prog: str | Path,
    args: Sequence[str | bytes] = (),
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    options: Sequence[str] = (),
) -> Result:
    """Run the program with `python -m violet run [options] PROG ARGS...`."""
    cmd: list[str | bytes] = [sys.executable, "-m", "violet", "run", *options]
    for key, value in (BASE_ENV if env is None else env).items():
        cmd += ["--env", f"{key}={value}"]
    cmd += _argv(prog, args)
    proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=RUN_TIMEOUT)
    lines = proc.stderr.splitlines(keepends=True)
    ours = [ln for ln in lines if ln.startswith(b"violet")]
    guest_err = b"".join(ln for ln in lines if not ln.startswith(b"violet"))
    report = b"".join(ours).decode(errors="replace")
    return Result(proc.stdout, guest_err, _shell_status(proc.returncode), report, "cli")


def run_api(
    prog: str | Path,
    args: Sequence[str | bytes] = (),
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    **kernel_options: object,
) -> Result:
    """Run the program in a `violet.Kernel` in this Python process.

    A program that cannot be loaded gives its LoadError's status, with the
    message in `report` worded as the CLI prints it.
    """
    out, err, report = bytearray(), bytearray(), io.StringIO()
    kernel_options.setdefault("check", True)  # the invariant checker is on in the test suite
    k = Kernel(stdin=stdin, stdout=out, stderr=err, report=report, **kernel_options)  # type: ignore[arg-type]
    with k:
        try:
            k.spawn(_argv(prog, args), env=dict(BASE_ENV if env is None else env))
        except LoadError as e:
            return Result(b"", b"", e.status, f"violet: {e}\n", "api")
        status = k.run(timeout=RUN_TIMEOUT)
    return Result(bytes(out), bytes(err), status, report.getvalue(), "api")


VIOLET_RUNNERS: dict[str, Runner] = {"cli": run_cli, "api": run_api}


def same_as_native(binary: Path, violet_run: Runner, args: Sequence[str | bytes] = (), **kw: object) -> Result:
    """Run `binary` natively and under Violet; assert the same stdout, stderr
    and status; return the Violet result."""
    ref = run_native(binary, args, **kw)  # type: ignore[arg-type]
    got = violet_run(binary, args, **kw)
    assert got.stdout == ref.stdout, (
        f"stdout differs ({got.how})\n violet: {got.stdout!r}\n native: {ref.stdout!r}\n{got.report}"
    )
    assert got.stderr == ref.stderr, (
        f"stderr differs ({got.how})\n violet: {got.stderr!r}\n native: {ref.stderr!r}\n{got.report}"
    )
    assert got.status == ref.status, (
        f"status differs ({got.how}): violet {got.status}, native {ref.status}\n{got.report}"
    )
    return got
