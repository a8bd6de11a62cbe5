"""Write the 20 test digits the browser test feeds the page: `python -m tests.demo.make_digits`.

The first two images of each class in the shipped digits' test split, stretched 8×8 → 32×32 the way the
training pipeline does (bilinear, antialiased), rounded to 8-bit grey PNGs: `digits/test<index>-<label>.png`.
Plain PNGs with no colour profile or gamma chunk, so a browser decodes exactly the pixels Python does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FOLDER = Path(__file__).parent / "digits"
PER_CLASS = 2


def main() -> None:
    from PIL import Image

    from cnnapp.data import augment, load_dataset

    FOLDER.mkdir(exist_ok=True)
    seen: dict[int, int] = {}
    for index, (image, label) in enumerate(load_dataset("digits").splits["test"].as_numpy_iterator()):
        label = int(label)
        if seen.get(label, 0) == PER_CLASS:
            continue
        seen[label] = seen.get(label, 0) + 1
        pixels = np.clip(np.round(augment.stretch(image, 32).numpy()[..., 0]), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "L").save(FOLDER / f"test{index:03d}-{label}.png")
    print(f"wrote {sum(seen.values())} digits to {FOLDER}")


if __name__ == "__main__":
    main()
