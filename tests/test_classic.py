"""The classic baselines: features of the right size, a report with the CNN run's keys, C chosen without the
test split, and the results table showing the run beside the field's."""

import json

import numpy as np
import pytest

from cnnapp import classic
from cnnapp.errors import CnnappError


def test_hog_and_colour_features():
    images = np.random.default_rng(0).uniform(0, 255, size=(3, 8, 8, 1)).astype("float32")
    assert classic.hog_features(images).shape == (3, 3 * 3 * 2 * 2 * 9)  # 32×32: 3×3 blocks of 2×2 cells
    colour = classic.colour_features(np.concatenate([images] * 3, axis=-1))
    assert colour.shape == (3, 3 * classic.HISTOGRAM_BINS)
    np.testing.assert_allclose(colour.reshape(3, 3, -1).sum(-1), 1.0, rtol=1e-6)


def test_cli_writes_a_run_report_that_the_results_table_reads(tmp_path, capsys):
    out = tmp_path / "classic"
    assert classic.main(["--dataset", "digits", "--features", "colour", "--out", str(out)]) == 0
    assert "top-1 accuracy" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    for key in ("recipe", "architecture", "dataset", "split", "examples", "top1_accuracy", "top5_error",
                "train_examples", "parameters"):  # fmt: skip
        assert key in report
    assert report["examples"] == 360 and report["svm_c"] in classic.C_GRID
    assert 0.15 < report["top1_accuracy"] < 0.5  # grey-level histograms say little about a digit's shape
    from cnnapp.audit import results

    assert results.main(["--table", "ilsvrc", "--run", str(out)]) == 0
    table = capsys.readouterr().out
    assert "ours: colour features + linear SVM on digits, 360 test images" in table and "28.2" in table


def test_errors(tmp_path):
    with pytest.raises(CnnappError, match="--c must be positive"):
        classic.run("digits", "colour", c=-1)
    with pytest.raises(CnnappError, match="unknown dataset"):
        classic.run("nope", "colour")
    from cnnapp.audit import results

    with pytest.raises(CnnappError, match="no report.json"):
        results.main(["--run", str(tmp_path)])


# HoG on the whole digits set and its held-out choice of C (~15 s); the default tier checks the features'
# shape and the whole CLI with the quick colour features.
@pytest.mark.slow
def test_hog_svm_on_digits():
    report = classic.run("digits", "hog")
    assert report["top1_accuracy"] > 0.95
