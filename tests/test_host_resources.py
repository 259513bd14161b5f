"""What a guest can take from the host Violet runs on: never what the
kernel needs to go on."""

from __future__ import annotations

import resource
import subprocess
import sys

from harness import RUN_TIMEOUT


def _with_few_host_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def test_a_guest_opening_files_without_end_leaves_the_kernel_its_host_descriptors(guest) -> None:
    """With the host's descriptors nearly gone to the guest's opens, the
    kernel still loads a program and builds its preemption hook (it raised
    EMFILE tracebacks before)."""
    proc = subprocess.run([sys.executable, "-m", "violet", "run", str(guest("host_fds"))], capture_output=True,
                          timeout=RUN_TIMEOUT, preexec_fn=_with_few_host_descriptors)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    assert proc.stdout.decode().splitlines() == ["opens stopped with ENFILE", "child ran", "child status 0"]
    assert proc.returncode == 0
