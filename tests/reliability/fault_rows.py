"""Rows of the fault table (test_faults.py) for what a new or careless user does: names and paths, the
validation split, the run's fingerprint, data folders, image files, model files, ranges, divergence, SIGTERM.

Each row is `Case(cli, setup, words, ...)`: `setup(tmp, run, monkeypatch) -> argv` prepares the input, the
CLI must fail in one line containing `words` (or, with `ok=True`, succeed with `words` on stdout and pass
`check`). Model files here are tiny Keras models built in a fraction of a second.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from cnnapp.runs import RunDir, output_lock
from tests.reliability.conftest import snapshot, train_argv

TRAINING_FILES = ("run.json", "recipe.toml", "tensorboard/", "log.csv")
ESCAPE = "\x1b]0;pwned\x07"  # a terminal escape: retitles the window when printed raw


def new(*overrides):
    return lambda tmp, run, mp: train_argv(tmp / "new", *overrides)


def same(*overrides):
    return lambda tmp, run, mp: train_argv(run, *overrides)


# -- files ---------------------------------------------------------------------------------------------
def png(path: Path, pixels: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(pixels).save(path)
    return path


def digit(tmp: Path, name: str = "x.png") -> Path:
    pixels = np.zeros((8, 8), np.uint8)
    pixels[2:6, 3:5] = 255
    return png(tmp / name, pixels)


def huge_png(tmp: Path) -> Path:
    """A PNG whose header says 100,000 × 100,000 pixels (a decode would take 30 GB)."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path = tmp / "huge.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk)
    return path


def truncated(tmp: Path, fmt: str) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(buffer, fmt)
    path = tmp / f"cut.{fmt.lower()}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 3])
    return path


def palette_pair(tmp: Path) -> tuple[Path, Path]:
    """The same picture as a palette BMP and as an RGB PNG."""
    from PIL import Image

    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[:, :4] = (200, 30, 30)
    rgb[:, 4:] = (20, 220, 40)
    image = Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=4)
    image.save(tmp / "palette.bmp")
    image.convert("RGB").save(tmp / "same.png")
    return tmp / "palette.bmp", tmp / "same.png"


def grey_folder(root: Path, palette: bool) -> Path:
    """Two classes of ten 8×8 two-tone grey pictures; `palette`: as palette BMPs whose indices are not
    their greys (index 0 is the light tone), else as greyscale PNGs."""
    from PIL import Image

    for label, name in enumerate(("a", "b")):
        (root / name).mkdir(parents=True)
        for i in range(10):
            dark, light = 10 + 7 * i + 90 * label, 250 - 5 * i
            indices = np.zeros((8, 8), np.uint8)
            indices[:, : 2 + 4 * label] = 1
            if palette:
                image = Image.fromarray(indices, "P")
                image.putpalette([light] * 3 + [dark] * 3)
                image.save(root / name / f"{i}.bmp")
            else:
                png(root / name / f"{i}.png", np.where(indices == 1, dark, light).astype(np.uint8))
    return root


def palette_run_beside_its_twin(tmp, run, mp):
    """A one-epoch run on grey PNGs, then the train CLI of the same run on the same pictures as palette
    BMPs: trained on the colours, the two runs are the same run."""
    from cnnapp import train

    sets = ("train.epochs=1", "train.steps_per_epoch=2", "train.batch_size=8")
    twin = grey_folder(tmp / "png", palette=False)
    train.main(train_argv(tmp / "png-run", f'data.dataset="folder:{twin}"', *sets))
    return train_argv(tmp / "bmp-run", f'data.dataset="folder:{grey_folder(tmp / "bmp", True)}"', *sets)


def same_run_as_its_twin(tmp, run, out: str) -> None:
    """The palette run's losses and test scores are those of the run on the same pictures as PNGs (to
    float rounding: the two files decode by different paths); indices for pixels (0 and 1, not the greys)
    would give other losses."""
    reports = [json.loads((tmp / f"{kind}-run" / "report.json").read_text()) for kind in ("bmp", "png")]
    for key in ("top1_accuracy", "ece", "best_validation_error"):
        assert np.isclose(reports[0][key], reports[1][key], rtol=1e-4, atol=1e-6), (key, reports)
    logs = [(tmp / f"{kind}-run" / "log.csv").read_text().splitlines() for kind in ("bmp", "png")]
    column = logs[0][0].split(",").index("loss")
    losses = [[float(row.split(",")[column]) for row in log[1:]] for log in logs]
    assert losses[0] and np.allclose(losses[0], losses[1], rtol=1e-4), losses


_BUILT: dict[str, Path] = {}


def keras_model(tmp: Path, kind: str) -> Path:
    """A tiny bare .keras model on 8×8×1 ("softmax", "logits", "two-outputs" or "segmenter"), copied into
    `tmp` (built once per test session)."""
    if kind not in _BUILT:
        _BUILT[kind] = _build(Path(tempfile.mkdtemp(prefix="fault-models-")), kind)
    return Path(shutil.copy(_BUILT[kind], tmp / _BUILT[kind].name))


def _build(tmp: Path, kind: str) -> Path:
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Rescaling(1 / 255)(inputs)
    if kind == "segmenter":
        outputs = keras.layers.Conv2D(3, 1, activation="softmax", name="predictions")(x)
    else:
        flat = keras.layers.Flatten()(x)
        activation = None if kind == "logits" else "softmax"
        outputs = keras.layers.Dense(3, activation=activation, name="predictions", bias_initializer="ones")(
            flat
        )
        if kind == "logits":  # far from a distribution: large, negative and positive
            outputs = keras.layers.Rescaling(40.0)(outputs)
        if kind == "two-outputs":
            outputs = [outputs, keras.layers.Dense(2, activation="softmax", name="aux")(flat)]
    path = tmp / f"{kind}.keras"
    keras.Model(inputs, outputs).save(path)
    return path


def labels_beside(model: Path, data: bytes) -> Path:
    (model.parent / "labels.txt").write_bytes(data)
    return model


def class_folder(tmp: Path, layout: dict[str, int], nested: str = "") -> Path:
    """An image folder: {class: images}; `nested` puts that class's images one folder down."""
    root = tmp / "images"
    for name, count in layout.items():
        folder = root / name / (nested if name == next(iter(layout)) and nested else "")
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels = np.full((8, 8), 40 * i % 255, np.uint8)
            png(folder / f"{i}.png", pixels)
    return root


def folder_with_huge_image(tmp, run, mp):
    root = class_folder(tmp, {"a": 3, "b": 3})
    huge_png(root / "b")
    return train_argv(tmp / "new", f'data.dataset="folder:{root}"')


def edit_json(path: Path, change) -> None:
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value))


# -- setups --------------------------------------------------------------------------------------------
def run_from_before_the_holdout_default(*overrides: str):
    """The tiny run as cnnapp wrote it before validation defaulted to a holdout (validated on "test", no
    fingerprint, no warning), resumed with --recipe NAME for one more epoch (`overrides` on top)."""

    def setup(tmp, run, mp):
        recipe = run / "recipe.toml"
        text = recipe.read_text().replace('validation = "holdout"', 'validation = "test"')
        recipe.write_text(text.replace("holdout = 0.1\n", "holdout = 0.0\n"))

        def old(meta):
            for key in ("fingerprint", "validation_warning"):
                meta.pop(key, None)
            meta["splits"]["validation"] = "test"

        edit_json(run / "run.json", old)
        with np.load(run / "resume.npz") as data:
            arrays = {k: data[k] for k in data.files}
        extra = json.loads(str(arrays["extra"]))
        extra.pop("fingerprint")
        arrays["extra"] = np.array(json.dumps(extra))
        np.savez(run / "resume.npz", **arrays)
        return train_argv(run, "train.epochs=3", *overrides)

    return setup


def validated_on_test_as_recorded(tmp, run, stdout):
    report = json.loads((run / "report.json").read_text())
    assert report["validation"] == "test" and report["resumed_from_epoch"] == 2, report
    assert json.loads((run / "run.json").read_text())["splits"]["validation"] == "test"


def lock_is_a_symlink(tmp, run, mp):
    precious = tmp / "precious.txt"
    precious.write_text("keep me")
    (run / ".lock").unlink(missing_ok=True)
    (run / ".lock").symlink_to(precious)
    return train_argv(run, "train.epochs=3")


def precious_kept(tmp, run, out):
    assert (tmp / "precious.txt").read_text() == "keep me"


def lock_file_deleted_while_held(held: list):
    def setup(tmp, run, mp):
        lock = RunDir(run).lock()
        lock.acquire()
        held.append(lock)
        (run / ".lock").unlink()  # by hand: the folder itself stays locked
        return train_argv(run, "train.epochs=3")

    return setup


def export_lock_held(held: list):
    def setup(tmp, run, mp):
        lock = output_lock(tmp / "export")
        lock.acquire()
        held.append(lock)
        return [str(run), "--out", str(tmp / "export")]

    return setup


def users_temp_like_files(tmp, run, mp):
    (run / ".notes.x1.tmp.txt").write_text("mine")
    (run / "checkpoints" / ".best.x2.tmp.keras").write_text("mine too")  # an earlier cnnapp's temp name
    return train_argv(run)


def recipe_toml_edited(tmp, run, mp):
    text = (run / "recipe.toml").read_text()
    (run / "recipe.toml").write_text(text.replace("momentum = 0.9", "momentum = 0.5"))
    return ["--recipe", str(run), "--set", "train.epochs=3", "--out", str(run), "--quiet"]


def fingerprint_changed(key: str, value):
    def setup(tmp, run, mp):
        def change(meta):
            meta["fingerprint"][key] = value(meta["fingerprint"][key])

        edit_json(run / "run.json", change)
        return train_argv(run, "train.epochs=3")

    return setup


class FolderRunThen:
    """A finished one-epoch run on a folder of BMPs (every file the same size), then `change(root)` of its
    data folder, then the command that extends the run by an epoch (or, `command="evaluate"`, evaluates it;
    `command="export"` exports it into `tmp/export`); `check` finds the run untouched."""

    def __init__(self, change, *overrides: str, command: str = "train"):
        self.change, self.overrides, self.command, self.kept = change, overrides, command, {}

    def __call__(self, tmp, run, mp):
        from cnnapp import train

        root = tmp / "images"
        for label, name in enumerate(("a", "b")):
            (root / name).mkdir(parents=True)
            for i in range(10):
                png(root / name / f"{i}.bmp", np.full((8, 8), 20 * i + 9 * label, np.uint8))
        folder_run = tmp / "folder-run"
        sets = (f'data.dataset="folder:{root}"', "train.steps_per_epoch=1", *self.overrides)
        train.main(train_argv(folder_run, *sets, "train.epochs=1"))
        self.kept = {"run": folder_run, "files": snapshot(folder_run)}
        self.change(root)
        if self.command == "evaluate":
            return [str(folder_run), "--crops", "centre"]
        if self.command == "export":
            return [str(folder_run), "--out", str(tmp / "export")]
        return train_argv(folder_run, *sets, "train.epochs=2")

    def check(self, tmp, run, out):
        assert snapshot(self.kept["run"]) == self.kept["files"], "the refused resume changed the run"


def warned_of_other_data(out: str) -> None:
    first = out.splitlines()[0]
    assert "was trained with other data (the same 20 file names and sizes with other contents" in first, out
    assert "these scores are not of the data it trained on" in first, out


SUBSET = "data.classes=['5', '6', '7', '8', '9']"


def export_of_a_class_subset(tmp, run, mp):
    """A tiny run of LeNet-5 on the digits 5..9 only (as lenet5-digits59-*), then its export."""
    from cnnapp import train

    train.main(train_argv(tmp / "subset", SUBSET))
    return [str(tmp / "subset"), "--out", str(tmp / "export")]


def scored_as_the_run(tmp, run, out: str) -> None:
    """The export is scored on the run's own test images, under its labels: the same images and the same
    Keras top-1 as the run's report (not every digit, under labels the model never had)."""
    trained = json.loads((tmp / "subset" / "report.json").read_text())
    scored = json.loads((tmp / "export" / "float32.json").read_text())["evaluation"]
    assert scored["images"] == trained["examples"], (scored, trained)
    assert abs(scored["keras"]["top1"] - trained["top1_accuracy"]) < 1e-6, (scored, trained)
    assert (tmp / "export" / "labels.txt").read_text().split() == list("56789")


def export_warned_of_other_data(tmp, run, out: str) -> None:
    """The export's report says, in its JSON and at the top of its Markdown, that its data changed."""
    report = json.loads((tmp / "export" / "float32.json").read_text())
    (warning,) = report["warnings"]
    warned_of_other_data(warning)
    assert (tmp / "export" / "float32.md").read_text().splitlines()[2] == f"**{warning}**"


class ExportFailsMidSet:
    """A finished export of the run into `tmp/export`, then a second export that fails (disk full) after
    part of its new set is written, at the .tflite: `check` finds the first set whole, and no temporary."""

    ARGS = ("--mode", "float32", "--eval-limit", "20")

    def __init__(self):
        self.kept: dict = {}

    def __call__(self, tmp, run, mp):
        import errno

        from cnnapp import atomic, export

        out = tmp / "export"
        export.main([str(run), *self.ARGS, "--out", str(out)])
        self.kept = {"out": out, "files": self.files(out)}
        original = atomic.write_bytes

        def full_at_the_model(path, data):
            if str(path).endswith(".tflite"):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return original(path, data)

        mp.setattr(atomic, "write_bytes", full_at_the_model)
        # Scored on fewer images: a new set that differs from the old one in its json and md.
        return [str(run), *self.ARGS[:-1], "10", "--out", str(out)]

    @staticmethod
    def files(out: Path) -> dict[str, bytes]:
        return {k: v for k, v in snapshot(out).items() if not Path(k).name.startswith(".lock")}

    def check(self, tmp, run, out):
        from cnnapp import atomic

        out_dir = self.kept["out"]
        assert self.files(out_dir) == self.kept["files"], "the failed export changed the old set"
        assert not [p for p in out_dir.rglob("*") if atomic.TEMP_MARK in p.name and p.name != atomic.JOURNAL]


def classes_traded(root: Path) -> None:
    """The two class folders trade names: the same file names and sizes, every label permuted."""
    (root / "a").rename(root / "swap")
    (root / "b").rename(root / "a")
    (root / "swap").rename(root / "b")


def state_of_another_run(tmp, run, mp):
    state = RunDir(run).state_file
    with np.load(state) as data:
        arrays = {k: data[k] for k in data.files}
    extra = json.loads(str(arrays["extra"]))
    arrays["extra"] = np.array(json.dumps({**extra, "fingerprint": "0123456789abcdef"}))
    np.savez(state, **arrays)
    return train_argv(run, "train.epochs=3")


def log_shortened(tmp, run, mp):
    log = run / "log.csv"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-1]))
    return train_argv(run, "train.epochs=3")


def loss_blows_up_in_epoch_3(tmp, run, mp):
    from cnnapp.training import callbacks

    original = callbacks.StopOnNonFiniteLoss.on_epoch_end

    def poisoned(self, epoch, logs=None):
        if epoch == 2:
            logs["loss"] = 7e31
        return original(self, epoch, logs)

    mp.setattr(callbacks.StopOnNonFiniteLoss, "on_epoch_end", poisoned)
    return train_argv(run, "train.epochs=3")


def sigterm_in_epoch_3(tmp, run, mp):
    from cnnapp.training import preemption

    original = preemption.StopOnSignal.on_epoch_begin

    def preempted(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # the cluster's preemption, during the epoch

    mp.setattr(preemption.StopOnSignal, "on_epoch_begin", preempted)
    return train_argv(run, "train.epochs=3")


def folder_dataset(layout: dict[str, int], nested: str = ""):
    def setup(tmp, run, mp):
        root = class_folder(tmp, layout, nested)
        return train_argv(tmp / "new", f'data.dataset="folder:{root}"')

    return setup


def mask_folder_classes(data: bytes):
    def setup(tmp, run, mp):
        root = tmp / "scenes"
        root.mkdir()
        (root / "classes.txt").write_bytes(data)
        return train_argv(tmp / "new", f'data.dataset="folder:{root}"', recipe="fcn32s-digits")

    return setup


def recipe_file(data: bytes):
    def setup(tmp, run, mp):
        path = tmp / "mine.toml"
        path.write_bytes(data)
        return ["--recipe", str(path), "--out", str(tmp / "new"), "--quiet"]

    return setup


def predict_with(kind: str, image=digit, labels: bytes | None = None, *extra: str):
    def setup(tmp, run, mp):
        model = keras_model(tmp, kind)
        if labels is not None:
            labels_beside(model, labels)
        images = image(tmp)
        images = images if isinstance(images, tuple) else (images,)
        return [str(model), *map(str, images), *extra]

    return setup


def random_bytes(tmp: Path) -> Path:
    path = tmp / "noise.png"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 300, np.uint8).tobytes())
    return path


def bmp_garbage(tmp: Path) -> Path:
    path = tmp / "bad.bmp"
    path.write_bytes(b"BM" + bytes(60))
    return path


def same_scores_for_both(tmp, run, out):
    """A palette BMP and the same picture as PNG: the same probabilities (the colours, not the indices)."""
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    half = len(lines) // 2
    assert half and lines[:half] == lines[half:], out


def escaped(tmp, run, out):
    assert "\x1b" not in out and "\x07" not in out and "\\x1b]0;pwned\\x07" in out, repr(out)


def probabilities_only(tmp, run, out):
    values = [float(line.split("%")[0]) for line in out.splitlines() if line.startswith("  ")]
    assert values and all(0 <= v <= 100 for v in values) and abs(sum(values) - 100) < 0.1, out


def explain_with(kind: str, *extra: str):
    def setup(tmp, run, mp):
        return [str(keras_model(tmp, kind)), *extra]

    return setup


def demo_over_a_web_project(tmp, run, mp):
    """A classifier export (labels in its metadata) and --out a web project: index.html, model.json, more."""
    import keras

    from cnnapp.deploy import converter, metadata

    inputs = keras.Input((8, 8, 3), name="image")
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    outputs = keras.layers.Dense(2, activation="softmax", name="predictions")(pooled)
    content = converter.convert(keras.Model(inputs, outputs), "float32")
    info = metadata.Info(name="c", description="", version="1", author="t", licence="t", labels=("a", "b"))
    path = tmp / "c.tflite"
    path.write_bytes(metadata.with_metadata(content, info))
    web = tmp / "web"
    web.mkdir()
    for name in ("index.html", "model.json", "app.js"):
        (web / name).write_text("{}")
    return [str(path), "--out", str(web)]


def web_project_kept(tmp, run, out):
    assert sorted(p.name for p in (tmp / "web").iterdir()) == ["app.js", "index.html", "model.json"]


def segmentation_export(tmp: Path) -> Path:
    """A tiny per-pixel model exported with image-segmenter metadata, copied into `tmp` (converted once per
    test session: a conversion takes seconds)."""
    if "segmentation.tflite" not in _BUILT:
        import keras

        from cnnapp.deploy import converter, metadata

        inputs = keras.Input((8, 8, 3), name="image")
        outputs = keras.layers.Conv2D(3, 1, activation="softmax", name="predictions")(inputs)
        content = converter.convert(keras.Model(inputs, outputs), "float32")
        info = metadata.Info(
            name="seg", description="", version="1", author="t", licence="t", labels=("a", "b", "c")
        )
        path = Path(tempfile.mkdtemp(prefix="fault-models-")) / "seg.tflite"
        path.write_bytes(metadata.with_metadata(content, info, segmenter=True))
        _BUILT["segmentation.tflite"] = path
    return Path(shutil.copy(_BUILT["segmentation.tflite"], tmp / "seg.tflite"))


def segmentation_tflite(tmp, run, mp):
    """The demo given a segmentation export."""
    return [str(segmentation_export(tmp)), "--out", str(tmp / "site")]


SEGMENTATION_RUN = ("train.epochs=1", "train.steps_per_epoch=1", "train.batch_size=2", "data.limit=20")


def segmentation_run(tmp: Path) -> Path:
    """A finished fcn32s-digits run of one step of 2 scenes, copied into `tmp` (trained once per session)."""
    if "segmentation-run" not in _BUILT:
        from cnnapp import train

        folder = Path(tempfile.mkdtemp(prefix="fault-runs-")) / "fcn32s"
        sets = [a for o in SEGMENTATION_RUN for a in ("--set", o)]
        train.main(["--recipe", "fcn32s-digits", *sets, "--out", str(folder), "--quiet"])
        _BUILT["segmentation-run"] = folder
    return Path(shutil.copytree(_BUILT["segmentation-run"], tmp / "fcn32s"))


def on_segmentation_run(*extra: str, image: bool = False):
    """A command on a segmentation run folder (`image`: with an image after it, as predict takes)."""

    def setup(tmp, run, mp):
        return [str(segmentation_run(tmp)), *([str(digit(tmp))] if image else []), *extra]

    return setup


def multi_worker_segmenter(tmp, run, mp):
    """--strategy multi-worker for a segmentation recipe; the strategy is the default one (no cluster is
    started in the test process), the refusal comes from the loop's task check before anything is written."""
    import tensorflow as tf

    from cnnapp.training import distribute

    mp.setattr(distribute, "make_strategy", lambda name="auto", gpus=None: tf.distribute.get_strategy())
    argv = train_argv(tmp / "new", *SEGMENTATION_RUN, recipe="fcn32s-digits")
    return [*argv, "--strategy", "multi-worker"]


def run_into(name: str, *overrides: str):
    """The train CLI into a new folder `tmp/NAME`, which the row's check reads."""
    return lambda tmp, run, mp: train_argv(tmp / name, *overrides)


def validated_on_the_holdout_as_noted(tmp, run, out):
    """The run validated on its holdout, and its report and run.json name it beside the note."""
    folder = tmp / "holdout-wins"
    report = json.loads((folder / "report.json").read_text())
    meta = json.loads((folder / "run.json").read_text())
    assert report["validation"].startswith("holdout (") and "validation_warning" not in report, report
    assert meta["splits"]["validation"] == report["validation"], meta
    assert meta["validation_note"] == report["validation_note"]
    assert "train.validation = 'test' is not used" in report["validation_note"]
    assert f"  validation: {report['validation']}; note: " in out, out


def diverged_and_saved_nothing(tmp, run, out):
    folder = tmp / "diverged"
    assert not (folder / "report.json").exists() and not list(folder.glob("checkpoints/*.keras")), folder
    assert json.loads((folder / "run.json").read_text())["status"] != "finished"


def warned_in_report_and_run_json(tmp, run, out):
    folder = tmp / "on-test"
    report = json.loads((folder / "report.json").read_text())
    meta = json.loads((folder / "run.json").read_text())
    assert "is the reported split" in report["validation_warning"], report
    assert meta["validation_warning"] == report["validation_warning"] and report["validation"] == "test"
