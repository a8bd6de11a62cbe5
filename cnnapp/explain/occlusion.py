"""Occlusion sensitivity (Zeiler & Fergus 2013, section 4.2): slide a grey square over the image and record
the class's probability with that part hidden. Where the probability drops is what the network relies on.

It needs only predictions, no gradients, so it works on a `.tflite` export through LiteRT as well as on a
Keras model. The grey is the training images' mean pixel (a run's normalization mean, 0 after
normalization), else mid-grey 127.5.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from cnnapp.errors import CnnappError
from cnnapp.explain import figure as fig
from cnnapp.explain.overlay import draw_rows


def default_size(image_size: int) -> int:
    """A square a quarter of the image wide (8 px at 32, 56 at 224), at least 2 px."""
    return max(2, image_size // 4)


def occlusion_map(
    predict: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    class_index: int,
    size: int,
    stride: int,
    fill,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The probability of `class_index` with a `size`² square of `fill` at every `stride`-th position.

    Returns:
        (probabilities [rows, cols], the squares' top rows, their left columns).
    """
    height, width = image.shape[:2]
    if not 1 <= size <= min(height, width) or stride < 1:
        raise CnnappError(
            f"occluder of {size} px at stride {stride} does not fit a {height}×{width} image; choose a size "
            f"from 1 to {min(height, width)} and a stride of at least 1"
        )
    tops = np.arange(0, height - size + 1, stride)
    lefts = np.arange(0, width - size + 1, stride)
    batch = np.repeat(np.asarray(image, np.float32)[None], len(tops) * len(lefts), axis=0)
    for k, (t, l) in enumerate((t, l) for t in tops for l in lefts):  # noqa: E741
        batch[k, t : t + size, l : l + size] = fill
    probs = np.asarray(predict(batch))[:, class_index]
    return probs.reshape(len(tops), len(lefts)), tops, lefts


def draw_occlusion(
    subject,
    images: np.ndarray,
    out_dir: str | Path,
    class_index: int | None = None,
    size: int | None = None,
    stride: int | None = None,
    captions=None,
) -> list[Path]:
    """`occlusion.png` (a row per image) and `occlusion.json` (the maps, positions, classes)."""
    size = size or default_size(min(subject.input_shape[:2]))
    stride = stride or max(1, size // 2)
    fill = subject.fill_value()
    base = subject.predict(images)
    rows, maps, extents, texts = [], [], [], []
    for i, image in enumerate(images):
        c = int(np.argmax(base[i])) if class_index is None else class_index
        probs, tops, lefts = occlusion_map(subject.predict, image, c, size, stride, fill)
        half = size / 2 - 0.5  # square centres, in pixel coordinates
        step = stride / 2
        extents.append(
            (lefts[0] + half - step, lefts[-1] + half + step, tops[-1] + half + step, tops[0] + half - step)
        )
        maps.append(probs)
        prefix = captions[i] + "\n" if captions else ""
        texts.append(f"{prefix}{subject.class_name(c)}: p = {base[i, c]:.2f} unoccluded")
        rows.append(
            {
                "class": c,
                "class_name": subject.class_name(c),
                "probability": base[i, c],
                "tops": tops,
                "lefts": lefts,
                "map": probs,
            }
        )
    heading = (
        f"{subject.name}: occlusion sensitivity — probability of the class with a {size}×{size} grey "
        f"square centred there (stride {stride})"
    )
    figure = draw_rows(images, maps, extents, texts, heading, "class probability")
    out_dir = Path(out_dir)
    data = {"size": size, "stride": stride, "fill": fill, "images": rows}
    return [fig.save_png(figure, out_dir / "occlusion.png"), fig.save_json(out_dir / "occlusion.json", data)]
