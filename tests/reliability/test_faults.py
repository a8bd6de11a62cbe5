"""Fault injection: bad input and faults of the machine, each a one-line error that damages nothing.

Every case runs a CLI in-process under `errors.run_cli` (as `python -m` does) on its own copy of one tiny
trained run, and asserts: exit status 2, one line `python -m cnnapp.X: error: ...` containing the expected
words, no traceback, and every file already in the run folder unchanged (but the files the case lists as
allowed to change). Faults of the machine (read-only or full disk) are injected by patching the system call.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import cnnapp.audit.__main__ as audit_cli
import cnnapp.demo.__main__ as demo_cli
import cnnapp.explain.__main__ as explain_cli
from cnnapp import atomic, evaluate, export, predict, train
from cnnapp.runs import RunDir
from tests.reliability import fault_rows as rows
from tests.reliability.conftest import run_cli, snapshot, train_argv

CLIS = {
    "train": train,
    "evaluate": evaluate,
    "export": export,
    "predict": predict,
    "audit": audit_cli,
    "explain": explain_cli,
    "demo": demo_cli,
}


@dataclasses.dataclass(frozen=True)
class Case:
    """A fault: `setup(tmp, run, monkeypatch) -> argv` for CLI `cli`; the one-line error must contain `words`.

    `may_change` names files of the run folder the failed command may rewrite (by prefix). A row with `ok`
    expects the right result instead: exit 0 and `words` on stdout (and `stderr` on stderr);
    `check(tmp, run, stdout)` may look further (the files it wrote, the numbers it printed).
    """

    cli: str
    setup: Callable[[Path, Path, pytest.MonkeyPatch], list[str]]
    words: str
    may_change: tuple[str, ...] = ()
    ok: bool = False
    check: Callable[[Path, Path, str], None] | None = None
    stderr: str = ""


def _new(*overrides):
    """The train CLI into a new folder `tmp/new`, which must not exist afterwards."""
    return lambda tmp, run, mp: train_argv(tmp / "new", *overrides)


def _same(*overrides):
    """The train CLI into the trained run, with the trained run's recipe plus `overrides`."""
    return lambda tmp, run, mp: train_argv(run, *overrides)


def _write(name: str, data: bytes, *overrides):
    def setup(tmp, run, mp):
        (run / name).write_bytes(data)
        return train_argv(run, *overrides)

    return setup


def _remove(name: str, *overrides):
    def setup(tmp, run, mp):
        (run / name).unlink()
        return train_argv(run, *overrides)

    return setup


def _truncated_state(tmp, run, mp):
    state = RunDir(run).state_file
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])
    return train_argv(run, "train.epochs=3")


def _state_with(arrays: Callable[[dict], dict]):
    """Rewrite resume.npz with `arrays(saved arrays)` (a different model, a damaged JSON part, ...)."""

    def setup(tmp, run, mp):
        state = RunDir(run).state_file
        with np.load(state) as data:
            saved = {k: data[k] for k in data.files}
        np.savez(state, **arrays(saved))
        return train_argv(run, "train.epochs=3")

    return setup


def _status_running_without_report(*overrides):
    """A run killed during its final evaluation: state of every epoch, no report, run.json still running."""

    def setup(tmp, run, mp):
        meta = json.loads((run / "run.json").read_text())
        (run / "run.json").write_text(json.dumps({**meta, "status": "running"}))
        (run / "report.json").unlink()
        return train_argv(run, *overrides)

    return setup


def _locked(tmp, run, mp):
    lock = RunDir(run).lock()
    lock.acquire()  # this process holds the lock, through another open file: flock excludes it too
    _HELD.append(lock)
    return train_argv(run, "train.epochs=3")


_HELD: list = []


def _fail_syscall(owner, name: str, code: int, *overrides, new: bool = False):
    """Patch `owner.name` (a write the run makes) to fail with OSError `code`, as a full or read-only disk."""

    def setup(tmp, run, mp):
        def fail(*args, **kwargs):
            raise OSError(code, os.strerror(code), str(args[0]) if args else None)

        mp.setattr(owner, name, fail)
        return train_argv(tmp / "new" if new else run, *overrides)

    return setup


def _nan_in_epoch_3(tmp, run, mp):
    """A loss that turns NaN in the epoch that extends the run from 2 to 3 epochs."""
    from cnnapp.training import callbacks

    original = callbacks.StopOnNonFiniteLoss.on_epoch_end

    def poisoned(self, epoch, logs=None):
        if epoch == 2:
            logs["loss"] = float("nan")
        return original(self, epoch, logs)

    mp.setattr(callbacks.StopOnNonFiniteLoss, "on_epoch_end", poisoned)
    return train_argv(run, "train.epochs=3")


def _stray_temps(tmp, run, mp):
    (run / "checkpoints" / ".best.k2j3.tmp-cnnapp.keras").write_bytes(b"half a checkpoint")
    (run / ".resume.x9a.tmp-cnnapp.npz").write_bytes(b"half a state")
    return train_argv(run)


def _file(tmp, run, mp, name="file"):
    path = tmp / name
    path.write_text("not a folder")
    return path


def _evaluate_corrupt_meta(tmp, run, mp):
    (run / "run.json").write_bytes(b"[")
    return [str(run)]


def _any_size_model(tmp, run, mp):
    import keras

    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.GlobalAveragePooling2D()(inputs))
    keras.Model(inputs, outputs).save(tmp / "any.keras")
    (tmp / "x.png").write_bytes(b"")
    return [str(tmp / "any.keras"), str(tmp / "x.png")]


WRONG_MODEL = {"model_0": np.zeros(3), "extra": np.array(json.dumps({"epochs_done": 2}))}
TRAINING_FILES = ("run.json", "recipe.toml", "tensorboard/", "log.csv")

CASES = {
    # numbers: finite and in range, before anything is written
    "lr-nan": Case("train", _new("optimizer.lr=nan"), "optimizer.lr must be a finite number, got nan"),
    "lr-inf": Case("train", _new("optimizer.lr=inf"), "optimizer.lr must be a finite number, got inf"),
    "step-size-nan": Case("train", _new("schedule.step_size=nan"), "schedule.step_size must be a finite"),
    "weight-decay-nan": Case("train", _new("optimizer.weight_decay=nan"), "weight_decay must be a finite"),
    "mean-nan": Case("train", _new("data.mean=[nan]", "data.std=[1.0]"), "data.mean[0] must be a finite"),
    "epochs-negative": Case("train", _new("train.epochs=-3"), "train.epochs must be ≥ 1"),
    "seed-negative": Case("train", _new("train.seed=-1"), "train.seed must be ≥ 0"),
    "epsilon-zero": Case("train", _new("optimizer.epsilon=0"), "optimizer.epsilon > 0"),
    # a failed start leaves no folder behind, so the corrected command runs
    "unknown-architecture": Case("train", _new("model.architecture=lenet6"), "unknown architecture 'lenet6'"),
    "unknown-dataset": Case("train", _new("data.dataset=nosuch"), "unknown dataset 'nosuch'"),
    # the folder does not fit the command
    "different-recipe": Case(
        "train", _same("optimizer.lr=0.5"), "different recipe (differs in optimizer.lr)"
    ),
    "fewer-epochs-finished": Case("train", _same("train.epochs=1"), "already trained 2 epochs"),
    "fewer-epochs-killed-in-report": Case(
        "train", _status_running_without_report("train.epochs=1"), "already trained 2 epochs"
    ),
    "finished": Case("train", _same(), "already finished its 2 epochs; raise train.epochs"),
    "recipe-deleted": Case("train", _remove("recipe.toml"), "without its recipe.toml and run.json"),
    "run-json-deleted": Case("train", _remove("run.json"), "without its recipe.toml and run.json"),
    "locked": Case("train", _locked, f"is in use by another training (pid {os.getpid()} on host"),
    # damaged files
    "run-json-corrupt": Case("train", _write("run.json", b"{not json"), "run.json is corrupt"),
    "run-json-binary": Case("train", _write("run.json", b"\x00\xff\xfe" * 9), "run.json is corrupt"),
    "run-json-keys": Case("train", _write("run.json", b'{"recipe": "x"}'), "run.json lacks architecture"),
    "state-truncated": Case("train", _truncated_state, "resume.npz is damaged"),
    "state-garbage": Case("train", _write("resume.npz", os.urandom(512), "train.epochs=3"), "is damaged"),
    "state-empty": Case("train", _write("resume.npz", b"", "train.epochs=3"), "resume.npz is damaged"),
    "state-no-json": Case("train", _state_with(lambda a: {"model_0": a["model_0"]}), "is damaged"),
    "state-other-model": Case("train", _state_with(lambda a: WRONG_MODEL), "resume.npz is damaged"),
    "state-json-keys": Case(
        "train",
        _state_with(lambda a: {**a, "extra": np.array(json.dumps({"epochs_done": 2}))}),
        "resume.npz is damaged",
    ),
    "log-binary": Case("train", _write("log.csv", os.urandom(300), "train.epochs=3"), "log.csv is not a log"),
    "log-no-header": Case("train", _write("log.csv", b"0,1.0\n1,2.0\n", "train.epochs=3"), "no header row"),
    # the machine
    "out-is-a-file": Case(
        "train", lambda tmp, run, mp: train_argv(_file(tmp, run, mp)), "exists and is not a folder"
    ),
    "out-under-a-file": Case(
        "train", lambda tmp, run, mp: train_argv(_file(tmp, run, mp) / "run"), "not a folder"
    ),
    "read-only-disk": Case(
        "train", _fail_syscall(Path, "mkdir", errno.EROFS, new=True), "read-only file system"
    ),
    "disk-full-at-start": Case(
        "train", _fail_syscall(atomic, "write_text", errno.ENOSPC, "train.epochs=3"), "no space left on the"
    ),
    "disk-full-saving-state": Case(
        "train",
        _fail_syscall(np, "savez", errno.ENOSPC, "train.epochs=3"),
        "no space left on the device",
        may_change=(*TRAINING_FILES, "checkpoints/"),
    ),
    # training that diverges stops at once and keeps the last good state
    "nan-loss-keeps-last-state": Case(
        "train", _nan_in_epoch_3, "epoch 3: the training loss is nan", may_change=TRAINING_FILES
    ),
    "stray-temps-removed": Case("train", _stray_temps, "already finished", may_change=(".best.", ".resume.")),
    # evaluate
    "evaluate-not-a-run": Case("evaluate", lambda tmp, run, mp: [str(tmp)], "is not a run folder"),
    "evaluate-missing": Case("evaluate", lambda tmp, run, mp: [str(tmp / "nope")], "no run folder or model"),
    "evaluate-run-json-corrupt": Case("evaluate", _evaluate_corrupt_meta, "run.json is corrupt"),
    "evaluate-limit-negative": Case("evaluate", lambda tmp, run, mp: [str(run), "--limit", "-1"], "--limit"),
    "evaluate-no-checkpoint": Case(
        "evaluate",
        lambda tmp, run, mp: [shutil.rmtree(run / "checkpoints") or str(run)],
        "has no best checkpoint yet",
        may_change=("checkpoints/",),
    ),
    # predict and export
    "predict-corrupt-keras": Case(
        "predict",
        lambda tmp, run, mp: [
            str(_write_bytes(tmp / "m.keras", b"PK\x03\x04 not a zip")),
            str(tmp / "x.png"),
        ],
        "could not be loaded as a Keras model: not a zip archive",
    ),
    "predict-empty-tflite": Case(
        "predict",
        lambda tmp, run, mp: [str(_write_bytes(tmp / "m.tflite", b"")), str(tmp / "x.png")],
        "is empty (0 bytes)",
    ),
    "predict-any-size-model": Case("predict", _any_size_model, "takes images of any size"),
    "export-any-size-model": Case(
        "export", lambda tmp, run, mp: _any_size_model(tmp, run, mp)[:1], "takes images of any size"
    ),
    "export-eval-limit-negative": Case(
        "export", lambda tmp, run, mp: [str(run), "--eval-limit", "-1"], "--eval-limit must be ≥ 1"
    ),
    "export-qat-epochs-negative": Case(
        "export", lambda tmp, run, mp: [str(run), "--mode", "qat", "--epochs", "-3"], "--epochs"
    ),
    "export-out-is-a-file": Case(
        "export",
        lambda tmp, run, mp: [str(run), "--out", str(_file(tmp, run, mp))],
        "already exists and is not a folder",
    ),
    "audit-chart-under-a-file": Case(
        "audit",
        lambda tmp, run, mp: ["lenet5", "--chart", str(_file(tmp, run, mp) / "chart.png")],
        "not a folder",
    ),
    # names and paths: nothing outside the folder the user named
    "name-traversal": Case("train", rows.new('name="../../x"'), "'../../x' cannot name a run folder"),
    "name-absolute": Case("train", rows.new('name="/tmp/x"'), "'/tmp/x' cannot name a run folder"),
    "name-hidden": Case("train", rows.new('name=".x"'), "'.x' cannot name a run folder"),
    "name-escape": Case("train", rows.new('name="a\\u001b]0;x\\u0007"'), "'a\\x1b]0;x\\x07' cannot name"),
    "transfer-recipe-traversal": Case(
        "train", rows.new('transfer.weights="recipe:../x"'), "transfer.weights recipe '../x' cannot name"
    ),
    "out-empty": Case(
        "train", lambda tmp, run, mp: ["--recipe", "lenet5-digits", "--out", "", "--quiet"], "--out is empty"
    ),
    "out-escape": Case(
        "train", lambda tmp, run, mp: train_argv(tmp / rows.ESCAPE), "holds control characters"
    ),
    "export-out-empty": Case("export", lambda tmp, run, mp: [str(run), "--out", ""], "--out is empty"),
    "explain-out-empty": Case(
        "explain", lambda tmp, run, mp: [str(run), "curves", "--out", ""], "--out is empty"
    ),
    "audit-chart-empty": Case("audit", lambda tmp, run, mp: ["lenet5", "--chart", ""], "--chart is empty"),
    "lock-is-a-symlink": Case(
        "train",
        rows.lock_is_a_symlink,
        "is a symbolic link, not cnnapp's lock file",
        check=rows.precious_kept,
    ),
    "lock-deleted-while-held": Case(
        "train", rows.lock_file_deleted_while_held(_HELD), "is in use by another training"
    ),
    "users-temp-like-files-kept": Case("train", rows.users_temp_like_files, "already finished"),
    "export-fails-mid-set-keeps-the-old-set": Case(
        "export",
        FAILED_EXPORT := rows.ExportFailsMidSet(),
        "no space left on the device",
        check=FAILED_EXPORT.check,
    ),
    "export-concurrent": Case("export", rows.export_lock_held(_HELD), "is in use by another export"),
    # the validation split and the run's fingerprint
    "validation-empty": Case("train", rows.new('train.validation=""'), "train.validation must name a split"),
    "validation-split-missing": Case(
        "train", rows.new('train.validation="validation"', "train.holdout=0"), "has no split 'validation'"
    ),
    "holdout-one": Case("train", rows.new("train.holdout=1.0"), "train.holdout and train.label_smoothing"),
    "recipe-toml-edited": Case("train", rows.recipe_toml_edited, "was edited after the run started"),
    "state-of-another-run": Case("train", rows.state_of_another_run, "resume.npz belongs to another run"),
    "data-changed": Case(
        "train", rows.fingerprint_changed("dataset", lambda v: "sha256 0000"), "was trained with other data"
    ),
    "classes-reordered": Case(
        "train",
        rows.fingerprint_changed("classes", lambda v: v[::-1]),
        "other classes (the same names in another order)",
    ),
    "classes-renamed": Case(
        "train", rows.fingerprint_changed("classes", lambda v: ["zero", *v[1:]]), "gone ['zero']"
    ),
    "folder-labels-permuted": Case(
        "train",
        PERMUTED := rows.FolderRunThen(rows.classes_traded),
        "the same 20 file names and sizes with other contents",
        check=PERMUTED.check,
    ),
    "evaluate-on-permuted-labels-warns": Case(
        "evaluate",
        EVALUATED := rows.FolderRunThen(rows.classes_traded, command="evaluate"),
        "WARNING: ",
        ok=True,
        check=lambda tmp, run, out: rows.warned_of_other_data(out) or EVALUATED.check(tmp, run, out),
    ),
    "export-on-permuted-labels-warns": Case(
        "export",
        EXPORTED := rows.FolderRunThen(rows.classes_traded, command="export"),
        "WARNING: ",
        ok=True,
        stderr="was trained with other data (the same 20 file names and sizes with other contents",
        check=lambda tmp, run, out: (
            rows.export_warned_of_other_data(tmp, run, out) or EXPORTED.check(tmp, run, out)
        ),
    ),
    "export-of-a-class-subset-scored-on-its-classes": Case(
        "export", rows.export_of_a_class_subset, "written to", ok=True, check=rows.scored_as_the_run
    ),
    "resume-run-from-before-the-holdout-default": Case(
        "train",
        rows.run_from_before_the_holdout_default(),
        "WARNING: train.validation = 'test' is the reported split",
        may_change=("",),  # the run goes on: every file of it is rewritten
        ok=True,
        check=rows.validated_on_test_as_recorded,
    ),
    "resume-run-from-before-the-holdout-default-changed": Case(
        "train",
        rows.run_from_before_the_holdout_default("train.holdout=0.2"),
        "a different recipe (differs in train.holdout, train.validation)",
    ),
    "log-shortened": Case("train", rows.log_shortened, "lacks the rows of epoch(s) 2"),
    # a run that cannot be trusted says so
    "loss-diverges-keeps-last-state": Case(
        "train", rows.loss_blows_up_in_epoch_3, "is 7e+31, past 100 (it diverged)", may_change=TRAINING_FILES
    ),
    "lr-huge-diverges-in-epoch-1": Case(
        "train",
        rows.run_into("diverged", "optimizer.lr=100"),
        "past 100 (it diverged), so training stopped",
        check=rows.diverged_and_saved_nothing,
    ),
    "validation-test-warned": Case(
        "train",
        rows.run_into("on-test", 'train.validation="test"', "train.holdout=0"),
        "WARNING: train.validation = 'test' is the reported split",
        ok=True,
        check=rows.warned_in_report_and_run_json,
    ),
    "validation-test-beside-a-holdout-noted": Case(
        "train",
        rows.run_into("holdout-wins", 'train.validation="test"', "train.holdout=0.2"),
        "note: train.validation = 'test' is not used: train.holdout = 0.2 validates on 20% of the training",
        ok=True,
        check=rows.validated_on_the_holdout_as_noted,
    ),
    "sigterm-saves-and-says-how-to-resume": Case(
        "train",
        rows.sigterm_in_epoch_3,
        "stopped by SIGTERM in epoch 3 after step 1 of 3; its resume point is that step",
        may_change=TRAINING_FILES,
    ),
    "one-class": Case("train", rows.new("data.classes=['3']"), "names 1 distinct class"),
    "one-class-twice": Case("train", rows.new("data.classes=['3', '3']"), "name each class once"),
    "folder-one-class": Case("train", rows.folder_dataset({"a": 3}), "has one class folder ('a')"),
    "folder-huge-image": Case(
        "train", rows.folder_with_huge_image, "huge.png is 100000×100000 pixels, more than cnnapp reads"
    ),
    "folder-empty-class": Case("train", rows.folder_dataset({"a": 3, "b": 0}), "b' holds no images"),
    "folder-nested-class": Case(
        "train", rows.folder_dataset({"a": 3, "b": 3}, nested="more"), "holds images in sub-folders ['more']"
    ),
    "recipe-not-utf8": Case("train", rows.recipe_file(b'name = "caf\xe9"\n'), "is not UTF-8 text (byte 11)"),
    "recipe-not-toml": Case("train", rows.recipe_file(b"[model\n"), "is not valid TOML"),
    "classes-txt-not-utf8": Case("train", rows.mask_folder_classes(b"back\xffground\ndigit\n"), "class list"),
    # integers in range
    "epochs-float": Case("train", rows.new("train.epochs=1e23"), "train.epochs must be an int, got 1e+23"),
    "epochs-float-after-the-folder-was-written": Case(
        "train", rows.same("train.epochs=1e23"), "train.epochs must be an int, got 1e+23"
    ),
    "epochs-huge": Case("train", rows.new(f"train.epochs={10**23}"), "must be at most 10,000,000"),
    "batch-huge": Case("train", rows.new(f"train.batch_size={10**9}"), "must be at most 10,000,000"),
    "steps-huge": Case("train", rows.new(f"train.steps_per_epoch={2**63}"), "must be at most 10,000,000"),
    "explain-size-zero": Case(
        "explain", lambda tmp, run, mp: [str(run), "occlusion", "--size", "0"], "--size must be between 1"
    ),
    "explain-stride-negative": Case(
        "explain", lambda tmp, run, mp: [str(run), "occlusion", "--stride", "-2"], "--stride must be between"
    ),
    "explain-limit-zero": Case(
        "explain", lambda tmp, run, mp: [str(run), "patches", "--limit", "0"], "--limit must be between 1"
    ),
    "export-epochs-huge": Case(
        "export", lambda tmp, run, mp: [str(run), "--mode", "qat", "--epochs", str(10**9)], "--epochs must be"
    ),
    "export-samples-zero": Case(
        "export", lambda tmp, run, mp: [str(run), "--samples", "0"], "--samples must be at least 1"
    ),
    "export-cluster-one": Case(
        "export", lambda tmp, run, mp: [str(run), "--cluster", "1"], "--cluster takes a number of clusters"
    ),
    "predict-top-zero": Case(
        "predict", lambda tmp, run, mp: [str(run), str(rows.digit(tmp)), "--top", "0"], "--top must be at"
    ),
    "evaluate-batch-zero": Case(
        "evaluate", lambda tmp, run, mp: [str(run), "--batch-size", "0"], "--batch-size"
    ),
    # image files
    "predict-random-bytes": Case(
        "predict", rows.predict_with("softmax", rows.random_bytes), "is not a readable image"
    ),
    "predict-truncated-png": Case(
        "predict", rows.predict_with("softmax", lambda t: rows.truncated(t, "PNG")), "is not a readable image"
    ),
    "predict-truncated-jpeg": Case(
        "predict", rows.predict_with("softmax", lambda t: rows.truncated(t, "JPEG")), "is not a readable"
    ),
    "predict-bmp-garbage": Case(
        "predict", rows.predict_with("softmax", rows.bmp_garbage), "is not a readable image"
    ),
    "predict-huge-dimensions": Case(
        "predict", rows.predict_with("softmax", rows.huge_png), "is 100000×100000 pixels, more than"
    ),
    "predict-palette-bmp-is-its-colours": Case(
        "predict",
        rows.predict_with("softmax", rows.palette_pair),
        "palette.bmp",
        ok=True,
        check=rows.same_scores_for_both,
    ),  # fmt: skip
    "folder-palette-bmps-train-on-their-colours": Case(
        "train", rows.palette_run_beside_its_twin, "test split", ok=True, check=rows.same_run_as_its_twin
    ),
    # model files
    "predict-logits-softmaxed": Case(
        "predict",
        rows.predict_with("logits"),
        "outputs logits (not probabilities): softmax applied",
        ok=True,
        check=rows.probabilities_only,
    ),  # fmt: skip
    "predict-two-outputs": Case("predict", rows.predict_with("two-outputs"), "has 1 input(s) and 2 outputs"),
    "export-two-outputs": Case(
        "export", lambda tmp, run, mp: [str(rows.keras_model(tmp, "two-outputs"))], "1 input(s) and 2 outputs"
    ),
    "predict-segmenter": Case("predict", rows.predict_with("segmenter"), "a map per pixel (a segmenter)"),
    "predict-labels-not-utf8": Case(
        "predict", rows.predict_with("softmax", labels=b"a\nb\n\xff\n"), "labels file"
    ),
    "predict-labels-escaped": Case(
        "predict",
        rows.predict_with("softmax", labels=f"a\nb\n{rows.ESCAPE}\n".encode()),
        "  ",
        ok=True,
        check=rows.escaped,
    ),  # fmt: skip
    "explain-two-outputs": Case(
        "explain",
        rows.explain_with("two-outputs", "occlusion"),
        "has 1 input(s) and 2 outputs; explain takes",
    ),
    "export-labels-not-utf8": Case(
        "export",
        lambda tmp, run, mp: [str(rows.labels_beside(rows.keras_model(tmp, "softmax"), b"a\n\xff\nc\n"))],
        "labels file",
    ),
    "demo-out-empty": Case("demo", lambda tmp, run, mp: [str(run), "--out", ""], "--out is empty"),
    "explain-segmenter": Case(
        "explain", rows.explain_with("segmenter", "filters"), "is a segmentation model"
    ),
    "demo-over-a-web-project": Case(
        "demo",
        rows.demo_over_a_web_project,
        "is not a demo site cnnapp wrote",
        check=rows.web_project_kept,
    ),
    "folder-class-name-escaped": Case(
        "train", rows.folder_dataset({"a": 3, rows.ESCAPE: 0}), "\\x1b]0;pwned\\x07' holds no images"
    ),
    "demo-segmenter": Case(
        "demo",
        rows.segmentation_tflite,
        "is an image segmenter (a score per pixel): it returns 1×8×8×3 scores",
    ),
    "predict-segmentation-export": Case(
        "predict",
        lambda tmp, run, mp: [str(rows.segmentation_export(tmp)), str(rows.digit(tmp))],
        "a map per pixel (a segmenter)",
    ),
    "predict-segmentation-run": Case(
        "predict", rows.on_segmentation_run(image=True), "a map per pixel (a segmenter): predict classifies"
    ),
    "explain-segmentation-export": Case(
        "explain",
        lambda tmp, run, mp: [str(rows.segmentation_export(tmp)), "occlusion"],
        "is a segmentation model (per-pixel output",
    ),
    "evaluate-segmentation-run": Case(
        "evaluate", rows.on_segmentation_run(), "is a segmentation run: its test scores (mean IoU"
    ),
    "demo-segmentation-run": Case(
        "demo", rows.on_segmentation_run(), "is a segmentation run (its model scores every pixel)"
    ),
    "explain-segmentation-run": Case(
        "explain", rows.on_segmentation_run("occlusion"), "is a segmentation model (per-pixel output"
    ),
    "multi-worker-segmenter": Case(
        "train", rows.multi_worker_segmenter, "the multi-worker loop trains classifiers"
    ),
}


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# Cases that extend the shared run by a whole epoch and its figures, beyond the ones kept in the default
# tier (the rows that train their own one-step run or build a model once per session stay there).
# Each is covered in the default tier by a cheaper test: the divergence rule by
# tests/training/test_callbacks.py, the export lock by tests/test_atomic.py, the stop on a signal by
# tests/training/test_callbacks.py::test_a_signal_stops_between_steps.
SLOW = {
    "disk-full-saving-state",
    "loss-diverges-keeps-last-state",
    "export-concurrent",
    "sigterm-saves-and-says-how-to-resume",
}


NAMES = [pytest.param(n, marks=[pytest.mark.slow] * (n in SLOW)) for n in sorted(CASES)]


@pytest.mark.parametrize("name", NAMES)
def test_fault_is_one_line_and_damages_nothing(name, run_copy, tmp_path, monkeypatch):
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    try:
        argv = case.setup(work, run_copy, monkeypatch)
        before = snapshot(run_copy)
        code, out, err = run_cli(CLIS[case.cli], argv)
    finally:
        while _HELD:
            _HELD.pop().release()
    if case.ok:  # the right result
        assert code == 0 and case.words in out, (code, out, err)
        assert case.stderr in err, err
    else:
        lines = err.strip().splitlines()
        assert code == 2, err
        assert len(lines) == 1 and "Traceback" not in err, err
        assert lines[0].startswith(f"python -m cnnapp.{case.cli}: error: "), err
        assert case.words in lines[0], err
    if case.check is not None:
        case.check(work, run_copy, out)
    after = snapshot(run_copy)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    unexpected = {k for k in changed if not any(k.startswith(p) or p in k for p in case.may_change)}
    assert not unexpected, f"{name} changed {sorted(unexpected)}"
    assert not (work / "new").exists(), "a failed start leaves no folder"
    assert not list(run_copy.rglob(f".*{atomic.TEMP_MARK}*")), "no temp file is left behind"


def test_the_table_has_eighty_cases_or_more_in_the_default_tier():
    assert len(set(CASES) - SLOW) >= 80


def test_machine_errors_of_tensorflow_are_one_line_and_a_bug_keeps_its_traceback():
    import types

    import tensorflow as tf

    def out_of_memory(argv):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor of shape [4096]")

    def bug(argv):
        raise RuntimeError("a bug")

    code, _, err = run_cli(types.SimpleNamespace(__name__="cnnapp.train", main=out_of_memory), [])
    assert code == 2 and err.count("\n") == 1 and "out of memory or disk (OOM when allocating" in err, err
    with pytest.raises(RuntimeError, match="a bug"):
        run_cli(types.SimpleNamespace(__name__="cnnapp.train", main=bug), [])
