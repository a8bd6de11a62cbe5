"""The ink map: builtin TFLite ops, MediaPipe's ImageSegmenter, the same as its TensorFlow maths."""

import subprocess
import sys

import numpy as np
import pytest

from cnnapp.deploy import metadata, runtime
from cnnapp.number import inkmap, scenes


@pytest.fixture(scope="module")
def content():
    return inkmap.inkmap_tflite()


def test_the_ink_map_uses_builtin_ops_only_and_has_segmenter_metadata(content):
    ops = {op["op"] for op in runtime.graph_ops(content)}
    assert ops and all(not name.startswith(("FLEX", "CUSTOM")) for name in ops), ops
    assert tuple(metadata.read_metadata(content)["labels"]) == inkmap.LABELS


def test_mediapipe_gives_the_ink_the_tensorflow_maths_gives(content):
    frame = scenes.make_scenes("validation", 1, 5).frames[0]
    ink_map = inkmap.InkMap(content)
    try:
        sdk = ink_map.run(frame)
    finally:
        ink_map.close()
    maths = inkmap.ink_map(frame[None].astype(np.float32)).numpy()[0, ..., 1]
    assert sdk.shape == (inkmap.HEIGHT, inkmap.WIDTH)
    np.testing.assert_allclose(sdk, maths, atol=1e-4)
    assert sdk.max() == pytest.approx(1.0) and np.median(sdk) < 0.05  # ink is bright, paper is not


def test_blank_paper_with_a_gradient_has_no_ink():
    x = np.linspace(0, 1, inkmap.WIDTH)[None, :, None]
    paper = np.broadcast_to(150 + 80 * x, (inkmap.HEIGHT, inkmap.WIDTH, 3)).astype(np.float32)
    noisy = paper + np.random.default_rng(0).normal(0, 8, paper.shape)
    ink = inkmap.ink_map(np.clip(noisy, 0, 255)[None].astype(np.float32)).numpy()[0, ..., 1]
    assert ink.max() < 0.35  # under the glue's threshold


def test_building_the_ink_map_writes_nothing():
    # The demo writes it into every site: its converter and metadata check are quiet (`--verbose` is TF's
    # log). In a fresh process: LiteRT logs its XNNPACK line once per process, and this one may have done so.
    code = "from cnnapp import quiet; quiet.start_tensorflow(); from cnnapp.number import inkmap; "
    code += "inkmap.inkmap_tflite()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    noise = [line for line in done.stderr.splitlines() if "Warning" not in line and line.strip()]
    assert (done.stdout, noise) == ("", []), done.stderr
