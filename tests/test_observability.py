"""What a user sees of a run: --trace, --stats, --tree, --timeline, and
the Python API's events."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from violet import Kernel


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "violet", "run", *args], capture_output=True, timeout=60)


def test_trace_prints_one_decoded_line_per_syscall_and_the_cascade(guest) -> None:
    proc = _cli("--trace", str(guest("obs_tree")))
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert re.search(r'^\[\d+/\d+\] write\(1, "hello\\n", 6\) = 6$', err, re.M), err
    assert re.search(r"^\[\d+/\d+\] fork\(\) = \d+$", err, re.M), err
    assert re.search(r"^\[\d+/\d+\] wait4\(\d+, 0x[0-9a-f]+, 0, 0\)", err, re.M), err
    assert re.search(r"^--- cascade: proc=obs_tree\[\d+\], killed=\[obs_tree\[\d+\]\]$", err, re.M), err


def test_trace_filter_keeps_only_the_named_class(guest, tmp_path: Path) -> None:
    out = tmp_path / "trace.txt"
    proc = _cli("--trace-file", str(out), "--trace-filter", "process", str(guest("obs_tree")))
    assert proc.returncode == 0
    names = {m.group(1) for m in re.finditer(r"^\[\d+/\d+\] (\w+)\(", out.read_text(), re.M)}
    assert {"fork", "wait4", "exit_group"} <= names, names
    assert not names & {"write", "read", "pipe", "rt_sigprocmask"}, names


def test_tree_shows_kinds_exit_statuses_and_the_cascade(guest) -> None:
    proc = _cli("--tree", str(guest("obs_tree")))
    err = proc.stderr.decode()
    assert re.search(r"^1 init \[system\]", err, re.M), err
    assert re.search(r"^  (\d+) obs_tree \[application\] .*: exit 0$", err, re.M), err
    child = re.search(r"^    (\d+) obs_tree \[worker\] .*: exit 4$", err, re.M)
    assert child, err
    assert re.search(rf"^      \d+ obs_tree \[worker\] .*: terminated: ancestor {child.group(1)} exited$", err, re.M), err


def test_stats_has_a_line_per_process_and_kernel_totals(guest) -> None:
    err = _cli("--stats", str(guest("obs_tree"))).stderr.decode()
    rows = [ln for ln in err.splitlines() if re.match(r"^\d+\s+(application|worker)\s", ln)]
    assert len(rows) == 3, err
    assert re.search(r"^kernel: \d+ syscalls, .* frames in use 0$", err, re.M), err


def test_timeline_is_trace_event_json_with_a_track_per_thread(guest, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    assert _cli("--timeline", str(out), str(guest("obs_tree"))).returncode == 0
    events = json.loads(out.read_text())["traceEvents"]
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert len(names) == 3 and any("(application)" in n for n in names), names
    running = [e for e in events if e["ph"] == "X" and e["name"] == "running"]
    assert {e["pid"] for e in running} and all(e["dur"] > 0 for e in running)
    instants = {e["name"] for e in events if e["ph"] == "i"}
    assert {"launch", "fork", "exit", "cascade kill"} <= instants, instants
    assert any(e["name"].startswith("blocked: ") for e in events if e["ph"] == "X")


def test_api_subscribers_see_creation_exit_and_cascade(guest) -> None:
    seen: list[tuple[str, dict]] = []
    k = Kernel(mem="256M", stdout=bytearray(), check=True)
    k.events.subscribe(lambda kind, fields: seen.append((kind, fields)))
    app = k.spawn([str(guest("obs_tree"))])
    assert k.run() == 0
    created = [f["proc"] for kind, f in seen if kind == "process"]
    assert [p.kind.value for p in created] == ["application", "worker", "worker"]
    cascades = [f for kind, f in seen if kind == "cascade"]
    assert len(cascades) == 1 and cascades[0]["killed"][0].parent is cascades[0]["proc"]
    assert cascades[0]["proc"].parent is app


def test_sigusr1_prints_the_tree_while_the_guest_runs(guest) -> None:
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "violet", "run", str(guest("limits")), "spin"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"ready\n"
    proc.send_signal(signal.SIGUSR1)
    first = proc.stderr.readline().decode()
    second = proc.stderr.readline().decode()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert first.startswith("1 init [system]"), first
    assert re.match(r"^  \d+ limits \[application\] .*: running$", second), second


def test_trace_cow_shows_each_copy_on_write_with_its_process(guest) -> None:
    proc = _cli("--trace", "--trace-cow", "--trace-filter", "events", str(guest("obs_tree")))
    err = proc.stderr.decode()
    cows = re.findall(r"^--- cow: proc=obs_tree\[(\d+)\], addr=0x[0-9a-f]+000$", err, re.M)
    assert cows, err
    stats = _cli("--stats", str(guest("obs_tree"))).stderr.decode()
    per_pid = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"^(\d+)\s+\S+\s+\S+\s+.*?s\s+\d+\s+\d+\s+(\d+)", stats, re.M)}
    assert sum(per_pid.values()) == len(cows), (per_pid, cows)
