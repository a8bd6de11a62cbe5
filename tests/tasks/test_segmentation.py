"""Smoke tier: segmentation runs through the real CLIs — `python -m cnnapp.train --recipe fcn8s-digits` (tiny
overrides) into a run folder with report, figure and resume, then `python -m cnnapp.export` in float32 and
int8 and MediaPipe's ImageSegmenter on the exported files; the paper recipe `fcn8s-voc` from a weights file.

The full-size recipes (fcn8s-digits ≥ 0.70 mIoU, FCN-8s beating FCN-32s) run with `-m slow`
(`test_fcn8s_digits_meets_its_target_and_beats_fcn32s`, covered here by the same CLI path at tiny size).
"""

import json

import numpy as np
import pytest
from PIL import Image

from cnnapp import export, train
from cnnapp.deploy import metadata
from cnnapp.runs import RunDir
from cnnapp.segmentation import metrics

TINY = [
    "--set", "model.options.width=0.0625", "--set", "model.options.fc_units=8", "--set", "train.batch_size=8",
    "--set", "train.steps_per_epoch=2", "--set", "data.limit=16", "--quiet",
]  # fmt: skip


@pytest.fixture(scope="module")
def seg_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seg") / "fcn8s-digits"
    assert train.main(["--recipe", "fcn8s-digits", "--out", str(out), "--set", "train.epochs=1", *TINY]) == 0
    return out


def test_a_segmentation_run_reports_the_fcn_scores_and_draws_its_masks(seg_run, capsys):
    run = RunDir(seg_run)
    report = run.read_report()
    assert report["head"] == "fcn8s" and report["examples"] == 16
    for key in ("pixel_accuracy", "mean_iou", "mean_iou_foreground", "frequency_weighted_iou"):
        assert 0.0 <= report[key] <= 1.0
    assert list(report["per_class_iou"]) == ["background", *map(str, range(10))]
    assert run.read_meta()["head"] == "fcn8s"
    assert (run.figures_dir / "segmentation.png").is_file() and (run.figures_dir / "curves.png").is_file()
    shown = json.loads((run.figures_dir / "segmentation.json").read_text())["images"]
    assert len(shown) == 6 and all(0 <= row["pixel_accuracy"] <= 1 for row in shown)
    from cnnapp import models

    assert models.load(run.checkpoint("best")).output_shape == (None, 64, 64, 11)


def test_evaluate_refuses_a_segmentation_run_in_one_line(seg_run):
    from cnnapp import evaluate
    from cnnapp.errors import CnnappError

    with pytest.raises(CnnappError, match="is a segmentation run: its test scores .* are in its report.json"):
        evaluate.main([str(seg_run)])


@pytest.mark.slow  # the scaffold's resume is shared with classifiers: tests/training/test_resume.py (fast)
def test_a_segmentation_run_extends_in_its_folder(seg_run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(seg_run, copy)
    assert train.main(["--recipe", "fcn8s-digits", "--out", str(copy), "--set", "train.epochs=2", *TINY]) == 0
    report = RunDir(copy).read_report()
    assert report["extended_from_epochs"] == 1 and report["epochs"] == 2
    assert len(RunDir(copy).log_file.read_text().splitlines()) == 3  # header + 2 epochs


def _mediapipe_masks(content: bytes, images: np.ndarray) -> np.ndarray:
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    options = vision.ImageSegmenterOptions(
        base_options=BaseOptions(model_asset_buffer=content), output_category_mask=True
    )
    masks = []
    with vision.ImageSegmenter.create_from_options(options) as segmenter:
        for image in images.astype(np.uint8):
            frame = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
            masks.append(segmenter.segment(frame).category_mask.numpy_view().copy())
    return np.stack(masks)


def test_exports_run_in_mediapipe_image_segmenter_with_litert_miou(seg_run, tmp_path, capsys):
    from cnnapp.runs import load_run
    from cnnapp.tasks.segmentation import test_arrays

    out = tmp_path / "export"
    # int8 (uint8 I/O, calibrated) here; every mode on the trained run: the slow test at the end.
    args = [str(seg_run), "--mode", "int8", "--out", str(out), "--samples", "8"]
    assert export.main(args) == 0
    assert "| int8 |" in capsys.readouterr().out
    report = json.loads((out / "segmentation-export.json").read_text())
    images, masks = test_arrays(load_run(seg_run))
    for row in report["exports"]:
        content = (out / row["file"]).read_bytes()
        meta = metadata.read_metadata(content)
        assert meta["labels"] == ("background", *map(str, range(10)))
        assert row["input"] == ("uint8" if row["mode"] == "int8" else "float32") and row["bytes"] == len(
            content
        )
        sdk = _mediapipe_masks(content, images)
        sdk_miou = metrics.scores(metrics.confusion(masks, sdk, 11))["mean_iou"]
        assert abs(sdk_miou - row["mean_iou"]) <= 0.005, (row["mode"], sdk_miou, row["mean_iou"])


def _voc_folder(root, count=5, size=(40, 56)):
    """A tiny VOC-style folder: 21 classes, palette masks with 255 = void."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("\n".join(["background", *(f"class{i}" for i in range(1, 21))]) + "\n")
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(root / "images" / f"{i}.jpg")
        mask = rng.integers(0, 21, size).astype(np.uint8)
        mask[:, :2] = 255
        png = Image.fromarray(mask, mode="P")
        png.putpalette(list(rng.integers(0, 255, 768)))
        png.save(root / "masks" / f"{i}.png")
    return root


@pytest.mark.slow  # fast: test_backbone_weights_fill_the_convs_and_fc6_fc7 (models), the folder tests
def test_fcn8s_voc_recipe_smoke_run_from_a_weights_file(tmp_path):
    """The paper recipe, shrunk: its SGD and constant rate, a VGG-16 classifier saved to a .keras file as the
    ImageNet start (conv layers by name, fc1/fc2 reshaped into fc6/fc7)."""
    from cnnapp import models

    weights = tmp_path / "vgg16.keras"
    classifier = models.build("vgg16", input_shape=(224, 224, 3), width=0.0625, fc_units=8)
    classifier.save(weights)
    folder = _voc_folder(tmp_path / "voc")
    out = tmp_path / "run"
    args = [
        "--recipe", "fcn8s-voc", "--out", str(out), "--quiet",
        "--set", f"data.dataset=folder:{folder}", "--set", f"model.options.backbone_weights={weights}",
        "--set", "model.options.width=0.0625", "--set", "model.options.fc_units=8",
        "--set", "data.image_size=48", "--set", "train.batch_size=2", "--set", "train.epochs=1",
        "--set", "train.steps_per_epoch=1",
    ]  # fmt: skip
    assert train.main(args) == 0
    report = RunDir(out).read_report()
    assert report["head"] == "fcn8s" and report["num_classes"] == 21 and report["examples"] == 1
    model = models.load(RunDir(out).checkpoint("best"))
    fc1 = classifier.get_layer("fc1").get_weights()[0]
    # fc6 started as the classifier's fc1, reshaped to a 7×7 kernel; one SGD step at lr 1e-4 moves it little.
    np.testing.assert_allclose(model.get_layer("fc6").get_weights()[0].reshape(fc1.shape), fc1, atol=1e-2)


@pytest.mark.slow  # ~25 minutes of training here; the fast tests above run the same CLIs at tiny size
def test_fcn8s_digits_meets_its_target_and_beats_fcn32s(tmp_path):
    """The issue's targets: fcn8s-digits ≥ 0.70 mIoU over the 11 classes on the test scenes, FCN-8s above
    FCN-32s on the same recipe and seed (the paper's Table 2); its exports in every mode, int8 within 1 point
    of float32, and MediaPipe's ImageSegmenter within 0.5 point of LiteRT on all test scenes."""
    from cnnapp import tasks
    from cnnapp.deploy.exporter import Options, export
    from cnnapp.deploy.subject import load_subject
    from cnnapp.runs import load_run
    from cnnapp.tasks.segmentation import EXPORT_MODES, test_arrays

    reports = {}
    for head in ("fcn8s", "fcn32s"):
        assert train.main(["--recipe", f"{head}-digits", "--out", str(tmp_path / head), "--quiet"]) == 0
        reports[head] = RunDir(tmp_path / head).read_report()
    assert reports["fcn8s"]["mean_iou"] >= 0.70
    assert reports["fcn8s"]["mean_iou"] > reports["fcn32s"]["mean_iou"]
    out = tmp_path / "export"
    run = tmp_path / "fcn8s"
    subject = load_subject(run, tasks.of(load_run(run).meta))
    exported = {row["mode"]: row for row in export(subject, [Options(m) for m in EXPORT_MODES], out)}
    assert exported["float32"]["mean_iou"] - exported["int8"]["mean_iou"] <= 0.01
    images, masks = test_arrays(load_run(tmp_path / "fcn8s"))
    for row in exported.values():
        sdk = _mediapipe_masks((out / row["file"]).read_bytes(), images)
        assert abs(metrics.scores(metrics.confusion(masks, sdk, 11))["mean_iou"] - row["mean_iou"]) <= 0.005
