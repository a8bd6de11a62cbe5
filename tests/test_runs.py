"""Fast tier: the run folder module — typed run.json, states, references, temp-file clean-up, the lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe
from cnnapp.runs import META_VERSION, RunDir, RunMeta, from_any, run_of

ROOT = Path(__file__).resolve().parents[1]
META = {
    "recipe": "lenet5-digits",
    "architecture": "lenet5",
    "model_options": {},
    "input_shape": [32, 32, 1],
    "num_classes": 10,
    "class_names": [str(i) for i in range(10)],
    "dataset": "digits",
    "normalization": {"mean": [70.0], "std": [100.0]},
}


def test_run_json_is_typed_versioned_and_keeps_keys_of_a_newer_writer():
    meta = RunMeta.from_dict({**META, "written_by_a_newer_cnnapp": {"train": [3] * 10}})
    assert meta.input_shape == (32, 32, 1) and meta.version == 0 and meta.status == "running"
    assert meta.replace(version=META_VERSION).to_dict()["version"] == META_VERSION
    assert meta.extra == {"written_by_a_newer_cnnapp": {"train": [3] * 10}}
    again = RunMeta.from_dict(json.loads(json.dumps(meta.to_dict())))
    assert again == meta and again["class_names"][3] == "3"  # dict-style reads still work
    for bad, words in [
        ({**META, "version": META_VERSION + 1}, "damaged"),
        ({**META, "input_shape": [32, 32]}, "damaged"),
        ({**META, "normalization": {"mean": [1.0, 2.0], "std": [1.0]}}, "damaged"),
        ({k: v for k, v in META.items() if k != "dataset"}, "lacks dataset"),
        ([1, 2], "not a JSON object"),
    ]:
        with pytest.raises(CnnappError, match=words):
            RunMeta.from_dict(bad, "run.json")


def test_states_new_running_finished(tmp_path):
    run = RunDir(tmp_path / "run")
    assert run.status() == "new"
    recipe = load_recipe("lenet5-digits")
    meta = run.begin(recipe, RunMeta.from_dict(META))
    assert run.status() == "running" and run.read_recipe() == recipe and run.labels() == meta.class_names
    run.finish(meta, {"top1_accuracy": 0.5})
    assert run.status() == "finished" and run.read_report() == {"top1_accuracy": 0.5}
    # A folder written before run.json had a status (version 0): finished when it has a report.
    run.meta_file.write_text(json.dumps(META))
    assert run.status() == "finished"
    run.report_file.unlink()
    assert run.status() == "running"


def test_references_to_a_run_a_checkpoint_and_a_bare_model(tmp_path):
    run = RunDir(tmp_path / "run")
    run.checkpoints_dir.mkdir(parents=True)
    run.meta_file.write_text(json.dumps(META))
    run.checkpoint_file("best").write_bytes(b"model")
    bare = tmp_path / "model.keras"
    bare.write_bytes(b"model")
    assert from_any(run.path).model_file == run.checkpoint_file("best")
    assert from_any(run.checkpoint_file("best")).run == run
    assert from_any(run.checkpoint_file("best")).checkpoint == "best"
    assert from_any(bare).run is None and run_of(bare) is None
    with pytest.raises(CnnappError, match="no last checkpoint yet"):
        from_any(run.path, "last")
    with pytest.raises(CnnappError, match="not a run folder"):
        from_any(tmp_path)
    with pytest.raises(CnnappError, match="no run folder or model file"):
        from_any(tmp_path / "nope")


def test_temp_files_of_a_killed_write_are_removed(tmp_path):
    run = RunDir(tmp_path)
    run.checkpoints_dir.mkdir()
    stray = [run.checkpoints_dir / ".best.abc.tmp-cnnapp.keras", tmp_path / ".resume.x1.tmp-cnnapp.npz"]
    for path in stray:
        path.write_bytes(b"cut")
    kept = run.checkpoints_dir / "best.keras"
    kept.write_bytes(b"whole")
    users = [tmp_path / ".notes.x.tmp-cnnapp.txt", tmp_path / ".draft.tmp.txt", tmp_path / "a.tmp.b"]
    for path in users:  # a user's files in the folder, temp-like names included: never cnnapp's to delete
        path.write_bytes(b"mine")
    assert sorted(run.remove_stray_temps()) == sorted(stray)
    assert kept.exists() and not any(p.exists() for p in stray)
    assert all(p.read_bytes() == b"mine" for p in users)


def test_the_lock_refuses_a_symlink_and_survives_its_file_being_deleted(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    run.lock_file.symlink_to(target)
    with pytest.raises(CnnappError, match="is a symbolic link, not cnnapp's lock file"):
        run.lock().acquire()
    assert target.read_text() == "keep me"
    run.lock_file.unlink()
    with run.lock():
        run.lock_file.unlink()  # removed by hand while held: the folder itself stays locked
        with pytest.raises(CnnappError, match="in use by another training"):
            run.lock().acquire()


def test_the_lock_excludes_another_process_and_dies_with_its_holder(tmp_path):
    """A second process is refused while this one holds the lock; a killed holder leaves no stale lock."""
    holder = (
        "import sys, time; from cnnapp.runs import RunDir; lock = RunDir(sys.argv[1]).lock(); "
        "lock.acquire(); print('held', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "held"
        with pytest.raises(CnnappError, match=rf"in use by another training \(pid {process.pid} on host "):
            RunDir(tmp_path).lock().acquire()
    finally:
        process.kill()
        process.wait()
    with RunDir(tmp_path).lock():  # the kill released it
        pass


def test_no_run_folder_path_literal_outside_the_run_folder_module():
    """Every module asks `cnnapp.runs` for a run's paths (docs/architecture.md, "Runs")."""
    import ast

    names = {"recipe.toml", "run.json", "report.json", "log.csv", "resume.npz", "checkpoints", "tensorboard"}
    names |= {".lock", "best.keras", "last.keras"}
    found = []
    for path in sorted((ROOT / "cnnapp").rglob("*.py")):
        if path.name == "runs.py" and path.parent.name == "cnnapp":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert not found, found
