"""Random trees of processes and threads (tests/guests/rtree.c): whatever
exits or is killed when, no descendant outlives its ancestor, the cascade
happens within one kernel step, and nothing leaks."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from violet import Kernel, ProcState, ThreadState


def _run(binary: str, seed: int) -> tuple[Kernel, int, list[tuple[str, dict]], str]:
    report = io.StringIO()
    k = Kernel(mem="512M", stdout=bytearray(), stderr=bytearray(), report=report, check=True)
    seen: list[tuple[str, dict]] = []
    k.events.subscribe(lambda kind, f: seen.append((kind, dict(f, slices=k.stats.slices))))
    k.spawn([binary, str(seed)])
    return k, k.run(timeout=120), seen, report.getvalue()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_no_descendant_outlives_its_ancestor_and_nothing_leaks(guest, seed: int) -> None:
    k, status, seen, report = _run(str(guest("rtree")), seed)
    assert status == 0, report
    assert k.bugs == [], report

    # Every process has ended and been reaped; every thread has ended.
    for p in k.history[1:]:
        assert p.state is ProcState.REAPED, p
        assert all(t.state is ThreadState.TERMINATED for t in p.threads), p
    assert k.pool.in_use == k.boot_frames

    # A process ended by a cascade names an ancestor, which ended in the
    # same kernel step (no slice ran in between).
    ended_at = {f["proc"].pid: f["slices"] for kind, f in seen if kind == "exit"}
    for p in k.history[1:]:
        if p.killed_by is not None:
            ancestors = {a.pid for a in p.ancestors()}
            assert p.killed_by in ancestors, (p, p.killed_by)
            assert ended_at[p.pid] == ended_at[p.killed_by], (p, p.killed_by)

    # No process ended after an ancestor (its end time is not later).
    for p in k.history[1:]:
        for a in p.ancestors():
            if a is not k.init:
                assert p.ended is not None and a.ended is not None and p.ended <= a.ended, (p, a)
