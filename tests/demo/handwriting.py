"""Digits as a person draws them: pen strokes on a unit square, drawn on the page's pad by the browser tests
and rendered (`render`) as ink on paper for the fake camera (`write_y4m`, the video file Chromium films).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# digit -> strokes, each a list of (x, y) in the unit square (0, 0 top left); the digit fills ~70% of it.
STROKES = {
    "0": [
        [
            (0.5, 0.15),
            (0.7, 0.25),
            (0.76, 0.5),
            (0.7, 0.75),
            (0.5, 0.86),
            (0.3, 0.75),
            (0.24, 0.5),
            (0.3, 0.25),
            (0.5, 0.15),
        ]
    ],
    "1": [[(0.42, 0.25), (0.55, 0.14), (0.55, 0.86)]],
    "3": [
        [
            (0.3, 0.22),
            (0.5, 0.13),
            (0.7, 0.22),
            (0.66, 0.42),
            (0.48, 0.5),
            (0.68, 0.58),
            (0.72, 0.75),
            (0.5, 0.87),
            (0.28, 0.8),
        ]
    ],
    "4": [[(0.6, 0.14), (0.28, 0.6), (0.78, 0.6)], [(0.62, 0.35), (0.62, 0.88)]],
    "7": [[(0.25, 0.18), (0.75, 0.18), (0.45, 0.86)]],
}
INK_WIDTH = 0.075  # the pad's pen (web/page/pad.js), as a share of the square


def render(digit: str, size: int = 280, ink=(25, 25, 30), paper=(236, 232, 220)):
    """The digit drawn as `STROKES` say, `ink` on `paper`: a PIL RGB image `size`×`size`."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), paper)
    pen = ImageDraw.Draw(image)
    width = round(INK_WIDTH * size)
    for stroke in STROKES[digit]:
        points = [(x * size, y * size) for x, y in stroke]
        pen.line(points, fill=ink, width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps, as the pad's pen has
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return image


def write_y4m(image, path: Path, width: int = 640, height: int = 480, frames: int = 2) -> Path:
    """A Y4M video (4:2:0, what `--use-file-for-fake-video-capture` plays) of `image` centred on a
    `width`×`height` frame of its own paper colour, as a phone would film a sheet held up to it."""
    from PIL import Image

    canvas = Image.new("RGB", (width, height), image.getpixel((0, 0)))
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    y, cb, cr = (np.asarray(band, np.uint8) for band in canvas.convert("YCbCr").split())
    planes = y.tobytes() + cb[::2, ::2].tobytes() + cr[::2, ::2].tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"".join(b"FRAME\n" + planes for _ in range(frames)))
    return path
