"""Atomic writes: all or nothing, with an ordinary file's permissions."""

import os

import pytest

from cnnapp import atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.json"
    atomic.write_json(target, {"top1": 0.9})
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text().strip().startswith("{") and "0.9" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_written_files_get_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "labels.txt", "zero\n")
    finally:
        os.umask(old)
    assert (tmp_path / "labels.txt").stat().st_mode & 0o777 == 0o644
