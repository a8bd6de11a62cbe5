"""The bench: ours against keras.applications, FLOP counts, matmul peak, pipeline rate, LiteRT latency, the
CLI.

Sizes are the smallest keras.applications accepts (32×32) at batch 2 for one step: these tests check that each
measurement is made and is consistent, not how fast this machine is.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from cnnapp.bench import litert, pipeline, speed
from cnnapp.errors import CnnappError

EXPORTS = Path(__file__).parents[2] / "export"  # the committed exports of the shipped default models


def test_vgg16_against_keras_applications_alternates_and_reports_medians():
    result = speed.compare_training(
        speed.PAIRS["vgg16"], input_shape=(32, 32, 3), batch_size=2, steps=1, repeats=2, max_repeats=2
    )
    # keras.applications.VGG16 at 32×32, 10 classes: 14,714,688 conv, then fc1 on the 1×1×512 maps, fc2, 10
    # classes.
    assert result["params"] == 14_714_688 + 512 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 10 + 10
    assert len(result["ours_runs"]) == len(result["reference_runs"]) == result["rounds"] == 2
    assert result["default_ratio"] == result["ratio"]  # float32: keras.applications' default is the same side
    assert result["ours_cpu_ms_per_image"] > 0
    assert result["ours_images_per_s"] == pytest.approx(float(np.median(result["ours_runs"])))
    ratios = [o / r for o, r in zip(result["ours_runs"], result["reference_runs"], strict=True)]
    assert result["ratio"] == pytest.approx(float(np.median(ratios)))
    assert result["ratio_min"] <= result["ratio"] <= result["ratio_max"]
    # Training FLOPs: 6 per forward multiply-add. VGG-16's convs at 32×32 (the 224×224 count / 49, as every
    # map shrinks 7× per side) plus the fully connected layers.
    conv_macs = sum(
        h * h * 9 * cin * cout
        for h, cin, cout in [
            (32, 3, 64),
            (32, 64, 64),
            (16, 64, 128),
            (16, 128, 128),
            (8, 128, 256),
            (8, 256, 256),
            (8, 256, 256),
            (4, 256, 512),
            (4, 512, 512),
            (4, 512, 512),
            (2, 512, 512),
            (2, 512, 512),
            (2, 512, 512),
        ]
    )
    fc_macs = 512 * 4096 + 4096 * 4096 + 4096 * 10
    pool_macs = sum(
        h * h * c * 4 for h, c in [(16, 64), (8, 128), (4, 256), (2, 512), (1, 512)]
    )  # 2×2 windows
    assert result["train_flops_per_image"] == 6 * (conv_macs + fc_macs + pool_macs)


def test_a_pair_that_is_not_the_same_network_is_refused():
    narrow = speed.Pair("vgg16", {"fc_units": 64}, "VGG16")
    with pytest.raises(CnnappError, match="not the same network"):
        speed.compare_training(narrow, input_shape=(32, 32, 3), batch_size=2, steps=1, repeats=1)


def test_training_flops_are_six_per_connection():
    from cnnapp import models

    model = models.build("linear", input_shape=(32, 32, 3), num_classes=10)
    assert speed.training_flops_per_image(model) == 6 * 32 * 32 * 3 * 10


def test_the_tensorflow_roof_times_real_products():
    from cnnapp.bench import roof

    start = time.perf_counter()
    roofs = roof.measure_roofs(roof.tensorflow_seconds, ["float32", "bfloat16", "int8"], start=128, max_n=256)
    elapsed = time.perf_counter() - start
    assert roofs["best"] in ("float32", "bfloat16", "int8")
    for dtype in ("float32", "bfloat16", "int8"):
        assert [s["n"] for s in roofs[dtype]["sizes"]] == [128, 256]
    # Each size's best run took 2n³ / rate seconds, and ran 4 times (a warm-up and 3 timed) within the call.
    float32 = roofs["float32"]["sizes"]
    assert 0 < sum(4 * 2 * s["n"] ** 3 / s["flops_per_s"] for s in float32) < elapsed


def test_pipeline_rate_counts_the_delivered_images():
    from cnnapp.data import DataConfig

    config = DataConfig(
        image_size=32, channels=3, resize="short_side", short_side=48, augment=("random_crop",), cache="none"
    )
    source = pipeline.synthetic_source(examples=40, size=48)
    image, label = next(iter(source))
    assert image.shape == (48, 48, 3) and 0 <= float(np.min(image)) and float(np.max(image)) <= 255
    assert 0 <= int(label) < 10
    rate = pipeline.pipeline_rate(source, config, batch_size=8, batches=6, min_seconds=0.0)
    assert rate["batches"] == 6 and rate["images_per_s"] == pytest.approx(48 / rate["seconds"])
    assert pipeline.pipeline_rate(source, config, batch_size=8, batches=1, min_seconds=0.2)["seconds"] >= 0.2
    assert pipeline.verdict(100.0, 200.0) == "starved" and pipeline.verdict(300.0, 200.0) == "fed"


def test_litert_float32_against_int8_converted_on_the_fly_and_from_files(tmp_path):
    rows = litert.convert_and_time("lenet5", runs=3)
    float_row, int8_row = rows
    assert (float_row["mode"], int8_row["mode"]) == ("float32", "int8")
    assert float_row["speedup"] == 1.0 and not float_row["integer_only"] and int8_row["integer_only"]
    assert int8_row["bytes"] < float_row["bytes"] / 2  # int8 weights: about a quarter of the bytes
    assert int8_row["input_shape"] == [32, 32, 1] and int8_row["latency_ms"] > 0

    committed = EXPORTS / "lenet5-digits" / "float32.tflite"  # a file timed as found, not converted again
    (tmp_path / "lenet").mkdir()
    for name in ("float32.tflite", "copy-float32.tflite"):
        shutil.copyfile(committed, tmp_path / "lenet" / name)
    rows = litert.latency_rows(tmp_path, runs=3)
    assert [row["model"] for row in rows] == ["lenet", "lenet"] and {row["mode"] for row in rows} == {
        "float32"
    }
    assert litert.latency_rows(tmp_path / "missing") == []


def _committed_lenet_exports(folder: Path) -> Path:
    (folder / "lenet5-digits").mkdir(parents=True)
    for mode in ("float32", "int8"):
        shutil.copyfile(
            EXPORTS / "lenet5-digits" / f"{mode}.tflite", folder / "lenet5-digits" / f"{mode}.tflite"
        )
    return folder


def test_cli_prints_the_table_and_writes_json(tmp_path, capsys):
    from cnnapp.bench.__main__ import main

    out = tmp_path / "bench.json"
    argv = [
        "--sections",
        "pipeline,litert",
        "--image-size",
        "32",
        "--batch-size",
        "4",
        "--pipeline-batches",
        "3",
        "--litert-runs",
        "3",
        "--litert-profile",
        "off",
        "--export-dir",
        str(_committed_lenet_exports(tmp_path / "exports")),
        "--folder-images",
        "40",
        "--small-files",
        "50",
        "--folder-cache",
        str(tmp_path / "folders"),
        "--json",
        str(out),
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    # The committed exports are timed as found (converting on the fly is test_litert_float32_against_...'s).
    assert "Input pipeline" in text and "LiteRT latency" in text and "converted on the fly" not in text
    result = json.loads(out.read_text())
    assert result["machine"]["cpu_cores"] >= 1 and result["precision"] == "float32"
    assert [row["source"] for row in result["pipeline"]] == ["digits", "synthetic 64×64 RGB"]
    assert [row["mode"] for row in result["litert"]["rows"]] == ["float32", "int8"]
    assert "speed" not in result
    # The folder rows: a JPEG folder against plain tf.data, and the first batch of a folder of small files.
    assert "Image folders" in text and "load to first batch" in text
    jpeg, first = result["folder"]["jpeg"], result["folder"]["first_batch"]
    assert jpeg["ratio"] == pytest.approx(float(np.median(jpeg["pair_ratios"])))
    assert jpeg["pair_ratios"] == pytest.approx(
        [o / r for o, r in zip(jpeg["ours_runs"], jpeg["reference_runs"], strict=True)]
    )
    assert jpeg["cpu_ratio"] == pytest.approx(jpeg["reference_cpu_ms"] / jpeg["ours_cpu_ms"])
    assert first["files"] == 50 and 0 < first["seconds"] < 60
    assert len(list((tmp_path / "folders").glob("jpeg-40-300x400/class*/*.jpg"))) == 40


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--image-size", "16"], "at least 32"),
        (["--models", "alexnet"], "unknown bench model 'alexnet'"),
        (["--sections", "speed,disk"], "unknown bench section 'disk'"),
        (["--steps", "0"], "must be ≥ 1"),
    ],
)
def test_cli_rejects_bad_options(argv, message):
    from cnnapp.bench.__main__ import main

    with pytest.raises(CnnappError, match=message):
        main(argv)


@pytest.mark.slow
def test_resnet50_with_conv_biases_matches_keras_applications_parameter_for_parameter():
    result = speed.compare_training(
        speed.PAIRS["resnet50"], input_shape=(32, 32, 3), batch_size=2, steps=1, repeats=1
    )
    assert result["params"] == 23_608_202  # keras.applications.ResNet50(weights=None, classes=10)
