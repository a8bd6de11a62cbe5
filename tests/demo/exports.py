"""The committed exports the demo tests run, and the Python reference answers (LiteRT) for the test digits.

The browser tier runs the committed int8 exports of both shipped models; a missing export, or a file the page
cannot run, fails the test with the reason (a broken export is a failure, never a skip).
`CNNAPP_DEMO_EXPORTS=DIR` points the tests at another export folder (DIR/<model>/int8.tflite).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = Path(os.environ.get("CNNAPP_DEMO_EXPORTS", ROOT / "export"))
# The phone models a person meets on the page (real handwriting, the ink front, the `none` class): the pad,
# the blank pad and the camera are tested on these.
PHONE_MODELS = ("lenet5-phone", "googlenet-phone")
# Every committed int8 export: the page shows LiteRT's answers for each (the UCI quickstart models too).
MODELS = (*PHONE_MODELS, "lenet5-digits", "googlenet-digits")
DIGITS = sorted((Path(__file__).parent / "digits").glob("*.png"))


def int8_export(model: str) -> Path:
    """The model's plain int8 export: `int8.tflite`, else the shortest `*int8*.tflite` (e.g. `int8-uint8`)."""
    folder = EXPORTS / model
    exact = folder / "int8.tflite"
    if exact.is_file():
        return exact
    candidates = sorted(folder.glob("*int8*.tflite"), key=lambda p: (len(p.name), p.name))
    if not candidates:
        pytest.fail(f"no int8 export of {model} in {folder}: python -m cnnapp.export RUN --mode int8")
    return candidates[0]


def demo_model(model: str):
    """The checked model (`cnnapp.demo.read_model`); a file the page cannot run fails the test with why."""
    from cnnapp.demo import read_model
    from cnnapp.errors import CnnappError

    path = int8_export(model)
    try:
        return read_model(path)
    except CnnappError as error:
        pytest.fail(f"the page cannot run the committed export: {error}")


def litert_scores(model_path: Path, images: list) -> list[np.ndarray]:
    """LiteRT's class probabilities (dequantized) for each image (a path or PNG bytes).

    The PNG is decoded to uint8 RGB (grey copied to the three channels, as a browser does) and fed at the
    model's input size, as MediaPipe feeds a camera frame.
    """
    import io

    from ai_edge_litert.interpreter import Interpreter
    from PIL import Image

    interpreter = Interpreter(model_path=str(model_path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    height, width = (int(d) for d in inp["shape"][1:3])
    scale, zero_point = out["quantization"]
    all_scores = []
    for source in images:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source).convert("RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.BILINEAR)
        pixels = np.asarray(image, np.uint8)[None]
        if inp["dtype"] != np.uint8:
            pixels = pixels.astype(inp["dtype"])
        interpreter.set_tensor(inp["index"], pixels)
        interpreter.invoke()
        scores = interpreter.get_tensor(out["index"])[0].astype(np.float64)
        all_scores.append((scores - zero_point) * scale if scale else scores)
    return all_scores


def litert_verdict(model, image) -> tuple[str, str]:
    """What the page should answer for `image` by the export's refusal rule, from LiteRT's scores:
    ("class", label), or ("none", "") when the top label is the refusal label or its score is too low."""
    scores = litert_scores(model.path, [image])[0]
    rule = model.refusal()
    best = int(scores.argmax())
    if model.labels[best] == rule["label"] or scores[best] < rule["min_score"]:
        return "none", ""
    return "class", model.labels[best]


def litert_top1(model_path: Path, image_paths: list[Path]) -> list[set[int]]:
    """For each image, the classes LiteRT ranks first (a set: quantized uint8 scores can tie)."""
    return [{int(i) for i in np.flatnonzero(s == s.max())} for s in litert_scores(model_path, image_paths)]
