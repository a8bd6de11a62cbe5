"""Smoke tier: `python -m cnnapp.explain` on a real run (every figure), a `.tflite` export (occlusion), and
bad input as one-line errors."""

import json

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.explain import occlusion
from cnnapp.explain.__main__ import main
from cnnapp.explain.subject import load_subject


def test_explain_draws_every_figure_of_a_run(short_run, tmp_path, capsys):
    out = tmp_path / "all"
    assert main([str(short_run), "--out", str(out), "--limit", "60", "--index", "0", "5"]) == 0
    written = {p.name for p in out.iterdir()}
    for name in ("curves.png", "confusion.png", "worst_errors.png", "filters-C1.png",
                 "activations-C3_act.png",
                 "patches-C3.png", "dead-relu.json", "occlusion.png", "gradcam.png"):  # fmt: skip
        assert name in written, name
    # Top patches default to C3 before its scaled tanh, whose saturated outputs (~1.72) tie the top images.
    top = json.loads((out / "patches-C3.json").read_text())["channels"][0]
    assert top[0]["value"] > 1.8 or len({round(h["value"], 3) for h in top}) > 3
    cam = json.loads((out / "gradcam.json").read_text())
    assert cam["layers"] == ["C3_act"] and len(cam["images"]) == 2
    assert np.array(cam["images"][0]["cam"]).shape == (10, 10)
    assert str(out / "gradcam.png") in capsys.readouterr().out


def test_occlusion_of_a_tflite_export_matches_keras(short_run, tmp_path):
    import tensorflow as tf

    keras_subject = load_subject(short_run)
    tflite = tmp_path / "float32.tflite"
    tflite.write_bytes(tf.lite.TFLiteConverter.from_keras_model(keras_subject.model).convert())
    lite_subject = load_subject(tflite)
    images, labels = keras_subject.test_images(limit=2)
    fill = keras_subject.fill_value()
    for subject in (keras_subject, lite_subject):
        probs, tops, lefts = occlusion.occlusion_map(subject.predict, images[0], int(labels[0]), 8, 4, fill)
        assert probs.shape == (7, 7) and tops.tolist() == lefts.tolist() == list(range(0, 25, 4))
        if subject is keras_subject:
            expected = probs
    np.testing.assert_allclose(probs, expected, atol=1e-4)
    # The map is the model's probability with that square greyed: check one position by hand.
    hidden = images[0].copy()
    hidden[8:16, 12:20] = fill
    assert expected[2, 3] == pytest.approx(keras_subject.predict(hidden[None])[0, labels[0]], abs=1e-5)
    assert (
        main(
            [
                str(tflite),
                "occlusion",
                "--image",
                str(_png(tmp_path, images[1])),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    assert (tmp_path / "o" / "occlusion.png").is_file()


def _png(tmp_path, image):
    import tensorflow as tf

    path = tmp_path / "digit.png"
    path.write_bytes(tf.io.encode_png(np.clip(image, 0, 255).astype(np.uint8)).numpy())
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{run}", "shapes"], "unknown figure 'shapes'; valid figures: curves, errors"),
        (["{run}", "filters", "--layer", "nope"], "unknown layer 'nope'; valid layers: C1, C3, C5"),
        (["{run}", "filters", "--layer", "F6"], "'F6' is a dense layer"),
        (["{run}", "gradcam", "--layer", "F6"], "'F6' has no spatial maps"),
        (["{run}", "gradcam", "--class", "eleven"], "unknown class 'eleven'; valid classes: 0, 1"),
        (["{run}", "occlusion", "--index", "999"], "test image 999 does not exist; the test split has"),
        (["{run}/nothing"], "no run folder or model file at"),
    ],
)
def test_bad_input_is_a_one_line_error(short_run, argv, message):
    argv = [a.replace("{run}", str(short_run)) for a in argv]
    with pytest.raises(CnnappError, match=message) as error:
        main([*argv, "--out", str(short_run / "bad")])
    assert "\n" not in str(error.value)
