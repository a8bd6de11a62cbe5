"""The committed exports the demo tests run, and the Python reference answers (LiteRT) for the test digits.

The browser tier runs the committed int8 exports of both shipped models; a file the page cannot run (no
metadata before the exports were re-generated with it) makes the test skip with the reason.
`CNNAPP_DEMO_EXPORTS=DIR` points the tests at another export folder (DIR/<model>/int8.tflite).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = Path(os.environ.get("CNNAPP_DEMO_EXPORTS", ROOT / "export"))
MODELS = ("lenet5-digits", "googlenet-digits")
DIGITS = sorted((Path(__file__).parent / "digits").glob("*.png"))


def int8_export(model: str) -> Path:
    """The model's plain int8 export: `int8.tflite`, else the shortest `*int8*.tflite` (e.g. `int8-uint8`)."""
    folder = EXPORTS / model
    exact = folder / "int8.tflite"
    if exact.is_file():
        return exact
    candidates = sorted(folder.glob("*int8*.tflite"), key=lambda p: (len(p.name), p.name))
    if not candidates:
        pytest.skip(f"no int8 export of {model} in {folder}")
    return candidates[0]


def demo_model(model: str):
    """The checked model (`cnnapp.demo.read_model`), or a skip naming why the page cannot run the file."""
    from cnnapp.demo import read_model
    from cnnapp.errors import CnnappError

    path = int8_export(model)
    try:
        return read_model(path)
    except CnnappError as error:
        pytest.skip(f"the page cannot run this export yet: {error}")


def litert_top1(model_path: Path, image_paths: list[Path]) -> list[set[int]]:
    """For each image, the classes LiteRT ranks first (a set: quantized uint8 scores can tie).

    The PNG is decoded to uint8 RGB (grey copied to the three channels, as a browser does) and fed at the
    model's input size, as MediaPipe feeds a camera frame.
    """
    from ai_edge_litert.interpreter import Interpreter
    from PIL import Image

    interpreter = Interpreter(model_path=str(model_path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    height, width = (int(d) for d in inp["shape"][1:3])
    tops = []
    for path in image_paths:
        image = Image.open(path).convert("RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.BILINEAR)
        pixels = np.asarray(image, np.uint8)[None]
        if inp["dtype"] != np.uint8:
            pixels = pixels.astype(inp["dtype"])
        interpreter.set_tensor(inp["index"], pixels)
        interpreter.invoke()
        scores = interpreter.get_tensor(out["index"])[0]
        tops.append({int(i) for i in np.flatnonzero(scores == scores.max())})
    return tops
