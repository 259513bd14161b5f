"""File calls beyond open/read/write, as Linux gives them."""

from __future__ import annotations

from pathlib import Path

from harness import run_native


def _in_empty_directories(guest, violet, tmp_path: Path, name: str):  # type: ignore[no-untyped-def]
    """Run guest NAME natively and under Violet, each in an empty directory
    of its own (its argument); both must succeed and print the same."""
    (tmp_path / "native").mkdir()
    (tmp_path / "violet").mkdir()
    ref = run_native(guest(name), [str(tmp_path / "native")])
    got = violet(guest(name), [str(tmp_path / "violet")])
    assert ref.status == 0 and got.status == 0, got.report
    assert got.out == ref.out, got.report
    return got


def test_link_symlink_truncate_times_statfs_fallocate(guest, violet, tmp_path: Path) -> None:
    got = _in_empty_directories(guest, violet, tmp_path, "filecalls")
    assert "readlink: 1 a\n" in got.out and "mtime: 1234567890.000000500\n" in got.out
    assert sorted(p.name for p in (tmp_path / "violet").iterdir()) == ["a"]


def test_statx_renameat2_fchmodat(guest, violet, tmp_path: Path) -> None:
    got = _in_empty_directories(guest, violet, tmp_path, "statx_rename")
    assert "exchange: 0\na holds bravo!\nb holds alpha\n" in got.out
    assert "noreplace onto existing: -17\n" in got.out  # EEXIST
    assert "same as stat: ino 1, nlink 1, mtime 1, dev 1\n" in got.out
    assert not (tmp_path / "violet" / "c").exists()


def test_sendfile_reads_files_and_refuses_pipes(guest, violet, tmp_path: Path) -> None:
    """A pipe as sendfile's input is EINVAL at once, as on Linux (it was
    read, and a read that had to wait crashed the kernel when it resumed:
    `busybox ls | busybox cat`)."""
    got = _in_empty_directories(guest, violet, tmp_path, "sendfile_kinds")
    assert got.out.startswith("from a pipe: -1 EINVAL\nfrom a file: 5 23456, offset now 7\n")
