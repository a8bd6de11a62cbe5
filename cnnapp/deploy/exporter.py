"""The one export pipeline of every task: optimize (tfmot), convert, write metadata, measure through LiteRT,
report, and write a phone-ready folder.

    reports = export(subject, [Options(mode="int8", prune=0.5)], out_dir="export/lenet5-digits")

What differs per task comes from the subject's task object (`cnnapp.tasks`): the reference the exports are
measured against (`export_baseline`), the metadata (`export_metadata`, `with_metadata`), the score and report
of one export (`export_report`) and the files of a set (`write_exports`). A classifier's folder gets
`<tag>.tflite` (tag = mode plus optimizations, e.g. `int8-prune50`), `labels.txt` beside it and the report as
`<tag>.json` and `<tag>.md` (this module's `classifier_*` functions); a segmenter's, `<recipe>-<mode>.tflite`
and `segmentation-export.json`/`.md` (`cnnapp.tasks.segmentation`). Nothing is written until everything has
been measured, and the files are swapped in as a set: a failed export leaves no half-written file behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from pathlib import Path

import numpy as np

from cnnapp import atomic, runs
from cnnapp.choices import TEST, TRAIN
from cnnapp.deploy import converter, metadata, optimize, report, runtime
from cnnapp.errors import CnnappError, check_range

# Fine-tuning learning rates (Adam): pruning must let the surviving weights recover; QAT and clustering only
# adjust a trained model to its quantized or shared values.
DEFAULT_LEARNING_RATES = {"prune": 1e-4, "cluster": 1e-5, "qat": 1e-5}


@dataclasses.dataclass(frozen=True)
class Options:
    """How to export.

    Attributes:
        mode: a converter mode (float32, float16, dynamic, int8, int16x8, qat).
        prune: target sparsity of the Conv/Dense kernels (0.5 = half the weights zero), or None.
        cluster: number of shared weight values per kernel, or None.
        io: "uint8", "int8" (integer I/O; int16 for int16x8) or "float"; None picks uint8 for int8 and qat,
            float for the rest (`converter.default_io`).
        granularity: "per-channel" (default) or "per-tensor" weight scales, for int8 and int16x8.
        samples: representative images drawn from the training split for calibration.
        epochs: fine-tuning epochs for QAT, pruning and clustering.
        learning_rate: fine-tuning learning rate (Adam); None uses DEFAULT_LEARNING_RATES, small because the
            model is already trained (measured on lenet5-digits: QAT at 3e-5 lost 3 test images, 1e-5 none).
        eval_limit: evaluate on at most this many test images (None: the whole split).
        latency_runs: timed interpreter invocations for the latency.
        saved_model: also write the converted Keras model as a SavedModel folder.
        float_layers: Keras layers whose ops stay in float (int8 only); the report shows what that buys.
        debug: run the quantization debugger and write its per-layer table (int8 only).
        input_channels: "rgb" (a grey model gets the RGB→grey front) or "native"; only names the file here,
            the subject carries the front.
    """

    mode: str = "float32"
    prune: float | None = None
    cluster: int | None = None
    io: str | None = None
    granularity: str = "per-channel"
    samples: int = 200
    epochs: int = 2
    learning_rate: float | None = None
    eval_limit: int | None = None
    latency_runs: int = 50
    saved_model: bool = False
    float_layers: tuple[str, ...] = ()
    debug: bool = False
    input_channels: str = "rgb"

    @property
    def tag(self) -> str:
        tag = self.mode
        if self.prune:
            tag += f"-prune{round(100 * self.prune)}"
        if self.cluster:
            tag += f"-cluster{self.cluster}"
        if self.granularity == "per-tensor":
            tag += "-pertensor"
        if self.float_layers:
            tag += "-float-" + "+".join(self.float_layers)
        if self.io is not None and self.io != converter.check_mode(self.mode):
            tag += f"-{self.io}io"
        if self.input_channels == "native":
            tag += "-native"
        return tag

    def check(self) -> str:
        """Validate before any long work; returns the resolved I/O."""
        io = converter.check_mode(self.mode, self.io)
        converter.check_granularity(self.granularity, self.mode)
        if self.prune is not None and not 0 < self.prune < 1:
            raise CnnappError(f"--prune takes a sparsity between 0 and 1 (e.g. 0.5); got {self.prune}")
        if self.cluster is not None and self.cluster < 2:
            raise CnnappError(
                f"--cluster takes a number of clusters of at least 2 (e.g. 16); got {self.cluster}"
            )
        if self.prune and self.cluster:
            raise CnnappError("choose --prune or --cluster, not both")
        if self.samples < 1:
            raise CnnappError(f"--samples must be at least 1; got {self.samples}")
        if self.epochs < 1 or (self.eval_limit is not None and self.eval_limit < 1):
            raise CnnappError(f"--epochs and --eval-limit must be ≥ 1; got {self.epochs}, {self.eval_limit}")
        for value, option, high in ((self.epochs, "--epochs", 10_000), (self.samples, "--samples", 10**7)):
            check_range(value, option, 1, high)
        check_range(self.cluster, "--cluster", 2, 65_536)
        if self.learning_rate is not None and not 0 < self.learning_rate < float("inf"):
            raise CnnappError(f"--learning-rate must be a finite number > 0; got {self.learning_rate}")
        if (self.float_layers or self.debug) and self.mode != "int8":
            flag = "--float-layers" if self.float_layers else "--debug"
            raise CnnappError(f"{flag} applies to --mode int8 (post-training calibration); got {self.mode}")
        return io


@dataclasses.dataclass
class Result:
    """One export in memory: the bytes, the model that was converted, and the report."""

    tag: str
    content: bytes
    converted_model: object
    report: dict
    debug_rows: list | None = None


class ClassifierBaseline:
    """What every export of one subject compares with: the float32 export and the test set, computed once."""

    def __init__(self, subject, eval_limit):
        self.subject = subject
        # With metadata, as shipped: every size ratio compares files a phone app would bundle.
        self.float32_bare = converter.convert(subject.model, "float32")
        self.float32 = metadata.with_metadata(self.float32_bare, classifier_metadata(subject, "float32"))
        if subject.load_split is None:  # a bare model without --dataset: sizes and latency, no accuracy
            shape = tuple(int(d) for d in subject.model.input_shape[1:])
            self.images, self.labels = np.full((1, *shape), 127.5, np.float32), None
            self.keras_probs = self.float32_probs = None
            return
        self.images, self.labels = subject.images(TEST, eval_limit, need="the report's accuracy")
        self.keras_probs = subject.model.predict(self.images, batch_size=256, verbose=0)
        self.float32_probs = runtime.LiteModel(self.float32).predict(self.images)


def export_model(subject, options: Options, baseline=None) -> Result:
    """Make one export in memory and measure it (no files written)."""
    io = options.check()
    task = subject.task
    needs_twin = options.mode == "qat" or options.prune or options.cluster
    representative = None
    if options.mode in converter.CALIBRATED or options.mode == "qat":
        representative, _ = subject.images(TRAIN, options.samples, need=f"mode {options.mode} (calibration)")
    baseline = baseline or task.export_baseline(subject, options.eval_limit)
    model, weights = subject.model, None
    if needs_twin:
        model, weights = _optimized(subject, options)
    bare = converter.convert(
        model, options.mode, representative, io, options.granularity, options.float_layers
    )
    content = task.with_metadata(bare, task.export_metadata(subject, options.tag))
    lite = runtime.LiteModel(content, num_threads=1)
    debug_rows = None
    if options.debug:
        from cnnapp.deploy import debug

        debug_rows = debug.layer_errors(model, representative, options.granularity, options.float_layers)
    measured = Measured(options, io, lite, content, bare, model, representative, weights)
    return Result(options.tag, content, model, task.export_report(subject, measured, baseline), debug_rows)


@dataclasses.dataclass(frozen=True)
class Measured:
    """One export as the task's report reads it: its options, the converted bytes and their interpreter."""

    options: Options
    io: str
    lite: object
    content: bytes
    bare: bytes  # without metadata
    model: object  # the Keras model converted (the fine-tuned one for QAT, pruning, clustering)
    representative: np.ndarray | None
    weights: dict | None  # kernel statistics after pruning or clustering


def classifier_report(subject, measured: Measured, baseline: ClassifierBaseline) -> dict:
    """A classifier export's report: size, top-1/top-5 through LiteRT against Keras and float32, latency,
    ops, the input and the refusal rule (`cnnapp.deploy.report`)."""
    options, lite, content, bare = measured.options, measured.lite, measured.content, measured.bare
    images, labels = baseline.images, baseline.labels
    probs = lite.predict(images) if labels is not None else None
    rep = report.build_report(
        name=subject.name,
        tag=options.tag,
        mode=options.mode,
        io={"input": str(lite.input_dtype), "output": str(lite.output_dtype)},
        content=content,
        float32_content=baseline.float32,
        model=subject.model,
        labels=labels,
        lite_probs=probs,
        keras_probs=baseline.keras_probs,
        float32_probs=baseline.float32_probs,
        latency=lite.latency_ms(images[0], runs=options.latency_runs),
        ops=runtime.op_summary(content),
        settings=_settings(subject, options, measured.representative),
        weights=measured.weights,
    )
    rep["size"]["metadata_bytes"] = len(content) - len(bare)
    rep["latency_note"] = report.latency_note(options.mode, content, baseline.float32, rep)
    channels = "RGB" if lite.input_shape[-1] == 3 else "grey"
    rep["input"] = {"shape": list(lite.input_shape), "channels": channels, "grey_front": subject.grey_front}
    rep["input"]["front"] = _front_name(subject)
    rep["refusal"] = subject.refusal
    rep["calibration"] = subject.calibration  # temperature scaling (cnnapp.deploy.calibration), or None
    if subject.warnings:  # the run's data changed since it trained: these scores are not the run's
        rep["warnings"] = list(subject.warnings)
    if subject.refusal is None:
        rep.setdefault("notes", []).append(
            "no refusal class: this model names one of its classes for every frame, digit or not"
        )
    if subject.front != "camera":
        rep.setdefault("notes", []).append(
            "no ink front: the model reads only the polarity and contrast it was trained on"
        )
    if lite.input_dtype.kind in "iu":
        scale, zero_point = lite.input_detail["quantization"]
        rep["input"]["quantization"] = {"scale": float(scale), "zero_point": int(zero_point)}
    if options.float_layers:
        rep["float_layers"] = _float_layers_gain(
            measured.model,
            options,
            measured.io,
            measured.representative,
            content,
            bare,
            probs,
            labels,
            images,
        )
    return rep


def _front_name(subject) -> str:
    """What the file's first layers do to a frame: "ink" (cnnapp.data.camera.front), "grey" or "none"."""
    if subject.front == "camera" and subject.grey_front:
        return "ink"
    return "grey" if subject.grey_front else "none"


def _float_layers_gain(model, options, io, representative, content, bare, probs, labels, images) -> dict:
    """What keeping `options.float_layers` in float buys: bytes and test errors against all-int8."""
    plain = converter.convert(model, options.mode, representative, io, options.granularity)
    gain = {"layers": list(options.float_layers), "bytes_added": len(bare) - len(plain)}
    if labels is not None:
        plain_errors = report.accuracy(runtime.LiteModel(plain).predict(images), labels)["errors"]
        errors = report.accuracy(probs, labels)["errors"]
        gain.update(
            {"errors_all_int8": plain_errors, "errors": errors, "images_gained": plain_errors - errors}
        )
    return gain


def classifier_metadata(subject, tag: str):
    """The metadata of a classifier's export `tag`: name, description, version, author, licence, labels.

    The description says what the run was (architecture, dataset, classes) and what input the file expects,
    from the run itself, and the refusal rule when the model has one.
    """
    model = subject.model
    height, width, channels = (int(d) for d in model.input_shape[1:])
    kind = "RGB" if channels == 3 else f"{channels}-channel"
    if subject.front == "camera" and subject.grey_front:
        front = (
            "; dark ink on light paper or light ink on dark, any light: grey, polarity and contrast are "
            "decided inside the model"
        )
    else:
        front = " (converted to grey inside: trained on grey images)" if subject.grey_front else ""
    what = subject.trained or subject.description or subject.name
    classes = (
        ", ".join(subject.class_names) if len(subject.class_names) <= 20 else f"{len(subject.class_names)}"
    )
    refusal = ""
    if subject.refusal:
        rule = subject.refusal
        refusal = f" No digit: the top label is '{rule['label']}' or its score is under {rule['min_score']}."
    description = (
        f"{what}. Classes: {classes}. Input: {kind} image {height}×{width} (an app or the SDK resizes any "
        f"frame to it){front}, raw pixels 0–255, normalization inside; output: probabilities of "
        f"{len(subject.class_names)} classes.{refusal}"
    )
    return metadata.Info(
        name=subject.name,
        description=description,
        version=f"{tag} export of {subject.name}, cnnapp {metadata.CNNAPP_VERSION}",
        author=f"cnnapp (python -m cnnapp.train --recipe {subject.name}, then python -m cnnapp.export)",
        licence=metadata.licence(subject.dataset),
        labels=tuple(subject.class_names),
    )


def _settings(subject, options: Options, representative) -> dict:
    settings = {"source": subject.source or subject.name}
    if representative is not None:
        settings["calibration_samples"] = int(len(representative))
    if options.mode in converter.CALIBRATED:
        settings["weight_scales"] = options.granularity
    if options.prune:
        settings["prune_sparsity"] = options.prune
    if options.cluster:
        settings["clusters"] = options.cluster
    if options.mode == "qat" or options.prune or options.cluster:
        settings["fine_tune_epochs"] = options.epochs
        settings["learning_rate"] = options.learning_rate or "default"
    return settings


def _optimized(subject, options: Options):
    """QAT / pruning / clustering on the tf_keras twin; returns (model to convert, kernel weight stats)."""
    import tensorflow as tf

    from cnnapp.deploy import qat

    images, labels = subject.images(TRAIN, None, need="fine-tuning (QAT, pruning, clustering)")
    data = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(images), seed=0, reshuffle_each_iteration=True)
        .batch(subject.batch_size)
    )
    twin = subject.twin()
    lr = DEFAULT_LEARNING_RATES
    if options.learning_rate is not None:
        lr = dict.fromkeys(DEFAULT_LEARNING_RATES, options.learning_rate)
    if options.prune:
        twin = optimize.prune(twin, data, options.prune, options.epochs, lr["prune"])
    if options.cluster:
        twin = optimize.cluster(twin, data, options.cluster, options.epochs, lr["cluster"])
    weights = optimize.weight_stats(twin) if (options.prune or options.cluster) else None
    if options.mode == "qat":
        scheme = "prune" if options.prune else "cluster" if options.cluster else "default"
        return qat.qat(twin, data, options.epochs, lr["qat"], scheme), weights
    return _keras3_copy(subject.model, twin), weights


def _keras3_copy(model, twin):
    """A Keras 3 copy of `model` holding the twin's fine-tuned weights: the converter path stays the same."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(twin.get_weights())
    return copy


def write(result: Result, subject, out_dir: str | Path, saved_model: bool = False) -> dict[str, Path]:
    """Write one export's files into `out_dir`, each atomically; returns them by kind."""
    out = Path(out_dir)
    paths = {
        "model": out / f"{result.tag}.tflite",
        "labels": out / "labels.txt",
        "json": out / f"{result.tag}.json",
        "markdown": out / f"{result.tag}.md",
    }
    if saved_model:
        paths["saved_model"] = out / f"{result.tag}_saved_model"
        _write_saved_model(result.converted_model, paths["saved_model"])
    atomic.write_text(paths["labels"], "\n".join(subject.class_names) + "\n")
    if result.debug_rows is not None:
        from cnnapp.deploy import debug

        paths.update(debug.write_tables(result.debug_rows, out / result.tag, f"{result.report['model']}: "
                                        f"{result.tag}, quantization error per layer"))  # fmt: skip
    atomic.write_json(paths["json"], {**result.report, "files": {k: p.name for k, p in paths.items()}})
    atomic.write_text(paths["markdown"], report.markdown(result.report))
    atomic.write_bytes(paths["model"], result.content)
    return paths


def _write_saved_model(model, path: Path) -> None:
    """A SavedModel folder, written beside its final place and renamed in: no half-written folder."""
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        if hasattr(model, "export"):  # Keras 3
            model.export(str(tmp / "m"), format="tf_saved_model", verbose=False)
        else:
            tf.saved_model.save(model, str(tmp / "m"))
        if path.exists():
            shutil.rmtree(path)
        (tmp / "m").rename(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def classifier_exports(results: list[Result], options_list: list[Options], subject, staging: Path) -> None:
    """A classifier's files: each export's `<tag>.tflite`, `.json`, `.md` (and tables), `labels.txt`, and
    with several, `compare.md` side by side."""
    for result, options in zip(results, options_list, strict=True):
        write(result, subject, staging, options.saved_model)
    if len(results) > 1:
        atomic.write_text(staging / "compare.md", report.compare_table([r.report for r in results]))


def export(subject, options_list: list[Options], out_dir: str | Path | None = None) -> list[dict]:
    """Make and measure every export in `options_list` (sharing the task's baseline), then write them all
    (`subject.task.write_exports`). Returns the reports."""
    outputs = int(subject.model.output_shape[-1])
    if len(subject.class_names) != outputs:
        raise CnnappError(
            f"{len(subject.class_names)} class names for a model with {outputs} outputs: give one name per "
            "output (labels.txt beside a bare model, or the run's class_names)"
        )
    layer_names = [layer.name for layer in subject.model.layers]
    for options in options_list:
        options.check()
        subject.task.check_export(options)
        unknown_layers = [name for name in options.float_layers if name not in layer_names]
        if unknown_layers:  # now, not after calibrating (where converter.float_nodes would find it)
            raise CnnappError(
                f"--float-layers names no layer of {subject.model.name}: {', '.join(unknown_layers)}; its "
                "layers are named in the --debug table (or model.summary())"
            )
        if options.mode in converter.CALIBRATED or options.mode == "qat" or options.prune or options.cluster:
            subject.images(TRAIN, 1, need=f"{options.tag} (calibration or fine-tuning)")  # fail early
    # One export at a time into a folder (taken before the long work: a second one is refused at once), and
    # its files swapped in as a set: a kill leaves the old set whole, never a new json beside an old .tflite.
    lock = runs.output_lock(out_dir) if out_dir is not None else None
    with lock if lock is not None else contextlib.nullcontext():
        baseline = subject.task.export_baseline(subject, options_list[0].eval_limit if options_list else None)
        results = [export_model(subject, options, baseline) for options in options_list]
        if out_dir is not None:
            with atomic.staged_folder(out_dir) as staging:
                subject.task.write_exports(results, options_list, subject, staging, baseline)
    return [r.report for r in results]
