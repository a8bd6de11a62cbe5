"""Atomic writes: all or nothing, with an ordinary file's permissions."""

import os
from pathlib import Path

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


def test_a_staged_folder_swaps_in_as_a_set_and_keeps_what_was_there(tmp_path):
    from cnnapp.atomic import staged_folder

    out = tmp_path / "export"
    out.mkdir()
    (out / "old.tflite").write_bytes(b"old model")
    (out / "notes.txt").write_text("the user's")
    with staged_folder(out) as staging:
        atomic.write_text(staging / "new.json", "{}")
        atomic.write_text(staging / "old.tflite", "new model")
        assert (out / "old.tflite").read_bytes() == b"old model"  # nothing new is visible before the swap
        assert not (out / "new.json").exists()
    assert (out / "old.tflite").read_text() == "new model" and (out / "new.json").read_text() == "{}"
    assert (out / "notes.txt").read_text() == "the user's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no staging or old folder left


def test_a_staged_folder_killed_before_the_swap_leaves_the_old_set_whole(tmp_path):
    from cnnapp.atomic import staged_folder

    out = tmp_path / "export"
    out.mkdir()
    (out / "int8.tflite").write_bytes(b"old")
    (out / "int8.json").write_text("old")
    with pytest.raises(KeyboardInterrupt), staged_folder(out) as staging:
        atomic.write_text(staging / "int8.json", "new")
        raise KeyboardInterrupt  # killed between the json and the .tflite
    assert (out / "int8.json").read_text() == "old" and (out / "int8.tflite").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_an_output_folder_takes_one_export_at_a_time(tmp_path):
    from cnnapp.errors import CnnappError
    from cnnapp.runs import output_lock

    with output_lock(tmp_path / "export"):
        with pytest.raises(CnnappError, match=r"export is in use by another export \(pid "):
            output_lock(tmp_path / "export").acquire()
    with output_lock(tmp_path / "export"):  # released
        pass


def test_the_output_lock_holds_across_the_swap_and_lives_inside_the_folder(tmp_path):
    from cnnapp.atomic import staged_folder
    from cnnapp.errors import CnnappError
    from cnnapp.runs import output_lock

    out = tmp_path / "export"
    with output_lock(out):
        with staged_folder(out) as staging:
            (staging / "int8.tflite").write_bytes(b"new")
        # The swap moves files into the folder, never the folder or its lock: a second export is refused.
        with pytest.raises(CnnappError, match="export is in use by another export"):
            output_lock(out).acquire()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # nothing beside the named folder
    with output_lock(out):  # released
        pass


def test_a_staged_folder_stages_inside_the_named_folder(tmp_path):
    from cnnapp.atomic import staged_folder

    out = tmp_path / "export"
    with staged_folder(out) as staging:
        assert staging.parent == out  # nothing is written beside the folder the user named
        (staging / "saved_model").mkdir()
        (staging / "saved_model" / "m.pb").write_bytes(b"new")
    assert (out / "saved_model" / "m.pb").read_bytes() == b"new"
    with staged_folder(out) as staging:  # a folder in the set replaces the old folder whole
        (staging / "saved_model").mkdir()
        (staging / "saved_model" / "n.pb").write_bytes(b"newer")
    assert sorted(p.name for p in (out / "saved_model").iterdir()) == ["n.pb"]
    assert sorted(p.name for p in out.iterdir()) == ["saved_model"]


def test_a_kill_between_the_files_of_the_swap_is_completed_to_the_new_set(tmp_path, monkeypatch):
    from cnnapp.atomic import finish_staged, staged_folder

    out = tmp_path / "export"
    out.mkdir()
    for name in ("int8.json", "int8.md", "int8.tflite"):
        (out / name).write_text("old")
    real_replace = os.replace
    moved = []

    def killed_after_one(source, target):
        into_out = Path(target).parent == out and Path(target).name != atomic.JOURNAL
        if into_out and moved:
            raise KeyboardInterrupt  # killed after the first file of the set is in
        real_replace(source, target)
        if into_out:
            moved.append(target)

    monkeypatch.setattr(os, "replace", killed_after_one)
    with pytest.raises(KeyboardInterrupt), staged_folder(out) as staging:
        for name in ("int8.json", "int8.md", "int8.tflite"):
            atomic.write_text(staging / name, "new")
    monkeypatch.setattr(os, "replace", real_replace)
    assert (out / "int8.json").read_text() == "new" and (out / "int8.tflite").read_text() == "old"
    finish_staged(out)  # what the next export into the folder does first
    assert {(out / n).read_text() for n in ("int8.json", "int8.md", "int8.tflite")} == {"new"}
    assert sorted(p.name for p in out.iterdir()) == ["int8.json", "int8.md", "int8.tflite"]
