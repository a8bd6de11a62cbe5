"""The export and predict CLIs end to end, and the clear errors for bad input (no half-written files)."""

import json
from pathlib import Path

import keras
import pytest
import tensorflow as tf

from cnnapp import export, predict, runs
from cnnapp.deploy import converter
from cnnapp.deploy.exporter import Options
from cnnapp.deploy.exporter import export as export_core
from cnnapp.deploy.subject import Subject
from cnnapp.errors import CnnappError
from cnnapp.runs import OUTPUT_LOCK
from tests.fixtures import FAST, ROOT, TINY

COMMITTED = ROOT / "export" / "lenet5-digits"


def _files(folder: Path) -> list[str]:
    """The files an export wrote (its lock file aside: runs.OUTPUT_LOCK)."""
    return sorted(p.name for p in folder.iterdir() if p.name != OUTPUT_LOCK) if folder.exists() else []


def test_export_cli_on_a_run_folder(lenet_run, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [str(lenet_run), "--compare", "float32", "int8", "--out", str(out), "--samples", "20"]
    assert export.main([*argv, "--eval-limit", "40"]) == 0
    printed = capsys.readouterr().out
    assert "`float32`" in printed and "`int8`" in printed
    assert _files(out) == sorted(
        ["compare.md", "float32.json", "float32.md", "float32.tflite", "int8.json", "int8.md", "int8.tflite",
         "labels.txt"]
    )  # fmt: skip
    report = json.loads((out / "int8.json").read_text())
    assert report["settings"]["calibration_samples"] == 20 and report["io"]["input"] == "uint8"
    assert (out / "labels.txt").read_text().split() == [str(i) for i in range(10)]


def test_a_mixed_precision_run_exports_in_float32(trained_runs, tmp_path):
    # `auto` picks mixed_bfloat16 on a CPU with AVX-512 (tests pin float32): TFLite takes float32 graphs only.
    from cnnapp import tasks
    from cnnapp.deploy.subject import load_subject

    run = trained_runs("lenet5-digits", "train.precision=mixed_bfloat16", *TINY)
    model = load_subject(run, tasks.of(runs.load_run(run).meta)).model
    assert {layer.dtype_policy.compute_dtype for layer in model.layers} == {"float32"}
    assert keras.mixed_precision.global_policy().name == "float32"  # training set it back
    argv = [str(run), "--mode", "int8", "--out", str(tmp_path), "--eval-limit", "20", "--quiet"]
    assert export.main(argv) == 0
    assert (tmp_path / "int8.tflite").stat().st_size > 0


def test_predict_on_the_committed_exports(digit_pngs, capsys):
    paths, labels = digit_pngs
    for name in ("float32.tflite", "int8.tflite", "qat.tflite"):
        ranked = predict.predict(str(COMMITTED / name), paths)
        right = sum(ranked[p][0][0] == str(label) for p, label in zip(paths, labels, strict=True))
        assert right >= 19, f"{name}: {right}/20 right"
        probs = [prob for _, prob in ranked[paths[0]]]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True) and 0.9 < sum(probs) < 1.1
    assert predict.main([str(COMMITTED / "int8.tflite"), paths[0], "--top", "2"]) == 0
    assert capsys.readouterr().out.count("%") == 2


def test_predict_keras_model_and_rgb_input(lenet_run, tmp_path):
    image = tf.io.encode_png(tf.zeros((20, 28, 3), tf.uint8)).numpy()  # colour, another size
    (tmp_path / "rgb.png").write_bytes(image)
    ranked = predict.predict(str(lenet_run / "checkpoints" / "best.keras"), [str(tmp_path / "rgb.png")], 3)
    assert len(ranked[str(tmp_path / "rgb.png")]) == 3


def test_calibration_mode_without_data_fails_and_writes_nothing(lenet, tmp_path):
    bare = Subject(name="bare", model=lenet.model, class_names=lenet.class_names, task=lenet.task)
    out = tmp_path / "out"
    with pytest.raises(CnnappError, match="calibration or fine-tuning.*needs data"):
        export_core(bare, [Options(mode="int8", **FAST)], out)
    with pytest.raises(CnnappError, match="needs calibration images"):
        converter.convert(lenet.model, "int16x8", None)
    assert _files(out) == []


def test_failure_in_a_later_export_leaves_no_file(lenet, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(CnnappError, match="not a run"):
        export_core(
            Subject("no-twin", lenet.model, lenet.class_names, lenet.load_split, task=lenet.task),
            [Options(mode="float32", **FAST), Options(mode="int8", prune=0.5, **FAST)],
            out,
        )
    assert _files(out) == []


def test_an_op_the_converter_cannot_take_names_the_layer():
    class Bessel(keras.layers.Layer):
        def call(self, x):
            return tf.math.bessel_i1e(x)

    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Flatten(name="flatten")(Bessel(name="odd_bessel")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="predictions")(x))
    with pytest.raises(CnnappError, match=r"BesselI1e in layer 'odd_bessel'"):
        converter.convert(model, "float32")


def test_bad_files_are_clear_errors(tmp_path, digit_pngs):
    text = tmp_path / "notes.tflite"
    text.write_text("not a model")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG but not really")
    (tmp_path / "model.keras").write_text("not a zip")
    cases = [
        (lambda: predict.main([str(text), digit_pngs[0][0]]), "not a TFLite model"),
        (lambda: predict.main([str(tmp_path / "notes.txt"), digit_pngs[0][0]]), "no model file"),
        (lambda: predict.main([str(COMMITTED / "int8.json"), digit_pngs[0][0]]), "not a model file"),
        (lambda: predict.main([str(COMMITTED / "int8.tflite"), str(tmp_path / "broken.png")]), "readable"),
        (lambda: export.main([str(tmp_path / "model.keras"), "--out", str(tmp_path / "o")]), "not be loaded"),
        (lambda: export.main([str(tmp_path), "--out", str(tmp_path / "o")]), "not a run folder"),
        (lambda: export.main(["x", "--mode", "int4"]), "unknown mode 'int4'"),
        (lambda: export.main(["x", "--mode", "float16", "--io", "int8"]), "needs a graph that takes int8"),
        (lambda: export.main(["x", "--mode", "float32", "--io", "uint8"]), "needs a graph that takes uint8"),
        (lambda: export.main(["x", "--mode", "int16x8", "--io", "uint8"]), "int16x8 takes int8 or float"),
        (lambda: export.main(["x", "--compare", "int8-half"]), "cannot read --compare"),
    ]
    for call, message in cases:
        with pytest.raises(CnnappError, match=message):
            call()
    assert not (tmp_path / "o").exists()
