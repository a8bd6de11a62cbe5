"""Mixed bfloat16 keeps accuracy: the digit recipes trained in both precisions land within 0.3 points.

The cheaper default-tier check is test_training.py::test_mixed_precision_policies (float32 variables and
outputs, loss scaling only for float16); the probe that decides `auto` is tested in test_precision.py.
"""

import json

import pytest

from cnnapp import train


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["lenet5-digits", "googlenet-digits"])
def test_mixed_bfloat16_lands_within_0_3_points_of_float32(recipe, tmp_path):
    accuracy = {}
    for precision in ("float32", "mixed_bfloat16"):
        out = tmp_path / precision
        argv = ["--recipe", recipe, "--out", str(out), "--quiet", "--precision", precision]
        assert train.main(argv) == 0
        report = json.loads((out / "report.json").read_text())
        assert report["device"].endswith(precision)
        accuracy[precision] = report["top1_accuracy"]
    print(recipe, accuracy)
    assert abs(accuracy["mixed_bfloat16"] - accuracy["float32"]) <= 0.003, accuracy
