"""`python -m cnnapp.bench` end to end at the smallest sizes: the table and its JSON; bad options
as one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from tests.fixtures import ROOT


def _committed_lenet_exports(folder: Path) -> Path:
    (folder / "lenet5-digits").mkdir(parents=True)
    for mode in ("float32", "int8"):
        shutil.copyfile(
            ROOT / "export" / "lenet5-digits" / f"{mode}.tflite", folder / "lenet5-digits" / f"{mode}.tflite"
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


# What LiteRT, the converter and Keras's SavedModel export write on their own while the section runs.
_CHATTER = ("Created TensorFlow Lite XNNPACK delegate", "Saved artifact at", "fully_quantize", "TensorSpec(")


def test_the_litert_section_hides_litert_and_converter_chatter_unless_verbose(tmp_path, capfd):
    from cnnapp.bench.__main__ import main

    # No exports: lenet5 is converted both ways and timed, the noisiest path of the section.
    argv = ["--sections", "litert", "--litert-runs", "2", "--litert-profile", "off", "--json", ""]
    argv += ["--export-dir", str(tmp_path / "none")]
    assert main(argv) == 0
    out, err = capfd.readouterr()
    assert "LiteRT latency" in out and "converted on the fly" in out
    assert not [line for line in (out + err).splitlines() if any(word in line for word in _CHATTER)]

    assert main([*argv, "--verbose"]) == 0
    out, err = capfd.readouterr()
    assert "LiteRT latency" in out and "Saved artifact at" in out + err
