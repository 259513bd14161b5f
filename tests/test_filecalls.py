"""File calls beyond open/read/write, as Linux gives them."""

from __future__ import annotations

from pathlib import Path

from harness import run_native


def test_link_symlink_truncate_times_statfs_fallocate(guest, violet, tmp_path: Path) -> None:
    (tmp_path / "native").mkdir()
    (tmp_path / "violet").mkdir()
    ref = run_native(guest("filecalls"), [str(tmp_path / "native")])
    got = violet(guest("filecalls"), [str(tmp_path / "violet")])
    assert ref.status == 0 and got.status == 0, got.report
    assert got.out == ref.out, got.report
    assert "readlink: 1 a\n" in got.out and "mtime: 1234567890.000000500\n" in got.out
    assert sorted(p.name for p in (tmp_path / "violet").iterdir()) == ["a"]
